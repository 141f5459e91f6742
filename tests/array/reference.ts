/**
 * Plain in-memory computations the array tests check against: n-d data as
 * (shape, flat values) with NumPy's broadcasting, reductions and slicing,
 * one element at a time, with nothing of the array package in them.
 *
 * @module
 */

import { seeded } from "../helpers.ts";

/** A plain array: shape and C-order values. */
export interface Plain {
  shape: number[];
  values: number[];
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function strides(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let a = shape.length - 2; a >= 0; a--) s[a] = s[a + 1] * shape[a + 1];
  return s;
}

/** Every index of `shape`, in C order. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const n = size(shape);
  const idx = shape.map(() => 0);
  for (let i = 0; i < n; i++) {
    yield idx.slice();
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}

/** Random values in [lo, hi), integers if `int`. */
export function randomPlain(
  shape: number[],
  seed: number,
  lo = -5,
  hi = 5,
  int = false,
): Plain {
  const r = seeded(seed);
  const values = Array.from({ length: size(shape) }, () => {
    const v = lo + (hi - lo) * r();
    return int ? Math.floor(v) : v;
  });
  return { shape, values };
}

export function at(p: Plain, idx: readonly number[]): number {
  const s = strides(p.shape);
  let f = 0;
  for (let a = 0; a < idx.length; a++) f += idx[a] * s[a];
  return p.values[f];
}

/** NumPy broadcasting of `f` over plain arrays (numbers broadcast too). */
export function map(
  f: (...xs: number[]) => number,
  ...args: (Plain | number)[]
): Plain {
  const shapes = args.filter((a): a is Plain => typeof a !== "number").map((
    a,
  ) => a.shape);
  const nd = Math.max(...shapes.map((s) => s.length));
  const shape = Array.from(
    { length: nd },
    (_, i) => Math.max(...shapes.map((s) => s[s.length - nd + i] ?? 1)),
  );
  const values: number[] = [];
  for (const idx of indices(shape)) {
    values.push(f(...args.map((a) => {
      if (typeof a === "number") return a;
      const off = nd - a.shape.length;
      return at(a, a.shape.map((d, i) => (d === 1 ? 0 : idx[i + off])));
    })));
  }
  return { shape, values };
}

/** Reduce over `axes` (all when undefined) with `f` on each group's values. */
export function reduce(
  p: Plain,
  f: (xs: number[]) => number,
  axes?: number[],
): Plain {
  const nd = p.shape.length;
  const red = axes ?? p.shape.map((_, a) => a);
  const kept = p.shape.map((_, a) => a).filter((a) => !red.includes(a));
  const shape = kept.map((a) => p.shape[a]);
  const groups = new Map<string, number[]>();
  for (const idx of indices(p.shape)) {
    const k = kept.map((a) => idx[a]).join(",");
    let g = groups.get(k);
    if (g === undefined) groups.set(k, g = []);
    g.push(at(p, idx));
  }
  const values: number[] = [];
  for (const idx of indices(shape)) {
    values.push(f(groups.get(idx.join(",")) ?? []));
  }
  void nd;
  return { shape, values };
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
export const mean = (xs: number[]): number => sum(xs) / xs.length;
export const variance = (ddof = 0): (xs: number[]) => number => (xs) => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - ddof);
};
export const argmax = (xs: number[]): number => xs.indexOf(Math.max(...xs));
export const argmin = (xs: number[]): number => xs.indexOf(Math.min(...xs));

/** `p` sliced per axis by index lists (an integer drops the axis). */
export function take(p: Plain, per: (number | number[])[]): Plain {
  const kept = per.filter((x): x is number[] => Array.isArray(x));
  const shape = kept.map((x) => x.length);
  const values: number[] = [];
  for (const idx of indices(shape)) {
    let k = 0;
    values.push(at(p, per.map((x) => (Array.isArray(x) ? x[idx[k++]] : x))));
  }
  return { shape, values };
}

/** Python's range of a slice over `n`: the indices it selects. */
export function pyRange(
  n: number,
  start: number | null,
  stop: number | null,
  step = 1,
): number[] {
  const out: number[] = [];
  let s: number;
  let e: number;
  if (step > 0) {
    s = start === null
      ? 0
      : Math.min(Math.max(start < 0 ? start + n : start, 0), n);
    e = stop === null
      ? n
      : Math.min(Math.max(stop < 0 ? stop + n : stop, 0), n);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = start === null
      ? n - 1
      : Math.min(Math.max(start < 0 ? start + n : start, -1), n - 1);
    e = stop === null
      ? -1
      : Math.min(Math.max(stop < 0 ? stop + n : stop, -1), n - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

export function transpose(p: Plain, axes?: number[]): Plain {
  const perm = axes ?? p.shape.map((_, a) => p.shape.length - 1 - a);
  const shape = perm.map((a) => p.shape[a]);
  const values: number[] = [];
  for (const idx of indices(shape)) {
    const src = new Array<number>(shape.length);
    perm.forEach((old, i) => (src[old] = idx[i]));
    values.push(at(p, src));
  }
  return { shape, values };
}

/** Compare numbers with a relative tolerance (exact when `tol` is 0). */
export function close(actual: number, expected: number, tol = 1e-12): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}
