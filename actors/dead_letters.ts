/**
 * Dead letters: every message that could not be delivered or answered.
 *
 * Nothing is lost silently: a dropped, refused, undeliverable or late message
 * is counted here by reason, and subscribers see each one.
 *
 * @module
 */

/**
 * Why a message became a dead letter.
 *
 * @example
 * ```ts
 * import type { DeadLetterReason } from "./dead_letters.ts";
 * const r: DeadLetterReason = "mailbox-full";
 * ```
 */
export type DeadLetterReason =
  /** The target has no handler for the message name. */
  | "unknown-message"
  /** The mailbox was full: the new message was dropped or refused. */
  | "mailbox-full"
  /** The mailbox was full and this, its oldest message, made room. */
  | "dropped-oldest"
  /** The target was already dead. */
  | "dead-target"
  /** The message was still queued when the target stopped. */
  | "stopped"
  /** A reply arrived after its ask had timed out or been aborted. */
  | "late-reply"
  /** No route to the target's host. */
  | "no-route";

/**
 * One message that went nowhere.
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "./dead_letters.ts";
 * const d: DeadLetter = { target: "counter#1", name: "add", payload: 1, reason: "stopped" };
 * ```
 */
export interface DeadLetter {
  /** The intended recipient, as a label (`name#id`). */
  readonly target: string;
  /** The message name (for a late reply: the ask's message name). */
  readonly name: string;
  /** The payload (for a late reply: the reply value). */
  readonly payload: unknown;
  /** Why it was not delivered. */
  readonly reason: DeadLetterReason;
}

/**
 * The dead-letter office of one actor system: counts by reason, and a feed.
 *
 * @example Watch a dropped message arrive
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * const a = system.spawn(defineActor({ init: () => ({}), handlers: {} }));
 * await system.stop(a);
 * (a as any).tell("hello");
 * assert.equal(system.deadLetters.count, 1);
 * assert.equal(system.deadLetters.byReason["dead-target"], 1);
 * ```
 */
export class DeadLetters {
  #count = 0;
  #byReason: Partial<Record<DeadLetterReason, number>> = {};
  #listeners: ((letter: DeadLetter) => void)[] = [];

  /**
   * How many dead letters there have been.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * console.log(system.deadLetters.count); // 0
   * ```
   */
  get count(): number {
    return this.#count;
  }

  /**
   * Counts by reason (a copy).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * console.log(system.deadLetters.byReason["mailbox-full"] ?? 0);
   * ```
   */
  get byReason(): Partial<Record<DeadLetter["reason"], number>> {
    return { ...this.#byReason };
  }

  /**
   * Call `listener` with every dead letter from now on; returns a function
   * that unsubscribes.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const off = system.deadLetters.subscribe((d) => console.log(d.reason, d.target, d.name));
   * off();
   * ```
   */
  subscribe(listener: (letter: DeadLetter) => void): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Record a dead letter.
   *
   * @example
   * ```ts
   * import { DeadLetters } from "./dead_letters.ts";
   * const d = new DeadLetters();
   * d.record("x#1", "ping", undefined, "no-route");
   * ```
   */
  record(
    target: string,
    name: string,
    payload: unknown,
    reason: DeadLetter["reason"],
  ): void {
    this.#count++;
    this.#byReason[reason] = (this.#byReason[reason] ?? 0) + 1;
    const listeners = this.#listeners;
    if (listeners.length === 0) return;
    const letter: DeadLetter = { target, name, payload, reason };
    for (const l of listeners) {
      try {
        l(letter);
      } catch {
        // A broken subscriber must not break delivery of other messages.
      }
    }
  }
}
