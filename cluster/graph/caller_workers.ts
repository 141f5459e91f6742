/**
 * A scheduler option kept off the public surface: how many of a local
 * scheduler's workers run on the caller's event loop. A worker host takes
 * tens of milliseconds of the caller's thread to create and a hundred or
 * more to load its modules; a worker on the caller's own loop takes tasks at
 * once, and the others steal from it once their hosts are up (tasks
 * without inputs move for free). The array package's scheduler made for one
 * call uses one, as Dask's default scheduler runs its tasks in the caller's
 * process.
 *
 * @module
 */

/** The key of the option on `SchedulerOptions` (a number of workers). */
export const CALLER_WORKERS: unique symbol = Symbol("troupe.callerWorkers");

/** `options` with `n` of its workers on the caller's event loop. */
export function withCallerWorkers<O extends object>(options: O, n: number): O {
  return { ...options, [CALLER_WORKERS]: n };
}

/** How many workers `options` puts on the caller's event loop. */
export function callerWorkersOf(options: object): number {
  const n = (options as { [CALLER_WORKERS]?: unknown })[CALLER_WORKERS];
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}
