/**
 * What a cluster shows of itself: `ClusterStatus` (its nodes with their
 * work, tasks by state, computations, transfers, the actor system, the
 * cluster-wide primitives, failures and task durations, as plain data: what
 * `Cluster.status()`, a client's `status()` and the dashboard read), and the
 * function that takes the snapshot from the cluster's parts.
 *
 * @module
 */

import type { ActorSystem } from "../../actors/system.ts";
import {
  engineMetrics,
  type Scheduler,
  taskFailures,
} from "../graph/scheduler.ts";
import type { Computation, SchedulerStatus } from "../graph/computation.ts";
import type { MemoryStatus } from "../memory/worker_memory.ts";
import type { ActorReport } from "../wire/actor_report.ts";
import type { SyncService } from "./sync_service.ts";

/** A member of a cluster: what `nodes()` answers (see `ClusterStatus`). */
export type NodeInfo = Pick<
  ClusterStatus["nodes"][number],
  "name" | "address" | "joined" | "resources"
>;

/** A member of a cluster and what its worker is doing now. */
export type NodeStatus = ClusterStatus["nodes"][number];

/**
 * A snapshot of a cluster, as plain data (what the dashboard shows).
 *
 * @example
 * ```ts
 * import type { ClusterStatus } from "@troupe/troupe/cluster";
 * const line = (s: ClusterStatus) =>
 *   `${s.nodes.length} nodes, ${s.computations.length} computations`;
 * ```
 */
export interface ClusterStatus {
  /** Where nodes connect, as `host:port`. */
  readonly address: string;
  /** When the snapshot was taken (ms since the epoch). */
  readonly time: number;
  /** The members, with their work. */
  readonly nodes: {
    /** The name it joined with (unique in the cluster). */
    readonly name: string;
    /** Where it connected from, as `host:port`. */
    readonly address: string;
    /** When it joined (ms since the epoch). */
    readonly joined: number;
    /** What it said it has (as `{ GPU: 2 }`). */
    readonly resources: Readonly<Record<string, number>>;
    /** Tasks sent to it and not finished. */
    readonly inFlight: number;
    /** Ready tasks waiting for it to have room. */
    readonly queued: number;
    /** Results it holds. */
    readonly held: number;
    /**
     * Its process's CPU use over its last heartbeat, in percent of one core
     * (undefined before its first heartbeat).
     */
    readonly cpu?: number;
    /** Its process's memory at its last heartbeat, in bytes. */
    readonly memory?: { readonly rss: number; readonly heapUsed: number };
    /**
     * Its held results' memory against its limit, what it spilled to disk
     * and read back, and whether it is paused (a node with a memory limit,
     * once it has reported).
     */
    readonly heldMemory?: SchedulerStatus["workers"][number]["heldMemory"];
    /**
     * Being retired (SIGTERM, or `retireWorkers`): it takes no new task, and
     * its results move to other nodes before it leaves.
     */
    readonly retiring?: boolean;
    /**
     * Its actor system, as its last heartbeat said: actors, messages
     * waiting, restarts, dead letters by reason, its deepest mailboxes.
     */
    readonly actors?: {
      /** Living actors. */
      readonly count: number;
      /** Messages waiting in all their mailboxes. */
      readonly mailboxes: number;
      /** Restarts by supervisors since the node joined. */
      readonly restarts: number;
      /** Messages that went nowhere, by reason, since the node joined. */
      readonly deadLetters: Readonly<Record<string, number>>;
      /** The deepest mailboxes (actors with messages waiting), deepest first. */
      readonly deepest: readonly {
        /** The actor's path. */
        readonly actor: string;
        /** Messages waiting. */
        readonly depth: number;
        /** Its mailbox's capacity (Infinity: unbounded). */
        readonly capacity: number;
      }[];
    };
  }[];
  /** Tasks the scheduler knows, by state. */
  readonly tasks: Record<string, number>;
  /** Computations in progress and the last few finished, by id. */
  readonly computations: Computation[];
  /** Values moved between nodes so far: node to node, or through it. */
  readonly transfers: { readonly direct: number; readonly relayed: number };
  /**
   * The task stream: runs that ended in the last 10 s (at most 500), as
   * the scheduler saw them.
   */
  readonly stream: Readonly<SchedulerStatus["stream"]>;
  /** The actor system: living actors, messages in mailboxes, dead letters. */
  readonly actors: {
    readonly count: number;
    readonly mailboxes: number;
    readonly deadLetters: number;
    /** The deepest mailboxes now (up to 5 actors with messages waiting). */
    readonly busiest: readonly {
      readonly actor: string;
      readonly mailbox: number;
      readonly capacity: number;
    }[];
  };
  /**
   * Cluster-wide locks, semaphores, events and queues in use, with their
   * state (idle locks are not listed).
   */
  readonly sync: {
    readonly kind: string;
    readonly name: string;
    readonly state: unknown;
  }[];
  /**
   * The last tasks that failed for good (up to 50), oldest first: key,
   * task name, worker, `Name: message`, stack, when (ms since the epoch),
   * and the computations they belonged to.
   */
  readonly failures?: readonly {
    readonly key: string;
    readonly task: string;
    readonly worker: string;
    readonly error: string;
    readonly stack?: string;
    readonly time: number;
    readonly computations: readonly number[];
  }[];
  /**
   * How long task runs took since the scheduler started, in seconds: the
   * buckets' upper bounds and the runs in each (one more, past the last
   * bound), their sum and count.
   */
  readonly taskDurations?: {
    readonly bounds: readonly number[];
    readonly counts: readonly number[];
    readonly sum: number;
    readonly count: number;
  };
  /** Bytes of values moved between nodes since it started (their reported sizes). */
  readonly bytesMoved?: number;
}

/** A member as the snapshot reads it: what it joined with, its last heartbeat. */
export interface MemberFigures extends NodeInfo {
  cpu?: number;
  memory?: { rss: number; heapUsed: number };
  actors?: ActorReport;
}

/** A snapshot of the cluster at `address` with these members, now. */
export function clusterStatus(
  address: string,
  members: Iterable<MemberFigures>,
  scheduler: Scheduler,
  system: ActorSystem,
  sync: SyncService,
): ClusterStatus {
  const work = scheduler.status();
  const nodes = [...members].map((m) => {
    const { name, address, joined, resources, cpu, memory, actors } = m;
    const n = { name, address, joined, resources, cpu, memory, actors };
    let inFlight = 0, queued = 0, held = 0;
    let heldMemory: MemoryStatus | undefined;
    let retiring = false;
    for (const w of work.workers) {
      if (w.name !== n.name) continue;
      retiring ||= w.retiring === true;
      inFlight += w.inFlight;
      queued += w.queued;
      held += w.held;
      heldMemory = w.heldMemory ?? heldMemory;
    }
    return {
      ...n,
      inFlight,
      queued,
      held,
      ...(heldMemory === undefined ? {} : { heldMemory }),
      ...(retiring ? { retiring } : {}),
    };
  });
  const actors = system.actors();
  return {
    address,
    time: Date.now(),
    nodes,
    tasks: work.tasks,
    computations: work.computations,
    transfers: work.transfers,
    stream: work.stream,
    actors: {
      count: actors.length,
      mailboxes: actors.reduce((sum, a) => sum + a.mailboxSize, 0),
      deadLetters: system.deadLetters.count,
      busiest: actors.filter((a) => a.mailboxSize > 0)
        .sort((a, b) => b.mailboxSize - a.mailboxSize)
        .slice(0, 5)
        .map((a) => ({
          actor: `${a.behavior}#${a.address.id}`,
          mailbox: a.mailboxSize,
          capacity: a.mailboxCapacity,
        })),
    },
    sync: sync.snapshot(),
    failures: taskFailures(scheduler).list(),
    taskDurations: engineMetrics(scheduler).durations(),
    bytesMoved: engineMetrics(scheduler).bytesMoved,
  };
}
