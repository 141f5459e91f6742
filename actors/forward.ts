/**
 * Forwarding behaviours: actors that pass every message on instead of
 * handling it (a router). Kept out of the behaviour type: only troupe's own
 * behaviours forward.
 *
 * @module
 */

import type { AnyBehavior } from "./behavior.ts";
import type { ReplyTo } from "./reply.ts";

/** Passes one message on; `reply` is the ask's reply handle, if any. */
export type Forward = (
  state: unknown,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
) => void;

const forwards = new WeakMap<AnyBehavior, Forward>();

/** Make actors of `behavior` forward their messages with `fn`. */
export function setForward(behavior: AnyBehavior, fn: Forward): void {
  forwards.set(behavior, fn);
}

/** The forward function of `behavior`, if it forwards. */
export function forwardOf(behavior: AnyBehavior): Forward | undefined {
  return forwards.get(behavior);
}
