/**
 * Chunks of numbers cross to a runner's host as one `Float64Array`: a
 * structured clone or MessagePack copies its bytes at once, where a list
 * of numbers costs a tag, a check and a decode per number (at 100,000
 * tiny items, that was most of a map's time). A float64 holds every
 * number as itself (-0 and NaN too), so the task sees the same values.
 *
 * @module
 */

/** A chunk's items or results as they travel: a list, or packed numbers. */
export type Packed = unknown[] | Float64Array;

/**
 * `list[start..end)`: as a `Float64Array` when every item is a number,
 * else as a plain list.
 */
export function packRange(list: unknown[], start: number, end: number): Packed {
  const n = Math.max(0, Math.min(end, list.length) - start);
  if (n < PACK_MIN) return list.slice(start, start + n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = list[start + i];
    if (typeof x !== "number") return list.slice(start, start + n);
    out[i] = x;
  }
  return out;
}

/** `results`, packed when every one is a number. */
export function packResults(results: unknown[]): Packed {
  return packRange(results, 0, results.length);
}

/**
 * Below this many, a list is sent as it is: packing pays for its copy only
 * on a long chunk.
 */
const PACK_MIN = 64;
