/**
 * From lazy arrays to graph values: one task per chunk for an expression
 * (its program fused: no array between the steps), and back from computed
 * chunks to a local `NdArray`.
 *
 * @module
 */

import { allocate, type TypedArray } from "./_dtype.ts";
import {
  blockIndices,
  flatIndex,
  offsets,
  sizeOf,
  stridesOf,
} from "./_chunks.ts";
import {
  asSource,
  chunkPlan,
  fromSource,
  type Lazy,
  programOf,
  type Source,
} from "./_expr.ts";
import { kernels } from "./_kernels.ts";
import {
  type ComputeOptions,
  type Delayed,
  type GraphRunner,
  isKeyed,
  taskNode,
} from "./_graph.ts";
import { NdArray } from "./_ndarray.ts";

/** The key of block `bi` of the array `name`-`token`. */
export function blockKey(
  name: string,
  token: string,
  bi: readonly number[],
): string {
  return bi.length === 0
    ? `${name}-${token}`
    : `${name}-${token}-${bi.join("-")}`;
}

/**
 * Per block of `x` (C order), its program's spec and the deduplicated
 * source blocks it reads, with each leaf's place among them.
 */
export function plans(x: Lazy): {
  prog: ReturnType<typeof programOf>["prog"];
  blocks: {
    bi: number[];
    origin: number[];
    spec: ReturnType<typeof chunkPlan>["spec"];
    leafArg: number[];
    refs: unknown[];
  }[];
} {
  const compiled = programOf(x.expr);
  const bounds = x.chunks.map(offsets);
  const grid = x.chunks.map((c) => c.length);
  const blocks = [];
  for (const bi of blockIndices(grid)) {
    const { spec, blocks: per } = chunkPlan(x, compiled, bounds, bi);
    const refs: unknown[] = [];
    const at = new Map<unknown, number>();
    const leafArg = per.map((r) => {
      if (r === undefined) return -1;
      let i = at.get(r);
      if (i === undefined) {
        i = refs.length;
        refs.push(r);
        at.set(r, i);
      }
      return i;
    });
    blocks.push({
      bi,
      origin: bi.map((b, a) => bounds[a][b]),
      spec,
      leafArg,
      refs,
    });
  }
  return { prog: compiled.prog, blocks };
}

/** `x` as a source: one task per chunk (or the source it already is). */
export function materialize(x: Lazy): Source {
  const same = asSource(x);
  if (same !== undefined) return same;
  const { prog, blocks } = plans(x);
  return {
    name: x.name,
    token: x.token,
    shape: x.shape,
    dtype: x.dtype,
    chunks: x.chunks,
    blocks: blocks.map((b) =>
      taskNode<TypedArray>(
        blockKey(x.name, x.token, b.bi),
        kernels.block,
        [prog, b.spec, x.dtype, b.leafArg, ...b.refs],
      )
    ),
  };
}

/** Copy computed chunks of `src` into one local array. */
export function assemble(src: Source, values: readonly unknown[]): NdArray {
  const out = allocate(src.dtype, sizeOf(src.shape));
  const nd = src.shape.length;
  const strides = stridesOf(src.shape);
  const bounds = src.chunks.map(offsets);
  const grid = src.chunks.map((c) => c.length);
  for (const bi of blockIndices(grid)) {
    const v = values[flatIndex(bi, grid)] as TypedArray;
    const shape = bi.map((b, a) => src.chunks[a][b]);
    const n = sizeOf(shape);
    if (!ArrayBuffer.isView(v) || v.length !== n) {
      throw new TypeError(
        `block ${bi.join(", ")} of ${src.name} is not a chunk of ${n} elements`,
      );
    }
    if (n === 0) continue;
    if (nd === 0) {
      out[0] = v[0];
      continue;
    }
    const row = shape[nd - 1];
    const rows = n / row;
    const idx = new Array<number>(nd - 1).fill(0);
    for (let r = 0; r < rows; r++) {
      let at = bounds[nd - 1][bi[nd - 1]];
      for (let a = 0; a < nd - 1; a++) {
        at += (bounds[a][bi[a]] + idx[a]) * strides[a];
      }
      out.set(v.subarray(r * row, r * row + row), at);
      for (let a = nd - 2; a >= 0; a--) {
        if (++idx[a] < shape[a]) break;
        idx[a] = 0;
      }
    }
  }
  return new NdArray(src.shape, src.dtype, out);
}

/** Compute `x` with `runner`: every chunk, copied into one local array. */
export async function computeWith(
  x: Lazy,
  runner: GraphRunner,
): Promise<NdArray> {
  const src = materialize(x);
  const lazyBlocks = src.blocks.filter(isKeyed);
  const values = lazyBlocks.length === src.blocks.length
    ? await runner.compute(...src.blocks) as unknown[]
    : src.blocks;
  return assemble(src, values);
}

/**
 * Options of `persist`: the scheduler or client that keeps the chunks.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { createScheduler } from "@troupe/troupe";
 * import type { PersistOptions } from "@troupe/troupe/array";
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local" });
 * const options: PersistOptions = { scheduler };
 * ```
 */
export interface PersistOptions {
  /** Where the chunks are computed and kept (it must stay open). */
  scheduler: NonNullable<ComputeOptions["scheduler"]>;
}

/**
 * Start computing `x`'s chunks and keep them on the workers of
 * `options.scheduler`: a lazy array over those results (futures).
 */
export function persistWith(x: Lazy, options: PersistOptions): Lazy {
  if (options?.scheduler === undefined) {
    throw new TypeError(
      "persist needs { scheduler }: the scheduler or client that keeps the chunks",
    );
  }
  const runner = options.scheduler as unknown as GraphRunner;
  const src = materialize(x);
  const futures = runner.persist(
    ...(src.blocks as Delayed<unknown>[]),
  ) as unknown[];
  return fromSource({ ...src, blocks: futures });
}
