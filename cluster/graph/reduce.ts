/**
 * Tree reduction: combine many lazy values pairwise, in `log2(n)` levels,
 * so that a graph reduces in parallel (a left fold would be a chain).
 *
 * @module
 */

import type { Task } from "../../actors/pool/tasks.ts";
import { Delayed, delayed, type Lazy } from "./delayed.ts";

/**
 * Combine `items` pairwise with `task` (which takes two values and returns
 * one), level by level, into one delayed value. Items may be values or
 * delayed values; an odd one out at a level moves up as it is (so a single
 * delayed value is returned as it is).
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, delayed, treeReduce } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   add: (a: number, b: number) => a + b,
 * });
 * const total = treeReduce(t.add, [1, 2, 3, 4, 5].map((x) => delayed(t.square)(x)));
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "inline" });
 * assert.deepEqual(await scheduler.compute(total), [55]);
 * ```
 */
export function treeReduce<T>(
  task: Task<[T, T], T | Promise<T>>,
  items: readonly Lazy<T>[],
): Delayed<T> {
  if (items.length === 0) {
    throw new RangeError("treeReduce needs at least one item");
  }
  const combine = delayed(task) as unknown as (
    a: Lazy<T>,
    b: Lazy<T>,
  ) => Delayed<T>;
  let layer = items.slice() as Lazy<T>[];
  while (layer.length > 1) {
    const next: Lazy<T>[] = [];
    for (let i = 0; i + 1 < layer.length; i += 2) {
      next.push(combine(layer[i], layer[i + 1]));
    }
    if (layer.length % 2 === 1) next.push(layer[layer.length - 1]);
    layer = next;
  }
  if (!(layer[0] instanceof Delayed)) {
    throw new TypeError(
      "treeReduce of one plain value: there is nothing to compute",
    );
  }
  return layer[0] as Delayed<T>;
}
