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

import type { ExitReason, HandlerError } from "./errors.ts";
import type { ActorContext } from "./context.ts";
import type { Termination } from "./watch.ts";

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
 * The definition given to {@link defineActor}.
 *
 * @example
 * ```ts
 * import type { ActorDefinition } from "@troupe/troupe";
 * import type { Handlers } from "./behavior.ts";
 * const def: ActorDefinition<number, { n: number }, Handlers<{ n: number }>> = {
 *   init: (n) => ({ n }),
 *   handlers: { get: (s) => s.n },
 * };
 * ```
 */
export interface ActorDefinition<
  A,
  S,
  H extends Record<
    string,
    (state: S, payload: never, ctx: ActorContext) => unknown
  >,
> {
  /** A name for logs and addresses; defaults to `"actor"`. */
  name?: string;
  /**
   * The URL of the module that exports this behaviour (`import.meta.url`):
   * what lets a worker or process host load it. Needed only for those
   * placements; the behaviour's `name` must then be unique in its module.
   */
  module?: string;
  /** Build the state from the spawn argument (again on every restart). */
  init: (arg: A, ctx: ActorContext) => S | Promise<S>;
  /** The named messages this actor handles. */
  handlers: H;
  /** Runs after `init`, before the first message. */
  onStart?: (state: S, ctx: ActorContext) => void | Promise<void>;
  /** Runs once when the actor stops for good, with the reason. */
  onStop?: (
    state: S,
    ctx: ActorContext,
    reason: ExitReason,
  ) => void | Promise<void>;
  /** Runs on the old state before a supervisor restarts the actor. */
  onRestart?: (
    state: S,
    ctx: ActorContext,
    error: HandlerError["original"] | undefined,
  ) => void | Promise<void>;
  /** Gets the termination notices of actors this one watches. */
  onTerminated?: (
    state: S,
    notice: Termination,
    ctx: ActorContext,
  ) => void | Promise<void>;
  /** What a throwing handler does to the actor (default `crash`). */
  onError?: "crash" | "resume";
  /** Mailbox bound and overflow policy for actors of this behaviour. */
  mailbox?: {
    /** Most messages it holds (a positive integer or `Infinity`; default 65,536). */
    capacity?: number;
    /**
     * What a full mailbox does with one more: `reject` (the default: the
     * sender gets `MailboxFullError`), `drop-newest`, `drop-oldest`, or
     * `backpressure` (`send` waits for room).
     */
    overflow?: "drop-newest" | "drop-oldest" | "reject" | "backpressure";
  };
  /**
   * Messages an actor of this behaviour handles in a turn before others get
   * theirs (default: the system's `throughput`). An actor that sets it also
   * yields to the event loop after a turn of 1 ms or more. Set 1 for long,
   * CPU-bound handlers: each answer then leaves as soon as its handler
   * returns, instead of after the next message.
   */
  throughput?: number;
}

/**
 * A behaviour: a frozen actor definition whose types drive `tell` and `ask`.
 *
 * @example
 * ```ts
 * import { type Behavior, defineActor } from "@troupe/troupe";
 * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, x: string) => x } });
 * const b: Behavior<void, {}, typeof Echo.handlers> = Echo;
 * ```
 */
// A bare `Behavior` is any behaviour, whatever its types (what a signature
// that takes any behaviour names).
export interface Behavior<
  // deno-lint-ignore no-explicit-any
  A = any,
  // deno-lint-ignore no-explicit-any
  S = any,
  H extends Record<
    string,
    (state: S, payload: never, ctx: ActorContext) => unknown
  > // deno-lint-ignore no-explicit-any
   = any,
> extends Readonly<ActorDefinition<A, S, H>> {
  /** Marks this object as a behaviour. */
  readonly kind: "behavior";
  /** The name for logs and addresses. */
  readonly name: string;
  /** The handlers, by message name. */
  readonly handlers: H;
}

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
 * The message names a behaviour handles.
 *
 * @example
 * ```ts
 * import { defineActor, type MessageName } from "@troupe/troupe";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { get: (s) => s.n } });
 * const m: MessageName<typeof C> = "get";
 * ```
 */
export type MessageName<B> =
  & keyof (B extends Behavior<infer _A, infer _S, infer H> ? H : never)
  & string;

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
 * The arguments of `tell(name, ...)` for message `K` of behaviour `B`.
 *
 * @example
 * ```ts
 * import { defineActor, type MessageArgs } from "@troupe/troupe";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { add: (s, by: number) => { s.n += by; } } });
 * const args: MessageArgs<typeof C, "add"> = [2];
 * ```
 */
// The payload's type, then the arguments it makes: what PayloadOf and
// PayloadArgs (internal) say, spelled out so that the entry need not export
// them.
export type MessageArgs<B, K extends MessageName<B>> = 0 extends 1 & B
  ? [payload?: unknown] // an untyped ref (AnyRef) takes any payload
  : (B extends Behavior<infer _A, infer _S, infer H> ? H : never)[K] extends
    infer F ? (
      F extends (state: never, ...rest: infer R) => unknown
        ? R extends [] ? undefined
        : R extends [infer P, ...unknown[]] ? P
        : R extends [(infer P)?, ...unknown[]] ? P | undefined
        : undefined
        : undefined
    ) extends infer P ? [P] extends [undefined] ? [payload?: undefined]
      : undefined extends P ? [payload?: P]
      : [payload: P]
    : never
  : never;

/**
 * The reply type of `ask(name, ...)` for message `K` of behaviour `B`.
 *
 * @example
 * ```ts
 * import { defineActor, type ReplyOf } from "@troupe/troupe";
 * const C = defineActor({ init: () => ({ n: 0 }), handlers: { get: async (s) => s.n } });
 * const r: ReplyOf<typeof C, "get"> = 1;
 * ```
 */
export type ReplyOf<B, K extends MessageName<B>> = 0 extends 1 & B ? unknown
  : Awaited<
    ReturnType<
      (B extends Behavior<infer _A, infer _S, infer H> ? H : never)[K] extends
        (...args: never[]) => unknown
        ? (B extends Behavior<infer _A, infer _S, infer H> ? H : never)[K]
        : never
    >
  >;

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
