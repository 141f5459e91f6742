/**
 * A progress bar for `compute` from the command line: one line on stderr,
 * redrawn in place as tasks finish, with counts, rate and failures.
 *
 * @module
 */

import type { Computation, ProgressListener } from "./computation.ts";
import { jobElapsed, timing } from "./job_clock.ts";

/**
 * Where the bar is drawn: `Deno.stderr`, or anything with a `writeSync`
 * that takes bytes (and returns how many it wrote, if it may write fewer).
 *
 * @example
 * ```ts
 * import type { ProgressStream } from "./progress.ts";
 * const lines: string[] = [];
 * const stream: ProgressStream = {
 *   writeSync: (bytes) => lines.push(new TextDecoder().decode(bytes)),
 * };
 * ```
 */
export interface ProgressStream {
  /** Write `bytes`; a number returned is how many were written. */
  writeSync(bytes: Uint8Array): unknown;
}

/**
 * What `progressBar` listens to: a `Scheduler`, or anything that reports
 * computations the same way.
 *
 * @example
 * ```ts
 * import type { ProgressSource } from "./progress.ts";
 * const silent: ProgressSource = { subscribe: () => () => {} };
 * ```
 */
export interface ProgressSource {
  /** Call `listener` as tasks finish; returns a function that stops it. */
  subscribe(listener: ProgressListener): () => void;
}

/**
 * Settings of `progressBar`.
 *
 * @example
 * ```ts
 * import type { ProgressBarOptions } from "./progress.ts";
 * const options: ProgressBarOptions = { width: 40, intervalMs: 250 };
 * ```
 */
export interface ProgressBarOptions {
  /** Where to draw (default `Deno.stderr`). */
  stream?: ProgressStream;
  /** Characters inside the brackets (default 20). */
  width?: number;
  /** Least time between two redraws, in ms (default 100). */
  intervalMs?: number;
}

/**
 * What `renderProgress` draws: task counts (a `Computation` has them).
 *
 * @example
 * ```ts
 * import type { ProgressCounts } from "./progress.ts";
 * const half: ProgressCounts = { total: 10, done: 5, erred: 1 };
 * ```
 */
export type ProgressCounts = Pick<Computation, "total" | "done" | "erred">;

/**
 * One line of the progress bar, without control characters: the bar,
 * `done/total tasks`, the rate over `elapsedMs` (left out when no time has
 * passed), and failures when there are some.
 *
 * @example
 * ```ts
 * import { renderProgress } from "./progress.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   renderProgress({ done: 1_234, total: 19_999, erred: 2 }, 100, 20),
 *   "[#-------------------]  1,234/19,999 tasks  12.3k tasks/s  2 failed",
 * );
 * assert.equal(
 *   renderProgress({ done: 3, total: 3, erred: 0 }, 0, 4),
 *   "[####]  3/3 tasks",
 * );
 * ```
 */
export function renderProgress(
  progress: Readonly<ProgressCounts>,
  elapsedMs: number,
  width = 20,
): string {
  checkWidth(width);
  const { done, total, erred } = progress;
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.floor(fraction * width);
  let line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]  ${
    grouped(done)
  }/${grouped(total)} tasks`;
  if (elapsedMs > 0 && Number.isFinite(elapsedMs)) {
    line += `  ${rate((done * 1000) / elapsedMs)} tasks/s`;
  }
  if (erred > 0) line += `  ${grouped(erred)} failed`;
  return line;
}

/** `1234567` as `1,234,567` (the same on every locale). */
function grouped(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)));
  const sign = n < 0 ? "-" : "";
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A rate in three significant figures or so: `850`, `12.3k`, `4.1M`. */
function rate(perSecond: number): string {
  if (perSecond < 9.95) return perSecond.toFixed(1);
  if (perSecond < 999.5) return String(Math.round(perSecond));
  if (perSecond < 999_500) return (perSecond / 1e3).toFixed(1) + "k";
  return (perSecond / 1e6).toFixed(1) + "M";
}

function checkWidth(width: number): void {
  if (!(Number.isInteger(width) && width >= 1)) {
    throw new RangeError(`width must be an integer >= 1, got ${width}`);
  }
}

const encoder = new TextEncoder();

/**
 * Draw a progress bar of a scheduler's computations on stderr (or
 * `stream`), e.g.
 * `[########------------]  1,234/19,999 tasks  12.3k tasks/s  2 failed`,
 * redrawn in place at most every `intervalMs`. Computations running at the
 * same time are counted together; when all are done the bar is drawn a last
 * time and the line ended, and the next computation starts a new line.
 * Disposing it (`using _bar = progressBar(scheduler)`) stops listening,
 * ends a line left open, and leaves no timer behind.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, delayed, progressBar } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
 * });
 * let text = "";
 * const stream = { writeSync: (b: Uint8Array) => (text += new TextDecoder().decode(b)) };
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local" });
 * {
 *   using _bar = progressBar(scheduler, { stream, width: 10 });
 *   const total = delayed(t.sum)([1, 2, 3].map((x) => delayed(t.square)(x)));
 *   assert.deepEqual(await scheduler.compute(total), [14]);
 * }
 * assert.match(text, /\r\[#{10}\] {2}4\/4 tasks.*\n$/);
 * ```
 */
export function progressBar(
  scheduler: {
    /** Calls `listener` with each computation's progress; returns a stop. */
    subscribe(listener: (progress: Readonly<Computation>) => void): () => void;
  },
  options: {
    /** Where to draw (default `Deno.stderr`). */
    stream?: { writeSync(bytes: Uint8Array): unknown };
    /** Characters inside the brackets (default 20). */
    width?: number;
    /** Least time between two redraws, in ms (default 100). */
    intervalMs?: number;
  } = {},
): Disposable {
  const stream = options.stream ?? Deno.stderr;
  const width = options.width ?? 20;
  checkWidth(width);
  const intervalMs = options.intervalMs ?? 100;
  if (!(intervalMs >= 0 && Number.isFinite(intervalMs))) {
    throw new RangeError(
      `intervalMs must be a finite number >= 0, got ${intervalMs}`,
    );
  }

  // The computations of the line being drawn, live records (the engine
  // updates them in place).
  const running = new Map<number, Readonly<Computation>>();
  let startedAt = 0;
  let lastDrawAt = -Infinity;
  let lastLength = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const write = (text: string): void => {
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) {
      const n = stream.writeSync(bytes.subarray(offset));
      if (typeof n !== "number" || n <= 0) break;
      offset += n;
    }
  };

  const totals = (): ProgressCounts => {
    const sum = { total: 0, done: 0, erred: 0 };
    for (const c of running.values()) {
      sum.total += c.total;
      sum.done += c.done;
      sum.erred += c.erred;
    }
    return sum;
  };

  const draw = (end: boolean): void => {
    // The job's own time (its computations' start and end), not the time
    // since this bar first heard of it.
    const elapsed = jobElapsed(running.values(), Date.now(), startedAt);
    const counts = totals();
    const line = renderProgress(counts, elapsed, width) +
      timing(counts.done, counts.total, elapsed);
    // Blank what is left of a longer line drawn before.
    const pad = " ".repeat(Math.max(0, lastLength - line.length));
    write(`\r${line}${pad}${end ? "\n" : ""}`);
    lastLength = end ? 0 : line.length;
    lastDrawAt = performance.now();
  };

  const stopTimer = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };

  const finish = (): void => {
    stopTimer();
    if (running.size > 0) draw(true);
    running.clear();
    lastDrawAt = -Infinity;
  };

  const unsubscribe = scheduler.subscribe((c) => {
    if (disposed) return;
    if (running.size === 0) startedAt = Date.now();
    running.set(c.id, c);
    const { done, total } = totals();
    if (done >= total) return finish();
    const wait = lastDrawAt + intervalMs - performance.now();
    if (wait <= 0) {
      stopTimer();
      draw(false);
    } else if (timer === undefined) {
      const t = setTimeout(() => {
        timer = undefined;
        if (!disposed && running.size > 0) draw(false);
      }, wait);
      // A program that forgets to dispose the bar still exits.
      Deno.unrefTimer(t);
      timer = t;
    }
  });

  return {
    [Symbol.dispose](): void {
      if (disposed) return;
      disposed = true;
      unsubscribe();
      finish();
    },
  };
}
