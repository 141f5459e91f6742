/**
 * The memory settings a graph worker's store is made with, and where they
 * come from: a local scheduler hands them to each worker it spawns (in its
 * spawn argument: plain data); a cluster node sets them for the graph
 * workers the scheduler starts on it (`setNodeMemory`), since only the node
 * knows its own limit.
 *
 * @module
 */

import type { Fractions } from "./fractions.ts";

/**
 * How a graph worker's results are limited (plain data: it crosses to the
 * worker's host).
 *
 * @example
 * ```ts
 * import type { WorkerMemory } from "./worker_memory.ts";
 * import { DEFAULT_FRACTIONS } from "./fractions.ts";
 * const m: WorkerMemory = { limit: 2 ** 30, fractions: DEFAULT_FRACTIONS, localDirectory: "/tmp/troupe-spill", name: "w1" };
 * ```
 */
export interface WorkerMemory {
  /** Bytes (0: no limit). */
  limit: number;
  /** Thresholds as fractions of the limit. */
  fractions: Fractions;
  /** Where its spill space is opened. */
  localDirectory: string;
  /** The start of its spill space's name (unique per scheduler worker). */
  name: string;
  /** Its host is a process of its own: its resident memory counts. */
  process?: boolean;
  /** Past `terminate`, exit the process (a process host; a node's own choice). */
  exitOnTerminate?: boolean;
}

/** What a node sets for the graph workers on it (not plain data: a hook). */
export interface NodeMemory extends WorkerMemory {
  /** Past `terminate`: end this node (exit, or drop its connection). */
  terminate: (reason: string) => void;
  /** Where a spill that failed is told. */
  log?: (message: string) => void;
}

let nodeMemory: NodeMemory | undefined;

/**
 * Set (or clear) the memory settings of the graph workers started in this
 * isolate by a cluster's scheduler.
 *
 * @example
 * ```ts
 * import { setNodeMemory } from "./worker_memory.ts";
 * setNodeMemory(undefined);
 * ```
 */
export function setNodeMemory(memory: NodeMemory | undefined): void {
  nodeMemory = memory;
}

/**
 * The settings `setNodeMemory` gave, if any.
 *
 * @example
 * ```ts
 * import { nodeMemorySettings } from "./worker_memory.ts";
 * console.log(nodeMemorySettings()); // undefined outside a node
 * ```
 */
export function nodeMemorySettings(): NodeMemory | undefined {
  return nodeMemory;
}

/**
 * A store's counters as a graph worker reports them: `[limit, memory,
 * spilled, spilledCount, process, paused (0/1), full (0/1), spills,
 * spillBytes, unspills, unspillBytes, target]`.
 */
export type MemoryReport = [
  limit: number,
  memory: number,
  spilled: number,
  spilledCount: number,
  process: number,
  paused: number,
  full: number,
  spills: number,
  spillBytes: number,
  unspills: number,
  unspillBytes: number,
  target: number,
];

/**
 * A worker's memory as a scheduler's `status()` shows it (and the
 * dashboard).
 *
 * @example
 * ```ts
 * import type { MemoryStatus } from "./worker_memory.ts";
 * const line = (m: MemoryStatus) => `${m.memory}/${m.limit} B${m.paused ? " (paused)" : ""}`;
 * ```
 */
export interface MemoryStatus {
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
}

/**
 * A peer's report, checked (twelve finite numbers >= 0), as a status; else
 * undefined.
 *
 * @example
 * ```ts
 * import { memoryStatus } from "./worker_memory.ts";
 * console.log(memoryStatus([100, 10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 60])?.memory); // 10
 * ```
 */
export function memoryStatus(report: unknown): MemoryStatus | undefined {
  if (!Array.isArray(report) || report.length !== 12) return undefined;
  if (!report.every((x) => typeof x === "number" && x >= 0 && x < Infinity)) {
    return undefined;
  }
  const [
    limit,
    memory,
    spilled,
    spilledCount,
    process,
    paused,
    full,
    spills,
    spillBytes,
    unspills,
    unspillBytes,
    target,
  ] = report as MemoryReport;
  return {
    limit,
    memory,
    spilled,
    spilledCount,
    process,
    paused: paused === 1,
    full: full === 1,
    spills,
    spillBytes,
    unspills,
    unspillBytes,
    target,
  };
}
