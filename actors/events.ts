/**
 * Structured system events: what happened to which actor, for logs, metrics
 * and tests.
 *
 * @module
 */

import type { DeadLetter } from "./dead_letters.ts";
import type { Address } from "./envelope.ts";
import type { ExitReason, HandlerError } from "./errors.ts";

/**
 * One event in the life of an actor system.
 * - `spawned`: an actor started (after `init` and `onStart`);
 * - `failed`: a handler or hook threw (the actor crashes unless it resumes);
 * - `restarted`: a supervisor restarted an actor in place, after `delayMs`;
 * - `stopped`: an actor is gone for good, with the reason;
 * - `dead-letter`: a message went nowhere.
 *
 * @example
 * ```ts
 * import type { SystemEvent } from "./events.ts";
 * function log(e: SystemEvent): string {
 *   return e.type === "stopped" ? `${e.address.id} ${e.reason.type}` : e.type;
 * }
 * ```
 */
export type SystemEvent =
  | { type: "spawned"; address: Address }
  | { type: "failed"; address: Address; error: HandlerError["original"] }
  | {
    type: "restarted";
    address: Address;
    restarts: number;
    delayMs: number;
    error?: HandlerError["original"];
  }
  | { type: "stopped"; address: Address; reason: ExitReason }
  | { type: "dead-letter"; letter: DeadLetter };

/**
 * A function that receives system events.
 *
 * @example
 * ```ts
 * import type { EventListener } from "./events.ts";
 * const print: EventListener = (e) => console.log(e.type);
 * ```
 */
export type EventListener = (event: SystemEvent) => void;
