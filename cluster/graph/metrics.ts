/**
 * An engine's running totals for `/metrics`: task durations as a
 * histogram, and bytes moved between workers; they only grow
 * (`metrics_text.ts` writes them out).
 *
 * @module
 */

/**
 * The upper bounds of the task-duration histogram's buckets, in seconds
 * (from a millisecond task to a ten-minute one).
 *
 * @example
 * ```ts
 * import { DURATION_BUCKETS } from "./metrics.ts";
 * console.log(DURATION_BUCKETS.at(-1)); // 600
 * ```
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  300,
  600,
];

/**
 * A histogram's state: how many observations fell at or under each bound
 * (not cumulative here), their sum and count.
 *
 * @example
 * ```ts
 * import type { HistogramState } from "./metrics.ts";
 * const empty: HistogramState = { bounds: [1], counts: [0, 0], sum: 0, count: 0 };
 * ```
 */
export interface HistogramState {
  /** The buckets' upper bounds, ascending (the last, +Inf, is implied). */
  readonly bounds: readonly number[];
  /** Observations per bucket; one more entry than `bounds` (for +Inf). */
  readonly counts: readonly number[];
  /** The sum of the observations. */
  readonly sum: number;
  /** How many there were. */
  readonly count: number;
}

/**
 * An engine's running totals: task durations and bytes moved between
 * workers since it started.
 *
 * @example
 * ```ts
 * import { EngineMetrics } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const m = new EngineMetrics();
 * m.ran(0.003, true);
 * m.moved(1024);
 * assert.equal(m.durations().count, 1);
 * assert.equal(m.bytesMoved, 1024);
 * ```
 */
export class EngineMetrics {
  readonly #counts = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  #sum = 0;
  #count = 0;
  /** Bytes of values moved between workers (as their sizes were reported). */
  bytesMoved = 0;
  /** Task runs that ended, by outcome. */
  readonly runs = { ok: 0, failed: 0 };

  /**
   * A task ran for `seconds`; `ok` when it succeeded.
   *
   * @example
   * ```ts
   * import { EngineMetrics } from "./metrics.ts";
   * new EngineMetrics().ran(0.25, false);
   * ```
   */
  ran(seconds: number, ok: boolean): void {
    if (!(seconds >= 0 && Number.isFinite(seconds))) return;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.#counts[i]++;
    this.#sum += seconds;
    this.#count++;
    if (ok) this.runs.ok++;
    else this.runs.failed++;
  }

  /**
   * A value of `bytes` moved between workers.
   *
   * @example
   * ```ts
   * import { EngineMetrics } from "./metrics.ts";
   * new EngineMetrics().moved(4096);
   * ```
   */
  moved(bytes: number): void {
    if (bytes > 0 && Number.isFinite(bytes)) this.bytesMoved += bytes;
  }

  /**
   * The duration histogram now (a copy).
   *
   * @example
   * ```ts
   * import { EngineMetrics } from "./metrics.ts";
   * console.log(new EngineMetrics().durations().count); // 0
   * ```
   */
  durations(): HistogramState {
    return {
      bounds: DURATION_BUCKETS,
      counts: [...this.#counts],
      sum: this.#sum,
      count: this.#count,
    };
  }
}
