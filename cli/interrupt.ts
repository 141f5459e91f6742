/**
 * Ctrl-C during `troupe run`: the first SIGINT ends the run in good order
 * (the progress line is ended, the cluster it started is stopped, exit code
 * 130), a second one exits at once.
 *
 * @module
 */

/**
 * The run was stopped by SIGINT.
 *
 * @example
 * ```ts
 * import { Interrupted } from "./interrupt.ts";
 * console.log(new Interrupted().message); // "interrupted (Ctrl-C)"
 * ```
 */
export class Interrupted extends Error {
  /**
   * An interruption.
   *
   * @example
   * ```ts
   * import { Interrupted } from "./interrupt.ts";
   * const e = new Interrupted();
   * ```
   */
  constructor() {
    super("interrupted (Ctrl-C)");
    this.name = "Interrupted";
  }
}

/** The exit code of a run that SIGINT stopped (128 + the signal's number). */
export const INTERRUPTED_EXIT = 130;

/**
 * `work`, or an `Interrupted` rejection at the first SIGINT while it runs
 * (a second SIGINT exits the process at once, with code 130).
 *
 * @example
 * ```ts
 * import { untilInterrupted } from "./interrupt.ts";
 * console.log(await untilInterrupted(Promise.resolve(42))); // 42
 * ```
 */
export async function untilInterrupted<T>(work: Promise<T>): Promise<T> {
  const { promise, reject } = Promise.withResolvers<never>();
  let heard = false;
  const onSignal = () => {
    if (heard) Deno.exit(INTERRUPTED_EXIT);
    heard = true;
    reject(new Interrupted());
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    return await Promise.race([work, promise]);
  } finally {
    // (a second Ctrl-C while the cluster stops still exits at once)
    if (!heard) Deno.removeSignalListener("SIGINT", onSignal);
  }
}
