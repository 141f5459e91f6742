/**
 * Reductions of lazy arrays as task trees: one task per chunk that computes
 * the chunk's fused program and reduces it at once (creation, elementwise
 * steps and the first reduction stage in one task, so no chunk is ever
 * held), then combine tasks of up to `splitEvery` partials, level by level,
 * then one aggregate per result chunk.
 *
 * @module
 */

import { type DType, isFloat } from "./_dtype.ts";
import { ArrayIndexError } from "./_errors.ts";
import { blockIndices, type Chunks, flatIndex } from "./_chunks.ts";
import { fromSource, type Lazy, type Source } from "./_expr.ts";
import type { Reduction, ReductionKind } from "./_reduce.ts";
import { kernels } from "./_kernels.ts";
import { type Delayed, taskNode, tokenize } from "./_graph.ts";
import { blockKey, plans } from "./_lower.ts";
import { Scalar } from "./_scalar.ts";

/**
 * Options of a reduction.
 *
 * @example
 * ```ts
 * import type { ReduceOptions } from "@troupe/troupe/array";
 * const byColumn: ReduceOptions = { axis: 0, keepdims: true };
 * ```
 */
export interface ReduceOptions {
  /** The axis or axes to reduce (negative from the end); default: all. */
  axis?: number | readonly number[];
  /** Keep reduced axes as size 1 (NumPy's keepdims). */
  keepdims?: boolean;
  /** How many partials one combine task merges (default 16). */
  splitEvery?: number;
}

/**
 * Options of `var` and `std`: also `ddof`, delta degrees of freedom
 * (divide by n - ddof; default 0, as NumPy).
 *
 * @example
 * ```ts
 * import type { VarOptions } from "@troupe/troupe/array";
 * const sample: VarOptions = { ddof: 1 };
 * ```
 */
export interface VarOptions extends ReduceOptions {
  /** Delta degrees of freedom. */
  ddof?: number;
}

/** The reduced axes `axis` names, ascending, checked. */
export function normalizeAxes(
  axis: number | readonly number[] | undefined,
  shape: readonly number[],
): number[] {
  const nd = shape.length;
  if (axis === undefined) return shape.map((_, a) => a);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -nd || a >= nd) {
      throw new ArrayIndexError(a, shape, undefined, "axis");
    }
    const p = a < 0 ? a + nd : a;
    if (out.has(p)) {
      throw new ArrayIndexError(a, shape, undefined, "repeated axis");
    }
    out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

/** The dtype of a reduction's result. */
export function reducedDType(kind: ReductionKind, d: DType): DType {
  switch (kind) {
    case "sum":
    case "prod":
      // NumPy gives int64/uint64 for integers: float64 holds them exactly
      // up to 2^53.
      return isFloat(d) ? d : "float64";
    case "mean":
    case "var":
    case "std":
      return d === "float32" ? "float32" : "float64";
    case "min":
    case "max":
      return d;
    case "argmin":
    case "argmax":
      return "int32";
    case "any":
    case "all":
      return "bool";
  }
}

/** What a planned reduction gives: a single value, or a result source. */
export type Reduced =
  | { kind: "value"; node: Delayed<number>; dtype: DType }
  | { kind: "array"; src: Source };

/** Plan `kind` over `x`'s `axes` (see `ReduceOptions`). */
export function reduce(
  x: Lazy,
  kind: ReductionKind,
  options: VarOptions = {},
): Reduced {
  const axes = normalizeAxes(options.axis, x.shape);
  const nd = x.shape.length;
  if (
    (kind === "argmin" || kind === "argmax") && options.axis !== undefined &&
    axes.length !== 1
  ) {
    throw new ArrayIndexError(
      String(options.axis),
      x.shape,
      undefined,
      `${kind} takes one axis or none, not`,
    );
  }
  const splitEvery = options.splitEvery ?? 16;
  if (!(Number.isInteger(splitEvery) && splitEvery >= 2)) {
    throw new RangeError(
      `splitEvery must be an integer >= 2, got ${splitEvery}`,
    );
  }
  const ddof = options.ddof ?? 0;
  if (!(Number.isInteger(ddof) && ddof >= 0)) {
    throw new RangeError(`ddof must be an integer >= 0, got ${ddof}`);
  }
  const reducedSize = axes.reduce((n, a) => n * x.shape[a], 1);
  if (
    reducedSize === 0 &&
    (kind === "min" || kind === "max" || kind === "argmin" || kind === "argmax")
  ) {
    throw new ArrayIndexError(
      0,
      x.shape,
      undefined,
      `${kind} of a zero-size reduction has no identity; size`,
    );
  }
  // A reduction over all axes (no axis given) gives a value, as NumPy's.
  const asValue = options.axis === undefined && !options.keepdims;
  const dtype = kind === "argmin" || kind === "argmax"
    ? (asValue ? "float64" : "int32")
    : reducedDType(kind, x.dtype);
  const red: Reduction = { kind, axes, ddof, dtype, shape: [...x.shape] };
  const token = tokenize(
    kind,
    x.token,
    axes.join(","),
    ddof,
    splitEvery,
    options.keepdims ? 1 : 0,
  );
  const { prog, blocks } = plans(x);
  const keptAxes = x.shape.map((_, a) => a).filter((a) => !axes.includes(a));
  const keptGrid = keptAxes.map((a) => x.chunks[a].length);
  // Partials grouped by their kept block index, in C order within a group.
  const groups = new Map<number, Delayed<unknown>[]>();
  for (const b of blocks) {
    const part = taskNode<unknown>(
      blockKey(`${kind}_chunk`, token, b.bi),
      kernels.partial,
      [prog, b.spec, red, b.origin, b.leafArg, ...b.refs],
    );
    const g = flatIndex(keptAxes.map((a) => b.bi[a]), keptGrid);
    let list = groups.get(g);
    if (list === undefined) groups.set(g, list = []);
    list.push(part);
  }
  const finals: Delayed<unknown>[] = [];
  for (const keptBi of blockIndices(keptGrid)) {
    const g = flatIndex(keptBi, keptGrid);
    let layer = groups.get(g)!;
    let level = 0;
    while (layer.length > splitEvery) {
      const next: Delayed<unknown>[] = [];
      for (let i = 0; i < layer.length; i += splitEvery) {
        next.push(taskNode(
          blockKey(`${kind}_combine`, token, [level, ...keptBi, next.length]),
          kernels.combine,
          [red, ...layer.slice(i, i + splitEvery)],
        ));
      }
      layer = next;
      level++;
    }
    finals.push(taskNode(
      blockKey(`${kind}_agg`, token, keptBi),
      kernels.aggregate,
      [red, asValue, ...layer],
    ));
  }
  if (asValue) {
    return { kind: "value", node: finals[0] as Delayed<number>, dtype };
  }
  const shape: number[] = [];
  const chunks: number[][] = [];
  for (let a = 0; a < nd; a++) {
    if (!axes.includes(a)) {
      shape.push(x.shape[a]);
      chunks.push([...x.chunks[a]]);
    } else if (options.keepdims) {
      shape.push(1);
      chunks.push([1]);
    }
  }
  const src: Source = {
    name: kind,
    token,
    shape,
    dtype,
    chunks: chunks as Chunks,
    blocks: finals,
  };
  return { kind: "array", src };
}

/**
 * Reduction `kind` of `x`, made: over all axes a `Scalar` (a boolean for
 * `any` and `all`), else the lazy array of the result.
 */
export function reduceLazy(
  x: Lazy,
  kind: ReductionKind,
  options?: VarOptions,
): Scalar<number | boolean> | Lazy {
  const r = reduce(x, kind, options);
  if (r.kind === "array") return fromSource(r.src);
  const truth = kind === "any" || kind === "all";
  return new Scalar<number | boolean>(
    r.node,
    truth ? (v) => v !== 0 : undefined,
    r.dtype,
  );
}
