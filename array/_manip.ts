/**
 * Changing an array's layout: `reshape` (only where the chunks allow, with
 * no copy), `rechunk` (free for generated arrays, views where the new
 * chunks refine the old, else one task per new chunk from the pieces of
 * the old ones that it overlaps), `concatenate` and `stack`.
 *
 * @module
 */

import { checkDType, itemSize, promote, type TypedArray } from "./_dtype.ts";
import { ChunkError, ShapeMismatchError, showShape } from "./_errors.ts";
import {
  blockIndices,
  chunkAt,
  type ChunksOption,
  flatIndex,
  normalizeChunks,
  offsets,
  refine,
  sameChunks,
  sizeOf,
} from "./_chunks.ts";
import {
  asSource,
  type Expr,
  fromSource,
  identityMap,
  type Lazy,
  lazy,
  leavesOf,
  type Source,
} from "./_expr.ts";
import { astype } from "./_elementwise.ts";
import { sliceLazy } from "./_slicing.ts";
import { blockKey, materialize } from "./_lower.ts";
import { blockKernels, type Piece } from "./_kernels.ts";
import { taskNode, tokenize } from "./_graph.ts";

/** Whether no leaf of `x` reads a source (generators and constants only). */
function generated(x: Lazy): boolean {
  return leavesOf(x.expr).every((l) => l.t === "gen");
}

/** `x` with other chunks and the same expression (valid when `generated`). */
function withChunks(x: Lazy, chunks: number[][]): Lazy {
  return lazy(x.name, x.shape, x.dtype, chunks, x.expr);
}

/** The shape `shape` asks for (one -1 inferred), checked against `size`. */
function resolveShape(
  from: readonly number[],
  shape: readonly number[],
): number[] {
  const size = sizeOf(from);
  const free = shape.filter((d) => d === -1).length;
  if (
    free > 1 ||
    shape.some((d) => !(Number.isInteger(d) && (d >= 0 || d === -1)))
  ) {
    throw new ShapeMismatchError(
      "reshape",
      from,
      shape,
      "sizes must be integers >= 0, with at most one -1",
    );
  }
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const out = shape.map((
    d,
  ) => (d === -1 ? (known === 0 ? 0 : size / known) : d));
  if (sizeOf(out) !== size || out.some((d) => !Number.isInteger(d))) {
    throw new ShapeMismatchError(
      "reshape",
      from,
      shape,
      `${size} elements cannot take that shape`,
    );
  }
  return out;
}

/**
 * The chunks of `x` reshaped to `shape`, grouping axes whose products
 * match; within a group only the first axis longer than 1 may have
 * several chunks, and they must split evenly into the new axes.
 */
function reshapedChunks(x: Lazy, shape: readonly number[]): number[][] {
  const from = x.shape;
  const out: number[][] = shape.map((d) => [d]);
  let i = 0;
  let j = 0;
  while (i < from.length || j < shape.length) {
    // Axes of size 1 are groups of their own.
    if (i < from.length && from[i] === 1) {
      i++;
      continue;
    }
    if (j < shape.length && shape[j] === 1) {
      j++;
      continue;
    }
    const I = [i];
    const O = [j];
    let pin = from[i++];
    let pout = shape[j++];
    while (pin !== pout) {
      if (pin < pout) {
        I.push(i);
        pin *= from[i++];
      } else {
        O.push(j);
        pout *= shape[j++];
      }
    }
    const lead = I[0];
    for (const a of I.slice(1)) {
      if (x.chunks[a].length > 1) {
        throw new ChunkError(
          a,
          `reshape from ${showShape(from)} to ${
            showShape(shape)
          } needs this axis in one chunk (it has ${
            x.chunks[a].length
          }): rechunk it first`,
        );
      }
    }
    const after = I.slice(1).reduce((n, a) => n * from[a], 1);
    const inner = O.slice(1).reduce((n, a) => n * shape[a], 1);
    const flat = x.chunks[lead].map((c) => c * after);
    if (flat.some((c) => c % inner !== 0)) {
      throw new ChunkError(
        lead,
        `reshape from ${showShape(from)} to ${showShape(shape)}: chunks [${
          x.chunks[lead].join(", ")
        }] do not split into whole rows of ${inner} elements; rechunk first`,
      );
    }
    out[O[0]] = flat.map((c) => c / inner);
  }
  return out;
}

/** `x` in another shape (see `ChunkedArray.reshape`). */
export function reshapeLazy(x: Lazy, requested: readonly number[]): Lazy {
  const shape = resolveShape(x.shape, requested);
  if (
    shape.length === x.shape.length && shape.every((d, a) => d === x.shape[a])
  ) return x;
  if (sizeOf(shape) === 0) {
    return lazy("reshape", shape, x.dtype, shape.map((d) => [d]), {
      t: "const",
      dtype: x.dtype,
      value: 0,
    });
  }
  // Generators keyed by the flat index reshape for free.
  const leaves = leavesOf(x.expr);
  if (
    leaves.every((l) =>
      l.t === "gen" && l.origin.length === x.shape.length &&
      l.origin.every((d, a) => d === x.shape[a]) &&
      l.map.every((m, a) => m.out === a && m.start === 0 && m.step === 1)
    )
  ) {
    let chunks: number[][];
    try {
      chunks = reshapedChunks(x, shape);
    } catch {
      chunks = normalizeChunks("auto", shape, itemSize(x.dtype));
    }
    const memo = new Map<Expr, Expr>();
    const move = (e: Expr): Expr => {
      const done = memo.get(e);
      if (done !== undefined) return done;
      const r: Expr = e.t === "gen"
        ? {
          t: "gen",
          desc: e.desc,
          origin: shape,
          map: identityMap(shape.length),
        }
        : e.t === "op"
        ? { t: "op", op: e.op, dtype: e.dtype, args: e.args.map(move) }
        : e;
      memo.set(e, r);
      return r;
    };
    return lazy(x.name, shape, x.dtype, chunks, move(x.expr));
  }
  const chunks = reshapedChunks(x, shape);
  const src = materialize(x);
  return fromSource({
    name: src.name,
    token: tokenize("reshape", src.token, shape.join(",")),
    shape,
    dtype: src.dtype,
    chunks,
    blocks: src.blocks,
  });
}

/** `x` in the chunks `option` gives (see `ChunkedArray.rechunk`). */
export function rechunkLazy(x: Lazy, option: ChunksOption): Lazy {
  const chunks = normalizeChunks(option, x.shape, itemSize(x.dtype));
  if (sameChunks(chunks, x.chunks)) return x;
  if (generated(x)) return withChunks(x, chunks);
  const refines = chunks.every((c, a) =>
    sameChunks([refine([c, x.chunks[a]])], [c])
  );
  if (refines) {
    // Each new chunk inside one old chunk: a view, fused into what reads it.
    return lazy("rechunk", x.shape, x.dtype, chunks, x.expr);
  }
  const src = materialize(x);
  const token = tokenize(
    "rechunk",
    src.token,
    chunks.map((c) => c.join(",")).join(";"),
  );
  const oldBounds = src.chunks.map(offsets);
  const newBounds = chunks.map(offsets);
  const oldGrid = src.chunks.map((c) => c.length);
  const blocks: unknown[] = [];
  for (const bi of blockIndices(chunks.map((c) => c.length))) {
    // Per axis, the old chunks this new chunk overlaps and the overlaps.
    const spans = bi.map((b, a) => {
      const lo = newBounds[a][b];
      const hi = newBounds[a][b + 1];
      const list: { oi: number; from: number; to: number; size: number }[] = [];
      if (hi === lo) return [{ oi: 0, from: 0, to: 0, size: 0 }];
      for (
        let oi = chunkAt(oldBounds[a], lo);
        oi < src.chunks[a].length && oldBounds[a][oi] < hi;
        oi++
      ) {
        const s = Math.max(lo, oldBounds[a][oi]);
        const e = Math.min(hi, oldBounds[a][oi + 1]);
        list.push({ oi, from: s - oldBounds[a][oi], to: s - lo, size: e - s });
      }
      return list;
    });
    const pieces: Piece[] = [];
    const refs: unknown[] = [];
    for (const pick of blockIndices(spans.map((s) => s.length))) {
      const parts = pick.map((p, a) => spans[a][p]);
      const oi = parts.map((p) => p.oi);
      pieces.push({
        shape: oi.map((o, a) => src.chunks[a][o]),
        from: parts.map((p) => p.from),
        to: parts.map((p) => p.to),
        size: parts.map((p) => p.size),
      });
      refs.push(src.blocks[flatIndex(oi, oldGrid)]);
    }
    const shape = bi.map((b, a) => chunks[a][b]);
    blocks.push(
      taskNode<TypedArray>(
        blockKey("rechunk", token, bi),
        blockKernels.rechunk,
        [
          shape,
          x.dtype,
          pieces,
          ...refs,
        ],
      ),
    );
  }
  return fromSource({
    name: "rechunk",
    token,
    shape: x.shape,
    dtype: x.dtype,
    chunks,
    blocks,
  });
}

/** `arrays` joined along `axis` (see `concatenate`). */
export function concatenateLazy(arrays: readonly Lazy[], axis = 0): Lazy {
  if (arrays.length === 0) {
    throw new TypeError("concatenate needs at least one array");
  }
  const first = arrays[0];
  const nd = first.shape.length;
  if (nd === 0) {
    throw new ShapeMismatchError(
      "concatenate",
      first.shape,
      first.shape,
      "0-d arrays cannot be joined",
    );
  }
  const ax = axis < 0 ? axis + nd : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= nd) {
    throw new ShapeMismatchError(
      "concatenate",
      first.shape,
      first.shape,
      `no axis ${axis}`,
    );
  }
  for (const x of arrays) {
    if (
      x.shape.length !== nd ||
      x.shape.some((d, a) => a !== ax && d !== first.shape[a])
    ) {
      throw new ShapeMismatchError(
        "concatenate",
        first.shape,
        x.shape,
        `all axes but ${ax} must match`,
      );
    }
  }
  const dtype = arrays.map((x) => x.dtype).reduce(promote);
  checkDType(dtype);
  // Common chunks on the other axes, then each array's blocks in order.
  const common = first.shape.map((_, a) =>
    a === ax ? [] : refine(arrays.map((x) => x.chunks[a]))
  );
  const sources: Source[] = arrays.map((x) => {
    const y = astype(x, dtype);
    const c = y.chunks.map((own, a) => (a === ax ? [...own] : common[a]));
    const z = rechunkLazy(y, c);
    return asSource(z) ?? materialize(z);
  });
  const chunks = common.map((c, a) =>
    a === ax ? sources.flatMap((s) => s.chunks[ax].filter((n) => n > 0)) : c
  );
  if (chunks[ax].length === 0) chunks[ax] = [0];
  const shape = first.shape.map((d, a) =>
    a === ax ? arrays.reduce((n, x) => n + x.shape[ax], 0) : d
  );
  const token = tokenize("concatenate", ax, ...sources.map((s) => s.token));
  const grid = chunks.map((c) => c.length);
  const owners: { s: Source; at: number }[] = [];
  for (const s of sources) {
    s.chunks[ax].forEach((n, i) => {
      if (n > 0 || chunks[ax][0] === 0) owners.push({ s, at: i });
    });
  }
  const blocks: unknown[] = [];
  for (const bi of blockIndices(grid)) {
    const { s, at } = owners[bi[ax]] ?? owners[0];
    const own = bi.map((b, a) => (a === ax ? at : b));
    blocks.push(s.blocks[flatIndex(own, s.chunks.map((c) => c.length))]);
  }
  return fromSource({
    name: "concatenate",
    token,
    shape,
    dtype,
    chunks,
    blocks,
  });
}

/** `arrays` stacked along a new axis `axis` (see `stack`). */
export function stackLazy(arrays: readonly Lazy[], axis = 0): Lazy {
  if (arrays.length === 0) {
    throw new TypeError("stack needs at least one array");
  }
  const nd = arrays[0].shape.length;
  const ax = axis < 0 ? axis + nd + 1 : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax > nd) {
    throw new ShapeMismatchError(
      "stack",
      arrays[0].shape,
      arrays[0].shape,
      `no axis ${axis} for the result`,
    );
  }
  for (const x of arrays) {
    if (
      x.shape.length !== nd || x.shape.some((d, a) => d !== arrays[0].shape[a])
    ) {
      throw new ShapeMismatchError(
        "stack",
        arrays[0].shape,
        x.shape,
        "all shapes must be equal",
      );
    }
  }
  const index = [...Array(ax).fill(":"), null, "..."];
  return concatenateLazy(arrays.map((x) => sliceLazy(x, index)), ax);
}
