/**
 * How the `troupe` commands end: exit code 0 when done, 1 for a failure at
 * run time (a refused start, an unreachable cluster, a failed task), 2 for
 * a usage error (the command line cannot be understood). Each message names
 * the command and says what to do next.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { escapeControl } from "../actors/preview.ts";

/**
 * The exit codes of every `troupe` command.
 *
 * @example
 * ```ts
 * import { EXIT } from "./usage.ts";
 * console.log(EXIT.usage); // 2
 * ```
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * A command line that cannot be understood: `troupe` prints its message and
 * a pointer to the command's `--help`, and exits 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage.ts";
 * const e = new UsageError("status", "--json takes no value");
 * console.log(e.command); // "status"
 * ```
 */
export class UsageError extends Error {
  /** The command whose usage it is (`""` for `troupe` itself). */
  readonly command: string;

  /**
   * A usage error of `command`, saying what is wrong in `message`.
   *
   * @example
   * ```ts
   * import { UsageError } from "./usage.ts";
   * const e = new UsageError("run", "the module to run is missing");
   * console.log(e.command, e.message); // "run" "the module to run is missing"
   * ```
   */
  constructor(command: string, message: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/**
 * Print a usage error of `command` on stderr, with where to read more;
 * returns exit code 2.
 *
 * @example
 * ```ts
 * import { reportUsage } from "./usage.ts";
 * const code = reportUsage("run", "--workers: a whole number >= 1, got 0");
 * console.log(code); // 2
 * ```
 */
export function reportUsage(command: string, message: string): number {
  const name = command === "" ? "troupe" : `troupe ${command}`;
  console.error(`${name}: ${message}\n(${name} --help says how)`);
  return EXIT.usage;
}

/**
 * Print a failure of `command` at run time on stderr; returns exit code 1.
 *
 * @example
 * ```ts
 * import { reportFailure } from "./usage.ts";
 * const code = reportFailure("status", "no dashboard answers at http://127.0.0.1:8787/");
 * console.log(code); // 1
 * ```
 */
export function reportFailure(command: string, message: string): number {
  // (a failure may quote a peer: its lines are kept, its escape codes not)
  const shown = message.split("\n").map(escapeControl).join("\n");
  console.error(`troupe ${command}: ${shown}`);
  return EXIT.failure;
}

/**
 * `parseArgs` (strict) for `command`: a parse error becomes a `UsageError`
 * that names the command.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./usage.ts";
 * const { values } = parseCommand("demo", ["--help"], {
 *   options: { help: { type: "boolean", short: "h" } },
 * });
 * console.log(values.help); // true
 * ```
 */
export function parseCommand<T extends ParseArgsConfig>(
  command: string,
  args: string[],
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, args, strict: true });
  } catch (e) {
    throw new UsageError(command, (e as Error).message);
  }
}

/**
 * A whole number option within `[min, max]`, or a `UsageError` that says
 * what it should be.
 *
 * @example
 * ```ts
 * import { wholeNumber } from "./usage.ts";
 * console.log(wholeNumber("run", "--workers", "4", 1)); // 4
 * ```
 */
export function wholeNumber(
  command: string,
  option: string,
  text: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    throw new UsageError(
      command,
      `${option}: a whole number from ${min} to ${max}, got "${text}"`,
    );
  }
  return n;
}
