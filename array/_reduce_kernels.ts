/**
 * The kernels of reductions over blocks of float64 values: the identity of
 * each reduction's partial, a block reduced into one cell, one element
 * folded into a cell, and the pairwise sum that keeps long float sums
 * accurate. `_reduce.ts` feeds them the blocks of a chunk.
 *
 * @module
 */

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

/** A partial result: per cell (a kept position), a value and maybe more. */
export interface Partial {
  /** Elements reduced into each cell. */
  n: number;
  /** Sum, product, extreme, mean (var) or truth value, per cell. */
  v: Float64Array;
  /** M2 (var, std) or the index of the extreme (argmin, argmax), per cell. */
  w?: Float64Array;
}

/** Pairwise sum of pushed values (a binary counter of partial sums). */
export class Pairwise {
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

/** The identity of a reduction's cells. */
export function fresh(kind: ReductionKind, cells: number): Partial {
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
export function beats(
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
export function reduceInto(
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
export function foldOne(
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
