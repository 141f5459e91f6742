/**
 * The local scheduler: computes task graphs and runs futures on this
 * machine, on worker hosts (default), subprocesses, async tasks of this
 * isolate (`local`), or inline, one task after another (`inline`, Dask's
 * synchronous scheduler). The same graphs run unchanged on each, and on a
 * cluster client later.
 *
 * @module
 */

import type { ActorSystem } from "../../actors/system.ts";
import type { HostPermissions, Placement } from "../../actors/hosts/hosts.ts";
import type { Task } from "../../actors/pool/tasks.ts";
import { type Delayed, delayed, type Lazy } from "./delayed.ts";
import { Future, type FutureOwner, type FutureStatus } from "./future.ts";
import { collectGraph, type Graph } from "./graph.ts";
import {
  checkPersistable,
  fillOutputs,
  mapCalls,
  outputSites,
} from "./outputs.ts";
import { InlineEngine } from "./inline_engine.ts";
import { engineMemory } from "../memory/engine_memory.ts";
import { callerWorkersOf, hostsAfterOf } from "./caller_workers.ts";
import type { FailureLog } from "./failures.ts";
import type { EngineMetrics } from "./metrics.ts";
import type { TaskRun } from "./task_stream.ts";
import { KEY, type Keyed } from "./keys.ts";
import type {
  Computation,
  ProgressListener,
  SchedulerStatus,
} from "./computation.ts";
import { WorkerEngine } from "./worker_engine.ts";
import type { TaskGraph } from "./graph_snapshot.ts";

/**
 * Where and how a scheduler runs tasks.
 *
 * @example
 * ```ts
 * import type { SchedulerOptions } from "@troupe/troupe";
 * const options: SchedulerOptions = { placement: "worker", workers: 2 };
 * ```
 */
export interface SchedulerOptions {
  /**
   * `worker` (default: Web Workers, one core each), `process`, `local`
   * (async tasks in this isolate), `inline` (one after another, here), or
   * `node`: the members of a cluster, which join and leave (see
   * `startCluster`; `workers` is ignored).
   */
  placement?: Placement | "inline";
  /** How many workers (default: one per core). */
  workers?: number;
  /**
   * Most tasks sent ahead to each worker, so that none waits for the next
   * (default 64; fewer when tasks are long, so that none is committed early).
   */
  window?: number;
  /**
   * How many worker deaths a task may be present at before it fails with
   * `KilledWorkerError` (default 3).
   */
  allowedFailures?: number;
  /** Permissions of worker and process hosts (read access to task modules). */
  permissions?: HostPermissions;
  /**
   * Each worker's memory limit for the results it holds: bytes, or a size
   * such as `"2GiB"`; 0 for none (default: the machine's memory over the
   * workers). Past fractions of it (`memoryFractions`) a worker spills its
   * least recently used results to disk, takes no new tasks, or (a process
   * host) is ended and its work redone. Not for `inline`; a cluster's nodes
   * have their own (`runNode`).
   */
  memoryLimit?: number | string;
  /**
   * Thresholds as fractions of `memoryLimit` (default `{ target: 0.6,
   * spill: 0.7, pause: 0.8, terminate: 0.95 }`; `false` turns one off).
   */
  memoryFractions?: {
    /** Spill least recently used results above this much held (default 0.6). */
    target?: number | false;
    /** Spill more above this much process memory (default 0.7). */
    spill?: number | false;
    /** Take no new tasks above this much held (default 0.8). */
    pause?: number | false;
    /** End a process or node host above this much process memory (default 0.95). */
    terminate?: number | false;
  };
  /**
   * Where workers spill (each in a directory of its own, removed when it
   * ends; default: `troupe-spill` in the OS temp dir).
   */
  localDirectory?: string;
}

/** The value a lazy thing computes (structures are resolved inside). */
export type Computed<T> = T extends Delayed<infer R> ? R
  : T extends Future<infer R> ? R
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Computed<T[K]> }
  : T extends Record<string, unknown> ? { [K in keyof T]: Computed<T[K]> }
  : T;

/** The futures `persist` gives for its arguments. */
export type Persisted<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends Delayed<infer R> ? Future<R>
    : T[K] extends Future<infer R> ? Future<R>
    : never;
};

interface Engine {
  submit(graph: Graph, roots: readonly string[]): Computation;
  values(keys: readonly string[], last?: boolean): Promise<unknown[]>;
  statusOf(key: string): FutureStatus;
  settled(key: string): Promise<void>;
  hold(key: string): void;
  release(key: string): void;
  cancel(key: string): void;
  subscribe(listener: ProgressListener): () => void;
  close(): Promise<void>;
}

/**
 * Computes task graphs (`compute`, `persist`) and runs futures (`submit`,
 * `map`). Results stay on the worker that made them until a task elsewhere
 * or the caller needs them.
 *
 * @example A tree reduction on two worker hosts
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, delayed, type Delayed } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   add: (a: number, b: number) => a + b,
 * });
 * let layer: Delayed<number>[] = Array.from({ length: 8 }, (_, i) => delayed(t.square)(i));
 * while (layer.length > 1) {
 *   const next = [];
 *   for (let i = 0; i < layer.length; i += 2) next.push(delayed(t.add)(layer[i], layer[i + 1]));
 *   layer = next;
 * }
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local", workers: 2 });
 * const [total] = await scheduler.compute(layer[0]);
 * assert.equal(total, 140);
 * ```
 */
export class Scheduler implements AsyncDisposable {
  readonly #engine: Engine;
  readonly #owner: FutureOwner;

  /**
   * Use `createScheduler`.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { Scheduler } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * await using scheduler = new Scheduler(system, { placement: "inline" });
   * ```
   */
  constructor(system: ActorSystem, options: SchedulerOptions = {}) {
    const placement = options.placement ?? "worker";
    const workers = placement === "node"
      ? 1
      : options.workers ?? (navigator.hardwareConcurrency || 1);
    if (!(Number.isInteger(workers) && workers >= 1)) {
      throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
    }
    const window = options.window ?? 64;
    if (!(Number.isInteger(window) && window >= 1)) {
      throw new RangeError(`window must be an integer >= 1, got ${window}`);
    }
    const allowedFailures = options.allowedFailures ?? 3;
    if (!(Number.isInteger(allowedFailures) && allowedFailures >= 1)) {
      throw new RangeError(
        `allowedFailures must be an integer >= 1, got ${allowedFailures}`,
      );
    }
    if (
      !["worker", "process", "local", "inline", "node"].includes(
        placement as string,
      )
    ) {
      throw new TypeError(
        `placement must be "worker", "process", "local", "inline" or "node", got ${
          String(placement)
        }`,
      );
    }
    this.#engine = placement === "inline"
      ? new InlineEngine()
      : new WorkerEngine(system, {
        placement: placement as Placement,
        workers: placement === "node" ? 0 : workers,
        window,
        allowedFailures,
        permissions: options.permissions,
        memory: placement === "node"
          ? undefined
          : engineMemory(options, workers),
        callerWorkers: callerWorkersOf(options),
        hostsAfterMs: hostsAfterOf(options),
      });
    const engine = this.#engine;
    engines.set(this, engine);
    this.#owner = {
      statusOf: (key) => engine.statusOf(key),
      settled: (key) => engine.settled(key),
      resultOf: async (key) => (await engine.values([key]))[0],
      resultsOf: (keys) => engine.values(keys),
      cancel: (key) => engine.cancel(key),
      release: (key) => engine.release(key),
    };
  }

  /**
   * Compute lazy values (delayed values, futures, or arrays and objects
   * holding them); resolves to their values in order. Shared parts of their
   * graphs run once. Rejects with the error of the first output that failed
   * (`TaskFailedError` naming the failing key).
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler, delayed } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "inline" });
   * const a = delayed(t.inc)(1);
   * const [x, [y, z]] = await scheduler.compute(a, [delayed(t.inc)(a), 7]);
   * assert.deepEqual([x, y, z], [2, 3, 7]);
   * ```
   */
  async compute<T extends readonly unknown[]>(
    ...outputs: T
  ): Promise<Computed<T>> {
    return await computeWith(this.#engine, outputs);
  }

  /**
   * Start computing delayed values and keep their results on the workers:
   * a future for each, usable in later graphs and `submit`s.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler, delayed } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const [a] = scheduler.persist(delayed(t.inc)(1));
   * const [b] = await scheduler.compute(delayed(t.inc)(a)); // reuses a
   * assert.equal(b, 3);
   * ```
   */
  persist<T extends readonly (Delayed<unknown> | Future<unknown>)[]>(
    ...outputs: T
  ): {
    -readonly [K in keyof T]: T[K] extends Delayed<infer R> ? Future<R>
      : T[K] extends Future<infer R> ? Future<R>
      : never;
  } {
    checkPersistable(outputs);
    const roots = outputs.map((o) => o[KEY]);
    const graph = collectGraph(outputs as readonly Keyed[]);
    // One hold per future made (a key given twice is held twice).
    this.#engine.submit(graph, roots);
    return roots.map((k) => new Future(k, this.#owner)) as Persisted<T>;
  }

  /**
   * Run `task(...args)` now; a future for its result. Arguments may be
   * values, futures and delayed values.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { add: (a: number, b: number) => a + b });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * console.log(await scheduler.submit(t.add, 1, 2).result()); // 3
   * ```
   */
  submit<A extends unknown[], R>(
    task: Task<A, R>,
    ...args: { [K in keyof A]: Lazy<A[K]> }
  ): Future<Awaited<R>> {
    return this.persist(delayed(task)(...args))[0];
  }

  /**
   * `submit(task, item)` for each item; the futures in order.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler, gather } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { sq: (x: number) => x * x });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * console.log(await gather(scheduler.map(t.sq, [1, 2, 3]))); // [1, 4, 9]
   * ```
   */
  map<T, R>(
    task: Task<[T], R>,
    items: Iterable<Lazy<T>>,
  ): Future<Awaited<R>>[] {
    return this.persist(...mapCalls(task, items)) as Future<Awaited<R>>[];
  }

  /**
   * Hear of progress: called as tasks of each computation finish, with
   * counts (see `progressBar`).
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler, delayed } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "inline" });
   * const stop = scheduler.subscribe((p) => console.log(`${p.done}/${p.total}`));
   * await scheduler.compute(delayed(t.inc)(1));
   * stop();
   * ```
   */
  subscribe(
    listener: (progress: Readonly<Computation>) => void,
  ): () => void {
    return this.#engine.subscribe(listener);
  }

  /**
   * A snapshot of what it is doing, as plain data: its workers (tasks in
   * flight, queued, results held), tasks by state, and computations in
   * progress with the last few finished. An `inline` scheduler has no
   * workers and reports nothing.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler, delayed } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local", workers: 1 });
   * await scheduler.compute(delayed(t.inc)(1));
   * const { workers, computations } = scheduler.status();
   * console.log(workers.length, computations.at(-1)); // 1 { id: 1, total: 1, done: 1, erred: 0 }
   * ```
   */
  status(): SchedulerStatus {
    const engine = this.#engine;
    return engine instanceof WorkerEngine ? engine.status() : {
      workers: [],
      tasks: {},
      computations: [],
      transfers: { direct: 0, relayed: 0 },
      stream: [],
    };
  }

  /**
   * Stop the workers; pending futures are cancelled. Idempotent.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * await createScheduler(system, { placement: "local" }).close();
   * ```
   */
  close(): Promise<void> {
    return this.#engine.close();
  }

  /**
   * `await using scheduler = createScheduler(...)` closes it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * {
   *   await using _scheduler = createScheduler(system, { placement: "local" });
   * }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const engines = new WeakMap<Scheduler, Engine>();

/** The engine of a scheduler made with `placement: "node"`. */
function nodeEngine(scheduler: Scheduler): WorkerEngine {
  const engine = engines.get(scheduler);
  if (!(engine instanceof WorkerEngine)) {
    throw new TypeError('only a scheduler with placement "node" takes nodes');
  }
  return engine;
}

/**
 * Internal (for the cluster): add a worker on the attached node `name` to a
 * scheduler made with `placement: "node"`.
 */
export function addNodeWorker(
  scheduler: Scheduler,
  name: string,
  resources: Record<string, number> = {},
  data?: string,
): void {
  nodeEngine(scheduler).addNode(name, resources, data);
}

/**
 * Internal (for the cluster): the node `name` is leaving in good order: it
 * takes no new task, finishes what it runs, and hands what it alone holds
 * to the others; resolves once it is out (see `retireNode`).
 */
export function retireNodeWorkers(
  scheduler: Scheduler,
  name: string,
  ms?: number,
): Promise<void> {
  return nodeEngine(scheduler).retireNode(name, ms);
}

/**
 * Internal (for the dashboard): the oldest `max` task runs that ended at or
 * after `since`, or undefined when `scheduler` is no cluster's.
 */
export function taskRuns(
  scheduler: Scheduler,
  since: number,
  max: number,
): TaskRun[] | undefined {
  const engine = engines.get(scheduler);
  return engine instanceof WorkerEngine
    ? engine.runsSince(since, max)
    : undefined;
}

/**
 * Internal (for the dashboard): the graph of computation `id` now (see
 * `graph_snapshot.ts`), grouped by task name past `max` tasks; undefined
 * when the scheduler keeps no such computation, or is no cluster's.
 */
export function computationGraph(
  scheduler: Scheduler,
  id: number,
  max: number,
): TaskGraph | undefined {
  const engine = engines.get(scheduler);
  return engine instanceof WorkerEngine ? engine.graphOf(id, max) : undefined;
}

/**
 * Internal (for the cluster's client sessions): cancel the running
 * computations with id or name `which`; the ones cancelled.
 */
export function cancelComputations(
  scheduler: Scheduler,
  which: string,
): Computation[] {
  return nodeEngine(scheduler).cancelComputations(which);
}

/** Internal (for the cluster): its engine's task durations and bytes moved. */
export function engineMetrics(scheduler: Scheduler): EngineMetrics {
  return nodeEngine(scheduler).metrics;
}

/** Internal (for the cluster): the tasks that failed for good, and who hears of them. */
export function taskFailures(scheduler: Scheduler): FailureLog {
  return nodeEngine(scheduler).failures;
}

/**
 * Internal (for the cluster): who drops a node that broke the protocol, and
 * where the reasons go.
 */
export function onBadNode(
  scheduler: Scheduler,
  drop: (node: string, reason: string) => void,
  logger: (message: string) => void,
): void {
  nodeEngine(scheduler).watchNodes(drop, logger);
}

/**
 * Internal (for the cluster's client sessions): `scheduler.compute`, ended
 * early by `signal`: its outputs are let go at once (work not started is
 * dropped), and it rejects with the signal's reason.
 */
export async function computeUntil<T extends readonly unknown[]>(
  scheduler: Scheduler,
  signal: AbortSignal,
  outputs: T,
  name?: string,
): Promise<Computed<T>> {
  return await computeWith(engines.get(scheduler)!, outputs, signal, name);
}

/** `compute` on `engine`; `signal` lets go of its outputs early. */
async function computeWith<T extends readonly unknown[]>(
  engine: Engine,
  outputs: T,
  signal?: AbortSignal,
  name?: string,
): Promise<Computed<T>> {
  signal?.throwIfAborted();
  const { sites, keys: roots } = outputSites(outputs);
  if (sites.length === 0) return outputs.slice() as Computed<T>;
  const computation = engine.submit(
    collectGraph(sites.map((s) => s.ref)),
    roots,
  );
  if (name !== undefined) computation.name = name;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const k of roots) engine.release(k);
  };
  const stopped = Promise.withResolvers<never>();
  const abort = () => {
    release();
    stopped.reject(signal!.reason);
  };
  signal?.addEventListener("abort", abort, { once: true });
  try {
    // The last want of them (released just below): they may move.
    const fetching = engine.values(roots, true);
    if (signal !== undefined) fetching.catch(() => {}); // (may lose the race)
    const values = signal === undefined
      ? await fetching
      : await Promise.race([fetching, stopped.promise]);
    return fillOutputs(outputs, sites, roots, values) as Computed<T>;
  } finally {
    signal?.removeEventListener("abort", abort);
    release();
  }
}

/**
 * A scheduler on this machine; see `SchedulerOptions` for where it runs.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, delayed } from "@troupe/troupe";
 * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "inline" });
 * console.log(await scheduler.compute(delayed(t.inc)(41))); // [42]
 * ```
 */
export function createScheduler(
  system: ActorSystem,
  options: SchedulerOptions = {},
): Scheduler {
  return new Scheduler(system, options);
}
