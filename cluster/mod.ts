/**
 * `@troupe/troupe/cluster`: troupe across machines. A scheduler process
 * (`startCluster`, or `localCluster` with nodes on this machine), worker
 * nodes (`runNode`), clients that send graphs and futures to it
 * (`connect`, `clusterClient` from inside a task), cluster-wide locks,
 * semaphores, events and queues, and the dashboard. Local task graphs
 * (`delayed`, `compute`, `createScheduler`, futures) are in the root entry:
 * the same graphs run here unchanged.
 *
 * This folder holds graph/ (local graphs), wire/ (framing, handshake,
 * endpoints), scheduler/, node/, client/ and dashboard/; each one's mod.ts
 * says what it may import. cluster/ may import actors/ and sync/, never
 * array/, dataframe/ or cli/.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { localCluster } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = await localCluster(system, { nodes: 1 });
 * assert.equal(cluster.nodes().length, 1);
 * ```
 *
 * @module
 */

export {
  Client,
  clusterClient,
  ClusterEvent,
  ClusterLock,
  ClusterQueue,
  connect,
} from "./client/mod.ts";
export { serveDashboard } from "./dashboard/mod.ts";
export { runNode } from "./node/mod.ts";
export {
  Cluster,
  type ClusterOptions,
  type ClusterStatus,
  LocalCluster,
  localCluster,
  startCluster,
} from "./scheduler/mod.ts";
export { TransportError, WorkerRequestError } from "./wire/mod.ts";
