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
 * two-pass mean and M2 of the block.
 *
 * @module
 */

import { allocate, castValue, type DType, type TypedArray } from "./_dtype.ts";
import { type ChunkSpec, type Prog, runner } from "./_program.ts";

/** The reductions. */
export type ReductionKind =
  | "sum"
  | "prod"
  | "mean"
  | "var"
  | "std"
  | "min"
  | "max"
  | "argmin"
  | "argmax"
  | "any"
  | "all";

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

/** A partial result: per cell (a kept position), a value and maybe more. */
export interface Partial {
  /** Elements reduced into each cell. */
  n: number;
  /** Sum, product, extreme, mean (var) or truth value, per cell. */
  v: Float64Array;
  /** M2 (var, std) or the index of the extreme (argmin, argmax), per cell. */
  w?: Float64Array;
}

const CAP = 65536;
/** The longest run a fused sum adds in order (then pairwise). */
const SUM_RUN = 4096;
let scratch = new Float64Array(0);

function scratchBlock(): Float64Array {
  if (scratch.length < CAP) scratch = new Float64Array(CAP);
  return scratch;
}

/** Pairwise sum of pushed values (a binary counter of partial sums). */
class Pairwise {
  #sums: number[] = [];
  #levels: number[] = [];
  push(x: number): void {
    let level = 0;
    while (
      this.#levels.length > 0 && this.#levels[this.#levels.length - 1] === level
    ) {
      x = this.#sums.pop()! + x;
      this.#levels.pop();
      level++;
    }
    this.#sums.push(x);
    this.#levels.push(level);
  }
  total(): number {
    let s = 0;
    for (let i = this.#sums.length - 1; i >= 0; i--) s += this.#sums[i];
    return s;
  }
}

function blockSum(x: Float64Array, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = 0;
  for (; i + 7 < n; i += 8) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
    s4 += x[i + 4];
    s5 += x[i + 5];
    s6 += x[i + 6];
    s7 += x[i + 7];
  }
  for (; i < n; i++) s0 += x[i];
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

function blockM2(x: Float64Array, n: number, mean: number): number {
  let q0 = 0, q1 = 0, q2 = 0, q3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = x[i] - mean, b = x[i + 1] - mean;
    const c = x[i + 2] - mean, d = x[i + 3] - mean;
    q0 += a * a;
    q1 += b * b;
    q2 += c * c;
    q3 += d * d;
  }
  for (; i < n; i++) {
    const a = x[i] - mean;
    q0 += a * a;
  }
  return (q0 + q1) + (q2 + q3);
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

/** The identity of a reduction's cells. */
function fresh(kind: ReductionKind, cells: number): Partial {
  const v = new Float64Array(cells);
  switch (kind) {
    case "prod":
    case "all":
      v.fill(1);
      break;
    case "min":
    case "argmin":
      v.fill(Infinity);
      break;
    case "max":
    case "argmax":
      v.fill(-Infinity);
      break;
  }
  const w = kind === "var" || kind === "std"
    ? new Float64Array(cells)
    : kind === "argmin" || kind === "argmax"
    ? new Float64Array(cells).fill(-1)
    : undefined;
  return w === undefined ? { n: 0, v } : { n: 0, v, w };
}

/** Whether (x, ix) beats (v, iv) for argmin/argmax: NaN first, then ties to the lower index. */
function beats(
  max: boolean,
  x: number,
  ix: number,
  v: number,
  iv: number,
): boolean {
  if (iv < 0) return true;
  if (v !== v) return x !== x && ix < iv;
  if (x !== x) return true;
  if (max ? x > v : x < v) return true;
  return x === v && ix < iv;
}

/**
 * Reduce a block `x[0..n)` into cell `c` of `p`; `index(j)` is the index
 * (flat, or along the axis) of element `j`, for argmin/argmax. `counts`
 * holds per-cell counts while cells fill unevenly (var, std).
 */
function reduceInto(
  kind: ReductionKind,
  p: Partial,
  c: number,
  x: Float64Array,
  n: number,
  index: (j: number) => number,
  counts: Float64Array,
  pairs: Pairwise | undefined,
): void {
  const v = p.v;
  switch (kind) {
    case "sum":
    case "mean":
      if (pairs !== undefined) pairs.push(blockSum(x, n));
      else v[c] += blockSum(x, n);
      return;
    case "prod": {
      let m = v[c];
      for (let i = 0; i < n; i++) m *= x[i];
      v[c] = m;
      return;
    }
    case "min": {
      let m = v[c];
      if (m !== m) return;
      for (let i = 0; i < n; i++) {
        const a = x[i];
        if (a < m) m = a;
        else if (a !== a) {
          m = a;
          break;
        }
      }
      v[c] = m;
      return;
    }
    case "max": {
      let m = v[c];
      if (m !== m) return;
      for (let i = 0; i < n; i++) {
        const a = x[i];
        if (a > m) m = a;
        else if (a !== a) {
          m = a;
          break;
        }
      }
      v[c] = m;
      return;
    }
    case "argmin":
    case "argmax": {
      const max = kind === "argmax";
      let best = -1;
      let m = max ? -Infinity : Infinity;
      for (let i = 0; i < n; i++) {
        const a = x[i];
        if (a !== a) {
          best = i;
          m = a;
          break;
        }
        if (best < 0 || (max ? a > m : a < m)) {
          best = i;
          m = a;
        }
      }
      if (best >= 0) {
        const ix = index(best);
        if (beats(max, m, ix, v[c], p.w![c])) {
          v[c] = m;
          p.w![c] = ix;
        }
      }
      return;
    }
    case "any": {
      if (v[c] !== 0) return;
      for (let i = 0; i < n; i++) {
        if (x[i] !== 0) {
          v[c] = 1;
          return;
        }
      }
      return;
    }
    case "all": {
      if (v[c] === 0) return;
      for (let i = 0; i < n; i++) {
        if (x[i] === 0) {
          v[c] = 0;
          return;
        }
      }
      return;
    }
    case "var":
    case "std": {
      if (n === 0) return;
      const mean = blockSum(x, n) / n;
      const m2 = blockM2(x, n, mean);
      const na = counts[c];
      const total = na + n;
      const delta = mean - v[c];
      v[c] += delta * n / total;
      p.w![c] += m2 + delta * delta * na * n / total;
      counts[c] = total;
      return;
    }
  }
}

/** Fold element `x` (index `ix`) into cell `c` (kept last axis: one at a time). */
function foldOne(
  kind: ReductionKind,
  p: Partial,
  c: number,
  x: number,
  ix: number,
  counts: Float64Array,
): void {
  const v = p.v;
  switch (kind) {
    case "sum":
    case "mean":
      v[c] += x;
      return;
    case "prod":
      v[c] *= x;
      return;
    case "min":
      if (x < v[c] || x !== x) v[c] = v[c] !== v[c] ? v[c] : x;
      return;
    case "max":
      if (x > v[c] || x !== x) v[c] = v[c] !== v[c] ? v[c] : x;
      return;
    case "argmin":
    case "argmax":
      if (beats(kind === "argmax", x, ix, v[c], p.w![c])) {
        v[c] = x;
        p.w![c] = ix;
      }
      return;
    case "any":
      if (x !== 0) v[c] = 1;
      return;
    case "all":
      if (x === 0) v[c] = 0;
      return;
    case "var":
    case "std": {
      const n = ++counts[c];
      const delta = x - v[c];
      v[c] += delta / n;
      p.w![c] += delta * (x - v[c]);
      return;
    }
  }
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
