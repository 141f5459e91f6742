/**
 * Behaviours: what an actor is, as plain typed data.
 *
 * A behaviour says how to build the actor's state from its spawn argument,
 * which named messages it handles, and what to do when it starts, stops or is
 * restarted. The same definition runs under every placement, so it holds no
 * reference to where it runs.
 *
 * @module
 */

import type { ActorContext, ActorDefinition, Behavior } from "./system.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import type { MessageArgs, MessageName, ReplyOf } from "./message_types.ts";

// Behavior, ActorDefinition and ActorContext live in system.ts (they and
// ActorSystem name each other); the message types in message_types.ts,
// below the refs they type.
export type { ActorContext, ActorDefinition, Behavior };
export type { MessageArgs, MessageName, ReplyOf };

/**
 * A message handler: gets the actor's state, the message payload and the
 * actor's context; its return value (or the value its promise settles to) is
 * the reply to an `ask`. State is mutable and private to the actor.
 *
 * @example
 * ```ts
 * import type { Handler } from "./behavior.ts";
 * const add: Handler<{ n: number }> = (s, by: number) => { s.n += by; };
 * ```
 */
// `payload: never` accepts any annotated payload type by contravariance.
export type Handler<S> = (
  state: S,
  payload: never,
  ctx: ActorContext,
) => unknown;

/**
 * A map of message names to handlers.
 *
 * @example
 * ```ts
 * import type { Handlers } from "./behavior.ts";
 * const h: Handlers<{ n: number }> = { get: (s) => s.n };
 * ```
 */
export type Handlers<S> = Record<string, Handler<S>>;

/**
 * What to do when a handler throws: `crash` (the default: the actor fails and
 * its supervisor decides, as in Erlang) or `resume` (keep the state and go on
 * with the next message). Either way an asker gets a `HandlerError`.
 *
 * @example
 * ```ts
 * import type { OnError } from "./behavior.ts";
 * const policy: OnError = "resume";
 * ```
 */
export type OnError = "crash" | "resume";

/**
 * Any behaviour, whatever its types.
 *
 * @example
 * ```ts
 * import type { AnyBehavior } from "./behavior.ts";
 * function describe(b: AnyBehavior): string { return b.name; }
 * ```
 */
export type AnyBehavior = Behavior;

/**
 * The spawn argument type of a behaviour.
 *
 * @example
 * ```ts
 * import { defineActor } from "@troupe/troupe";
 * import type { ArgOf } from "./behavior.ts";
 * const C = defineActor({ init: (n: number) => ({ n }), handlers: {} });
 * const arg: ArgOf<typeof C> = 3;
 * ```
 */
export type ArgOf<B> = B extends Behavior<infer A, infer _S, infer _H> ? A
  : never;

/**
 * The state type of a behaviour.
 *
 * @example
 * ```ts
 * import { defineActor } from "@troupe/troupe";
 * import type { StateOf } from "./behavior.ts";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: {} });
 * const s: StateOf<typeof C> = { n: 1 };
 * ```
 */
export type StateOf<B> = B extends Behavior<infer _A, infer S, infer _H> ? S
  : never;

/**
 * The handler map of a behaviour.
 *
 * @example
 * ```ts
 * import { defineActor } from "@troupe/troupe";
 * import type { HandlersOf } from "./behavior.ts";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { get: (s) => s.n } });
 * type H = HandlersOf<typeof C>; // { get: (s) => number }
 * ```
 */
export type HandlersOf<B> = B extends Behavior<infer _A, infer _S, infer H> ? H
  : never;

/**
 * The payload type of a handler: its second parameter, or `undefined` when it
 * takes none.
 *
 * @example
 * ```ts
 * import type { PayloadOf } from "./behavior.ts";
 * type P = PayloadOf<(s: unknown, n: number) => void>; // number
 * ```
 */
export type PayloadOf<F> = F extends (state: never, ...rest: infer R) => unknown
  ? R extends [] ? undefined
  : R extends [infer P, ...unknown[]] ? P
  : R extends [(infer P)?, ...unknown[]] ? P | undefined
  : undefined
  : undefined;

/**
 * The rest arguments after a message name: none when the handler takes no
 * payload, optional when its payload may be `undefined`.
 *
 * @example
 * ```ts
 * import type { PayloadArgs } from "./behavior.ts";
 * const a: PayloadArgs<number> = [1];
 * const b: PayloadArgs<undefined> = [];
 * ```
 */
export type PayloadArgs<P> = [P] extends [undefined] ? [payload?: undefined]
  : undefined extends P ? [payload?: P]
  : [payload: P];

/**
 * Define an actor's behaviour. Types flow from the definition: the state type
 * from `init`, payload types from the handlers' second parameters, reply types
 * from their return values.
 *
 * @example A typed counter
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Counter = defineActor({
 *   name: "counter",
 *   init: (start: number) => ({ n: start }),
 *   handlers: {
 *     add: (s, by: number) => { s.n += by; },
 *     get: (s) => s.n,
 *   },
 * });
 *
 * await using system = new ActorSystem();
 * const c = system.spawn(Counter, 40);
 * c.tell("add", 2);
 * assert.equal(await c.ask("get"), 42);
 * ```
 */
export function defineActor<
  A = void,
  S = unknown,
  H extends Record<
    string,
    (state: S, payload: never, ctx: ActorContext) => unknown
  > = Record<string, (state: S, payload: never, ctx: ActorContext) => unknown>,
>(
  definition: ActorDefinition<A, S, H>,
): Behavior<A, S, H> {
  if (typeof definition?.init !== "function") {
    throw new TypeError("defineActor: `init` must be a function");
  }
  if (typeof definition.handlers !== "object" || definition.handlers === null) {
    throw new TypeError("defineActor: `handlers` must be an object");
  }
  const t = definition.throughput;
  if (t !== undefined && !(Number.isInteger(t) && t >= 1)) {
    throw new RangeError(
      `defineActor: throughput must be an integer >= 1, got ${t}`,
    );
  }
  for (const [name, h] of Object.entries(definition.handlers)) {
    if (typeof h !== "function") {
      throw new TypeError(`defineActor: handler "${name}" is not a function`);
    }
  }
  return Object.freeze({
    ...definition,
    kind: "behavior" as const,
    name: definition.name ?? "actor",
    handlers: Object.freeze({ ...definition.handlers }) as H,
  });
}

/**
 * The rest arguments of `spawn`: the behaviour's argument (optional when it
 * takes none) and spawn options.
 *
 * @example
 * ```ts
 * import { defineActor } from "@troupe/troupe";
 * import type { SpawnArgs } from "./behavior.ts";
 * const C = defineActor({ init: (n: number) => ({ n }), handlers: {} });
 * const args: SpawnArgs<typeof C> = [1, { name: "c" }];
 * ```
 */
export type SpawnArgs<B extends AnyBehavior> = undefined extends ArgOf<B>
  ? [arg?: ArgOf<B>, options?: SpawnOptions]
  : [arg: ArgOf<B>, options?: SpawnOptions];
