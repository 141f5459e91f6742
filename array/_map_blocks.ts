/**
 * User kernels over chunks: `mapBlocks(task)` (one task per chunk with the
 * chunk as a local `NdArray`), `fromFunction(task)` (each element from its
 * indices) and `fromDelayed` (a graph value as a one-chunk array).
 *
 * @module
 */

import { checkDType, type DType, itemSize, type TypedArray } from "./_dtype.ts";
import { ChunkError } from "./_errors.ts";
import {
  blockIndices,
  type Chunks,
  type ChunksOption,
  normalizeChunks,
  offsets,
} from "./_chunks.ts";
import { fromSource, type Lazy } from "./_expr.ts";
import { blockKey, materialize } from "./_lower.ts";
import { type BlockInfo, blockKernels, registerTask } from "./_kernels.ts";
import { isKeyed, keyOf, type Task, taskNode, tokenize } from "./_graph.ts";
import type { NdArray } from "./_ndarray.ts";

/**
 * A task for `mapBlocks`: made by `defineTasks`, it gets a chunk and where
 * it is, and returns the new chunk.
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import type { MapBlocksTask, NdArray } from "@troupe/troupe/array";
 * export const t = defineTasks(import.meta.url, {
 *   square: (b: NdArray) => b.data.map((v) => v * v),
 * });
 * const task: MapBlocksTask = t.square;
 * ```
 */
export type MapBlocksTask = Task<
  // deno-lint-ignore no-explicit-any
  [NdArray, any],
  TypedArray | NdArray | Promise<TypedArray | NdArray>
>;

/**
 * Options of `mapBlocks`.
 *
 * @example
 * ```ts
 * import type { MapBlocksOptions } from "@troupe/troupe/array";
 * const o: MapBlocksOptions = { dtype: "float32" };
 * ```
 */
export interface MapBlocksOptions {
  /** The dtype of the new chunks (default: the array's). */
  dtype?: DType;
  /** The new chunks, per axis, when the task changes their shapes. */
  chunks?: readonly (readonly number[])[];
}

function infoOf(
  chunks: Chunks,
  shape: readonly number[],
  bi: number[],
): BlockInfo {
  const bounds = chunks.map(offsets);
  return {
    blockIndex: bi,
    location: bi.map((b, a) =>
      [bounds[a][b], bounds[a][b + 1]] as [number, number]
    ),
    arrayShape: [...shape],
  };
}

function taskId(task: Task): [string, string] {
  if (typeof task !== "function" || typeof task.taskModule !== "string") {
    throw new TypeError(
      "expected a task made by defineTasks(import.meta.url, { ... })",
    );
  }
  registerTask(task);
  return [task.taskModule, task.taskName];
}

/** `task` over each chunk of `x` (see `ChunkedArray.mapBlocks`). */
export function mapBlocksLazy(
  x: Lazy,
  task: MapBlocksTask,
  options: MapBlocksOptions,
): Lazy {
  const [module, name] = taskId(task as unknown as Task);
  const dtype = checkDType(options.dtype ?? x.dtype);
  let chunks: number[][] = x.chunks.map((c) => [...c]);
  if (options.chunks !== undefined) {
    const given = options.chunks;
    if (given.length !== x.chunks.length) {
      throw new ChunkError(
        given.length,
        `mapBlocks chunks need ${x.chunks.length} axes`,
      );
    }
    given.forEach((c, a) => {
      if (
        c.length !== x.chunks[a].length ||
        c.some((s) => !(Number.isInteger(s) && s >= 0))
      ) {
        throw new ChunkError(
          a,
          `mapBlocks chunks need ${x.chunks[a].length} sizes >= 0 on this axis`,
        );
      }
    });
    chunks = given.map((c) => [...c]);
  }
  const shape = chunks.map((c) => c.reduce((s, n) => s + n, 0));
  const src = materialize(x);
  const token = tokenize(
    "map_blocks",
    module,
    name,
    src.token,
    dtype,
    JSON.stringify(chunks),
  );
  const blocks: unknown[] = [];
  let i = 0;
  for (const bi of blockIndices(chunks.map((c) => c.length))) {
    const info = infoOf(x.chunks, x.shape, bi);
    blocks.push(
      taskNode<TypedArray>(
        blockKey(`map_blocks_${name}`, token, bi),
        blockKernels.mapBlock,
        [
          module,
          name,
          info,
          bi.map((b, a) => chunks[a][b]),
          dtype,
          x.dtype,
          src.blocks[i++],
        ],
      ),
    );
  }
  return fromSource({
    name: `map_blocks_${name}`,
    token,
    shape,
    dtype,
    chunks,
    blocks,
  });
}

/**
 * Options of `fromFunction`.
 *
 * @example
 * ```ts
 * import type { FromFunctionOptions } from "@troupe/troupe/array";
 * const o: FromFunctionOptions = { chunks: 100, dtype: "int32" };
 * ```
 */
export interface FromFunctionOptions {
  /** Its chunks (default "auto"). */
  chunks?: ChunksOption;
  /** Its dtype (default float64). */
  dtype?: DType;
}

/** An array whose element (i, j, ...) is `task(i, j, ...)`. */
export function fromFunctionLazy(
  task: Task<number[], number>,
  shape: readonly number[],
  options: FromFunctionOptions,
): Lazy {
  const [module, name] = taskId(task as unknown as Task);
  const dtype = checkDType(options.dtype ?? "float64");
  const chunks = normalizeChunks(options.chunks, shape, itemSize(dtype));
  const token = tokenize(
    "fromfunction",
    module,
    name,
    shape.join(","),
    dtype,
    JSON.stringify(chunks),
  );
  const blocks: unknown[] = [];
  for (const bi of blockIndices(chunks.map((c) => c.length))) {
    blocks.push(
      taskNode<TypedArray>(
        blockKey(`fromfunction_${name}`, token, bi),
        blockKernels.fromFunction,
        [
          module,
          name,
          infoOf(chunks, shape, bi),
          dtype,
        ],
      ),
    );
  }
  return fromSource({
    name: `fromfunction_${name}`,
    token,
    shape: [...shape],
    dtype,
    chunks,
    blocks,
  });
}

/** A graph value (a typed array or NdArray of `shape`) as a one-chunk array. */
export function fromDelayedLazy(
  value: unknown,
  shape: readonly number[],
  dtype: DType,
): Lazy {
  if (!isKeyed(value)) {
    throw new TypeError(
      "fromDelayed takes a Delayed or a Future (use fromArray for local data)",
    );
  }
  checkDType(dtype);
  const token = tokenize("from-value", keyOf(value), shape.join(","), dtype);
  const block = taskNode<TypedArray>(
    `from-value-${token}`,
    blockKernels.asBlock,
    [value, [...shape], dtype],
  );
  return fromSource({
    name: "from-value",
    token,
    shape: [...shape],
    dtype,
    chunks: shape.map((d) => [d]),
    blocks: [block],
  });
}
