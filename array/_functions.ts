/**
 * Functions over several arrays, as `dask.array`'s: `concatenate`,
 * `stack`, `where`, `matmul`.
 *
 * @module
 */

import { type ArrayLike, ChunkedArray, lazyOf, operand } from "./_array.ts";
import { concatenateLazy, stackLazy } from "./_manip.ts";
import { elementwise } from "./_elementwise.ts";
import { matmulLazy } from "./_matmul.ts";

/**
 * Join arrays along an existing axis (default 0); their other axes must
 * match (the error names both shapes).
 *
 * @example
 * ```ts
 * import { concatenate, ones, zeros } from "@troupe/troupe/array";
 * const x = concatenate([ones([2, 3]), zeros([4, 3])]);
 * console.log(x.shape, await x.sum().compute({ placement: "inline" })); // [6, 3] 6
 * ```
 */
export function concatenate(
  arrays: readonly ChunkedArray[],
  axis = 0,
): ChunkedArray {
  return new ChunkedArray(concatenateLazy(arrays.map(lazyOf), axis));
}

/**
 * Join arrays of one shape along a new axis (default 0).
 *
 * @example
 * ```ts
 * import { ones, stack } from "@troupe/troupe/array";
 * console.log(stack([ones([3]), ones([3])], 1).shape); // [3, 2]
 * ```
 */
export function stack(arrays: readonly ChunkedArray[], axis = 0): ChunkedArray {
  return new ChunkedArray(stackLazy(arrays.map(lazyOf), axis));
}

/**
 * `x` where `condition` is true, else `y` (broadcast together).
 *
 * @example
 * ```ts
 * import { arange, where } from "@troupe/troupe/array";
 * const x = arange(6);
 * console.log(await where(x.lt(3), x, 0).sum().compute({ placement: "inline" })); // 3
 * ```
 */
export function where(
  condition: ArrayLike,
  x: ArrayLike,
  y: ArrayLike,
): ChunkedArray {
  return new ChunkedArray(
    elementwise("where", [operand(condition), operand(x), operand(y)]),
  );
}

/**
 * Matrix product of two arrays (see `ChunkedArray.matmul`).
 *
 * @example
 * ```ts
 * import { matmul, ones } from "@troupe/troupe/array";
 * console.log(matmul(ones([2, 3]), ones([3])).shape); // [2]
 * ```
 */
export function matmul(a: ChunkedArray, b: ChunkedArray): ChunkedArray {
  return new ChunkedArray(matmulLazy(lazyOf(a), lazyOf(b)));
}
