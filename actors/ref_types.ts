/**
 * What a ref is to whoever holds one: the `ActorRef` interface, typed by
 * the behaviour's messages. The classes that implement it (ref.ts, link.ts)
 * hold cells and links; this file holds none of that, so that the runtime's
 * contracts (runtime.ts) and the system can name a ref from below them.
 *
 * @module
 */

import type { Address } from "./envelope.ts";
import type { MessageArgs, MessageName, ReplyOf } from "./message_types.ts";

/**
 * Per-call settings of an `ask` (internal: the public signatures spell them
 * out).
 *
 * @example
 * ```ts
 * import type { AskOptions } from "./ref_types.ts";
 * const opts: AskOptions = { timeout: 250, signal: AbortSignal.timeout(1000) };
 * ```
 */
export interface AskOptions {
  /**
   * Milliseconds to wait for the reply (default: the system's `askTimeout`).
   * `Infinity` waits with no deadline, for work that takes as long as it
   * takes: the ask still ends when its target dies, its host is lost, its
   * `signal` aborts or the system shuts down.
   */
  timeout?: number;
  /** Cancels the ask; it rejects with `AskAbortedError`. */
  signal?: AbortSignal;
}

/**
 * A typed reference to an actor of behaviour `B`.
 *
 * @example
 * ```ts
 * import { type ActorRef, ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Greeter = defineActor({
 *   init: (greeting: string) => ({ greeting }),
 *   handlers: { greet: (s, who: string) => `${s.greeting}, ${who}!` },
 * });
 * await using system = new ActorSystem();
 * const g: ActorRef<typeof Greeter> = system.spawn(Greeter, "Hello");
 * assert.equal(await g.ask("greet", "Ada"), "Hello, Ada!");
 * ```
 */
// A bare `ActorRef` is a ref whose behaviour is not known statically: it
// takes any message name and payload.
// deno-lint-ignore no-explicit-any
export interface ActorRef<B = any> {
  /** Where the actor lives: plain data that can cross any boundary. */
  readonly address: Address;
  /**
   * Send a message and do not wait: at most once. Throws `MailboxFullError`
   * when the mailbox is full and its policy is `reject` or `backpressure`;
   * under the other policies the loss goes to dead letters.
   */
  tell<K extends MessageName<B>>(name: K, ...args: MessageArgs<B, K>): void;
  /**
   * Send a message, waiting for room in the mailbox when its policy is
   * `backpressure`. Resolves once the message is queued.
   */
  send<K extends MessageName<B>>(
    name: K,
    ...args: MessageArgs<B, K>
  ): Promise<void>;
  /**
   * Send a message and wait for the handler's result, within a deadline.
   * Rejects with `AskTimeoutError`, `AskAbortedError`, `ActorDeadError`,
   * `HandlerError`, `MailboxFullError` or `UnknownMessageError`.
   */
  ask<K extends MessageName<B>>(
    name: K,
    ...args: [
      ...MessageArgs<B, K>,
      options?: {
        /**
         * Milliseconds to wait for the reply (default: the system's
         * `askTimeout`). `Infinity` waits with no deadline, for work that
         * takes as long as it takes: the ask still ends when its target
         * dies, its host is lost, its `signal` aborts or the system shuts
         * down.
         */
        timeout?: number;
        /** Cancels the ask; it rejects with `AskAbortedError`. */
        signal?: AbortSignal;
      },
    ]
  ): Promise<ReplyOf<B, K>>;
  /** The address, so that `JSON.stringify(ref)` gives plain data. */
  toJSON(): Address;
}

/**
 * A reference whose behaviour is not known statically.
 *
 * @example
 * ```ts
 * import type { AnyRef } from "./ref_types.ts";
 * function id(ref: AnyRef): number { return ref.address.id; }
 * ```
 */
export type AnyRef = ActorRef;
