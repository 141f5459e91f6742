/**
 * What a scheduler tells about its work: each computation's progress record
 * (made and checked by `newComputation`, counted per task name by
 * `countGroup`) and the plain-data snapshot of `SchedulerStatus`. Shared by
 * the inline and worker engines.
 *
 * @module
 */

import type { Graph } from "./graph.ts";

/**
 * Progress of one `compute` or `persist`.
 *
 * @example
 * ```ts
 * import type { Computation } from "@troupe/troupe";
 * const show = (c: Computation) => `${c.done}/${c.total} (${c.erred} failed)`;
 * ```
 */
export interface Computation {
  /** Which computation (counting from 1 per scheduler). */
  readonly id: number;
  /** Its tasks. */
  total: number;
  /** Tasks finished (or failed). */
  done: number;
  /** Of those, tasks that failed or were cancelled. */
  erred: number;
  /** When the scheduler took it (ms since the epoch, its clock). */
  started?: number;
  /** When its last task finished (ms since the epoch, its clock). */
  ended?: number;
  /** Its name, when its client gave one (`ClientOptions.jobName`). */
  name?: string;
  /** Its tasks by task name: how many, done, failed. */
  groups?: Record<string, { total: number; done: number; erred: number }>;
}

/**
 * Check that `graph` can be submitted (the scheduler is open, and knows the
 * futures it uses), and make its progress record.
 */
export function newComputation(
  graph: Graph,
  id: number,
  closed: boolean,
  knows: (key: string) => boolean,
  onNodes = false,
): Computation {
  if (closed) throw new TypeError("the scheduler is closed");
  if (!onNodes) {
    const pinned = graph.nodes.find((n) =>
      n.options.workers !== undefined || n.options.resources !== undefined
    );
    if (pinned !== undefined) {
      // It would wait forever: only cluster members have names and resources.
      throw new TypeError(
        `task ${pinned.key} asks for workers or resources: those need a cluster's scheduler (startCluster, connect)`,
      );
    }
  }
  for (const key of graph.external.keys()) {
    if (!knows(key)) {
      throw new TypeError(
        `future ${key} is not known to this scheduler (released, or from another one)`,
      );
    }
  }
  return {
    id,
    total: graph.nodes.length,
    done: 0,
    erred: 0,
    started: Date.now(),
  };
}

/**
 * Told as a computation's tasks finish.
 *
 * @example
 * ```ts
 * import type { ProgressListener } from "./computation.ts";
 * const log: ProgressListener = (p) => console.log(p.done, p.total);
 * ```
 */
export type ProgressListener = (progress: Readonly<Computation>) => void;

/** What one worker of a scheduler is doing now (see `SchedulerStatus`). */
export type WorkerStatus = SchedulerStatus["workers"][number];

/**
 * A snapshot of a scheduler, as plain data (for dashboards and logs).
 *
 * @example
 * ```ts
 * import type { SchedulerStatus } from "@troupe/troupe";
 * const line = (s: SchedulerStatus) =>
 *   `${s.workers.length} workers, ${s.tasks.memory ?? 0} results held`;
 * ```
 */
export interface SchedulerStatus {
  /** Its live workers. */
  workers: {
    /** The node it runs on (a cluster member), or its host's name. */
    name: string;
    /** Tasks sent to it and not finished. */
    inFlight: number;
    /** Ready tasks waiting for it to have room. */
    queued: number;
    /** Results it holds. */
    held: number;
    /**
     * Its held results' memory, limit, spills and pause (a worker with a
     * memory limit, once it has reported).
     */
    heldMemory?: {
      /** Its memory limit in bytes (0: none). */
      readonly limit: number;
      /** Bytes of results held in memory. */
      readonly memory: number;
      /** Bytes of results spilled to disk now. */
      readonly spilled: number;
      /** Results on disk now. */
      readonly spilledCount: number;
      /** Its process's memory as measured for `spill` and `terminate`. */
      readonly process: number;
      /** Above the pause fraction: it is given no new task. */
      readonly paused: boolean;
      /** At or above the target fraction: no new root tasks go to it while it is busy. */
      readonly full: boolean;
      /** Spills so far. */
      readonly spills: number;
      /** Bytes spilled so far. */
      readonly spillBytes: number;
      /** Reads back from disk so far. */
      readonly unspills: number;
      /** Bytes read back so far. */
      readonly unspillBytes: number;
      /** Bytes past which it spills and takes no new root task while busy (0: off). */
      readonly target: number;
    };
    /** Being retired: it takes no new task, and its results move away. */
    retiring?: boolean;
  }[];
  /** Tasks it knows, by state (`waiting`, `ready`, `processing`, `memory`...). */
  tasks: Record<string, number>;
  /**
   * Computations not finished yet and the last few that finished (up to
   * 8), by id (copies).
   */
  computations: Computation[];
  /** Values moved between workers so far: node to node, or through it. */
  transfers: { direct: number; relayed: number };
  /** Task runs that ended in the last `STREAM_MS` (at most 500). */
  stream: {
    /** The worker (node name, or host) that ran it. */
    readonly worker: string;
    /** The task's name. */
    readonly task: string;
    /** The node's key in its graph. */
    readonly key: string;
    /** When it could start (ms since the epoch). */
    readonly start: number;
    /** When its answer came (ms since the epoch). */
    readonly end: number;
    /** False when it failed (a worker's death is not a run). */
    readonly ok: boolean;
    /** The sizes of its inputs, in bytes (as their workers reported them). */
    readonly bytesIn?: number;
    /** The size of its result, in bytes (as its worker reported it). */
    readonly bytesOut?: number;
  }[];
}

/** Count a task of `task`'s group in `c` as `what`. */
export function countGroup(
  c: Computation,
  task: string,
  what: "total" | "done" | "erred",
): void {
  // (no prototype: a task may be named "__proto__")
  const groups = c.groups ??= Object.create(null) as NonNullable<
    Computation["groups"]
  >;
  (groups[task] ??= { total: 0, done: 0, erred: 0 })[what]++;
}

/** How far back the task stream of `status()` goes, in ms. */
export const STREAM_MS = 10_000;
