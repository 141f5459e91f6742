/**
 * The proxy side of an actor placed on a worker, process or node host: where
 * it runs now (its binding), making a message ready to cross there (or
 * refusing at the sender what cannot), handing it over, and stopping the
 * actor there (the whole host, past the deadline). The cell in this isolate
 * keeps the address, the watchers and the supervisor link.
 *
 * @module
 */

import { PendingAsk } from "./ask.ts";
import { errorInfo, type ExitReason } from "./errors.ts";
import { CrossingError, prepare } from "./hosts/crossing.ts";
import type { HostPermissions } from "./hosts/host_types.ts";
import type { ReplyTo } from "./reply.ts";
import type { Timer } from "./timer.ts";

/**
 * What the proxy needs of the host its actor runs on (a `HostHandle`):
 * named here so that this file does not depend on the host layer's classes.
 */
export interface ActorHost {
  tell(id: number, name: string, ready: unknown): void;
  ask(id: number, name: string, ready: unknown, reply: ReplyTo): void;
  stopActor(id: number, timeout: number): void;
  killActor(id: number): void;
  kill(detail?: string): void;
}

/**
 * Where an actor placed on a worker or process host runs now. The cell in
 * this isolate is its proxy: it keeps the address, the watchers and the
 * supervisor link; messages are forwarded to the host.
 */
export interface RemoteBinding {
  readonly placement: "worker" | "process" | "node";
  /** A named host to pin the actor to. */
  readonly pin: string | undefined;
  readonly permissions: HostPermissions | undefined;
  /** A process host's heap limit, in MiB. */
  readonly heapLimitMb: number | undefined;
  /** The host it runs on, while it runs. */
  host: ActorHost | undefined;
  /** Its id on that host. */
  id: number;
  /** Resolved when the host reports the actor gone. */
  exited: PromiseWithResolvers<ExitReason> | undefined;
}

/** What `#prepare` returns for a message it refused (and answered). */
export const REFUSED: unique symbol = Symbol("refused");

/**
 * Make a payload ready to cross to the host `remote` runs on (its refs in
 * their wire form: see `prepare`), or refuse at the sender what cannot
 * cross, with an error that names the message, the actor (`label`) and the
 * part of the payload at fault: a tell throws it, an ask rejects with it
 * (and `REFUSED` is returned).
 */
export function prepareForHost(
  remote: RemoteBinding,
  label: string,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
): unknown {
  try {
    return prepare(payload, remote.placement !== "worker");
  } catch (e) {
    if (!(e instanceof CrossingError)) throw e;
    const error = new CrossingError(
      `cannot send "${name}" to ${label} on a ${remote.placement} host: ${e.message}`,
    );
    if (reply === undefined) throw error;
    if (reply instanceof PendingAsk) reply.reject(error);
    else reply.fail({ type: "handler", error: errorInfo(error) }, error);
    return REFUSED;
  }
}

/** Hand a message made ready to cross to the host the actor runs on. */
export function forwardToHost(
  remote: RemoteBinding,
  name: string,
  ready: unknown,
  reply: ReplyTo | undefined,
): void {
  const host = remote.host!;
  if (reply === undefined) host.tell(remote.id, name, ready);
  else host.ask(remote.id, name, ready, reply);
}

/**
 * Stop the actor on its host (`label` names it in the log) and wait for its exit; past `timeoutMs` the whole
 * host is killed, since only that frees a core stuck in a loop. True when
 * it had to be killed.
 */
export async function stopOnHost(
  remote: RemoteBinding,
  label: string,
  timeoutMs: number,
): Promise<boolean> {
  const host = remote.host;
  // No actor there yet (its spawn is in flight): Cell's start kills it
  // when the spawn completes, seeing that we stopped meanwhile.
  if (host === undefined || remote.id === 0) return false;
  const waiter = remote.exited ??= Promise.withResolvers<ExitReason>();
  host.stopActor(remote.id, timeoutMs);
  if (timeoutMs === Infinity) {
    await waiter.promise;
    return false;
  }
  let timer: Timer | undefined;
  const late = new Promise<boolean>((resolve) => {
    // The host gets its own timeout first, plus time to report back.
    timer = setTimeout(() => resolve(true), timeoutMs + 250);
  });
  const killed = await Promise.race([waiter.promise.then(() => false), late]);
  clearTimeout(timer);
  if (killed) {
    host.kill(`${label} did not stop within ${timeoutMs} ms`);
  }
  return killed;
}
