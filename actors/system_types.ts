/**
 * The shapes an `ActorSystem` gives: an actor's counters, a shutdown's
 * report, an attached host (its options are spelled out in its
 * constructor's signature).
 *
 * @module
 */

import type { Address } from "./envelope.ts";

/**
 * Where an actor is in its life.
 *
 * @example
 * ```ts
 * import type { ActorStatus } from "./system_types.ts";
 * const s: ActorStatus = "running";
 * ```
 */
export type ActorStatus =
  | "starting"
  | "running"
  | "suspended"
  | "stopping"
  | "dead";

/** The statuses in the order of the cell's state numbers. */
export const STATUS: readonly ActorStatus[] = [
  "starting",
  "running",
  "suspended",
  "stopping",
  "dead",
];

/**
 * Counters of one actor.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * const a = system.spawn(defineActor({ init: () => ({}), handlers: { ping: () => "pong" } }));
 * await a.ask("ping");
 * const stats = system.stats(a);
 * assert.equal(stats.processed, 1);
 * ```
 */
export interface ActorStats {
  /** The actor's address. */
  readonly address: Address;
  /** The behaviour's name. */
  readonly behavior: string;
  /** Where it is in its life. */
  readonly status: ActorStatus;
  /** Messages queued into its mailbox. */
  readonly received: number;
  /** Messages whose handler completed. */
  readonly processed: number;
  /** Handlers and hooks that threw. */
  readonly failed: number;
  /** Restarts by its supervisor. */
  readonly restarts: number;
  /** Messages waiting now. */
  readonly mailboxSize: number;
  /** Most messages ever waiting at once. */
  readonly mailboxHighWater: number;
  /** The mailbox bound. */
  readonly mailboxCapacity: number;
}

/**
 * What a shutdown did.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * const system = new ActorSystem();
 * const report = await system.shutdown();
 * console.log(report.stopped, report.killed, report.timedOut);
 * ```
 */
export interface ShutdownReport {
  /** Actors that stopped. */
  readonly stopped: number;
  /** Of those, actors that had to be killed (shutdown timeout passed). */
  readonly killed: number;
  /** Whether the overall deadline passed, so that the rest was killed. */
  readonly timedOut: boolean;
}

/**
 * A host attached with `ActorSystem.attachHost`: tell the other side `id`
 * and `parent`, and hand it the batches that arrive.
 *
 * @example
 * ```ts
 * import type { AttachedHost } from "./system_types.ts";
 * const show = (h: AttachedHost) => `${h.id} (parent ${h.parent})`;
 * ```
 */
export interface AttachedHost {
  /** The host's id (the other side's `serveHost` needs it). */
  readonly id: string;
  /** This system's host id (the other side's `serveHost` needs it too). */
  readonly parent: string;
  /** Resolves when the host said it is ready; rejects if it went down first. */
  readonly ready: Promise<void>;
  /** Hand it a batch that arrived on the link. */
  receive(batch: unknown[]): void;
}
