/**
 * The stores of the graph workers in this isolate: a module of its own, so
 * that a graph worker on a worker or process host registers its store
 * without loading the node-to-node data service (`peer_data.ts`, and with
 * it the whole TCP stack), which only cluster nodes use.
 *
 * @module
 */

/** The stores of the graph workers in this isolate (see `graph_worker.ts`). */
export const localStores: Set<Pick<Map<string, unknown>, "has" | "get">> =
  new Set();
