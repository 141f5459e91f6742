/**
 * The memory thresholds, as fractions of a worker's memory limit, as Dask's
 * users know them (`distributed.worker.memory.*`): past `target` the least
 * recently used held results are spilled to disk; past `spill` (of the
 * process's memory, where it has a process of its own) more are; past
 * `pause` the worker takes no new task until it is below again; past
 * `terminate` a process or node host is ended and its work recomputed
 * elsewhere. `false` turns one off.
 *
 * @module
 */

/**
 * Thresholds as fractions of the memory limit (`false`: off).
 *
 * @example
 * ```ts
 * import type { MemoryFractions } from "./fractions.ts";
 * const noSpill: MemoryFractions = { target: false, spill: false };
 * ```
 */
export interface MemoryFractions {
  /** Spill least recently used results above this much held (default 0.6). */
  target?: number | false;
  /** Spill more above this much process memory (default 0.7). */
  spill?: number | false;
  /** Take no new tasks above this much held (default 0.8). */
  pause?: number | false;
  /** End a process or node host above this much process memory (default 0.95). */
  terminate?: number | false;
}

/** Every threshold resolved: a fraction, or `false` for off. */
export type Fractions = { [K in keyof MemoryFractions]-?: number | false };

/** Dask's defaults. */
export const DEFAULT_FRACTIONS: Fractions = {
  target: 0.6,
  spill: 0.7,
  pause: 0.8,
  terminate: 0.95,
};

/**
 * `given` over the defaults, checked: each a number in (0, 1], or false.
 *
 * @example
 * ```ts
 * import { resolveFractions } from "./fractions.ts";
 * console.log(resolveFractions({ pause: 0.5 }).pause); // 0.5
 * ```
 */
export function resolveFractions(given: MemoryFractions = {}): Fractions {
  const out = { ...DEFAULT_FRACTIONS };
  for (const name of Object.keys(DEFAULT_FRACTIONS) as (keyof Fractions)[]) {
    const v = given[name];
    if (v === undefined) continue;
    if (v !== false && !(typeof v === "number" && v > 0 && v <= 1)) {
      throw new RangeError(
        `memory fraction ${name} must be a number in (0, 1] or false, got ${
          String(v)
        }`,
      );
    }
    out[name] = v;
  }
  return out;
}
