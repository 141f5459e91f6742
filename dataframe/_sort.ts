/**
 * Sorting rows: each key column becomes numbers that order as its values
 * do (strings by the rank of their dictionary value), then one index sort.
 * Nulls sort last; ties keep their order.
 *
 * @module
 */

import { dictValues } from "./_dict.ts";
import { floats } from "./_eval.ts";
import { bit, type Column, columnOf, type Part } from "./_part.ts";

/** Numbers that order as `col`'s values do (NaN for nulls). */
export function sortKey(col: Column, n: number): Float64Array {
  let out: Float64Array;
  if (col.type === "string") {
    const values = dictValues(col.dict!);
    const order = values.map((_, j) => j).sort((a, b) =>
      values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0
    );
    const rank = new Float64Array(values.length);
    order.forEach((j, r) => rank[j] = r);
    out = new Float64Array(n);
    const idx = col.data as Int32Array;
    for (let i = 0; i < n; i++) out[i] = rank[idx[i]];
  } else {
    const f = floats(col, n);
    out = f === col.data ? f.slice(0, n) : f;
  }
  if (col.valid !== null) {
    for (let i = 0; i < n; i++) if (!bit(col.valid, i)) out[i] = NaN;
  }
  return out;
}

/** Row indexes of `part` in the order of columns `by` (ascending per flag). */
export function argsort(
  part: Part,
  by: readonly string[],
  ascending: readonly boolean[],
): Int32Array {
  const n = part.length;
  const keys = by.map((name) => sortKey(columnOf(part, name), n));
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const x = keys[k][a], y = keys[k][b];
      if (x === y || (x !== x && y !== y)) continue;
      // NaN (null) last whatever the direction.
      if (x !== x) return 1;
      if (y !== y) return -1;
      return (x < y ? -1 : 1) * (ascending[k] ? 1 : -1);
    }
    return a - b;
  });
  return idx;
}

/** Compare two key values: numbers and strings in order, nulls last. */
export function compareValues(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (x === null || x === undefined || x !== x) return 1;
  if (y === null || y === undefined || y !== y) return -1;
  return (x as number) < (y as number) ? -1 : 1;
}

/** Compare two rows of key values (ascending per flag, nulls last). */
export function compareTuples(
  a: readonly unknown[],
  b: readonly unknown[],
  ascending: readonly boolean[],
): number {
  for (let k = 0; k < a.length; k++) {
    const c = compareValues(a[k], b[k]);
    if (c === 0) continue;
    const nulls = a[k] === null || b[k] === null;
    return nulls ? c : c * (ascending[k] ? 1 : -1);
  }
  return 0;
}

/**
 * The `parts - 1` boundaries that split sampled key rows into `parts`
 * ranges of about equal size, in order.
 */
export function boundaries(
  samples: readonly (readonly unknown[])[],
  ascending: readonly boolean[],
  parts: number,
): unknown[][] {
  const sorted = samples.slice().sort((a, b) => compareTuples(a, b, ascending));
  const out: unknown[][] = [];
  for (let p = 1; p < parts && sorted.length > 0; p++) {
    out.push(
      sorted[
        Math.min(sorted.length - 1, Math.floor((p * sorted.length) / parts))
      ].slice(),
    );
  }
  return out;
}

/** Which range of `bounds` the key row `t` falls in (0..bounds.length). */
export function rangeOf(
  t: readonly unknown[],
  bounds: readonly (readonly unknown[])[],
  ascending: readonly boolean[],
): number {
  let lo = 0, hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareTuples(t, bounds[mid], ascending) < 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
