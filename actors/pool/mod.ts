/**
 * actors/pool/: routers and their routing logics, pools of task runners,
 * and `defineTasks` (functions a host anywhere can import by module URL).
 * This module is the folder's face: the names the root entry exports from
 * it.
 *
 * May import: actors/, actors/hosts/, sync/; nothing of cluster/, array/,
 * dataframe/, cli/.
 *
 * @example
 * ```ts
 * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, { double: (x: number) => x * 2 });
 * await using system = new ActorSystem();
 * await using pool = createPool(system, { placement: "local", size: 2 });
 * assert.deepEqual(await pool.map(t.double, [1, 2, 3]), [2, 4, 6]);
 * ```
 *
 * @module
 */

export { createPool, Pool } from "./pool.ts";
export {
  MapAbortedError,
  PoolFullError,
  TaskError,
  TaskTimeoutError,
} from "./errors.ts";
export type { MapOptions, PoolOptions, RunOptions } from "./options.ts";
export {
  createRouter,
  NoRouteeError,
  Router,
  type RouterOptions,
} from "./router.ts";
export { defineTasks, type Task } from "./tasks.ts";
