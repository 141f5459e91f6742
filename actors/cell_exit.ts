/**
 * How a cell ends: a handler's failure (resume, or exit), an exit under a
 * supervisor (suspended until it decides) or without one (death), stopping
 * in order (the current message, the children, `onStop`), killing, and the
 * death itself (dead letters, watchers' notices). Plain functions over the
 * cell's `CellCore`; none runs per message that succeeds.
 *
 * @module
 */

import type { AskFailure } from "./envelope.ts";
import { ActorDeadError, errorInfo, type ExitReason } from "./errors.ts";
import type { ReplyTo } from "./reply.ts";
import { stopOnHost } from "./remote_binding.ts";
import type { Leftover } from "./runtime.ts";
import type { Timer } from "./timer.ts";
import { deliverNotice, type Termination } from "./watch.ts";
import {
  type CellCore,
  DEAD,
  RESOLVED,
  STOPPING,
  SUSPENDED,
} from "./cell_core.ts";

/** A handler (or a system task, `(system)`) threw or rejected. */
export function handlerFailed(
  cell: CellCore,
  name: string,
  reply: ReplyTo | undefined,
  e: unknown,
): void {
  cell.failed++;
  const error = errorInfo(e);
  reply?.fail({ type: "handler", error }, e);
  cell.rt.emit({ type: "failed", address: cell.address, error });
  if (cell.behavior.onError === "resume" && name !== "(system)") return;
  cell.exit({ type: "failed", error });
}

/**
 * The actor ends by itself (crash, `ctx.stop()`, a stop request). Under a
 * supervisor it is suspended and the supervisor decides; otherwise it dies.
 */
export function exitCell(cell: CellCore, reason: ExitReason): void {
  if (cell.status >= SUSPENDED) return;
  const sup = cell.supervisor;
  if (sup === undefined) {
    void cell.terminate(reason);
    return;
  }
  const incarnation = cell.incarnation;
  suspendCell(cell, cell.shutdownTimeout).then(() => {
    if (cell.status === SUSPENDED && cell.incarnation === incarnation) {
      sup.childExited(cell, incarnation, reason);
    }
  });
}

/**
 * Stop taking messages, let the current one finish (killing it after
 * `timeoutMs`), stop children. The mailbox is kept for a restart.
 * Resolves to true when the current message had to be abandoned.
 */
export function suspendCell(
  cell: CellCore,
  timeoutMs: number,
): Promise<boolean> {
  if (cell.status >= STOPPING) return Promise.resolve(false);
  cell.status = SUSPENDED;
  cell.rare?.controller?.abort(new Error(`${cell.label} is stopping`));
  if (cell.remote !== undefined) {
    return stopOnHost(cell.remote, cell.label, timeoutMs);
  }
  return quiesce(cell, timeoutMs).then(async (killed) => {
    await stopChildren(cell);
    return killed;
  });
}

/**
 * Stop for good: let the current message finish (or kill it after
 * `timeoutMs`), stop children in reverse start order, run `onStop`, then
 * die. Idempotent: a second call gets the first call's promise.
 */
export function terminateCell(
  cell: CellCore,
  reason: ExitReason,
  timeoutMs: number,
): Promise<void> {
  if (cell.status === DEAD) return RESOLVED;
  const x = cell.rare;
  if (x?.terminating !== undefined) return x.terminating;
  const wasStarted = cell.state !== undefined;
  cell.status = STOPPING;
  x?.controller?.abort(new Error(`${cell.label} is stopping`));
  if (cell.remote !== undefined) {
    return cell.extras().terminating = stopOnHost(
      cell.remote,
      cell.label,
      timeoutMs,
    ).then(
      (killed) => {
        const graceful = reason.type === "normal" ||
          reason.type === "shutdown";
        finalize(cell, killed && graceful ? { type: "killed" } : reason);
      },
    );
  }
  // Fast path: an idle actor without children or onStop dies at once.
  if (
    !cell.busy && (x?.children === undefined || x.children.size === 0) &&
    cell.behavior.onStop === undefined
  ) {
    finalize(cell, reason);
    return RESOLVED;
  }
  return cell.extras().terminating = terminateSlow(
    cell,
    reason,
    timeoutMs,
    wasStarted,
  );
}

async function terminateSlow(
  cell: CellCore,
  reason: ExitReason,
  timeoutMs: number,
  wasStarted: boolean,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const killed = await quiesce(cell, timeoutMs);
  if (killed && (reason.type === "normal" || reason.type === "shutdown")) {
    reason = { type: "killed" };
  }
  await stopChildren(cell);
  const onStop = cell.behavior.onStop;
  if (onStop !== undefined && wasStarted && cell.status !== DEAD) {
    try {
      await withDeadline(
        Promise.resolve(onStop(cell.state, cell, reason)),
        deadline - performance.now(),
      );
    } catch (e) {
      cell.rt.emit({
        type: "failed",
        address: cell.address,
        error: errorInfo(e),
      });
    }
  }
  finalize(cell, reason);
}

/** Die now: abandon the current message, kill children, no `onStop`. */
export function killCell(cell: CellCore): void {
  if (cell.status === DEAD) return;
  cell.status = STOPPING;
  cell.rare?.controller?.abort(new Error(`${cell.label} was killed`));
  const remote = cell.remote;
  if (remote?.host !== undefined) {
    remote.host.killActor(remote.id);
    remote.host = undefined;
  }
  abandon(cell);
  const children = cell.rare?.children;
  if (children !== undefined) {
    for (const c of [...children].reverse()) c.kill();
  }
  finalize(cell, { type: "killed" });
}

/** Wait for the in-flight handler, up to `timeoutMs`; true if abandoned. */
function quiesce(cell: CellCore, timeoutMs: number): Promise<boolean> {
  if (!cell.busy) return Promise.resolve(false);
  const x = cell.extras();
  const idle = x.idle ??= Promise.withResolvers<void>();
  if (timeoutMs === Infinity) return idle.promise.then(() => false);
  let timer: Timer | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, timeoutMs));
  });
  return Promise.race([idle.promise.then(() => false), timeout]).then(
    (killed) => {
      clearTimeout(timer);
      if (killed) abandon(cell);
      return killed;
    },
  );
}

/** Give up on the in-flight handler: its result will be ignored. */
function abandon(cell: CellCore): void {
  if (!cell.busy) return;
  cell.busy = false;
  cell.epoch++;
  const x = cell.rare!;
  const reply = x.inflightReply;
  x.inflightReply = undefined;
  reply?.fail({ type: "dead", reason: { type: "killed" } });
  const idle = x.idle;
  x.idle = undefined;
  idle?.resolve();
}

async function stopChildren(cell: CellCore): Promise<void> {
  const x = cell.rare;
  const children = x?.children;
  if (children === undefined || children.size === 0) return;
  const ordered = x!.stopOrder?.() ?? [...children];
  // Anything not in the supervisor's order (ctx.spawn children) goes first.
  const rest = [...children].filter((c) => !ordered.includes(c));
  for (const c of [...ordered.reverse(), ...rest.reverse()]) {
    await c.terminate({ type: "shutdown" });
  }
}

function finalize(cell: CellCore, reason: ExitReason): void {
  cell.status = DEAD;
  cell.exitReason = reason;
  const rt = cell.rt;
  const label = cell.label;
  const mb = cell.mailbox;
  const handBack = cell.rare?.handBack;
  if (mb !== undefined && handBack !== undefined) {
    // A host hands what was still queued back to the parent's proxy,
    // which keeps it for the next incarnation (or dead-letters it).
    const left: Leftover[] = [];
    for (let name = mb.take(); name !== undefined; name = mb.take()) {
      left.push({ name, payload: mb.payload, reply: mb.reply });
    }
    handBack(reason, left);
  } else if (handBack !== undefined) handBack(reason, []);
  if (mb !== undefined) {
    const dead: AskFailure = { type: "dead", reason };
    for (let name = mb.take(); name !== undefined; name = mb.take()) {
      const reply = mb.reply;
      rt.deadLetter(label, name, mb.payload, "stopped");
      reply?.fail(dead);
    }
    const waiters = mb.waiters;
    if (waiters !== undefined) {
      for (let w = waiters.shift(); w !== undefined; w = waiters.shift()) {
        rt.deadLetter(label, w.name, w.payload, "stopped");
        w.refused(new ActorDeadError(label, w.name, reason));
      }
    }
  }
  rt.cells.delete(cell.id);
  if (cell.name !== undefined && rt.names.get(cell.name) === cell) {
    rt.names.delete(cell.name);
  }
  cell.parent?.orphan(cell);
  const x = cell.rare;
  if (x !== undefined) {
    x.sys = undefined;
    if (x.watching !== undefined) {
      for (const [target, record] of x.watching) target.removeWatch(record);
      x.watching = undefined;
    }
    if (x.remoteWatching !== undefined) {
      for (const off of x.remoteWatching.values()) off();
      x.remoteWatching = undefined;
    }
    const watchers = x.watchers;
    x.watchers = undefined;
    if (watchers !== undefined) {
      const notice: Termination = { address: cell.address, reason };
      for (const w of watchers) deliverNotice(w, notice);
    }
    const started = x.started;
    x.started = undefined;
    started?.reject(new ActorDeadError(label, "start", reason));
  }
  if (rt.listeners.length > 0) {
    rt.emit({ type: "stopped", address: cell.address, reason });
  }
}

/** Reject `p`'s wait after `ms`, clearing the timer either way. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  if (ms === Infinity) return p;
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`onStop did not finish within the shutdown timeout`)),
      Math.max(0, ms),
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
