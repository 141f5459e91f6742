/**
 * The tasks of arrays: what a worker runs for one chunk. Workers import
 * this module by its URL; every task takes plain data (programs, chunk
 * specs, typed arrays) and checks it, since it may come from a peer.
 *
 * @module
 */

import { allocate, checkDType, type DType, type TypedArray } from "./_dtype.ts";
import { type ChunkSpec, evalChunk, type Prog } from "./_program.ts";
import {
  combine,
  finish,
  type Partial,
  partialOf,
  type Reduction,
} from "./_reduce.ts";
import { defineTasks, transfer } from "./_graph.ts";
import { sizeOf } from "./_chunks.ts";
import { copyBox } from "./_copy.ts";
import { NdArray } from "./_ndarray.ts";

function isTyped(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/** Per leaf, its source chunk (`leafArg[k]` indexes `refs`; -1: none). */
function sources(
  leafArg: readonly number[],
  refs: readonly unknown[],
): (TypedArray | undefined)[] {
  return leafArg.map((i, k) => {
    if (i < 0) return undefined;
    const r = refs[i];
    if (!isTyped(r)) {
      throw new TypeError(`source chunk of leaf ${k} is not a typed array`);
    }
    return r;
  });
}

function checkShape(shape: unknown): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => Number.isInteger(d) && d >= 0)
  ) throw new TypeError("a chunk shape must be a list of sizes");
  return shape as number[];
}

/** The array tasks (exported, so that workers find them by URL and name). */
export const kernels = defineTasks(import.meta.url, {
  /** A chunk given as data: the graph holds it once, on a worker. */
  literal: (chunk: TypedArray): TypedArray => chunk,

  /** One chunk of a fused elementwise program. */
  block: (
    prog: Prog,
    spec: ChunkSpec,
    dtype: DType,
    leafArg: number[],
    ...refs: unknown[]
  ): TypedArray => {
    const out = allocate(checkDType(dtype), sizeOf(checkShape(spec.shape)));
    // A fresh chunk this task keeps nothing of: it may move when taken.
    return transfer(evalChunk(prog, spec, sources(leafArg, refs), out), [
      out.buffer as ArrayBuffer,
    ]);
  },

  /** One chunk's partial reduction (program fused in). */
  partial: (
    prog: Prog,
    spec: ChunkSpec,
    red: Reduction,
    origin: number[],
    leafArg: number[],
    ...refs: unknown[]
  ): Partial => {
    checkShape(spec.shape);
    return partialOf(prog, spec, sources(leafArg, refs), red, origin);
  },

  /** Merge partials (a level of the reduction tree). */
  combine: (red: Reduction, ...parts: Partial[]): Partial =>
    combine(red.kind, parts),

  /** The last level: merge and finish (a number, or a result chunk). */
  aggregate: (
    red: Reduction,
    asNumber: boolean,
    ...parts: Partial[]
  ): number | TypedArray => finish(red, parts, asNumber),
});

/** One piece of a rechunked block: a box of one old block. */
export interface Piece {
  /** The old block's shape. */
  shape: number[];
  /** Where the box starts in the old block. */
  from: number[];
  /** Where it goes in the new block. */
  to: number[];
  /** The box's size. */
  size: number[];
}

/** One block of a matrix product. */
export interface MatmulPlan {
  m: number;
  n: number;
  /** The inner sizes, one per pair of blocks. */
  ks: number[];
  dtype: DType;
}

/**
 * Where a block is, for a task that makes or maps it (`mapBlocks` gives it
 * to its task).
 *
 * @example
 * ```ts
 * import type { BlockInfo } from "@troupe/troupe/array";
 * const info: BlockInfo = { blockIndex: [1], location: [[5, 10]], arrayShape: [10] };
 * ```
 */
export interface BlockInfo {
  /** Its index in the block grid. */
  blockIndex: number[];
  /** Per axis, `[start, stop)` of the block in the array. */
  location: [number, number][];
  /** The whole array's shape. */
  arrayShape: number[];
}

type AnyTask = (...args: unknown[]) => unknown;
const imported = new Map<string, Promise<AnyTask>>();

/**
 * Tasks given in this isolate (to mapBlocks, fromFunction): found here
 * without an import, as the local placement passes its tasks. Their module
 * may be one that cannot be imported again by URL (a doc test's snippet).
 */
const local = new Map<string, AnyTask>();

/** Note a user task given in this isolate. */
export function registerTask(
  task: { taskModule: string; taskName: string },
): void {
  if (local.size > 1024) local.clear();
  local.set(`${task.taskModule}#${task.taskName}`, task as unknown as AnyTask);
}

/** The task `name` of module `module`, imported once per isolate. */
function findTask(module: string, name: string): Promise<AnyTask> {
  const id = `${module}#${name}`;
  const here = local.get(id);
  if (here !== undefined) return Promise.resolve(here);
  let p = imported.get(id);
  if (p === undefined) {
    p = (import(module) as Promise<Record<string, unknown>>).then((exports) => {
      for (const value of Object.values(exports)) {
        const candidates = typeof value === "function"
          ? [value]
          : typeof value === "object" && value !== null
          ? Object.values(value)
          : [];
        for (const c of candidates) {
          const t = c as { taskModule?: string; taskName?: string };
          if (
            typeof c === "function" && t.taskModule === module &&
            t.taskName === name
          ) {
            return c as AnyTask;
          }
        }
      }
      throw new TypeError(`module ${module} exports no task "${name}"`);
    });
    p.catch(() => imported.delete(id));
    imported.set(id, p);
  }
  return p;
}

/** A task's result as a chunk of `dtype` and `n` elements. */
function asChunk(
  v: unknown,
  dtype: DType,
  n: number,
  what: string,
): TypedArray {
  if ((typeof v === "number" || typeof v === "boolean") && n === 1) {
    const one = allocate(dtype, 1);
    one[0] = Number(v);
    return one;
  }
  const data = isTyped(v) ? v : typeof v === "object" && v !== null &&
      isTyped((v as { data?: unknown }).data)
    ? (v as { data: TypedArray }).data
    : undefined;
  if (data === undefined) {
    throw new TypeError(
      `${what} gave ${typeof v}, not a typed array or NdArray`,
    );
  }
  if (data.length !== n) {
    throw new RangeError(
      `${what} gave ${data.length} elements, the block has ${n}`,
    );
  }
  if (data.constructor === allocate(dtype, 0).constructor) return data;
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = data[i];
  return out;
}

/** The tasks that move and make blocks. */
export const blockKernels = defineTasks(import.meta.url, {
  /** A new block from boxes of old ones (rechunk). */
  rechunk: (
    shape: number[],
    dtype: DType,
    pieces: Piece[],
    ...blocks: unknown[]
  ): TypedArray => {
    const out = allocate(checkDType(dtype), sizeOf(checkShape(shape)));
    pieces.forEach((p, i) => {
      const b = blocks[i];
      if (!isTyped(b) || b.length !== sizeOf(p.shape)) {
        throw new TypeError(
          `rechunk: piece ${i} is not a block of shape [${p.shape}]`,
        );
      }
      copyBox(out, shape, p.to, b, p.shape, p.from, p.size);
    });
    return out;
  },

  /** Block (i, j) of a product: the sum over p of A[i, p] @ B[p, j]. */
  matmul: (plan: MatmulPlan, ...blocks: unknown[]): TypedArray => {
    const { m, n, ks } = plan;
    const acc = new Float64Array(m * n);
    ks.forEach((k, p) => {
      const a = blocks[p];
      const b = blocks[ks.length + p];
      if (
        !isTyped(a) || a.length !== m * k || !isTyped(b) || b.length !== k * n
      ) {
        throw new TypeError(
          `matmul: block pair ${p} does not have shapes [${m}, ${k}] and [${k}, ${n}]`,
        );
      }
      for (let r = 0; r < m; r++) {
        const row = r * n;
        for (let q = 0; q < k; q++) {
          const x = a[r * k + q];
          const bq = q * n;
          for (let c = 0; c < n; c++) acc[row + c] += x * b[bq + c];
        }
      }
    });
    const out = allocate(checkDType(plan.dtype), m * n);
    out.set(acc);
    return out;
  },

  /** A user's task over one block (mapBlocks). */
  mapBlock: async (
    module: string,
    name: string,
    info: BlockInfo,
    outShape: number[],
    dtype: DType,
    inDtype: DType,
    block: unknown,
  ): Promise<TypedArray> => {
    const fn = await findTask(module, name);
    if (!isTyped(block)) {
      throw new TypeError("mapBlocks: the block is not a typed array");
    }
    const shape = info.location.map(([a, b]) => b - a);
    const input = new NdArray(shape, checkDType(inDtype), block);
    const r = await fn(input, info);
    return asChunk(
      r,
      checkDType(dtype),
      sizeOf(checkShape(outShape)),
      `${name} (mapBlocks)`,
    );
  },

  /** A block whose elements are `task(i, j, ...)` of their indices. */
  fromFunction: async (
    module: string,
    name: string,
    info: BlockInfo,
    dtype: DType,
  ): Promise<TypedArray> => {
    const fn = await findTask(module, name);
    const shape = info.location.map(([a, b]) => b - a);
    const n = sizeOf(shape);
    const out = allocate(checkDType(dtype), n);
    const nd = shape.length;
    const idx = info.location.map(([a]) => a);
    for (let i = 0; i < n; i++) {
      out[i] = Number(fn(...idx));
      for (let a = nd - 1; a >= 0; a--) {
        if (++idx[a] < info.location[a][1]) break;
        idx[a] = info.location[a][0];
      }
    }
    return out;
  },

  /** A computed value checked as one block (fromDelayed). */
  asBlock: (value: unknown, shape: number[], dtype: DType): TypedArray =>
    asChunk(
      value,
      checkDType(dtype),
      sizeOf(checkShape(shape)),
      "fromDelayed's value",
    ),
});
