/**
 * cluster/node/: a worker node of a cluster: it joins a scheduler, runs
 * tasks on its worker hosts, holds and spills their data, serves it to
 * peers, and sends heartbeats from a thread of its own. node_main and
 * node_mode are the entry points of a node process. This module is the
 * folder's face: the names the cluster entry exports from it.
 *
 * May import: actors/, sync/, cluster/wire/, cluster/graph/,
 * cluster/client/ (a task on a node reaches its cluster through
 * `clusterClient()`); nothing of cluster/scheduler/, cluster/dashboard/,
 * array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import type { NodeOptions } from "./node.ts";
 * const options: NodeOptions = { name: "node-1" };
 * ```
 *
 * @module
 */

export { type NodeOptions, runNode } from "./node.ts";
