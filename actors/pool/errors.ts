/**
 * The errors a pool's work fails with.
 *
 * @module
 */

import { TroupeError } from "../errors.ts";

/**
 * A pool's queue is full and its `whenFull` is `reject`.
 *
 * @example
 * ```ts
 * import { PoolFullError } from "@troupe/troupe";
 * console.log(new PoolFullError(10).message);
 * ```
 */
export class PoolFullError extends TroupeError {
  /** Build the error from the queue bound. */
  constructor(maxQueue: number) {
    super(`the pool's queue is full (${maxQueue} waiting)`);
  }
}

/**
 * A task failed on an item of a map: which task, which item, the original
 * error as `cause`.
 *
 * @example
 * ```ts
 * import { TaskError } from "@troupe/troupe";
 * const e = new TaskError("double", 7, new RangeError("no"));
 * console.log(e.message); // task "double" failed on item 7: RangeError: no
 * ```
 */
export class TaskError extends TroupeError {
  /** The task's name. */
  readonly task: string;
  /** The index of the item it failed on (-1 for a `submit`). */
  readonly index: number;
  /** Build the error from the task, the item index and the thrown error. */
  constructor(task: string, index: number, cause: Error) {
    super(
      `task "${task}" failed${
        index >= 0 ? ` on item ${index}` : ""
      }: ${cause.name}: ${cause.message}`,
      { cause },
    );
    this.task = task;
    this.index = index;
  }
}

/**
 * A task took longer than its `taskTimeout` (a map) or `timeout` (`run`):
 * which task, which item (-1 for `run`), and the limit.
 *
 * @example
 * ```ts
 * import { TaskTimeoutError } from "@troupe/troupe";
 * const e = new TaskTimeoutError("fetch", 3, 100);
 * console.log(e.message); // task "fetch" timed out on item 3 after 100 ms
 * ```
 */
export class TaskTimeoutError extends TroupeError {
  /** The task's name. */
  readonly task: string;
  /** The index of the item that overran (-1 for `run`). */
  readonly index: number;
  /** The limit that passed, in ms. */
  readonly timeoutMs: number;
  /** Build the error from the task, the item index and the limit. */
  constructor(task: string, index: number, timeoutMs: number) {
    super(
      `task "${task}" timed out${
        index >= 0 ? ` on item ${index}` : ""
      } after ${timeoutMs} ms`,
    );
    this.task = task;
    this.index = index;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The map was stopped through its signal; `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * import { MapAbortedError } from "@troupe/troupe";
 * console.log(new MapAbortedError("double", 10, 100, "stop").message);
 * ```
 */
export class MapAbortedError extends TroupeError {
  /** Build the error from the task, progress and the signal's reason. */
  constructor(task: string, done: number, total: number, reason: unknown) {
    super(`map of "${task}" was aborted after ${done} of ${total} items`, {
      cause: reason,
    });
  }
}
