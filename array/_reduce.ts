/**
 * Reductions as three stages, Dask's `reduction(chunk, combine, aggregate)`:
 * `partialOf` reduces one chunk (computed by its fused program, row by row,
 * into a scratch block reused by every task of the isolate) to a small
 * partial state; `combine` merges partials (a tree of them); `finish` turns
 * one into the result. A sum or mean over all axes runs inside the
 * program's own loop (runs of at most 4096 values added in order, the runs
 * pairwise); a sum of a held float64 chunk reads it in place, 64K-element
 * blocks with eight accumulators, the blocks pairwise; variances merge
 * (count, mean, M2) with Chan's formula, a block at a time, after a
 * two-pass mean and M2 of the block. The kernels that reduce a block, and
 * the partial's shape, are in `_reduce_kernels.ts`; this file walks a
 * chunk's rows and cells into them.
 *
 * @module
 */

import { allocate, castValue, type DType, type TypedArray } from "./_dtype.ts";
import { type ChunkSpec, type Prog, runner } from "./_program.ts";
import {
  beats,
  foldOne,
  fresh,
  Pairwise,
  type Partial,
  reduceInto,
  type ReductionKind,
} from "./_reduce_kernels.ts";

export type { Partial, ReductionKind };

/** What a reduction task is told (plain data). */
export interface Reduction {
  kind: ReductionKind;
  /** The reduced axes of the array, ascending. */
  axes: number[];
  /** Delta degrees of freedom (var, std). */
  ddof: number;
  /** The result dtype. */
  dtype: DType;
  /** The array's shape (for the flat index of argmin/argmax over all axes). */
  shape: number[];
}

const CAP = 65536;
/** The longest run a fused sum adds in order (then pairwise). */
const SUM_RUN = 4096;
let scratch = new Float64Array(0);

function scratchBlock(): Float64Array {
  if (scratch.length < CAP) scratch = new Float64Array(CAP);
  return scratch;
}

/**
 * The source chunk itself when the program only reads one float64 chunk
 * whole, in order (a sum of held data): it can be reduced in place.
 */
function contiguous(
  prog: Prog,
  spec: ChunkSpec,
  srcs: readonly (TypedArray | undefined)[],
  total: number,
): Float64Array | undefined {
  if (prog.code.length !== 1 || prog.leaves.length !== 1) return undefined;
  const src = srcs[0];
  if (
    !(src instanceof Float64Array) || src.length !== total || spec.base[0] !== 0
  ) {
    return undefined;
  }
  let stride = 1;
  const c = spec.coefs[0];
  for (let a = spec.shape.length - 1; a >= 0; a--) {
    if (spec.shape[a] > 1 && c[a] !== stride) return undefined;
    stride *= spec.shape[a];
  }
  return src;
}

/**
 * The partial result of one chunk: its program's values, reduced over
 * `red.axes`. `origin` is the chunk's position in the array.
 */
export function partialOf(
  prog: Prog,
  spec: ChunkSpec,
  srcs: readonly (TypedArray | undefined)[],
  red: Reduction,
  origin: readonly number[],
): Partial {
  const run = runner(prog, spec, srcs);
  const shape = spec.shape;
  const nd = shape.length;
  const reduced = new Array<boolean>(nd).fill(false);
  for (const a of red.axes) reduced[a] = true;
  // Cells: the kept axes of the chunk, in C order.
  const cellStride = new Array<number>(nd).fill(0);
  let cells = 1;
  for (let a = nd - 1; a >= 0; a--) {
    if (!reduced[a]) {
      cellStride[a] = cells;
      cells *= shape[a];
    }
  }
  const p = fresh(red.kind, cells);
  const counts = new Float64Array(cells);
  const x = scratchBlock();
  const L = run.rowLength;
  const total = run.rows * L;
  p.n = cells === 0 ? 0 : total / cells;
  if (total === 0) return p;
  const arrayStrides = new Array<number>(nd);
  {
    let acc = 1;
    for (let a = nd - 1; a >= 0; a--) {
      arrayStrides[a] = acc;
      acc *= red.shape[a];
    }
  }
  const idx = new Array<number>(nd).fill(0);
  const setRow = (r: number) => {
    for (let a = nd - 2; a >= 0; a--) {
      idx[a] = r % shape[a];
      r = (r - idx[a]) / shape[a];
    }
  };
  const allAxes = cells === 1 && red.axes.length === nd;
  const whole = allAxes && red.kind !== "argmin" && red.kind !== "argmax"
    ? contiguous(prog, spec, srcs, total)
    : undefined;
  if (whole !== undefined) {
    // The chunk as it is, read in place: no copy to reduce it.
    const pairs = red.kind === "sum" || red.kind === "mean"
      ? new Pairwise()
      : undefined;
    for (let at = 0; at < total; at += CAP) {
      const n = Math.min(CAP, total - at);
      reduceInto(
        red.kind,
        p,
        0,
        whole.subarray(at, at + n),
        n,
        () => 0,
        counts,
        pairs,
      );
    }
    if (pairs !== undefined) p.v[0] = pairs.total();
    return p;
  }
  if (allAxes && (red.kind === "sum" || red.kind === "mean")) {
    // Sums fused into the program's loop: no scratch block, runs of at most
    // SUM_RUN elements added in order, the runs pairwise.
    const pairs = new Pairwise();
    for (let r = 0; r < run.rows; r++) {
      for (let j0 = 0; j0 < L; j0 += SUM_RUN) {
        pairs.push(run.sum(r, j0, Math.min(SUM_RUN, L - j0)));
      }
    }
    p.v[0] = pairs.total();
    return p;
  }
  if (allAxes) {
    // Fill whole blocks of rows; indices (argmin/argmax) by row.
    const pairs = red.kind === "sum" || red.kind === "mean"
      ? new Pairwise()
      : undefined;
    const rowAt: number[] = [];
    const rowFlat: number[] = [];
    let fillN = 0;
    const flatOf = (j: number) => {
      let i = rowAt.length - 1;
      while (rowAt[i] > j) i--;
      return rowFlat[i] + (j - rowAt[i]);
    };
    const flush = () => {
      if (fillN === 0) return;
      reduceInto(red.kind, p, 0, x, fillN, flatOf, counts, pairs);
      fillN = 0;
      rowAt.length = 0;
      rowFlat.length = 0;
    };
    for (let r = 0; r < run.rows; r++) {
      let flat0 = 0;
      if (red.kind === "argmin" || red.kind === "argmax") {
        setRow(r);
        for (let a = 0; a < nd - 1; a++) {
          flat0 += (origin[a] + idx[a]) * arrayStrides[a];
        }
        if (nd > 0) flat0 += origin[nd - 1];
      }
      for (let j0 = 0; j0 < L;) {
        if (fillN === CAP) flush();
        const count = Math.min(L - j0, CAP - fillN);
        rowAt.push(fillN);
        rowFlat.push(flat0 + j0);
        run.fill(r, j0, count, x, fillN);
        fillN += count;
        j0 += count;
      }
    }
    flush();
    if (pairs !== undefined) p.v[0] = pairs.total();
    return p;
  }
  const lastReduced = nd > 0 && reduced[nd - 1];
  // argmin/argmax reduce one axis: the element's index along it.
  const argAxis = red.axes[0];
  for (let r = 0; r < run.rows; r++) {
    setRow(r);
    let c0 = 0;
    for (let a = 0; a < nd - 1; a++) c0 += idx[a] * cellStride[a];
    for (let j0 = 0; j0 < L; j0 += CAP) {
      const count = Math.min(L - j0, CAP);
      run.fill(r, j0, count, x, 0);
      if (lastReduced) {
        const along = origin[nd - 1] + j0;
        reduceInto(
          red.kind,
          p,
          c0,
          x,
          count,
          (j) => along + j,
          counts,
          undefined,
        );
      } else {
        const ix = origin[argAxis] + (argAxis < nd - 1 ? idx[argAxis] : 0);
        for (let j = 0; j < count; j++) {
          foldOne(red.kind, p, c0 + j0 + j, x[j], ix, counts);
        }
      }
    }
  }
  return p;
}

/** Merge partials of the same cells, in the order of their chunks. */
export function combine(
  kind: ReductionKind,
  parts: readonly Partial[],
): Partial {
  const first = parts[0];
  const cells = first.v.length;
  const out = fresh(kind, cells);
  const counts = new Float64Array(cells);
  for (const p of parts) {
    if (p.n === 0) continue;
    for (let c = 0; c < cells; c++) {
      const x = p.v[c];
      switch (kind) {
        case "sum":
        case "mean":
          out.v[c] += x;
          break;
        case "prod":
          out.v[c] *= x;
          break;
        case "min":
        case "max":
          if (
            out.v[c] === out.v[c] &&
            (x !== x || (kind === "min" ? x < out.v[c] : x > out.v[c]))
          ) {
            out.v[c] = x;
          }
          break;
        case "argmin":
        case "argmax":
          if (
            p.w![c] >= 0 &&
            beats(kind === "argmax", x, p.w![c], out.v[c], out.w![c])
          ) {
            out.v[c] = x;
            out.w![c] = p.w![c];
          }
          break;
        case "any":
          if (x !== 0) out.v[c] = 1;
          break;
        case "all":
          if (x === 0) out.v[c] = 0;
          break;
        case "var":
        case "std": {
          const na = counts[c];
          const total = na + p.n;
          const delta = x - out.v[c];
          out.v[c] += delta * p.n / total;
          out.w![c] += p.w![c] + delta * delta * na * p.n / total;
          counts[c] = total;
          break;
        }
      }
    }
    out.n += p.n;
  }
  return out;
}

/** The value of cell `c` of a (combined) partial. */
function valueOf(red: Reduction, p: Partial, c: number): number {
  switch (red.kind) {
    case "mean":
      return p.n === 0 ? NaN : p.v[c] / p.n;
    case "var":
      return p.n - red.ddof <= 0 ? NaN : p.w![c] / (p.n - red.ddof);
    case "std":
      return p.n - red.ddof <= 0 ? NaN : Math.sqrt(p.w![c] / (p.n - red.ddof));
    case "argmin":
    case "argmax":
      return p.w![c];
    default:
      return p.v[c];
  }
}

/** The finished result: a number (all axes reduced) or the result chunk. */
export function finish(
  red: Reduction,
  parts: readonly Partial[],
  asNumber: boolean,
): number | TypedArray {
  const p = parts.length === 1 ? parts[0] : combine(red.kind, parts);
  if (asNumber) return castValue(red.dtype, valueOf(red, p, 0));
  const out = allocate(red.dtype, p.v.length);
  for (let c = 0; c < out.length; c++) out[c] = valueOf(red, p, c);
  return out;
}
