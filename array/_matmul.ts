/**
 * Blocked matrix product: block (i, j) of the result is one task that sums
 * A[i, p] @ B[p, j] over p, the inner chunks made common first (views, no
 * copy, where one chunking refines the other).
 *
 * @module
 */

import { promote, type TypedArray } from "./_dtype.ts";
import { ShapeMismatchError } from "./_errors.ts";
import { flatIndex, refine } from "./_chunks.ts";
import { fromSource, type Lazy } from "./_expr.ts";
import { blockKey, materialize } from "./_lower.ts";
import { rechunkLazy, reshapeLazy } from "./_manip.ts";
import { sliceLazy } from "./_slicing.ts";
import { blockKernels } from "./_kernels.ts";
import { taskNode, tokenize } from "./_graph.ts";

/** `a @ b` for 2-d arrays, or 1-d vectors as NumPy's matmul takes them. */
export function matmulLazy(a: Lazy, b: Lazy): Lazy {
  const na = a.shape.length;
  const nb = b.shape.length;
  if (na < 1 || na > 2 || nb < 1 || nb > 2) {
    throw new ShapeMismatchError(
      "matmul",
      a.shape,
      b.shape,
      "troupe's matmul takes 2-d arrays and 1-d vectors",
    );
  }
  const A = na === 1 ? sliceLazy(a, [null, ":"]) : a;
  const B = nb === 1 ? sliceLazy(b, [":", null]) : b;
  const [m, k] = A.shape;
  const [k2, n] = B.shape;
  if (k !== k2) {
    throw new ShapeMismatchError(
      "matmul",
      a.shape,
      b.shape,
      `inner sizes ${k} and ${k2} differ`,
    );
  }
  const inner = refine([A.chunks[1], B.chunks[0]]);
  const sa = materialize(rechunkLazy(A, [A.chunks[0] as number[], inner]));
  const sb = materialize(rechunkLazy(B, [inner, B.chunks[1] as number[]]));
  const dtype = promote(a.dtype, b.dtype);
  const token = tokenize("matmul", sa.token, sb.token);
  const gi = sa.chunks[0].length;
  const gk = inner.length;
  const gj = sb.chunks[1].length;
  const blocks: unknown[] = [];
  for (let i = 0; i < gi; i++) {
    for (let j = 0; j < gj; j++) {
      const as: unknown[] = [];
      const bs: unknown[] = [];
      for (let p = 0; p < gk; p++) {
        as.push(sa.blocks[flatIndex([i, p], [gi, gk])]);
        bs.push(sb.blocks[flatIndex([p, j], [gk, gj])]);
      }
      blocks.push(
        taskNode<TypedArray>(
          blockKey("matmul", token, [i, j]),
          blockKernels.matmul,
          [
            { m: sa.chunks[0][i], n: sb.chunks[1][j], ks: inner, dtype },
            ...as,
            ...bs,
          ],
        ),
      );
    }
  }
  const out = fromSource({
    name: "matmul",
    token,
    shape: [m, n],
    dtype,
    chunks: [sa.chunks[0], sb.chunks[1]],
    blocks,
  });
  if (na === 1 && nb === 1) return reshapeLazy(out, []);
  if (na === 1) return reshapeLazy(out, [n]);
  if (nb === 1) return reshapeLazy(out, [m]);
  return out;
}
