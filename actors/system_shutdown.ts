/**
 * The system's start and end settings: its deadlines from its options
 * (checked), and the shutdown that ends its actors, hosts, links, asks and
 * timers.
 *
 * @module
 */

import type { CellRuntime } from "./cell.ts";
import { SystemStoppedError } from "./errors.ts";
import type { HostPool } from "./hosts/host_pool.ts";
import type { Links } from "./hosts/link.ts";
import type { ShutdownReport } from "./system_types.ts";
import type { Timer } from "./timer.ts";

/** A system's deadlines from its options; a RangeError names a bad one. */
export function systemDeadlines(options: {
  askTimeout?: number;
  shutdownTimeout?: number;
  hostStartTimeout?: number;
}): { askTimeout: number; shutdownTimeout: number; hostStart: number } {
  const askTimeout = options.askTimeout ?? 5_000;
  const shutdownTimeout = options.shutdownTimeout ?? 5_000;
  if (!(askTimeout > 0 && askTimeout < Infinity)) {
    throw new RangeError(
      `askTimeout must be a positive finite number of ms, got ${askTimeout}`,
    );
  }
  if (!(shutdownTimeout >= 0)) {
    throw new RangeError(
      `shutdownTimeout must be >= 0 ms, got ${shutdownTimeout}`,
    );
  }
  const hostStart = options.hostStartTimeout ?? 60_000;
  if (!(hostStart > 0 && hostStart <= 2 ** 31 - 1)) {
    throw new RangeError(
      `hostStartTimeout must be a positive number of ms (at most 2^31 - 1), got ${hostStart}`,
    );
  }
  return { askTimeout, shutdownTimeout, hostStart };
}

/**
 * Shut a system down: its top-level actors stop one at a time, newest
 * first (each stopping its children), until `timeoutMs`; what is left then
 * is killed; then its hosts, links, pending asks and timers end.
 */
export async function shutDown(
  rt: CellRuntime,
  hosts: HostPool,
  links: Links,
  timeoutMs: number,
): Promise<ShutdownReport> {
  rt.closing = true;
  const all = [...rt.cells.values()];
  const top = all.filter((c) => c.parent === undefined).reverse();
  let timedOut = false;
  let timer: Timer | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, timeoutMs);
  });
  const graceful = (async () => {
    for (const cell of top) {
      if (timedOut) return;
      await cell.terminate({ type: "shutdown" });
    }
  })();
  await Promise.race([graceful, deadline]);
  clearTimeout(timer);
  if (timedOut) {
    for (const cell of top) cell.kill();
  }
  // Actors spawned during shutdown (by onStop hooks) do not outlive it.
  for (const cell of [...rt.cells.values()].reverse()) cell.kill();
  await hosts.shutdown(Math.max(100, rt.shutdownTimeout));
  rt.dispatcher.close();
  // Asks waiting on other hosts first learn that the link is gone; any
  // other ask still waiting learns that the system stopped.
  links.close();
  rt.deadlines.close(() => new SystemStoppedError("wait for a reply"));
  for (const id of rt.timers) clearTimeout(id);
  rt.timers.clear();
  let killed = 0;
  for (const cell of all) if (cell.exitReason?.type === "killed") killed++;
  return { stopped: all.length, killed, timedOut };
}
