/**
 * Zarr storage: `toZarr` writes an array chunk by chunk on the workers
 * (each chunk computed, written, dropped: a dataset larger than memory
 * streams through), `fromZarr` reads one lazily, a task per chunk. A
 * directory store through npm `zarrita` (Zarr v3, as Dask writes it).
 *
 * @module
 */

import { checkDType, type DType, type TypedArray } from "./_dtype.ts";
import { ChunkError } from "./_errors.ts";
import { blockIndices, type ChunksOption, offsets } from "./_chunks.ts";
import { fromSource, type Lazy } from "./_expr.ts";
import { blockKey, materialize } from "./_lower.ts";
import { rechunkLazy } from "./_manip.ts";
import { loadZarr, zarrKernels } from "./_zarr_kernels.ts";
import {
  type ComputeOptions,
  taskNode,
  tokenize,
  withRunner,
} from "./_graph.ts";

/**
 * Options of `toZarr`: where to compute (as `compute`), and whether to
 * replace what is there.
 *
 * @example
 * ```ts
 * import type { ZarrWriteOptions } from "@troupe/troupe/array";
 * const o: ZarrWriteOptions = { placement: "inline", overwrite: true };
 * ```
 */
export interface ZarrWriteOptions extends ComputeOptions {
  /** Replace an array already at the path (default: refuse). */
  overwrite?: boolean;
}

function absolute(path: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("a Zarr path must be a non-empty string");
  }
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Write `x` to a Zarr array in directory `path`. */
export async function toZarrLazy(
  x: Lazy,
  path: string,
  options: ZarrWriteOptions = {},
): Promise<void> {
  const dir = absolute(path);
  // Zarr chunks are regular: all equal but the last along each axis.
  x.chunks.forEach((c, a) => {
    if (c.slice(0, -1).some((s) => s !== c[0]) || c[c.length - 1] > c[0]) {
      throw new ChunkError(
        a,
        `Zarr needs regular chunks (all equal, the last one smaller), got [${
          c.join(", ")
        }]; rechunk first`,
      );
    }
  });
  if (await exists(`${dir}/zarr.json`)) {
    if (!options.overwrite) {
      throw new Error(
        `toZarr: ${dir} already holds a Zarr node (pass overwrite: true to replace it)`,
      );
    }
    await Deno.remove(dir, { recursive: true });
  }
  const { zarr, Store } = await loadZarr();
  await Deno.mkdir(dir, { recursive: true });
  await zarr.create(zarr.root(new Store(dir)), {
    shape: [...x.shape],
    chunkShape: x.chunks.map((c) => Math.max(1, c[0])),
    dtype: x.dtype,
  });
  if (x.shape.some((d) => d === 0)) return;
  const src = materialize(x);
  // A new token per write: workers must not reuse an array opened before.
  const token = tokenize("to-zarr", src.token, dir, crypto.randomUUID());
  const bounds = x.chunks.map(offsets);
  const writes: unknown[] = [];
  let i = 0;
  for (const bi of blockIndices(x.chunks.map((c) => c.length))) {
    writes.push(
      taskNode<number>(blockKey("to_zarr", token, bi), zarrKernels.write, [
        dir,
        token,
        bi.map((b, a) => bounds[a][b]),
        bi.map((b, a) => x.chunks[a][b]),
        x.dtype,
        src.blocks[i++],
      ]),
    );
  }
  await withRunner(options, (runner) => runner.compute(...writes));
}

/**
 * Options of `fromZarr`.
 *
 * @example
 * ```ts
 * import type { ZarrReadOptions } from "@troupe/troupe/array";
 * const o: ZarrReadOptions = { chunks: [1000, -1] };
 * ```
 */
export interface ZarrReadOptions {
  /** Chunks other than the stored ones (a rechunk after the read). */
  chunks?: ChunksOption;
}

/** A lazy array over the Zarr array in directory `path`. */
export async function fromZarrLazy(
  path: string,
  options: ZarrReadOptions = {},
): Promise<Lazy> {
  const dir = absolute(path);
  const { zarr, Store } = await loadZarr();
  const arr = await zarr.open.v3(zarr.root(new Store(dir)), { kind: "array" });
  const shape = [...arr.shape];
  const dtype: DType = checkDType(arr.dtype, "Zarr dtype");
  const size = [...arr.chunks];
  const chunks = shape.map((n, a) => {
    if (n === 0) return [0];
    const out: number[] = [];
    for (let at = 0; at < n; at += size[a]) out.push(Math.min(size[a], n - at));
    return out;
  });
  const meta = await Deno.readTextFile(`${dir}/zarr.json`);
  const token = tokenize("from-zarr", dir, meta);
  const blocks: unknown[] = [];
  for (const bi of blockIndices(chunks.map((c) => c.length))) {
    blocks.push(
      taskNode<TypedArray>(blockKey("from_zarr", token, bi), zarrKernels.read, [
        dir,
        token,
        bi,
        bi.map((b, a) => chunks[a][b]),
        dtype,
      ]),
    );
  }
  const x = fromSource({
    name: "from_zarr",
    token,
    shape,
    dtype,
    chunks,
    blocks,
  });
  return options.chunks === undefined ? x : rechunkLazy(x, options.chunks);
}
