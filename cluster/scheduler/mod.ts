/**
 * cluster/scheduler/: the cluster's scheduler process: membership of nodes,
 * placement near the data, work stealing, memory, the clients' sessions and
 * the cluster-wide sync service; `startCluster` runs it in this process and
 * `localCluster` adds nodes on this machine. This module is the folder's
 * face: the names the cluster entry exports from it.
 *
 * May import: actors/, sync/, cluster/wire/, cluster/graph/,
 * cluster/dashboard/; nothing of cluster/node/, cluster/client/ (a
 * local cluster starts nodes by module URL), nor array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import type { ClusterOptions } from "@troupe/troupe/cluster";
 * const options: ClusterOptions = { hostname: "127.0.0.1", port: 0 };
 * ```
 *
 * @module
 */

export {
  Cluster,
  type ClusterOptions,
  type ClusterStatus,
  type NodeInfo,
  startCluster,
} from "./cluster.ts";
export {
  LocalCluster,
  localCluster,
  type LocalClusterOptions,
} from "./local_cluster.ts";
