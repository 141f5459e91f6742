/**
 * Chunkings: per axis, the sizes of the chunks along it (Dask's `chunks`
 * tuple of tuples). How a user's `chunks` option becomes one, where each
 * chunk starts, which chunk holds an index, and the common refinement of two
 * chunkings of an axis (the chunks that operands of different chunking are
 * computed on).
 *
 * @module
 */

import { ChunkError } from "./_errors.ts";

/**
 * Per axis, the chunk sizes along it (Dask's `chunks`).
 *
 * @example
 * ```ts
 * import { type Chunks, zeros } from "@troupe/troupe/array";
 * const c: Chunks = zeros([5, 4], { chunks: 2 }).chunks; // [[2, 2, 1], [2, 2]]
 * ```
 */
export type Chunks = readonly (readonly number[])[];

/**
 * How a caller gives chunks: one size for every axis, a size per axis (`-1`:
 * the whole axis), or the sizes of every chunk per axis; `"auto"` picks
 * chunks of about 128 MiB.
 *
 * @example
 * ```ts
 * import type { ChunksOption } from "@troupe/troupe/array";
 * const square: ChunksOption = 1000;
 * const rows: ChunksOption = [100, -1];
 * const explicit: ChunksOption = [[3, 3, 4], [5, 5]];
 * ```
 */
export type ChunksOption =
  | number
  | "auto"
  | readonly (number | readonly number[])[];

/** About this many bytes per chunk when chunks are "auto" (as Dask). */
export const AUTO_CHUNK_BYTES = 128 * 2 ** 20;

function checkSize(size: number, axis: number): void {
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new ChunkError(
      axis,
      `a chunk size must be an integer >= 1 (or -1 for the whole axis), got ${size}`,
    );
  }
}

/** Regular chunks of `size` along an axis of `n` (the last one shorter). */
export function regular(n: number, size: number): number[] {
  if (n === 0) return [0];
  const out: number[] = [];
  for (let at = 0; at < n; at += size) out.push(Math.min(size, n - at));
  return out;
}

/** The chunks `option` gives an array of `shape` with `itemBytes` each. */
export function normalizeChunks(
  option: ChunksOption | undefined,
  shape: readonly number[],
  itemBytes = 8,
): number[][] {
  if (option === undefined || option === "auto") {
    return autoChunks(shape, itemBytes);
  }
  if (typeof option === "number") {
    return shape.map((n, axis) => {
      if (option === -1) return [n];
      checkSize(option, axis);
      return regular(n, option);
    });
  }
  if (!Array.isArray(option)) {
    throw new ChunkError(0, `chunks must be a number, "auto" or a list`);
  }
  if (option.length !== shape.length) {
    throw new ChunkError(
      Math.min(option.length, shape.length),
      `chunks are given for ${option.length} axes, the array has ${shape.length}`,
    );
  }
  return shape.map((n, axis) => {
    const c = option[axis];
    if (typeof c === "number") {
      if (c === -1) return [n];
      checkSize(c, axis);
      return regular(n, c);
    }
    if (!Array.isArray(c)) {
      throw new ChunkError(axis, `chunks must be numbers or lists of numbers`);
    }
    if (n === 0) {
      if (c.length === 1 && c[0] === 0) return [0];
      throw new ChunkError(axis, `an empty axis has chunks [0]`);
    }
    let sum = 0;
    for (const s of c) {
      checkSize(s, axis);
      sum += s;
    }
    if (sum !== n) {
      throw new ChunkError(
        axis,
        `chunks [${c.join(", ")}] sum to ${sum}, but the axis has ${n}`,
      );
    }
    return [...c];
  });
}

/**
 * Chunks of at most about `AUTO_CHUNK_BYTES`: halve the largest chunk
 * dimension until a chunk fits.
 */
export function autoChunks(
  shape: readonly number[],
  itemBytes: number,
): number[][] {
  const sizes = shape.map((n) => Math.max(n, 1));
  const limit = Math.max(1, Math.floor(AUTO_CHUNK_BYTES / itemBytes));
  let total = sizes.reduce((a, b) => a * b, 1);
  while (total > limit) {
    let big = 0;
    for (let i = 1; i < sizes.length; i++) if (sizes[i] > sizes[big]) big = i;
    if (sizes[big] === 1) break;
    total /= sizes[big];
    sizes[big] = Math.ceil(sizes[big] / 2);
    total *= sizes[big];
  }
  return shape.map((n, i) => regular(n, sizes[i]));
}

/** Where each chunk starts, and the axis length last: `[0, c0, c0+c1, ...]`. */
export function offsets(chunks: readonly number[]): number[] {
  const out = [0];
  for (const c of chunks) out.push(out[out.length - 1] + c);
  return out;
}

/** The chunk of `bounds` (from `offsets`) that holds index `i`. */
export function chunkAt(bounds: readonly number[], i: number): number {
  let lo = 0;
  let hi = bounds.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The common refinement of chunkings of one axis: a chunk ends wherever a
 * chunk of any of them ends.
 */
export function refine(chunkings: readonly (readonly number[])[]): number[] {
  const ends = new Set<number>();
  let n = 0;
  for (const c of chunkings) {
    const b = offsets(c);
    n = b[b.length - 1];
    for (let i = 1; i < b.length; i++) ends.add(b[i]);
  }
  if (n === 0) return [0];
  const sorted = [...ends].sort((a, b) => a - b);
  const out: number[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e > at) out.push(e - at);
    at = e;
  }
  return out;
}

/** How many blocks per axis. */
export function numBlocks(chunks: Chunks): number[] {
  return chunks.map((c) => c.length);
}

/** Every block index of a grid, in C order. */
export function* blockIndices(grid: readonly number[]): Generator<number[]> {
  const total = grid.reduce((a, b) => a * b, 1);
  const idx = grid.map(() => 0);
  for (let n = 0; n < total; n++) {
    yield idx.slice();
    for (let a = grid.length - 1; a >= 0; a--) {
      if (++idx[a] < grid[a]) break;
      idx[a] = 0;
    }
  }
}

/** The C-order position of `idx` in a grid. */
export function flatIndex(
  idx: readonly number[],
  grid: readonly number[],
): number {
  let f = 0;
  for (let a = 0; a < grid.length; a++) f = f * grid[a] + idx[a];
  return f;
}

/** C-order strides (in elements) of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    s[a] = acc;
    acc *= shape[a];
  }
  return s;
}

/** The number of elements of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether two chunkings are the same. */
export function sameChunks(a: Chunks, b: Chunks): boolean {
  return a.length === b.length &&
    a.every((c, i) =>
      c.length === b[i].length && c.every((x, j) => x === b[i][j])
    );
}
