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
 * The other workers' hosts are started only once work has been outstanding
 * for `HOSTS_AFTER_MS` (a second option, for tests): a short graph is done
 * on the caller's loop before a host could have helped, and never pays for
 * one (creating a Web Worker blocks the caller's thread; its module loads
 * take the other cores).
 *
 * @module
 */

/** The key of the option on `SchedulerOptions` (a number of workers). */
export const CALLER_WORKERS: unique symbol = Symbol("troupe.callerWorkers");

/** The key of the delay before the other workers' hosts start (ms). */
export const HOSTS_AFTER: unique symbol = Symbol("troupe.hostsAfter");

/** By default, hosts start once work has been outstanding this long (ms). */
export const HOSTS_AFTER_MS = 100;

/**
 * `options` with `n` of its workers on the caller's event loop, the others'
 * hosts started once work has been outstanding `hostsAfterMs`.
 */
export function withCallerWorkers<O extends object>(
  options: O,
  n: number,
  hostsAfterMs: number = HOSTS_AFTER_MS,
): O {
  return { ...options, [CALLER_WORKERS]: n, [HOSTS_AFTER]: hostsAfterMs };
}

/** The delay `options` gives before the other hosts start (ms). */
export function hostsAfterOf(options: object): number {
  const ms = (options as { [HOSTS_AFTER]?: unknown })[HOSTS_AFTER];
  return typeof ms === "number" && ms >= 0 ? ms : HOSTS_AFTER_MS;
}

/** How many workers `options` puts on the caller's event loop. */
export function callerWorkersOf(options: object): number {
  const n = (options as { [CALLER_WORKERS]?: unknown })[CALLER_WORKERS];
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 0;
}
