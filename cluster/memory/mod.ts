/**
 * cluster/memory/: the memory of a worker that holds results. Held values
 * are counted in bytes, kept in least-recently-used order and spilled to a
 * per-worker directory past a target fraction of the worker's limit; past
 * the pause fraction the worker takes no new tasks, past terminate it is
 * replaced. The local schedulers' workers and the cluster's nodes use it.
 * This module is the folder's face: the names the root and cluster entries
 * export from it.
 *
 * May import: actors/ (its codec writes spilled values); nothing of
 * cluster/graph/, wire/, scheduler/, node/, client/, dashboard/, nor
 * array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import type { MemoryFractions } from "./fractions.ts";
 * import assert from "node:assert/strict";
 *
 * const fractions: MemoryFractions = { target: 0.5, terminate: false };
 * assert.equal(fractions.target, 0.5);
 * ```
 *
 * @module
 */

export type { MemoryFractions } from "./fractions.ts";
export type { MemoryStatus } from "./worker_memory.ts";
