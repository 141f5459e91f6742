/**
 * The lazy form of an array: its shape, dtype and chunks, and an
 * elementwise expression over leaves. A leaf is a source (an array whose
 * chunks are graph values: delayed tasks or futures) or a generator (random
 * numbers, ranges), seen through an axis map: each of the leaf's own axes
 * is fixed at an index or follows one axis of this array with a start and a
 * step. Slicing, transposing and broadcasting only change the maps, so they
 * fuse into the chunk tasks of whatever comes next, and a slice computes
 * only the chunks it touches.
 *
 * Invariant: each chunk of an array lies within one chunk of each source
 * leaf, so one task per chunk reads one chunk of each source.
 *
 * @module
 */

import type { DType } from "./_dtype.ts";
import { showShape } from "./_errors.ts";
import {
  chunkAt,
  type Chunks,
  flatIndex,
  offsets,
  stridesOf,
} from "./_chunks.ts";
import type { ChunkSpec, Instr, LeafDesc, Prog } from "./_program.ts";
import { preview, tokenize } from "./_graph.ts";

/** An array whose chunks are graph values (each a C-order typed array). */
export interface Source {
  /** What made it (the name part of its keys). */
  readonly name: string;
  /** Its token (the hash part of its keys). */
  readonly token: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly chunks: Chunks;
  /** Per block, in C order over the grid: a Delayed or a Future. */
  readonly blocks: readonly unknown[];
}

/** How one axis of a leaf follows this array: `coord = start + step * x[out]`. */
export interface AxisMap {
  /** The axis of this array it follows, or -1: fixed at `start`. */
  readonly out: number;
  readonly start: number;
  readonly step: number;
}

/** A leaf that reads a source's chunks. */
export interface SrcLeaf {
  readonly t: "src";
  readonly src: Source;
  readonly map: readonly AxisMap[];
}

/** A leaf that computes its values from their flat index in `origin`. */
export interface GenLeaf {
  readonly t: "gen";
  readonly desc: Exclude<LeafDesc, { kind: "src" }>;
  /** The shape whose C-order flat index the generator is keyed by. */
  readonly origin: readonly number[];
  readonly map: readonly AxisMap[];
}

/** A scalar, broadcast everywhere. */
export interface ConstNode {
  readonly t: "const";
  readonly dtype: DType;
  readonly value: number;
}

/** An elementwise operation (see `OPS` in _program.ts). */
export interface OpNode {
  readonly t: "op";
  readonly op: string;
  readonly dtype: DType;
  readonly args: readonly Expr[];
}

/** An elementwise expression. */
export type Expr = SrcLeaf | GenLeaf | ConstNode | OpNode;

/** A lazy array. */
export interface Lazy {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly chunks: Chunks;
  readonly expr: Expr;
  /** The operation that made it, for its keys (`add`, `random`...). */
  readonly name: string;
  /** Its token: a hash of the expression, shape and chunks. */
  readonly token: string;
}

/** `x` as a lazy array (what `ChunkedArray` wraps), or a TypeError saying how arrays are made. */
export function asLazy(x: unknown): Lazy {
  if (
    typeof x !== "object" || x === null || !("expr" in x) || !("token" in x)
  ) {
    throw new TypeError(
      "make arrays with random, normal, zeros, ones, full, arange, linspace, fromArray...",
    );
  }
  return x as Lazy;
}

/** The TypeError for an argument that is not what was `wanted`. */
export function wrongArgument(x: unknown, wanted: string): TypeError {
  return new TypeError(`expected ${wanted}, got ${preview(x)}`);
}

/** A lazy array in a line: its name, shape, dtype, largest chunk and blocks. */
export function describeLazy(x: Lazy): string {
  const chunksize = x.chunks.map((c) => Math.max(...c));
  const blocks = x.chunks.reduce((n, c) => n * c.length, 1);
  return `ChunkedArray<${x.name}, shape=${
    showShape(x.shape)
  }, dtype=${x.dtype}, chunksize=${showShape(chunksize)}, blocks=${blocks}>`;
}

/** The dtype of an expression. */
export function dtypeOfExpr(e: Expr): DType {
  switch (e.t) {
    case "src":
      return e.src.dtype;
    case "gen":
      return e.desc.dtype;
    default:
      return e.dtype;
  }
}

const tokens = new WeakMap<object, string>();

function mapText(map: readonly AxisMap[]): string {
  return map.map((m) => `${m.out}:${m.start}:${m.step}`).join(",");
}

/** The token of an expression node: fixed length, so sharing stays cheap. */
export function exprToken(e: Expr): string {
  let t = tokens.get(e);
  if (t !== undefined) return t;
  switch (e.t) {
    case "src":
      t = tokenize("src", e.src.token, mapText(e.map));
      break;
    case "gen":
      t = tokenize(
        "gen",
        JSON.stringify(e.desc),
        e.origin.join(","),
        mapText(e.map),
      );
      break;
    case "const":
      t = tokenize("const", e.dtype, Object.is(e.value, -0) ? "-0" : e.value);
      break;
    case "op":
      t = tokenize("op", e.op, e.dtype, ...e.args.map(exprToken));
      break;
  }
  tokens.set(e, t);
  return t;
}

/** A lazy array from its parts (its token computed). */
export function lazy(
  name: string,
  shape: readonly number[],
  dtype: DType,
  chunks: Chunks,
  expr: Expr,
): Lazy {
  const token = tokenize(
    name,
    exprToken(expr),
    shape.join(","),
    chunks.map((c) => c.join(",")).join(";"),
  );
  return { shape, dtype, chunks, expr, name, token };
}

/** The identity map of `ndim` axes. */
export function identityMap(ndim: number): AxisMap[] {
  return Array.from(
    { length: ndim },
    (_, a) => ({ out: a, start: 0, step: 1 }),
  );
}

/** A lazy array over all of a source, as it is. */
export function fromSource(src: Source): Lazy {
  return {
    shape: src.shape,
    dtype: src.dtype,
    chunks: src.chunks,
    expr: { t: "src", src, map: identityMap(src.shape.length) },
    name: src.name,
    token: src.token,
  };
}

/** The source an array is, unchanged (an identity leaf), if it is one. */
export function asSource(x: Lazy): Source | undefined {
  const e = x.expr;
  if (e.t !== "src") return undefined;
  const src = e.src;
  if (src.shape.length !== x.shape.length) return undefined;
  for (let a = 0; a < e.map.length; a++) {
    const m = e.map[a];
    if (m.out !== a || m.start !== 0 || m.step !== 1) return undefined;
    if (src.shape[a] !== x.shape[a]) return undefined;
    const c = src.chunks[a];
    const d = x.chunks[a];
    if (c.length !== d.length || c.some((s, i) => s !== d[i])) return undefined;
  }
  return src;
}

/**
 * Rebuild `e` with every leaf's map changed by `f`: how slicing,
 * transposing and broadcasting move through an expression. Shared nodes
 * stay shared.
 */
export function remap(
  e: Expr,
  f: (map: readonly AxisMap[]) => AxisMap[],
  memo: Map<Expr, Expr> = new Map(),
): Expr {
  const done = memo.get(e);
  if (done !== undefined) return done;
  let out: Expr;
  switch (e.t) {
    case "src":
      out = { t: "src", src: e.src, map: f(e.map) };
      break;
    case "gen":
      out = { t: "gen", desc: e.desc, origin: e.origin, map: f(e.map) };
      break;
    case "const":
      out = e;
      break;
    case "op":
      out = {
        t: "op",
        op: e.op,
        dtype: e.dtype,
        args: e.args.map((a) => remap(a, f, memo)),
      };
      break;
  }
  memo.set(e, out);
  return out;
}

/** Every leaf of an expression (each node once). */
export function leavesOf(
  e: Expr,
  out: (SrcLeaf | GenLeaf)[] = [],
  seen = new Set<Expr>(),
): (SrcLeaf | GenLeaf)[] {
  if (seen.has(e)) return out;
  seen.add(e);
  if (e.t === "src" || e.t === "gen") out.push(e);
  else if (e.t === "op") { for (const a of e.args) leavesOf(a, out, seen); }
  return out;
}

/** A program and the leaves its leaf indices stand for. */
export interface Compiled {
  prog: Prog;
  leaves: (SrcLeaf | GenLeaf)[];
}

/** The program of an expression (same leaves merged, shared nodes once). */
export function programOf(e: Expr): Compiled {
  const leaves: (SrcLeaf | GenLeaf)[] = [];
  const descs: LeafDesc[] = [];
  const leafAt = new Map<string, number>();
  const code: Instr[] = [];
  const at = new Map<Expr, number>();
  const emit = (n: Expr): number => {
    const seen = at.get(n);
    if (seen !== undefined) return seen;
    let ins: Instr;
    switch (n.t) {
      case "src":
      case "gen": {
        const tok = exprToken(n);
        let k = leafAt.get(tok);
        if (k === undefined) {
          k = leaves.length;
          leaves.push(n);
          descs.push(
            n.t === "src" ? { kind: "src", dtype: n.src.dtype } : n.desc,
          );
          leafAt.set(tok, k);
        }
        ins = ["leaf", dtypeOfExpr(n), k];
        break;
      }
      case "const":
        ins = ["const", n.dtype, n.value];
        break;
      case "op":
        ins = [n.op, n.dtype, ...n.args.map(emit)];
        break;
    }
    code.push(ins);
    at.set(n, code.length - 1);
    return code.length - 1;
  };
  emit(e);
  return { prog: { leaves: descs, code }, leaves };
}

/** The chunk of one block: its start and size along each axis. */
export function blockRange(
  chunks: Chunks,
  bounds: readonly (readonly number[])[],
  bi: readonly number[],
): { lo: number[]; size: number[] } {
  return {
    lo: bi.map((b, a) => bounds[a][b]),
    size: bi.map((b, a) => chunks[a][b]),
  };
}

/**
 * Where block `bi`'s elements come from: the chunk spec (per leaf, the
 * offset and steps in its source chunk or generator counter) and, per
 * leaf, the source block it reads (undefined for a generator).
 */
export function chunkPlan(
  x: Lazy,
  compiled: Compiled,
  bounds: readonly (readonly number[])[],
  bi: readonly number[],
): { spec: ChunkSpec; blocks: unknown[] } {
  const { lo, size } = blockRange(x.chunks, bounds, bi);
  const empty = size.some((s) => s === 0);
  const nd = x.shape.length;
  const base: number[] = [];
  const coefs: number[][] = [];
  const blocks: unknown[] = [];
  for (const leaf of compiled.leaves) {
    const c = new Array<number>(nd).fill(0);
    let b = 0;
    if (leaf.t === "gen") {
      const strides = stridesOf(leaf.origin);
      leaf.map.forEach((m, a) => {
        const first = m.out < 0 ? m.start : m.start + m.step * lo[m.out];
        b += first * strides[a];
        if (m.out >= 0) c[m.out] += m.step * strides[a];
      });
      blocks.push(undefined);
    } else {
      const src = leaf.src;
      const srcBlock = new Array<number>(src.shape.length);
      const chunkShape = new Array<number>(src.shape.length);
      const firsts = new Array<number>(src.shape.length);
      leaf.map.forEach((m, a) => {
        const first = m.out < 0 || empty
          ? (empty ? 0 : m.start)
          : m.start + m.step * lo[m.out];
        const bnd = offsets(src.chunks[a]);
        const ci = chunkAt(bnd, first);
        if (!empty && m.out >= 0) {
          const last = first + m.step * (size[m.out] - 1);
          if (chunkAt(bnd, last) !== ci) {
            throw new Error(
              `internal: block ${bi} of ${x.name} spans chunks of its source ${src.name} on axis ${a}`,
            );
          }
        }
        srcBlock[a] = ci;
        chunkShape[a] = src.chunks[a][ci];
        firsts[a] = first - bnd[ci];
      });
      const cs = stridesOf(chunkShape);
      leaf.map.forEach((m, a) => {
        b += firsts[a] * cs[a];
        if (m.out >= 0) c[m.out] += m.step * cs[a];
      });
      blocks.push(
        src.blocks[flatIndex(srcBlock, src.chunks.map((ch) => ch.length))],
      );
    }
    base.push(b);
    coefs.push(c);
  }
  return { spec: { shape: size, base, coefs }, blocks };
}
