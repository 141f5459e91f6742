/**
 * Slicing and transposing lazy arrays: both only change how the leaves are
 * read (the axis maps), so they fuse into the next step, and a slice keeps
 * only the chunks it touches (the others are never computed).
 *
 * @module
 */

import { ArrayIndexError } from "./_errors.ts";
import { offsets } from "./_chunks.ts";
import { type AxisMap, type Lazy, lazy, remap } from "./_expr.ts";

/**
 * A slice of one axis, as Python's `start:stop:step` (each optional;
 * negative counts from the end).
 *
 * @example
 * ```ts
 * import type { Slice } from "@troupe/troupe/array";
 * const everyOther: Slice = { step: 2 };
 * ```
 */
export interface Slice {
  /** First index (default: the start, or the end for a negative step). */
  start?: number | null;
  /** Index to stop before (default: past the end). */
  stop?: number | null;
  /** Step (default 1; not 0). */
  step?: number | null;
}

/**
 * One item of an index: an integer (drops the axis), a `Slice` or its
 * Python text (`"1:10:2"`, `":"`, `"::-1"`), `"..."` (as many `:` as
 * needed), or `null` (`newaxis`: a new axis of size 1).
 *
 * @example
 * ```ts
 * import type { IndexItem } from "@troupe/troupe/array";
 * const index: IndexItem[] = [0, "1:5", { step: -1 }, null, "..."];
 * ```
 */
export type IndexItem = number | string | Slice | null;

/** The `Slice` of Python slice text (`"a:b:c"`). */
function parseSlice(text: string, shape: readonly number[]): Slice {
  const parts = text.split(":");
  if (parts.length < 2 || parts.length > 3) {
    throw new ArrayIndexError(JSON.stringify(text), shape, undefined, "slice");
  }
  const num = (p: string) => {
    const t = p.trim();
    if (t === "") return null;
    const v = Number(t);
    if (!Number.isInteger(v)) {
      throw new ArrayIndexError(
        JSON.stringify(text),
        shape,
        undefined,
        "slice",
      );
    }
    return v;
  };
  return {
    start: num(parts[0]),
    stop: num(parts[1]),
    step: parts.length === 3 ? num(parts[2]) : null,
  };
}

/** Python's slice.indices: start, step and length over an axis of `n`. */
export function sliceIndices(
  s: Slice,
  n: number,
): { start: number; step: number; len: number } {
  const step = s.step ?? 1;
  if (!Number.isInteger(step) || step === 0) {
    throw new RangeError(
      `a slice step must be a non-zero integer, got ${step}`,
    );
  }
  for (const v of [s.start, s.stop]) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) {
      throw new RangeError(`slice bounds must be integers, got ${v}`);
    }
  }
  const clamp = (v: number, lo: number, hi: number) =>
    Math.min(Math.max(v, lo), hi);
  let start: number, stop: number;
  if (step > 0) {
    start = s.start == null
      ? 0
      : clamp(s.start < 0 ? s.start + n : s.start, 0, n);
    stop = s.stop == null ? n : clamp(s.stop < 0 ? s.stop + n : s.stop, 0, n);
  } else {
    start = s.start == null
      ? n - 1
      : clamp(s.start < 0 ? s.start + n : s.start, -1, n - 1);
    stop = s.stop == null
      ? -1
      : clamp(s.stop < 0 ? s.stop + n : s.stop, -1, n - 1);
  }
  const len = Math.max(0, Math.ceil((stop - start) / step));
  return { start, step, len };
}

/** The chunks of `start + step * k` (k < len) over an axis chunked as `chunks`. */
function slicedChunks(
  chunks: readonly number[],
  start: number,
  step: number,
  len: number,
): number[] {
  if (len === 0) return [0];
  const b = offsets(chunks);
  const out: number[] = [];
  const order = chunks.map((_, i) => i);
  if (step < 0) order.reverse();
  for (const i of order) {
    const c0 = b[i], c1 = b[i + 1];
    let kmin: number, kmax: number;
    if (step > 0) {
      kmin = Math.max(0, Math.ceil((c0 - start) / step));
      kmax = Math.min(len - 1, Math.floor((c1 - 1 - start) / step));
    } else {
      kmin = Math.max(0, Math.ceil((start - c1 + 1) / -step));
      kmax = Math.min(len - 1, Math.floor((start - c0) / -step));
    }
    if (kmax >= kmin) out.push(kmax - kmin + 1);
  }
  return out;
}

type Indexer =
  | { kind: "int"; at: number }
  | { kind: "range"; start: number; step: number; len: number; to: number };

/** `x[index...]`, lazily. */
export function sliceLazy(x: Lazy, index: readonly IndexItem[]): Lazy {
  const shape = x.shape;
  const nd = shape.length;
  const ellipses = index.filter((i) => i === "...").length;
  if (ellipses > 1) {
    throw new ArrayIndexError(
      '"..."',
      shape,
      undefined,
      "an index can have one",
    );
  }
  const used = index.filter((i) => i !== null && i !== "...").length;
  if (used > nd) {
    throw new ArrayIndexError(
      `of ${used} items`,
      shape,
      undefined,
      "an index",
    );
  }
  const items: IndexItem[] = [];
  for (const i of index) {
    if (i === "...") { for (let k = 0; k < nd - used; k++) items.push(":"); }
    else items.push(i);
  }
  if (ellipses === 0) { for (let k = used; k < nd; k++) items.push(":"); }
  const indexers: Indexer[] = [];
  const newShape: number[] = [];
  const newChunks: number[][] = [];
  let axis = 0;
  for (const item of items) {
    if (item === null) {
      newShape.push(1);
      newChunks.push([1]);
      continue;
    }
    const n = shape[axis];
    if (typeof item === "number") {
      if (!Number.isInteger(item) || item < -n || item >= n) {
        throw new ArrayIndexError(item, shape, axis);
      }
      indexers.push({ kind: "int", at: item < 0 ? item + n : item });
    } else {
      const s = typeof item === "string" ? parseSlice(item, shape) : item;
      if (typeof s !== "object") {
        throw new ArrayIndexError(String(item), shape, axis, "index item");
      }
      const { start, step, len } = sliceIndices(s, n);
      indexers.push({ kind: "range", start, step, len, to: newShape.length });
      newShape.push(len);
      newChunks.push(slicedChunks(x.chunks[axis], start, step, len));
    }
    axis++;
  }
  const expr = remap(x.expr, (map) =>
    map.map((m): AxisMap => {
      if (m.out < 0) return m;
      const ix = indexers[m.out];
      if (ix.kind === "int") {
        return { out: -1, start: m.start + m.step * ix.at, step: 0 };
      }
      return {
        out: ix.to,
        start: m.start + m.step * ix.start,
        step: m.step * ix.step,
      };
    }));
  return lazy("getitem", newShape, x.dtype, newChunks, expr);
}

/** `x` with its axes permuted (`axes[i]` is the old axis that becomes i). */
export function transposeLazy(x: Lazy, axes?: readonly number[]): Lazy {
  const nd = x.shape.length;
  const perm = axes === undefined
    ? x.shape.map((_, a) => nd - 1 - a)
    : axes.map((a) => (Number.isInteger(a) && a < 0 ? a + nd : a));
  const seen = new Set(perm);
  if (
    perm.length !== nd || seen.size !== nd ||
    perm.some((a) => !Number.isInteger(a) || a < 0 || a >= nd)
  ) {
    throw new ArrayIndexError(
      `[${axes?.join(", ")}]`,
      x.shape,
      undefined,
      "axes",
    );
  }
  const inv = new Array<number>(nd);
  perm.forEach((old, i) => (inv[old] = i));
  const expr = remap(
    x.expr,
    (map) =>
      map.map((
        m,
      ) => (m.out < 0 ? m : { out: inv[m.out], start: m.start, step: m.step })),
  );
  return lazy(
    "transpose",
    perm.map((a) => x.shape[a]),
    x.dtype,
    perm.map((a) => x.chunks[a]),
    expr,
  );
}
