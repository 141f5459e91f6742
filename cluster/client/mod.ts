/**
 * cluster/client/: what a program uses to reach a cluster: `connect` and
 * its `Client` (graphs, futures, remote actors), `clusterClient()` from a
 * task running on a node, and cluster-wide locks, semaphores, events and
 * queues. This module is the folder's face: the names the cluster entry
 * exports from it.
 *
 * May import: actors/, sync/, cluster/wire/, cluster/graph/,
 * cluster/scheduler/ (the wire shapes of its sessions); nothing of
 * cluster/node/, cluster/dashboard/, array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "./client.ts";
 * const options: ClientOptions = { name: "my-client" };
 * ```
 *
 * @module
 */

export { Client, type ClientOptions, connect } from "./client.ts";
export { ClusterLock, ClusterMutex, ClusterSemaphore } from "./cluster_lock.ts";
export { ClusterEvent } from "./cluster_event.ts";
export { ClusterQueue } from "./cluster_queue.ts";
export { clusterClient } from "./here.ts";
