/**
 * The user kernel of the array benchmark's `held` runs, importable by
 * worker hosts: a block as it is, but through a task of its own, so that
 * its chunks are results the workers hold (a generated array's would be
 * fused into the tasks that use them).
 *
 * @module
 */

import { defineTasks } from "@troupe/troupe";
import type { NdArray } from "@troupe/troupe/array";

/** `same`: the block's data, unchanged. */
export const abt = defineTasks(import.meta.url, {
  same: (b: NdArray) => b.data,
});
