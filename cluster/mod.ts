/**
 * Task graphs and futures: `delayed(task)(...args)` builds a lazy graph,
 * a scheduler computes it (in this isolate, on worker hosts, on
 * subprocesses), and `submit`/`map` run tasks eagerly as futures, as
 * `dask.delayed` and Dask's futures do. TCP clusters, remote actors and the
 * dashboard come next on the same graphs.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe/actors";
 * import { createScheduler, delayed } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
 * });
 * const total = delayed(t.sum)([1, 2, 3].map((x) => delayed(t.square)(x)));
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local" });
 * assert.deepEqual(await scheduler.compute(total), [14]);
 * ```
 *
 * @module
 */

export * from "./delayed.ts";
export {
  type ConnectOptions,
  connectTransport,
  isLoopback,
  type ListenOptions,
  listenTransport,
  parseAddress,
  readSecret,
  reconnecting,
  type ReconnectOptions,
  type TransportListener,
  type TransportOptions,
} from "./endpoint.ts";
export * from "./errors.ts";
export * from "./future.ts";
export * from "./graph.ts";
export * from "./graph_worker.ts";
export type { Fractions, MemoryFractions } from "./memory/fractions.ts";
export type {
  MemoryReport,
  MemoryStatus,
  WorkerMemory,
} from "./memory/worker_memory.ts";
export { type DepSite, KEY, type Keyed } from "./keys.ts";
export * from "./progress.ts";
export * from "./reduce.ts";
export {
  type Computed,
  createScheduler,
  type Persisted,
  Scheduler,
  type SchedulerOptions,
} from "./scheduler.ts";
export * from "./client.ts";
export * from "./cluster_sync.ts";
export { clusterClient } from "./here.ts";
export type { TaskRun } from "./task_stream.ts";
export * from "./cluster.ts";
export * from "./dashboard.ts";
export * from "./local_cluster.ts";
export * from "./node.ts";
export * from "./visualize.ts";
export {
  type CloseReason,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_FRAME,
  DEFAULT_MAX_MESSAGE,
  FramedConnection,
  type FramingOptions,
  type PeerInfo,
  type TransportCounters,
} from "./framing.ts";
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  handshake,
  type HandshakeOptions,
  importSecret,
  PROTOCOL_VERSION,
} from "./handshake.ts";
export * from "./wire_errors.ts";
export type {
  Computation,
  ProgressListener,
  SchedulerStatus,
  WorkerStatus,
} from "./worker_engine.ts";
