/**
 * The proxy side of a cell whose actor runs on a worker, process or node
 * host: checking the placement it was spawned with, passing messages on
 * (at once, or what waited in its queue), and taking back what the host still held when the actor
 * there was gone. Plain functions over the cell's `CellCore`.
 *
 * @module
 */

import { errorInfo, type ExitReason } from "./errors.ts";
import { RefPayload } from "./hosts/crossing.ts";
import { HostError } from "./hosts/hosts.ts";
import { takeTransfer, transfer } from "./transfer.ts";
import {
  forwardToHost,
  prepareForHost,
  REFUSED,
  type RemoteBinding,
} from "./remote_binding.ts";
import type { ReplyTo } from "./reply.ts";
import type { BehaviorShape, Leftover, Runtime } from "./runtime.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import { type CellCore, DEAD, RUNNING } from "./cell_core.ts";

/**
 * The binding of an actor spawned with `options` to a host (none for a
 * local one), its placement checked: a typed error names what is wrong.
 */
export function bindRemote(
  rt: Runtime,
  behavior: BehaviorShape,
  options: SpawnOptions | undefined,
): RemoteBinding | undefined {
  const placement = options?.placement ?? "local";
  if (placement === "local") return undefined;
  if (
    placement !== "worker" && placement !== "process" && placement !== "node"
  ) {
    throw new TypeError(
      `unknown placement ${
        JSON.stringify(placement)
      } (local, worker, process or node)`,
    );
  }
  const heap = options?.heapLimitMb;
  if (heap !== undefined && !(Number.isInteger(heap) && heap >= 16)) {
    throw new RangeError(
      `heapLimitMb must be an integer >= 16, got ${heap}`,
    );
  }
  if (behavior.module === undefined) {
    throw new HostError(
      `behaviour "${behavior.name}" has no module URL: give defineActor \`module: import.meta.url\` (and export it) to run it on a ${placement}`,
    );
  }
  rt.hosts.checkPermissions(placement, options?.permissions);
  return {
    placement,
    pin: options?.host,
    permissions: options?.permissions,
    heapLimitMb: options?.heapLimitMb,
    host: undefined,
    id: 0,
    exited: undefined,
  };
}

/**
 * A message to the proxy: made ready to cross (its refs in their wire
 * form) and handed to the actor's host when nothing waits before it (true);
 * refused at the sender, and answered (false); or, as it was sent, left to
 * wait in the proxy's queue (undefined).
 */
export function postToHost(
  cell: CellCore,
  remote: RemoteBinding,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
): boolean | undefined {
  const ready = prepareForHost(remote, cell.label, name, payload, reply);
  if (ready === REFUSED) return false;
  if (cell.status === RUNNING && (cell.mailbox?.size ?? 0) === 0) {
    cell.received++;
    forwardToHost(remote, name, ready, reply);
    return true;
  }
  // Queued as it was sent: made ready again when it goes (rarely: only
  // while the actor is starting, restarting or has a queue). A transfer
  // list that `prepare` moved to its copy goes back with it.
  if (ready instanceof RefPayload) {
    const list = takeTransfer(ready.value);
    if (list !== undefined) transfer(payload as object, list);
  }
  return undefined;
}

/** Hand a message that waited in this proxy's queue to the actor's host. */
export function forwardQueued(
  cell: CellCore,
  remote: RemoteBinding,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
): void {
  let ready: unknown;
  try {
    ready = prepareForHost(remote, cell.label, name, payload, reply);
  } catch (e) {
    // A tell that no longer crosses (its payload changed since): a loss.
    lost(cell, name, payload, e);
    return;
  }
  if (ready !== REFUSED) forwardToHost(remote, name, ready, reply);
}

/** A tell that cannot be passed on from here: a loss, said why. */
export function lost(
  cell: CellCore,
  name: string,
  payload: unknown,
  e: unknown,
): void {
  cell.rt.deadLetter(cell.label, name, payload, "no-route");
  cell.rt.emit({
    type: "failed",
    address: cell.address,
    error: errorInfo(e),
  });
}

/**
 * The host reports the actor gone (or the host itself is gone), handing
 * back what was still queued there: it goes back in this proxy's queue, in
 * order, for the next incarnation (a restart) or for dead letters.
 */
export function remoteExited(
  cell: CellCore,
  reason: ExitReason,
  returned: Leftover[],
): void {
  const remote = cell.remote!;
  remote.host = undefined;
  remote.id = 0;
  if (returned.length > 0 && cell.status !== DEAD) {
    const mb = cell.openMailbox();
    for (const m of returned) mb.put(m.name, m.payload, m.reply);
  }
  const waiter = remote.exited;
  remote.exited = undefined;
  waiter?.resolve(reason);
  if (cell.status === RUNNING) cell.exit(reason);
}
