/**
 * The task stream: which worker ran which task, and when, for the last few
 * hundred tasks, as the dashboard draws it (as Dask's task stream does).
 *
 * @module
 */

/**
 * One task run, as the scheduler saw it: from when the worker could start
 * it (sent, or its previous task there done) to its answer, in ms since the
 * epoch.
 *
 * @example
 * ```ts
 * import type { TaskRun } from "./task_stream.ts";
 * const run: TaskRun = {
 *   worker: "node-1",
 *   task: "square",
 *   key: "square-1a2b",
 *   start: 1_700_000_000_000,
 *   end: 1_700_000_000_004,
 *   ok: true,
 * };
 * ```
 */
export interface TaskRun {
  /** The worker (node name, or host) that ran it. */
  readonly worker: string;
  /** The task's name. */
  readonly task: string;
  /** The node's key in its graph. */
  readonly key: string;
  /** When it could start (ms since the epoch). */
  readonly start: number;
  /** When its answer came (ms since the epoch). */
  readonly end: number;
  /** False when it failed (a worker's death is not a run). */
  readonly ok: boolean;
  /** The sizes of its inputs, in bytes (as their workers reported them). */
  readonly bytesIn?: number;
  /** The size of its result, in bytes (as its worker reported it). */
  readonly bytesOut?: number;
}

/** The last `capacity` runs, in a ring: recording one costs no allocation of the ring. */
export class TaskStream {
  readonly #ring: (TaskRun | undefined)[];
  #next = 0;

  /** Keep the last `capacity` runs. */
  constructor(capacity = 500) {
    this.#ring = new Array(capacity);
  }

  /** Note a run. */
  record(run: TaskRun): void {
    this.#ring[this.#next] = run;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /**
   * Runs that ended at or after `since` (ms since the epoch), oldest
   * first; the newest `max` of them (or, with `oldest`, the oldest `max`).
   */
  since(since: number, max = Infinity, oldest = false): TaskRun[] {
    const out: TaskRun[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const run = this.#ring[(this.#next + i) % n];
      if (run !== undefined && run.end >= since) out.push(run);
    }
    if (out.length <= max) return out;
    return oldest ? out.slice(0, max) : out.slice(-max);
  }
}
