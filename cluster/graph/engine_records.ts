/**
 * The worker engine's books: one record per task it knows and per worker
 * it runs on, as plain data the engine and its placement rules share.
 *
 * @module
 */

import type { ActorRef } from "../../actors/ref.ts";
import type { Placement } from "../../actors/hosts/hosts.ts";
import type { Delayed } from "./delayed.ts";
import type { GraphWorker } from "./graph_worker.ts";
import { fillArgs } from "./keys.ts";
import type { ReadyQueue } from "./ready_queue.ts";
import type { MemoryStatus } from "../memory/worker_memory.ts";
import type { Computation } from "./computation.ts";

export type State =
  | "released"
  | "waiting"
  | "ready"
  | "processing"
  | "memory"
  | "erred"
  | "cancelled";

/** One task the engine knows. */
export interface TaskRecord {
  key: string;
  node: Delayed;
  deps: TaskRecord[];
  /** Per dependency site of `node`, the key whose value goes there. */
  siteKeys: string[];
  dependents: Set<TaskRecord>;
  state: State;
  waitingOn: number;
  holders: WorkerRecord[];
  /** Holds from futures and computations. */
  wants: number;
  attempts: number;
  deaths: number;
  error?: Error;
  priority: number;
  generation: number;
  order: number;
  worker?: WorkerRecord;
  /** The number of its run on `worker` (0 until sent). */
  runSeq: number;
  /** When it was last sent to a worker (ms). */
  sentAt: number;
  /** The worker a task without inputs was given to (see `#spread`). */
  home?: WorkerRecord;
  /** About how big its result is, in bytes (1 until known). */
  bytes: number;
  /** The worker whose queue it is on, while ready. */
  queuedOn?: WorkerRecord;
  settled?: PromiseWithResolvers<void>;
  wire?: [unknown[], (string | number)[][]];
  computations: Computation[];
}

export interface WorkerRecord {
  id: number;
  /** The id its reports carry (random). */
  reportId: number;
  ref: ActorRef<typeof GraphWorker>;
  /** Runs sent to it and not reported on. */
  inFlight: number;
  alive: boolean;
  has: HeldSet;
  /** Runs sent to it and not reported on, by number. */
  running: Map<number, TaskRecord>;
  /** Tasks given to it whose inputs are on their way there. */
  incoming: Set<TaskRecord>;
  /** Runs numbered so far. */
  runs: number;
  /** Ready tasks meant for it, best first. */
  queue: ReadyQueue<TaskRecord>;
  host?: string;
  /** The attached node it runs on (cluster members are not replaced). */
  node?: string;
  /** What the node said it has (for tasks that need resources). */
  resources: Record<string, number>;
  /** Where the node serves the values it holds to other nodes, if it does. */
  data?: string;
  /** When its last task finished (ms), to measure task durations. */
  lastDone?: number;
  /** Its memory, as it last reported (none: it has no limit). */
  memory?: MemoryStatus;
  /** Leaving in good order: it takes no new task (see `retireNode`). */
  retiring?: boolean;
  /**
   * Its host has not started yet, while a worker on the caller's loop has:
   * it is given no task until it starts (one sent ahead would wait for it,
   * and a short graph with it).
   */
  starting?: boolean;
  /** Told when a run of a retiring worker ends (see `drained`). */
  onRunEnded?: () => void;
  /** Where it runs (the engine's placement, or the caller's event loop). */
  placement: Placement;
}

/** A worker's name in status and the task stream. */
export function workerName(w: WorkerRecord): string {
  return w.node ?? w.host ?? `worker-${w.id}`;
}

/** How much a worker has: sent and queued tasks. */
export function load(w: WorkerRecord | undefined): number {
  return w === undefined ? Infinity : w.inFlight + w.queue.size;
}

/** Whether `r`'s run `seq` on `w` is still the one that counts. */
export function current(
  r: TaskRecord,
  w: WorkerRecord,
  seq: number,
): boolean {
  return r.state === "processing" && r.worker === w && r.runSeq === seq;
}

/** The run `seq` of `w` is over: take it off its books (and return its task). */
export function reported(
  w: WorkerRecord,
  seq: unknown,
): TaskRecord | undefined {
  if (typeof seq !== "number") return undefined;
  const r = w.running.get(seq);
  if (r === undefined) return undefined;
  w.running.delete(seq);
  w.inFlight--;
  w.onRunEnded?.();
  return r;
}

/** Whether something still needs `r`'s value. */
export function needed(r: TaskRecord): boolean {
  if (r.wants > 0) return true;
  for (const d of r.dependents) {
    if (
      d.state === "waiting" || d.state === "ready" || d.state === "processing"
    ) return true;
  }
  return false;
}

/**
 * `r`'s arguments and dependency sites as a run message carries them
 * (made once, then kept on the record).
 */
export function runArgs(r: TaskRecord): [unknown[], (string | number)[][]] {
  if (r.wire === undefined) {
    const paths = r.node.deps.map((s) => s.path as (string | number)[]);
    // Holes instead of the lazy values: a Delayed drags its whole graph.
    const args = r.node.deps.length === 0
      ? r.node.args as unknown[]
      : fillHoles(r.node.args, paths);
    r.wire = [args, paths];
  }
  return r.wire;
}

/** A copy of `args` with `null` at each of `paths`. */
function fillHoles(
  args: readonly unknown[],
  paths: readonly (readonly (string | number)[])[],
): unknown[] {
  return fillArgs(args, paths, paths.map(() => null));
}

/**
 * The results a worker holds, with their bytes summed as they come and go
 * (each counted as it was when added), so that admission by memory reads a
 * total instead of walking thousands of held results for each root task.
 */
export class HeldSet implements Iterable<TaskRecord> {
  // One map, record -> bytes counted: a set beside a map of sizes cost two
  // hash operations per result on the scheduler's hottest path.
  #bytes = new Map<TaskRecord, number>();
  #total = 0;

  /** The bytes of the results held. */
  get bytes(): number {
    return this.#total;
  }

  /** How many results are held. */
  get size(): number {
    return this.#bytes.size;
  }

  /** Whether `r` is held. */
  has(r: TaskRecord): boolean {
    return this.#bytes.has(r);
  }

  /** Hold `r`, counted at its size now (once, however often added). */
  add(r: TaskRecord): this {
    if (!this.#bytes.has(r)) {
      this.#bytes.set(r, r.bytes);
      this.#total += r.bytes;
    }
    return this;
  }

  /** Stop holding `r`; whether it was held. */
  delete(r: TaskRecord): boolean {
    const b = this.#bytes.get(r);
    if (b === undefined) return false;
    this.#bytes.delete(r);
    this.#total -= b;
    return true;
  }

  /** Hold nothing. */
  clear(): void {
    this.#bytes.clear();
    this.#total = 0;
  }

  /** The results held, in the order they came. */
  [Symbol.iterator](): IterableIterator<TaskRecord> {
    return this.#bytes.keys();
  }
}
