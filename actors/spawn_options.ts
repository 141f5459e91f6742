/**
 * Options for spawning one actor.
 *
 * @module
 */

import type { HostPermissions, Placement } from "./hosts/host_types.ts";

/**
 * How to spawn an actor.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor, type SpawnOptions } from "@troupe/troupe";
 *
 * const opts: SpawnOptions = { name: "log", mailbox: { capacity: 100, overflow: "drop-oldest" } };
 * await using system = new ActorSystem();
 * system.spawn(defineActor({ init: () => ({}), handlers: {} }), undefined, opts);
 * ```
 */
export interface SpawnOptions {
  /** A unique name to find the actor by (`system.lookup`). */
  name?: string;
  /** Mailbox settings; override the behaviour's and the system's. */
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
   * Milliseconds a graceful stop waits for the current message (and
   * `onStop`) before the actor is killed (default: the system's).
   */
  shutdownTimeout?: number;
  /**
   * Where the actor runs: `local` (default: this event loop), `worker` (a
   * Web Worker host: a thread), `process` (a subprocess host) or `node` (a
   * cluster node attached to this system). A host holds many actors; the
   * behaviour needs `module: import.meta.url`.
   */
  placement?: Placement;
  /**
   * Pin the actor to the named host: a worker or process host is started on
   * first use; a node must be attached under that name. Without it, a
   * worker or process actor goes to the pool's least-loaded host, and a node
   * actor to the attached node with the fewest actors (round robin among
   * equals), chosen again at each restart, so that an actor whose node was
   * lost restarts on another.
   */
  host?: string;
  /**
   * Deno permissions of the host the actor starts on (least privilege:
   * a process host reads only its modules unless told more). Worker
   * permissions need Deno's worker-options.
   */
  permissions?: HostPermissions;
  /**
   * A process host's V8 heap limit in MiB (`--max-old-space-size`): an actor
   * that outgrows it takes its host down, not this program.
   */
  heapLimitMb?: number;
}
