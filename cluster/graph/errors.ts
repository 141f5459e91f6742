/**
 * The typed errors of task graphs and futures. Each names the task key, so
 * that a failure deep in a graph can be traced to the call that made it.
 *
 * @module
 */

import { TroupeError } from "../../actors/errors.ts";

/**
 * A task failed: `key` is the failing task's key (also for the outputs that
 * depended on it), and `cause` is what the task threw.
 *
 * @example
 * ```ts
 * import { TaskFailedError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new TaskFailedError("div-1f3a", "div", new RangeError("by zero"), 1);
 * assert.match(e.message, /task div-1f3a failed after 1 attempt: RangeError: by zero/);
 * assert.equal(e.key, "div-1f3a");
 * ```
 */
export class TaskFailedError extends TroupeError {
  /** The key of the task that failed. */
  readonly key: string;
  /** The task's name. */
  readonly task: string;
  /** How many times it ran (1 + retries used). */
  readonly attempts: number;
  /**
   * Build the error from the failing key, its task, what it threw and how
   * many times it ran.
   *
   * @example
   * ```ts
   * import { TaskFailedError } from "@troupe/troupe";
   * new TaskFailedError("add-0", "add", new Error("no"), 3);
   * ```
   */
  constructor(key: string, task: string, cause: unknown, attempts: number) {
    super(
      `task ${key} failed after ${attempts} attempt${
        attempts === 1 ? "" : "s"
      }: ${describe(cause)}`,
      { cause },
    );
    this.key = key;
    this.task = task;
    this.attempts = attempts;
  }
}

/**
 * A task was running on a worker host that died, `deaths` times: it is not
 * tried again (as Dask's `KilledWorker`).
 *
 * @example
 * ```ts
 * import { KilledWorkerError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new KilledWorkerError("crash-9c", 3, "the worker called Deno.exit(1)");
 * assert.match(e.message, /crash-9c .* 3 worker deaths/);
 * ```
 */
export class KilledWorkerError extends TroupeError {
  /** The key of the task. */
  readonly key: string;
  /** How many worker deaths it was present at. */
  readonly deaths: number;
  /**
   * Build the error from the key, the death count and the last death's reason.
   *
   * @example
   * ```ts
   * import { KilledWorkerError } from "@troupe/troupe";
   * new KilledWorkerError("t-1", 3, "SIGKILL");
   * ```
   */
  constructor(key: string, deaths: number, lastReason: string) {
    super(
      `task ${key} was running at ${deaths} worker deaths, so it is not tried again (last: ${lastReason})`,
    );
    this.key = key;
    this.deaths = deaths;
  }
}

/**
 * A future (or the computation waiting on it) was cancelled.
 *
 * @example
 * ```ts
 * import { CancelledError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new CancelledError("sq-1").message, /sq-1 was cancelled/);
 * ```
 */
export class CancelledError extends TroupeError {
  /** The key of the cancelled task. */
  readonly key: string;
  /**
   * Build the error from the cancelled key.
   *
   * @example
   * ```ts
   * import { CancelledError } from "@troupe/troupe";
   * new CancelledError("sq-1");
   * ```
   */
  constructor(key: string) {
    super(`task ${key} was cancelled`);
    this.key = key;
  }
}

/**
 * A task ran longer than its `timeout`.
 *
 * @example
 * ```ts
 * import { GraphTimeoutError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new GraphTimeoutError("slow-1", 50).message, /slow-1 .* 50 ms/);
 * ```
 */
export class GraphTimeoutError extends TroupeError {
  /** The key of the task. */
  readonly key: string;
  /**
   * Build the error from the key and the limit.
   *
   * @example
   * ```ts
   * import { GraphTimeoutError } from "@troupe/troupe";
   * new GraphTimeoutError("slow-1", 50);
   * ```
   */
  constructor(key: string, timeoutMs: number) {
    super(`task ${key} timed out after ${timeoutMs} ms`);
    this.key = key;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
