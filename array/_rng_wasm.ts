/**
 * The SIMD kernels of the random numbers (_rng_simd.wat), one instance per
 * isolate, made on first use: `fill` writes a piece of a random leaf's
 * uniforms into a buffer of this instance's memory (the compiled row loop
 * reads them from there), `sum` adds a run of uniforms up without writing
 * them. Both give exactly the numbers of `uniformCode` in `_rng.ts` (the
 * reference, and the path when WebAssembly SIMD is missing).
 *
 * @module
 */

import { RNG_SIMD_BASE64 } from "./_rng_simd_bytes.ts";

interface RngExports {
  memory: WebAssembly.Memory;
  fill(
    at: number,
    n: number,
    c: number,
    e: number,
    k0: number,
    k1: number,
    open: number,
  ): void;
  sum(n: number, c: number, e: number, k0: number, k1: number): number;
}

/** The most elements a leaf's buffer holds: rows are filled in pieces. */
export const PIECE = 4096;
/** A buffer's bytes: a piece and the rest of the last group of four. */
const SLOT = (PIECE + 4) * 8;

let loaded: RngExports | null | undefined;
let enabled = true;
let views: Float64Array[] = [];
let viewsOf: ArrayBufferLike | undefined;

function instance(): RngExports | null {
  if (loaded === undefined) {
    try {
      const bytes = Uint8Array.from(
        atob(RNG_SIMD_BASE64),
        (c) => c.charCodeAt(0),
      );
      loaded = new WebAssembly.Instance(new WebAssembly.Module(bytes))
        .exports as unknown as RngExports;
    } catch {
      // No WebAssembly SIMD here: the JS loops make the same numbers.
      loaded = null;
    }
  }
  return loaded;
}

/** The kernels, or undefined where WebAssembly SIMD is missing (or off). */
export function rngKernels(): RngExports | undefined {
  return enabled ? instance() ?? undefined : undefined;
}

/** Turn the kernels off or on in this isolate (tests compare both paths). */
export function useRngKernels(on: boolean): void {
  enabled = on;
}

/**
 * `count` buffers of `PIECE` (+ 4) float64s in the kernels' memory, slot
 * `k` at byte `k * SLOT`; views made again when the memory grows.
 */
export function rngBuffers(kernels: RngExports, count: number): Float64Array[] {
  const memory = kernels.memory;
  const need = count * SLOT;
  if (memory.buffer.byteLength < need) {
    memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  }
  const buffer = memory.buffer;
  if (viewsOf !== buffer) {
    viewsOf = buffer;
    views = [];
  }
  while (views.length < count) {
    views.push(new Float64Array(buffer, views.length * SLOT, PIECE + 4));
  }
  return views;
}

/** The byte offset of buffer `k` (for `fill`). */
export function slotAt(k: number): number {
  return k * SLOT;
}

/**
 * Whether leaf `leaf`'s uniforms come from the SIMD kernels (a float64
 * uniform, as `random` and `normal` make), written to a buffer per row
 * piece, rather than from the hash inlined in the loop.
 */
export function buffered(leaf: { kind: string; dtype: string }): boolean {
  return (leaf.kind === "uniform" && leaf.dtype !== "float32") ||
    leaf.kind === "normal";
}

/**
 * The row sum of a bare float64 uniform leaf in [low, high) (`random(...)`
 * summed), by the kernels' `sum`, which never writes the values (the words
 * are added up as integers, exactly): a row loop of `_program.ts`.
 */
export function uniformRowSum(
  kernels: RngExports,
  low: number,
  high: number,
): (
  dst: unknown,
  d: number,
  n: number,
  S: unknown,
  O: Float64Array,
  T: Float64Array,
  F: Float64Array,
  K: Int32Array,
) => number {
  const span = high - low;
  return (_dst, _d, n, _S, O, T, _F, K) =>
    low * n + span * kernels.sum(n, O[0] | 0, T[0] | 0, K[0], K[1]);
}
