/**
 * `@troupe/troupe/array`: chunked n-d arrays, as `dask.array` — lazy
 * arrays in chunks, computed as troupe task graphs on any scheduler
 * (inline, local, worker, process) or a cluster client.
 *
 * Chains of elementwise steps become one task per chunk, and a reduction
 * fuses into those tasks, so `random(...).mean()` never holds a chunk.
 *
 * What it may import: troupe only through `_graph.ts` (the actor system and
 * tasks of `actors/`, and the files of `cluster/graph/`: delayed, keys,
 * compute, scheduler, and the types of futures and clients; not
 * `cluster/mod.ts`, which would load the whole
 * cluster into every worker that runs an array task), and npm's `zarrita`
 * (only in `_zarr_kernels.ts`, loaded when a graph uses Zarr). Private
 * files start with `_`; this is the face.
 *
 * @example The Dask tutorial's array
 * ```ts
 * import { random } from "@troupe/troupe/array";
 * const x = random([2000, 2000], { chunks: [500, 500], seed: 42 });
 * const m = await x.mean().compute({ placement: "inline" });
 * console.log(Math.abs(m - 0.5) < 0.01); // true
 * ```
 *
 * @module
 */

export { type ArrayLike, ChunkedArray, type ReduceResult } from "./_array.ts";
export type { PersistOptions } from "./_lower.ts";
export { ElementwiseMethods } from "./_elementwise_methods.ts";
export { Scalar } from "./_scalar.ts";
export { NdArray, type Nested } from "./_ndarray.ts";
export {
  arange,
  type CreateOptions,
  fromArray,
  type FromArrayOptions,
  fromDelayed,
  fromFunction,
  fromZarr,
  full,
  linspace,
  normal,
  ones,
  random,
  type RandomOptions,
  uniform,
  zeros,
} from "./_creation.ts";
export { concatenate, matmul, stack, where } from "./_functions.ts";
export type {
  FromFunctionOptions,
  MapBlocksOptions,
  MapBlocksTask,
} from "./_map_blocks.ts";
export type { ReduceOptions, VarOptions } from "./_reductions.ts";
export type { IndexItem, Slice } from "./_slicing.ts";
export type { Chunks, ChunksOption } from "./_chunks.ts";
export type { DType, TypedArray } from "./_dtype.ts";
export type { ComputeOptions } from "./_graph.ts";
export type { BlockInfo } from "./_kernels.ts";
export type { ZarrReadOptions, ZarrWriteOptions } from "./_zarr.ts";
export {
  ArrayIndexError,
  ChunkError,
  DTypeError,
  ShapeMismatchError,
} from "./_errors.ts";
