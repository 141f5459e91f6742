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
import type { FusedRowSum, ProgShape } from "./_sum_wasm.ts";

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
 * The row sum of a program that only adds and subtracts float64 uniform
 * leaves and constants (`random(...)`, `x.add(x.T)`, summed): the sum of
 * the leaves' sums, each made by the kernels' `sum`, which never writes
 * the values (the words are added up as integers, exactly). Undefined for
 * any other program (a row loop of `_program.ts` otherwise).
 */
export function affineRowSum(
  kernels: RngExports,
  prog: ProgShape,
): FusedRowSum | undefined {
  // Per instruction: a coefficient per leaf and a constant.
  const forms: { c: number[]; k: number }[] = [];
  const nLeaves = prog.leaves.length;
  for (const [op, dtype, a, b] of prog.code) {
    if (dtype !== "float64") return undefined;
    const x = forms[a as number], y = forms[b as number];
    if (op === "leaf") {
      const leaf = prog.leaves[a as number];
      if (leaf?.kind !== "uniform" || leaf.dtype !== "float64") {
        return undefined;
      }
      const c = new Array<number>(nLeaves).fill(0);
      c[a as number] = 1;
      forms.push({ c, k: 0 });
    } else if (op === "const") forms.push({ c: [], k: a as number });
    else if ((op === "add" || op === "sub") && x && y) {
      const s = op === "add" ? 1 : -1;
      const c = new Array<number>(nLeaves).fill(0)
        .map((_, i) => (x.c[i] ?? 0) + s * (y.c[i] ?? 0));
      forms.push({ c, k: x.k + s * y.k });
    } else return undefined;
  }
  const last = forms.at(-1);
  if (last === undefined) return undefined;
  const terms = last.c.flatMap((c, i) => {
    if (c === 0) return [];
    const { low = 0, high = 1 } = prog.leaves[i];
    return [{ i, times: c * (high - low), plus: c * low }];
  });
  const k = last.k;
  return (_dst, _d, n, _S, O, T, _F, K) => {
    let s = k * n;
    for (const { i, times, plus } of terms) {
      s += plus * n +
        times * kernels.sum(n, O[i] | 0, T[i] | 0, K[2 * i], K[2 * i + 1]);
    }
    return s;
  };
}
