/**
 * `ChunkedArray`: a lazy n-d array split into chunks, Dask's `dask.array`
 * `Array`: each method builds a bigger lazy array with the function of its
 * concept's file, and `compute()` runs it on a scheduler.
 *
 * @module
 */

import { type DType, itemSize, type TypedArray } from "./_dtype.ts";
import { type Chunks, type ChunksOption, sizeOf } from "./_chunks.ts";
import { asLazy, describeLazy, type Lazy, wrongArgument } from "./_expr.ts";
import { astype, elementwise, type Operand } from "./_elementwise.ts";
import { type IndexItem, sliceLazy, transposeLazy } from "./_slicing.ts";
import {
  reduceLazy,
  type ReduceOptions,
  type VarOptions,
} from "./_reductions.ts";
import type { ReductionKind } from "./_reduce.ts";
import {
  computeWith,
  materialize,
  type PersistOptions,
  persistWith,
} from "./_lower.ts";
import { type ComputeOptions, type Delayed, withRunner } from "./_graph.ts";
import { ElementwiseMethods } from "./_elementwise_methods.ts";
import { Scalar } from "./_scalar.ts";
import type { NdArray } from "./_ndarray.ts";
import { rechunkLazy, reshapeLazy } from "./_manip.ts";
import { matmulLazy } from "./_matmul.ts";
import {
  fromDelayedLazy,
  mapBlocksLazy,
  type MapBlocksOptions,
  type MapBlocksTask,
} from "./_map_blocks.ts";
import { toZarrLazy, type ZarrWriteOptions } from "./_zarr.ts";

/**
 * An operand of an elementwise method: another array, a number, or a
 * `Scalar` (a lazy reduction: `x.sub(x.mean())`).
 *
 * @example
 * ```ts
 * import { type ArrayLike, ones } from "@troupe/troupe/array";
 * const x = ones([3]);
 * const operands: ArrayLike[] = [x, 2, true, x.mean()];
 * console.log(operands.map((o) => x.add(o).shape)); // [[3], [3], [3], [3]]
 * ```
 */
export type ArrayLike =
  | ChunkedArray
  | Scalar<number | boolean>
  | number
  | boolean;

/**
 * What a reduction gives: a `Scalar` over all axes (no `axis`, no
 * `keepdims`), else a `ChunkedArray`.
 *
 * @example
 * ```ts
 * import { ones, type ReduceResult, type Scalar } from "@troupe/troupe/array";
 * const all: ReduceResult<Record<string, never>, number> = ones([2, 2]).sum();
 * const some: ReduceResult<{ axis: 0 }, number> = ones([2, 2]).sum({ axis: 0 });
 * console.log(all.key !== undefined, some.shape); // true [2]
 * const _typed: Scalar = all;
 * ```
 */
export type ReduceResult<O, T> = O extends { axis: number | readonly number[] }
  ? ChunkedArray
  : O extends { keepdims: true } ? ChunkedArray
  : Scalar<T>;

/** An operand as the elementwise builders take it. */
export function operand(x: ArrayLike): Operand {
  if (x instanceof ChunkedArray) return lazyOf(x);
  if (x instanceof Scalar) return fromDelayedLazy(x.toDelayed(), [], x.dtype);
  if (typeof x === "number" || typeof x === "boolean") return x;
  throw wrongArgument(x, "a number, a boolean or an array");
}

let lazyOfArray: (a: ChunkedArray) => Lazy;

/**
 * A lazy n-d array in chunks. Nothing runs until `compute`, `persist` or
 * `toZarr`; chains of elementwise steps become one task per chunk, and a
 * reduction fuses into those tasks.
 *
 * @example The Dask tutorial's array, in troupe
 * ```ts
 * import { random } from "@troupe/troupe/array";
 * const x = random([1000, 1000], { chunks: [250, 250], seed: 42 });
 * const m = await x.mean().compute({ placement: "inline" });
 * console.log(m > 0.49 && m < 0.51); // true
 * ```
 */
export class ChunkedArray extends ElementwiseMethods<ChunkedArray, ArrayLike> {
  readonly #lazy: Lazy;

  static {
    lazyOfArray = (a) => a.#lazy;
  }

  /**
   * Made by the creation functions (`random`, `fromArray`, `zeros`...).
   *
   * @example
   * ```ts
   * import { ChunkedArray, zeros } from "@troupe/troupe/array";
   * console.log(zeros([2]) instanceof ChunkedArray); // true
   * ```
   */
  constructor(inner: unknown) {
    super();
    this.#lazy = asLazy(inner);
  }

  /**
   * Internal: an elementwise operation on this array and `others`.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2]).mul(ones([2])).shape); // [2]
   * ```
   */
  protected applyOp(op: string, ...others: ArrayLike[]): ChunkedArray {
    return new ChunkedArray(
      elementwise(op, [this.#lazy, ...others.map(operand)]),
    );
  }

  /**
   * Its shape.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([2, 3]).shape); // [2, 3]
   * ```
   */
  get shape(): readonly number[] {
    return this.#lazy.shape;
  }

  /**
   * How many axes.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([2, 3]).ndim); // 2
   * ```
   */
  get ndim(): number {
    return this.#lazy.shape.length;
  }

  /**
   * How many elements.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([2, 3]).size); // 6
   * ```
   */
  get size(): number {
    return sizeOf(this.#lazy.shape);
  }

  /**
   * Its element type.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([2], { dtype: "int32" }).dtype); // "int32"
   * ```
   */
  get dtype(): DType {
    return this.#lazy.dtype;
  }

  /**
   * Bytes it would take in memory.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([10, 10]).nbytes); // 800
   * ```
   */
  get nbytes(): number {
    return this.size * itemSize(this.dtype);
  }

  /**
   * Its chunks: per axis, the chunk sizes along it.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([5, 4], { chunks: [2, 4] }).chunks); // [[2, 2, 1], [4]]
   * ```
   */
  get chunks(): Chunks {
    return this.#lazy.chunks;
  }

  /**
   * How many chunks per axis.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([5, 4], { chunks: 2 }).numblocks); // [3, 2]
   * ```
   */
  get numblocks(): number[] {
    return this.#lazy.chunks.map((c) => c.length);
  }

  /**
   * The name of its keys: each chunk's key is `name-i-j...`.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2]).add(1).name.startsWith("add-")); // true
   * ```
   */
  get name(): string {
    return `${this.#lazy.name}-${this.#lazy.token}`;
  }

  /**
   * Its transpose (axes reversed).
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([2, 3]).T.shape); // [3, 2]
   * ```
   */
  get T(): ChunkedArray {
    return this.transpose();
  }

  /**
   * The elements as `dtype` (floats to integers truncate; integers wrap).
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([2], 2.7).astype("int32").sum().compute({ placement: "inline" })); // 4
   * ```
   */
  astype(dtype: DType): ChunkedArray {
    return new ChunkedArray(astype(this.#lazy, dtype));
  }

  #reduce<R>(kind: ReductionKind, options?: VarOptions): R {
    const r = reduceLazy(this.#lazy, kind, options);
    return (r instanceof Scalar ? r : new ChunkedArray(r)) as R;
  }

  /**
   * The sum (integers sum as float64).
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(await ones([2, 3]).sum().compute({ placement: "inline" })); // 6
   * ```
   */
  sum<O extends ReduceOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("sum", options);
  }

  /**
   * The product.
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([3], 2).prod().compute({ placement: "inline" })); // 8
   * ```
   */
  prod<O extends ReduceOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("prod", options);
  }

  /**
   * The mean.
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).mean().compute({ placement: "inline" })); // 2
   * ```
   */
  mean<O extends ReduceOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("mean", options);
  }

  /**
   * The variance (divided by n - ddof).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).var().compute({ placement: "inline" })); // 2
   * ```
   */
  var<O extends VarOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("var", options);
  }

  /**
   * The standard deviation.
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(3).std({ ddof: 1 }).compute({ placement: "inline" })); // 1
   * ```
   */
  std<O extends VarOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("std", options);
  }

  /**
   * The smallest element (NaN if any is NaN).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).min().compute({ placement: "inline" })); // 0
   * ```
   */
  min<O extends ReduceOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("min", options);
  }

  /**
   * The largest element (NaN if any is NaN).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).max().compute({ placement: "inline" })); // 4
   * ```
   */
  max<O extends ReduceOptions>(options?: O): ReduceResult<O, number> {
    return this.#reduce("max", options);
  }

  /**
   * Where the smallest element is: over all axes, its flat (C-order) index;
   * along an axis, the indices along it. The first one on ties.
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).neg().argmin().compute({ placement: "inline" })); // 4
   * ```
   */
  argmin<O extends { axis?: number; splitEvery?: number }>(
    options?: O,
  ): ReduceResult<O, number> {
    return this.#reduce("argmin", options);
  }

  /**
   * Where the largest element is (see `argmin`).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).argmax().compute({ placement: "inline" })); // 4
   * ```
   */
  argmax<O extends { axis?: number; splitEvery?: number }>(
    options?: O,
  ): ReduceResult<O, number> {
    return this.#reduce("argmax", options);
  }

  /**
   * Whether any element is true (non-zero).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).gt(3).any().compute({ placement: "inline" })); // true
   * ```
   */
  any<O extends ReduceOptions>(options?: O): ReduceResult<O, boolean> {
    return this.#reduce("any", options);
  }

  /**
   * Whether every element is true (non-zero).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).gt(3).all().compute({ placement: "inline" })); // false
   * ```
   */
  all<O extends ReduceOptions>(options?: O): ReduceResult<O, boolean> {
    return this.#reduce("all", options);
  }

  /**
   * A slice, as `x[...]` in NumPy: integers drop their axis, slices (`"1:5"`,
   * `"::-1"`, `{ start, stop, step }`) keep it, `"..."` fills, `null` adds
   * an axis. Only the chunks it touches are ever computed.
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * const x = arange(20, { chunks: 5 }).reshape([4, 5]);
   * console.log(x.slice(1, "::2").shape); // [3]
   * console.log((await x.slice(1, "::2").compute({ placement: "inline" })).toArray()); // [5, 7, 9]
   * ```
   */
  slice(...index: IndexItem[]): ChunkedArray {
    return new ChunkedArray(sliceLazy(this.#lazy, index));
  }

  /**
   * The axes permuted (default: reversed).
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([2, 3, 4]).transpose([1, 0, 2]).shape); // [3, 2, 4]
   * ```
   */
  transpose(axes?: readonly number[]): ChunkedArray {
    return new ChunkedArray(transposeLazy(this.#lazy, axes));
  }

  /**
   * The same elements in another shape (C order; one axis may be -1).
   * Only where the chunks allow it: a merged axis must have its inner axes
   * in one chunk (rechunk first otherwise: the error names the axis).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(arange(12, { chunks: 6 }).reshape([2, -1]).shape); // [2, 6]
   * ```
   */
  reshape(shape: readonly number[]): ChunkedArray {
    return new ChunkedArray(reshapeLazy(this.#lazy, shape));
  }

  /**
   * The same array in other chunks.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(zeros([6, 6], { chunks: 2 }).rechunk([3, -1]).chunks); // [[3, 3], [6]]
   * ```
   */
  rechunk(chunks: ChunksOption): ChunkedArray {
    return new ChunkedArray(rechunkLazy(this.#lazy, chunks));
  }

  /**
   * Matrix product (2-d by 2-d, or with 1-d vectors as NumPy's `matmul`),
   * by blocks.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * const p = ones([4, 3], { chunks: 2 }).matmul(ones([3, 5], { chunks: 2 }));
   * console.log(p.shape, await p.sum().compute({ placement: "inline" })); // [4, 5] 60
   * ```
   */
  matmul(other: ChunkedArray): ChunkedArray {
    return new ChunkedArray(matmulLazy(this.#lazy, lazyOf(other)));
  }

  /**
   * Apply a task to each chunk: `task(block, info)` gets the chunk as a
   * local `NdArray` and returns a typed array or `NdArray` (of the same
   * shape unless `options.chunks` says otherwise). It must not change the
   * block it is given (on `inline` and `local` placement that is the held
   * chunk itself, as with Dask's `map_blocks`).
   *
   * @example
   * ```ts
   * import { defineTasks } from "@troupe/troupe";
   * import { arange, type NdArray } from "@troupe/troupe/array";
   * export const t = defineTasks(import.meta.url, {
   *   double: (b: NdArray) => b.data.map((v) => 2 * v),
   * });
   * const y = arange(6, { chunks: 2 }).mapBlocks(t.double);
   * console.log(await y.sum().compute({ placement: "inline" })); // 30
   * ```
   */
  mapBlocks(task: MapBlocksTask, options: MapBlocksOptions = {}): ChunkedArray {
    return new ChunkedArray(mapBlocksLazy(this.#lazy, task, options));
  }

  /**
   * The graph values of its chunks (delayed tasks or futures), in C order
   * over the block grid.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([4], { chunks: 2 }).add(1).toDelayed().length); // 2
   * ```
   */
  toDelayed(): Delayed<TypedArray>[] {
    return materialize(this.#lazy).blocks as Delayed<TypedArray>[];
  }

  /**
   * Compute it into one local `NdArray` (see `ComputeOptions`; default: a
   * scheduler on this machine's cores, made for the call).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * const a = await arange(6, { chunks: 4 }).mul(2).compute({ placement: "inline" });
   * console.log(a.shape, a.get(5)); // [6] 10
   * ```
   */
  compute(options?: ComputeOptions): Promise<NdArray> {
    return withRunner(options, (runner) => computeWith(this.#lazy, runner));
  }

  /**
   * Start computing its chunks and keep them on the workers of
   * `options.scheduler`: an array over those results (futures).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * import { random } from "@troupe/troupe/array";
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const x = random([100], { chunks: 10, seed: 1 }).persist({ scheduler });
   * console.log(await x.mean().compute({ scheduler }) < 1); // true
   * ```
   */
  persist(options: PersistOptions): ChunkedArray {
    return new ChunkedArray(persistWith(this.#lazy, options));
  }

  /**
   * Write it to a Zarr array in a directory (chunk by chunk, on the
   * workers; see `ZarrWriteOptions`). The workers need write access there.
   *
   * @example
   * ```ts
   * import { random } from "@troupe/troupe/array";
   * export async function save(dir: string): Promise<void> {
   *   await random([1000, 1000], { chunks: 250, seed: 1 }).toZarr(dir);
   * }
   * ```
   */
  toZarr(path: string, options?: ZarrWriteOptions): Promise<void> {
    return toZarrLazy(this.#lazy, path, options);
  }

  /**
   * A short description.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(String(zeros([2, 3], { chunks: 1 })));
   * ```
   */
  override toString(): string {
    return describeLazy(this.#lazy);
  }
}

/** Internal: the lazy form of an array. */
export function lazyOf(a: ChunkedArray): Lazy {
  if (!(a instanceof ChunkedArray)) {
    throw wrongArgument(a, "a ChunkedArray");
  }
  return lazyOfArray(a);
}
