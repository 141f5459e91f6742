/**
 * Copy a box of elements between C-order chunks: what rechunking and
 * assembling do, a row at a time.
 *
 * @module
 */

import type { TypedArray } from "./_dtype.ts";
import { stridesOf } from "./_chunks.ts";

/**
 * Copy the box of `size` at `srcLo` in `src` (shape `srcShape`) to
 * `dstLo` in `dst` (shape `dstShape`).
 */
export function copyBox(
  dst: TypedArray,
  dstShape: readonly number[],
  dstLo: readonly number[],
  src: TypedArray,
  srcShape: readonly number[],
  srcLo: readonly number[],
  size: readonly number[],
): void {
  const nd = size.length;
  if (size.some((s) => s === 0)) return;
  if (nd === 0) {
    dst[0] = src[0];
    return;
  }
  const ds = stridesOf(dstShape);
  const ss = stridesOf(srcShape);
  const row = size[nd - 1];
  let rows = 1;
  for (let a = 0; a < nd - 1; a++) rows *= size[a];
  const idx = new Array<number>(nd - 1).fill(0);
  const same = dst.constructor === src.constructor;
  for (let r = 0; r < rows; r++) {
    let d = dstLo[nd - 1];
    let s = srcLo[nd - 1];
    for (let a = 0; a < nd - 1; a++) {
      d += (dstLo[a] + idx[a]) * ds[a];
      s += (srcLo[a] + idx[a]) * ss[a];
    }
    if (same) dst.set(src.subarray(s, s + row), d);
    else for (let j = 0; j < row; j++) dst[d + j] = src[s + j];
    for (let a = nd - 2; a >= 0; a--) {
      if (++idx[a] < size[a]) break;
      idx[a] = 0;
    }
  }
}
