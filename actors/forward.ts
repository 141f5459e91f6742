/**
 * Forwarding behaviours: actors that pass every message on instead of
 * handling it (a router), and peeking ones, that see each message as it
 * arrives (a task runner). Kept out of the behaviour type: only troupe's own
 * behaviours forward or peek.
 *
 * @module
 */

import { PendingAsk } from "./ask.ts";
import { ActorDeadError, errorInfo, HandlerError } from "./errors.ts";
import type { ReplyTo } from "./reply.ts";

/** Passes one message on; `reply` is the ask's reply handle, if any. */
export type Forward = (
  state: unknown,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
) => void;

const forwards = new WeakMap<object, Forward>();

/** Make actors of `behavior` forward their messages with `fn`. */
export function setForward(behavior: object, fn: Forward): void {
  forwards.set(behavior, fn);
}

/** The forward function of `behavior`, if it forwards. */
export function forwardOf(behavior: object): Forward | undefined {
  return forwards.get(behavior);
}

/**
 * Sees a message the moment it reaches a running actor, before it waits its
 * turn (it is then queued and handled as usual): how a task runner learns
 * at once that a map was cancelled while chunks of it still wait behind the
 * running one. It must not throw, and should be cheap: it runs on delivery.
 */
export type Peek = (state: unknown, name: string, payload: unknown) => void;

const peeks = new WeakMap<object, Peek>();

/** Let actors of `behavior` see each message on arrival with `fn`. */
export function setPeek(behavior: object, fn: Peek): void {
  peeks.set(behavior, fn);
}

/** The peek function of `behavior`, if it has one. */
export function peekOf(behavior: object): Peek | undefined {
  return peeks.get(behavior);
}

/**
 * Hand an error from where a message was passed on to its asker: the error
 * itself in this isolate, its data for an asker elsewhere.
 */
export function failReply(reply: ReplyTo, e: unknown): void {
  if (reply instanceof PendingAsk) {
    reply.reject(e instanceof Error ? e : new Error(String(e)));
  } else if (e instanceof HandlerError) {
    reply.fail({ type: "handler", error: e.original });
  } else if (e instanceof ActorDeadError) {
    reply.fail({ type: "dead", reason: e.reason });
  } else reply.fail({ type: "handler", error: errorInfo(e) });
}
