/**
 * The shapes an `ActorSystem` takes and gives: its options, an actor's
 * counters, a shutdown's report, an attached host.
 *
 * @module
 */

import type { Address } from "./envelope.ts";
import type { ExecSpec } from "./hosts/host_types.ts";

/**
 * Settings of an actor system.
 *
 * @example
 * ```ts
 * import { ActorSystem, type ActorSystemOptions } from "@troupe/troupe";
 * const options: ActorSystemOptions = { askTimeout: 1000, mailbox: { capacity: 1024 } };
 * await using system = new ActorSystem(options);
 * ```
 */
export interface ActorSystemOptions {
  /** This host's id in addresses (default: a random UUID). */
  host?: string;
  /** Default `ask` deadline in ms (default 5,000). */
  askTimeout?: number;
  /** Default graceful-stop wait per actor in ms before a kill (default 5,000). */
  shutdownTimeout?: number;
  /** Default mailbox for every actor (default 65,536 messages, `reject`). */
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
  /** Messages an actor may process per turn before others run (default 64). */
  throughput?: number;
  /** Ms of continuous work before yielding to timers and I/O (default 8). */
  sliceMs?: number;
  /** Most worker hosts in the pool (default: one per core). */
  workers?: number;
  /** Most process hosts in the pool, per permission set (default: one per core). */
  processes?: number;
  /**
   * Set when the application runs with Deno's worker-options enabled
   * (`--unstable-worker-options`), so that worker hosts may take
   * `permissions`. Without it, worker permissions are refused with an error
   * that says so (Deno itself would exit the process).
   */
  workerPermissions?: boolean;
  /** Largest frame to or from a process host, in bytes (default 64 MiB). */
  maxFrame?: number;
  /**
   * How to start a process host. By default: `deno run` of troupe's host
   * entry, or, in a compiled binary (`Deno.build.standalone`), the binary
   * itself re-executed with host flags.
   */
  exec?: ExecSpec;
  /**
   * How long a worker or process host may take to start (to load its
   * modules and say it is ready), in ms; past it, the host is killed and
   * what was placed on it fails with `HostError`. Default 60,000.
   */
  hostStartTimeout?: number;
}

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
