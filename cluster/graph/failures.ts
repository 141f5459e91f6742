/**
 * The failures panel's data: the last tasks that failed for good (their
 * retries spent), with where, why and when, as the dashboard lists them and
 * the scheduler's log reports them.
 *
 * @module
 */

/**
 * A task that failed for good.
 *
 * @example
 * ```ts
 * import type { TaskFailure } from "./failures.ts";
 * const line = (f: TaskFailure) => `${f.key} on ${f.worker}: ${f.error}`;
 * ```
 */
export interface TaskFailure {
  /** The node's key in its graph. */
  readonly key: string;
  /** The task's name. */
  readonly task: string;
  /** The worker (node name, or host) it last ran on. */
  readonly worker: string;
  /** What it threw, as `Name: message` (bounded). */
  readonly error: string;
  /** Its stack, where the worker sent one (bounded). */
  readonly stack?: string;
  /** When it failed (ms since the epoch). */
  readonly time: number;
  /** The computations it belonged to, by id. */
  readonly computations: readonly number[];
}

/** The longest error text and stack kept: a node's words are bounded. */
const ERROR_CHARS = 1_000;
const STACK_CHARS = 4_000;

/**
 * The last `capacity` failures, newest last, and who is told of each.
 *
 * @example
 * ```ts
 * import { FailureLog } from "./failures.ts";
 * import assert from "node:assert/strict";
 *
 * const log = new FailureLog(2);
 * for (const key of ["a", "b", "c"]) {
 *   log.record({ key, task: "t", worker: "w", error: new Error("no"), time: 0, computations: [] });
 * }
 * assert.deepEqual(log.list().map((f) => f.key), ["b", "c"]);
 * ```
 */
export class FailureLog {
  readonly #capacity: number;
  #list: TaskFailure[] = [];
  readonly #listeners = new Set<(f: TaskFailure) => void>();

  /**
   * Keep the last `capacity` failures (default 50).
   *
   * @example
   * ```ts
   * import { FailureLog } from "./failures.ts";
   * const log = new FailureLog(10);
   * ```
   */
  constructor(capacity = 50) {
    this.#capacity = capacity;
  }

  /**
   * Note that a task failed with `error`.
   *
   * @example
   * ```ts
   * import { FailureLog } from "./failures.ts";
   * new FailureLog().record({
   *   key: "k", task: "t", worker: "w", error: new TypeError("bad"), time: Date.now(), computations: [1],
   * });
   * ```
   */
  record(
    run: Omit<TaskFailure, "error" | "stack"> & { error: unknown },
  ): void {
    const e = run.error as {
      name?: unknown;
      message?: unknown;
      stack?: unknown;
    };
    const text = e instanceof Error ||
        (e !== null && typeof e === "object" && typeof e.message === "string")
      ? `${typeof e.name === "string" ? e.name : "Error"}: ${e.message}`
      : String(run.error);
    const failure: TaskFailure = {
      ...run,
      error: cut(text, ERROR_CHARS),
      stack: typeof e?.stack === "string"
        ? cut(e.stack, STACK_CHARS)
        : undefined,
      computations: [...run.computations],
    };
    this.#list.push(failure);
    if (this.#list.length > this.#capacity) {
      this.#list = this.#list.slice(-this.#capacity);
    }
    for (const l of this.#listeners) l(failure);
  }

  /**
   * The failures kept, oldest first (copies).
   *
   * @example
   * ```ts
   * import { FailureLog } from "./failures.ts";
   * console.log(new FailureLog().list()); // []
   * ```
   */
  list(): TaskFailure[] {
    return [...this.#list];
  }

  /**
   * Call `listener` with each failure from now on; returns the way to stop.
   *
   * @example
   * ```ts
   * import { FailureLog } from "./failures.ts";
   * const stop = new FailureLog().subscribe((f) => console.log(f.key));
   * stop();
   * ```
   */
  subscribe(listener: (f: TaskFailure) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** `text` cut to `n` characters. */
function cut(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n)}...`;
}
