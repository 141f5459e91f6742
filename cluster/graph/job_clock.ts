/**
 * A progress line's time: how long the job has run and how long it has
 * left, from the job's own clock (when its computations started and
 * ended, as the scheduler noted them), not from when the line first heard
 * of it: a bar that first hears of a job at its end still says how long
 * it took.
 *
 * @module
 */

/** What the clock reads of a computation (ms since the epoch). */
export interface Timed {
  /** Its tasks. */
  readonly total: number;
  /** Tasks finished (or failed). */
  readonly done: number;
  /** When the scheduler took it. */
  readonly started?: number;
  /** When its last task finished. */
  readonly ended?: number;
}

/**
 * How long the job made of `computations` has run, in ms, at `now`: from
 * the first one's start to now, or to the last one's end once all are
 * done; `fallbackStart` where a computation says no start.
 *
 * @example
 * ```ts
 * import { jobElapsed } from "./job_clock.ts";
 * import assert from "node:assert/strict";
 *
 * const c = { total: 10, done: 10, started: 1_000, ended: 4_000 };
 * assert.equal(jobElapsed([c], 9_000, 8_999), 3_000);
 * ```
 */
export function jobElapsed(
  computations: Iterable<Timed>,
  now: number,
  fallbackStart: number,
): number {
  let start = Infinity, end = -Infinity, finished = true, any = false;
  for (const c of computations) {
    any = true;
    start = Math.min(start, c.started ?? fallbackStart);
    if (c.done < c.total || c.ended === undefined) finished = false;
    else end = Math.max(end, c.ended);
  }
  if (!any) return 0;
  return Math.max(0, (finished ? end : now) - start);
}

/**
 * `ms` as a person reads a duration: `0.4s`, `12.3s`, `4m05s`, `2h03m`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./job_clock.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDuration(12_345), "12.3s");
 * assert.equal(formatDuration(245_000), "4m05s");
 * assert.equal(formatDuration(7_380_000), "2h03m");
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * The time part of a progress line: `  elapsed 12.3s`, and `  ETA 4.1s`
 * while tasks remain and some are done (at the rate so far).
 *
 * @example
 * ```ts
 * import { timing } from "./job_clock.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(timing(50, 100, 10_000), "  elapsed 10.0s  ETA 10.0s");
 * assert.equal(timing(100, 100, 10_000), "  elapsed 10.0s");
 * ```
 */
export function timing(done: number, total: number, elapsedMs: number): string {
  let text = `  elapsed ${formatDuration(elapsedMs)}`;
  if (done > 0 && done < total && elapsedMs > 0) {
    text += `  ETA ${formatDuration(((total - done) * elapsedMs) / done)}`;
  }
  return text;
}
