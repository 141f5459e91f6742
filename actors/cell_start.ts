/**
 * How a cell starts: `init` and `onStart` (or the spawn of its actor on a
 * host, for a proxy), the move to RUNNING or a failed start, waiting for
 * either, and a restart in place under a supervisor. Plain functions over
 * the cell's `CellCore`; once per incarnation, never per message.
 *
 * @module
 */

import { ActorDeadError, type ErrorInfo, errorInfo } from "./errors.ts";
import type { RemoteBinding } from "./remote_binding.ts";
import type { PlacedHost } from "./runtime.ts";
import {
  type CellCore,
  isThenable,
  RESOLVED,
  RUNNING,
  STARTING,
  SUSPENDED,
} from "./cell_core.ts";

/** Run `init` and `onStart`; resolves once RUNNING (or after failing). */
export function startCell(cell: CellCore): void | Promise<void> {
  if (cell.remote !== undefined) return startRemote(cell, cell.remote);
  let s: unknown;
  try {
    s = cell.behavior.init(cell.arg, cell);
  } catch (e) {
    return startFailed(cell, e);
  }
  if (isThenable(s)) {
    return Promise.resolve(s).then(
      (v) => afterInit(cell, v),
      (e) => startFailed(cell, e),
    );
  }
  return afterInit(cell, s);
}

async function startRemote(
  cell: CellCore,
  remote: RemoteBinding,
): Promise<void> {
  let host: PlacedHost;
  let id: number;
  try {
    host = cell.rt.hosts.place(cell);
    remote.host = host;
    id = await host.spawn(cell);
  } catch (e) {
    remote.host = undefined;
    return startFailed(cell, e);
  }
  if (cell.status !== STARTING) {
    host.killActor(id); // stopped while it was being spawned
    remote.host = undefined;
    return;
  }
  remote.id = id;
  running(cell);
}

function afterInit(cell: CellCore, state: unknown): void | Promise<void> {
  if (cell.status !== STARTING) return; // stopped while starting
  cell.state = state;
  const onStart = cell.behavior.onStart;
  if (onStart !== undefined) {
    let r: unknown;
    try {
      r = onStart(state, cell);
    } catch (e) {
      return startFailed(cell, e);
    }
    if (isThenable(r)) {
      return Promise.resolve(r).then(
        () => running(cell),
        (e) => startFailed(cell, e),
      );
    }
  }
  running(cell);
}

function running(cell: CellCore): void {
  if (cell.status !== STARTING) return;
  cell.status = RUNNING;
  const started = cell.rare?.started;
  if (started !== undefined) {
    cell.rare!.started = undefined;
    started.resolve();
  }
  if (cell.rt.listeners.length > 0) {
    cell.rt.emit({ type: "spawned", address: cell.address });
  }
  if (cell.hasWork()) cell.rt.dispatcher.schedule(cell);
}

function startFailed(cell: CellCore, e: unknown): void {
  cell.failed++;
  const error = errorInfo(e);
  const x = cell.extras();
  x.startError = e;
  const started = x.started;
  if (started !== undefined) {
    x.started = undefined;
    started.reject(e);
  }
  cell.rt.emit({ type: "failed", address: cell.address, error });
  if (cell.status === STARTING) cell.exit({ type: "failed", error });
}

/** Resolves when the actor is RUNNING; rejects if its start fails. */
export function whenStarted(cell: CellCore): Promise<void> {
  if (cell.status === RUNNING) return RESOLVED;
  if (cell.rare?.startError !== undefined) {
    return Promise.reject(cell.rare.startError);
  }
  if (cell.status !== STARTING && cell.status !== SUSPENDED) {
    return Promise.reject(
      new ActorDeadError(
        cell.label,
        "start",
        cell.exitReason ?? {
          type: "normal",
        },
      ),
    );
  }
  // Starting, or waiting for a supervisor's restart.
  const x = cell.extras();
  return (x.started ??= Promise.withResolvers<void>()).promise;
}

/**
 * Restart in place after `suspend`: same address, same mailbox, fresh
 * state. Never rejects: a failing start is reported as a new exit.
 */
export async function restartCell(
  cell: CellCore,
  error: ErrorInfo | undefined,
  delayMs: number,
): Promise<void> {
  if (cell.status !== SUSPENDED) return;
  const onRestart = cell.behavior.onRestart;
  if (onRestart !== undefined && cell.state !== undefined) {
    try {
      await onRestart(cell.state, cell, error);
    } catch {
      // The old incarnation is going anyway; its hook failing changes nothing.
    }
  }
  if (cell.status !== SUSPENDED) return;
  cell.incarnation++;
  cell.restarts++;
  cell.state = undefined;
  if (cell.rare !== undefined) {
    cell.rare.controller = undefined;
    cell.rare.startError = undefined;
  }
  cell.status = STARTING;
  if (cell.rt.listeners.length > 0) {
    cell.rt.emit({
      type: "restarted",
      address: cell.address,
      restarts: cell.restarts,
      delayMs,
      ...(error === undefined ? {} : { error }),
    });
  }
  await cell.start();
}
