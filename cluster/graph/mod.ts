/**
 * cluster/graph/: task graphs that run in one process: `delayed` calls and
 * their deterministic keys, futures, the inline and worker engines with
 * their ready queue, the local `Scheduler`, `compute`, reductions and
 * `visualize`. The cluster's scheduler, nodes and clients build on them.
 * This module is the folder's face: the names the root entry exports from
 * it.
 *
 * May import: actors/ (and its hosts/ and pool/), sync/, cluster/wire/ (a
 * graph worker pulls a peer node's data); nothing of cluster/scheduler/,
 * node/, client/, dashboard/, nor array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import { compute, defineTasks, delayed } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
 * });
 * const total = delayed(t.sum)([1, 2, 3].map((x) => delayed(t.square)(x)));
 * assert.equal(await compute(total, { placement: "local" }), 14);
 * ```
 *
 * @module
 */

export { compute, type ComputeOptions, type GraphRunner } from "./compute.ts";
export {
  Delayed,
  delayed,
  type Lazy,
  type LazyArgs,
  type LazyParts,
  type TaskOptions,
} from "./delayed.ts";
export {
  CancelledError,
  GraphTimeoutError,
  KilledWorkerError,
  TaskFailedError,
} from "./errors.ts";
export {
  asCompleted,
  Future,
  type FutureStatus,
  gather,
  wait,
  type WaitResult,
} from "./future.ts";
export {
  progressBar,
  type ProgressBarOptions,
  type ProgressSource,
  type ProgressStream,
} from "./progress.ts";
export { treeReduce } from "./reduce.ts";
export {
  type Computed,
  createScheduler,
  type Persisted,
  Scheduler,
  type SchedulerOptions,
} from "./scheduler.ts";
export {
  GraphTooLargeError,
  GraphvizNotFoundError,
  visualize,
  type VisualizeOptions,
} from "./visualize.ts";
export type { Keyed } from "./keys.ts";
export type { TaskRun } from "./task_stream.ts";
export type {
  Computation,
  ProgressListener,
  SchedulerStatus,
  WorkerStatus,
} from "./computation.ts";
