/**
 * Making arrays: random numbers (`random`, `normal`: the same seed and
 * shape give the same numbers whatever the chunking and the placement),
 * constants (`zeros`, `ones`, `full`), ranges (`arange`, `linspace`), local
 * data (`fromArray`), and user tasks or graph values (`fromFunction`,
 * `fromDelayed`). Generated arrays are never held: each chunk task makes
 * its values where they are used.
 *
 * @module
 */

import {
  allocate,
  arrayType,
  castValue,
  checkDType,
  type DType,
  dtypeOf,
  itemSize,
  type TypedArray,
} from "./_dtype.ts";
import { ShapeMismatchError } from "./_errors.ts";
import {
  blockIndices,
  type ChunksOption,
  normalizeChunks,
  offsets,
  sizeOf,
} from "./_chunks.ts";
import { type Expr, fromSource, identityMap, lazy } from "./_expr.ts";
import { checkSeed } from "./_rng.ts";
import { copyBox } from "./_copy.ts";
import { blockKey } from "./_lower.ts";
import { kernels } from "./_kernels.ts";
import {
  type Delayed,
  type Future,
  type Task,
  taskNode,
  tokenize,
  tokenizeData,
} from "./_graph.ts";
import { ChunkedArray } from "./_array.ts";
import { NdArray } from "./_ndarray.ts";
import {
  fromDelayedLazy,
  fromFunctionLazy,
  type FromFunctionOptions,
} from "./_map_blocks.ts";
import { fromZarrLazy, type ZarrReadOptions } from "./_zarr.ts";

/**
 * Options of the creation functions: chunks and dtype.
 *
 * @example
 * ```ts
 * import type { CreateOptions } from "@troupe/troupe/array";
 * const o: CreateOptions = { chunks: [1000, 1000], dtype: "float32" };
 * ```
 */
export interface CreateOptions {
  /** Its chunks (see `ChunksOption`; default "auto", about 128 MiB). */
  chunks?: ChunksOption;
  /** Its dtype (default float64). */
  dtype?: DType;
}

/**
 * Options of `random` and `normal`: also the seed.
 *
 * @example
 * ```ts
 * import type { RandomOptions } from "@troupe/troupe/array";
 * const o: RandomOptions = { chunks: 1000, seed: 42 };
 * ```
 */
export interface RandomOptions extends CreateOptions {
  /** An integer in [0, 2^53); default: a fresh random one. */
  seed?: number;
}

function checkShape(shape: readonly number[], what: string): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new ShapeMismatchError(
      what,
      shape ?? [],
      [],
      "a shape is a list of sizes >= 0",
    );
  }
  return [...shape];
}

function freshSeed(): number {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return (w[0] & 0x1fffff) * 4294967296 + w[1];
}

function generated(
  name: string,
  shape: readonly number[],
  options: CreateOptions,
  dtype: DType,
  expr: (shape: number[]) => Expr,
): ChunkedArray {
  const s = checkShape(shape, name);
  const chunks = normalizeChunks(options.chunks, s, itemSize(dtype));
  return new ChunkedArray(lazy(name, s, dtype, chunks, expr(s)));
}

/**
 * Uniform random numbers in [0, 1), as `dask.array.random.random`. The
 * same seed and shape give the same numbers whatever the chunks.
 *
 * @example
 * ```ts
 * import { random } from "@troupe/troupe/array";
 * const x = random([10000, 10000], { chunks: [1000, 1000], seed: 42 });
 * console.log(x.numblocks); // [10, 10]
 * ```
 */
export function random(
  shape: readonly number[],
  options: RandomOptions = {},
): ChunkedArray {
  return uniform(shape, 0, 1, options);
}

/**
 * Uniform random numbers in [low, high).
 *
 * @example
 * ```ts
 * import { uniform } from "@troupe/troupe/array";
 * const x = uniform([100], -1, 1, { seed: 7 });
 * console.log(await x.min().compute({ placement: "inline" }) >= -1); // true
 * ```
 */
export function uniform(
  shape: readonly number[],
  low: number,
  high: number,
  options: RandomOptions = {},
): ChunkedArray {
  const dtype = checkDType(options.dtype ?? "float64");
  const seed = options.seed === undefined
    ? freshSeed()
    : checkSeed(options.seed);
  return generated("random", shape, options, dtype, (s) => ({
    t: "gen",
    desc: { kind: "uniform", dtype, seed, low, high },
    origin: s,
    map: identityMap(s.length),
  }));
}

/**
 * Normally distributed random numbers (mean `loc`, standard deviation
 * `scale`; defaults 0 and 1), chunking-invariant as `random`.
 *
 * @example
 * ```ts
 * import { normal } from "@troupe/troupe/array";
 * const z = normal([1000], { seed: 3, chunks: 100 });
 * console.log(Math.abs(await z.mean().compute({ placement: "inline" })) < 0.2); // true
 * ```
 */
export function normal(
  shape: readonly number[],
  options: RandomOptions & { loc?: number; scale?: number } = {},
): ChunkedArray {
  const dtype = checkDType(options.dtype ?? "float64");
  const seed = options.seed === undefined
    ? freshSeed()
    : checkSeed(options.seed);
  const loc = options.loc ?? 0;
  const scale = options.scale ?? 1;
  return generated("normal", shape, options, dtype, (s) => ({
    t: "gen",
    desc: { kind: "normal", dtype, seed, loc, scale },
    origin: s,
    map: identityMap(s.length),
  }));
}

/**
 * An array of one value.
 *
 * @example
 * ```ts
 * import { full } from "@troupe/troupe/array";
 * console.log(await full([2, 2], 7).sum().compute({ placement: "inline" })); // 28
 * ```
 */
export function full(
  shape: readonly number[],
  value: number,
  options: CreateOptions = {},
): ChunkedArray {
  const dtype = checkDType(
    options.dtype ?? (typeof value === "boolean" ? "bool" : "float64"),
  );
  return generated("full", shape, options, dtype, () => ({
    t: "const",
    dtype,
    value: castValue(dtype, Number(value)),
  }));
}

/**
 * Zeros.
 *
 * @example
 * ```ts
 * import { zeros } from "@troupe/troupe/array";
 * console.log(zeros([2, 3], { dtype: "int32" }).dtype); // "int32"
 * ```
 */
export function zeros(
  shape: readonly number[],
  options: CreateOptions = {},
): ChunkedArray {
  return full(shape, 0, options);
}

/**
 * Ones.
 *
 * @example
 * ```ts
 * import { ones } from "@troupe/troupe/array";
 * console.log(await ones([3]).sum().compute({ placement: "inline" })); // 3
 * ```
 */
export function ones(
  shape: readonly number[],
  options: CreateOptions = {},
): ChunkedArray {
  return full(shape, 1, options);
}

/**
 * Evenly spaced values in [start, stop), as NumPy's `arange`: `arange(n)`,
 * `arange(start, stop)` or `arange(start, stop, step)`; int32 when all are
 * integers, else float64.
 *
 * @example
 * ```ts
 * import { arange } from "@troupe/troupe/array";
 * console.log((await arange(2, 11, 3).compute({ placement: "inline" })).toArray()); // [2, 5, 8]
 * ```
 */
export function arange(
  start: number,
  stop?: number | CreateOptions,
  step?: number | CreateOptions,
  options?: CreateOptions,
): ChunkedArray {
  const nums = [start, stop, step].filter((v): v is number =>
    typeof v === "number"
  );
  const opts = options ??
    [stop, step].find((v): v is CreateOptions => typeof v === "object") ?? {};
  const [a, b, s] = nums.length === 1
    ? [0, nums[0], 1]
    : [nums[0], nums[1], nums[2] ?? 1];
  if (!nums.every(Number.isFinite) || s === 0) {
    throw new RangeError(
      `arange needs finite numbers and a non-zero step, got ${nums.join(", ")}`,
    );
  }
  const n = Math.max(0, Math.ceil((b - a) / s));
  const dtype = checkDType(
    opts.dtype ?? (nums.every(Number.isInteger) ? "int32" : "float64"),
  );
  return generated("arange", [n], opts, dtype, (shape) => ({
    t: "gen",
    desc: { kind: "arange", dtype, start: a, step: s },
    origin: shape,
    map: identityMap(1),
  }));
}

/**
 * `num` evenly spaced values from `start` to `stop` (included unless
 * `endpoint: false`), as NumPy's `linspace`.
 *
 * @example
 * ```ts
 * import { linspace } from "@troupe/troupe/array";
 * console.log((await linspace(0, 1, 5).compute({ placement: "inline" })).toArray()); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(
  start: number,
  stop: number,
  num = 50,
  options: CreateOptions & { endpoint?: boolean } = {},
): ChunkedArray {
  if (!(Number.isInteger(num) && num >= 0)) {
    throw new RangeError(`linspace needs num >= 0, got ${num}`);
  }
  const endpoint = options.endpoint ?? true;
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const dtype = checkDType(options.dtype ?? "float64");
  return generated("linspace", [num], options, dtype, (shape) => ({
    t: "gen",
    desc: {
      kind: "linspace",
      dtype,
      start,
      step,
      stop: endpoint ? stop : start + step * num,
      last: endpoint && num > 1 ? num - 1 : -1,
    },
    origin: shape,
    map: identityMap(1),
  }));
}

/**
 * Options of `fromArray`.
 *
 * @example
 * ```ts
 * import type { FromArrayOptions } from "@troupe/troupe/array";
 * const o: FromArrayOptions = { shape: [2, 3], chunks: [1, 3] };
 * ```
 */
export interface FromArrayOptions extends CreateOptions {
  /** Its shape, for flat data (default: the data's own, or 1-d). */
  shape?: readonly number[];
  /** Its token, instead of a hash of every byte (a name the caller keeps unique). */
  name?: string;
}

/** A nested JS array's shape and flat values. */
function flatten(data: unknown[]): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const values: number[] = [];
  const walk = (x: unknown, axis: number) => {
    if (axis === shape.length) {
      if (typeof x !== "number" && typeof x !== "boolean") {
        throw new ShapeMismatchError(
          "fromArray",
          shape,
          [],
          "nested arrays must be regular and hold numbers",
        );
      }
      values.push(Number(x));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[axis]) {
      throw new ShapeMismatchError(
        "fromArray",
        shape,
        [],
        `ragged nesting at axis ${axis}`,
      );
    }
    for (const y of x) walk(y, axis + 1);
  };
  walk(data, 0);
  return { shape, values };
}

/**
 * An array from local data (a typed array, an `NdArray`, or nested JS
 * arrays), split into chunks; each chunk is held once, on a worker.
 *
 * @example
 * ```ts
 * import { fromArray } from "@troupe/troupe/array";
 * const x = fromArray(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3], chunks: [1, 3] });
 * console.log((await x.sum({ axis: 1 }).compute({ placement: "inline" })).toArray()); // [6, 15]
 * ```
 */
export function fromArray(
  data: TypedArray | NdArray | unknown[],
  options: FromArrayOptions = {},
): ChunkedArray {
  let flat: TypedArray;
  let shape: number[];
  if (data instanceof NdArray) {
    flat = data.data;
    shape = [...data.shape];
  } else if (ArrayBuffer.isView(data)) {
    flat = data as TypedArray;
    shape = [flat.length];
  } else if (Array.isArray(data)) {
    const f = flatten(data);
    const d = checkDType(
      options.dtype ?? (f.values.every(Number.isInteger) ? "int32" : "float64"),
    );
    flat = arrayType(d).from(f.values);
    shape = f.shape;
  } else {
    throw new TypeError(
      "fromArray takes a typed array, an NdArray or nested arrays",
    );
  }
  const own = dtypeOf(flat);
  const dtype = checkDType(
    options.dtype ?? (data instanceof NdArray ? data.dtype : own),
  );
  if (options.shape !== undefined) {
    const s = checkShape(options.shape, "fromArray");
    if (sizeOf(s) !== flat.length) {
      throw new ShapeMismatchError(
        "fromArray",
        [flat.length],
        s,
        "the data does not fill the shape",
      );
    }
    shape = s;
  }
  const chunks = normalizeChunks(options.chunks, shape, itemSize(dtype));
  const token = tokenize(
    "array",
    options.name ?? tokenizeData(flat),
    own,
    dtype,
    shape.join(","),
    chunks.map((c) => c.join(",")).join(";"),
  );
  const bounds = chunks.map(offsets);
  const blocks: Delayed<TypedArray>[] = [];
  for (const bi of blockIndices(chunks.map((c) => c.length))) {
    const size = bi.map((b, a) => chunks[a][b]);
    const out = allocate(dtype, sizeOf(size));
    copyBox(
      out,
      size,
      size.map(() => 0),
      flat,
      shape,
      bi.map((b, a) => bounds[a][b]),
      size,
    );
    blocks.push(
      taskNode<TypedArray>(blockKey("array", token, bi), kernels.literal, [
        out,
      ]),
    );
  }
  return new ChunkedArray(
    fromSource({ name: "array", token, shape, dtype, chunks, blocks }),
  );
}

/**
 * An array whose element (i, j, ...) is `task(i, j, ...)`: the task (made
 * by `defineTasks`) runs on the workers, once per element, chunk by chunk.
 * (NumPy's `fromfunction` calls its function once with index arrays; a JS
 * function takes one element at a time.)
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import { fromFunction } from "@troupe/troupe/array";
 * export const t = defineTasks(import.meta.url, { f: (i: number, j: number) => 10 * i + j });
 * const x = fromFunction(t.f, [2, 3], { chunks: 2 });
 * console.log((await x.compute({ placement: "inline" })).toArray()); // [[0, 1, 2], [10, 11, 12]]
 * ```
 */
export function fromFunction(
  task: Task<number[], number>,
  shape: readonly number[],
  options: FromFunctionOptions = {},
): ChunkedArray {
  return new ChunkedArray(
    fromFunctionLazy(task, checkShape(shape, "fromFunction"), options),
  );
}

/**
 * A one-chunk array from a graph value (a `Delayed` or `Future` of a typed
 * array or `NdArray` of `shape`), as `dask.array.from_delayed`.
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import { delayed } from "@troupe/troupe";
 * import { fromDelayed } from "@troupe/troupe/array";
 * export const t = defineTasks(import.meta.url, { load: () => new Float64Array([1, 2, 3]) });
 * const x = fromDelayed(delayed(t.load)(), [3], { dtype: "float64" });
 * console.log(await x.sum().compute({ placement: "inline" })); // 6
 * ```
 */
export function fromDelayed(
  value: Delayed<unknown> | Future<unknown>,
  shape: readonly number[],
  options: { dtype?: DType } = {},
): ChunkedArray {
  return new ChunkedArray(
    fromDelayedLazy(
      value,
      checkShape(shape, "fromDelayed"),
      checkDType(options.dtype ?? "float64"),
    ),
  );
}

/**
 * A lazy array over a Zarr array in a directory (written by `toZarr`, or
 * by Dask's `to_zarr` in Zarr v3): one read task per chunk.
 *
 * @example
 * ```ts
 * import { fromZarr } from "@troupe/troupe/array";
 * export async function total(dir: string): Promise<number> {
 *   const x = await fromZarr(dir, { chunks: [1000, -1] });
 *   return await x.sum().compute();
 * }
 * ```
 */
export async function fromZarr(
  path: string,
  options: ZarrReadOptions = {},
): Promise<ChunkedArray> {
  return new ChunkedArray(await fromZarrLazy(path, options));
}
