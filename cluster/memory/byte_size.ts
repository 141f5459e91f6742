/**
 * How many bytes a held value takes, for the memory manager: exact for
 * binary data (typed arrays, `ArrayBuffer`s and `DataView`s by their
 * `byteLength`), so that an array chunk or a dataframe partition (plain
 * objects whose columns are typed arrays, nested a few levels) counts the
 * sum of its buffers; strings by their UTF-16 length; other structure by a
 * small fixed cost per part. The walk is bounded (`MAX_PARTS` parts, and
 * long arrays of primitives sampled), since every result is measured.
 *
 * The same walk says whether the value is plain data, the kind that comes
 * back from a spill file exactly as it went (no class instance, function,
 * symbol or bare `SharedArrayBuffer` anywhere; typed arrays over shared
 * memory come back over buffers of their own): only those are spilled.
 *
 * @module
 */

/** Parts visited at most; past them the rest is estimated. */
const MAX_PARTS = 10_000;
/** The cost of one part of a structure (a key, a slot, an object header). */
const PART_BYTES = 8;

/**
 * What `measure` found: the value's bytes, and whether it is plain data.
 *
 * @example
 * ```ts
 * import type { Measure } from "./byte_size.ts";
 * const m: Measure = { bytes: 800, plain: true };
 * ```
 */
export interface Measure {
  /** Bytes it takes (exact for binary data, about for the rest). */
  bytes: number;
  /**
   * Plain data only (primitives, plain objects and arrays, binary data,
   * Maps, Dates): it survives a spill file unchanged.
   */
  plain: boolean;
}

/**
 * Measure `value`: its bytes and whether it is plain data.
 *
 * @example
 * ```ts
 * import { measure } from "./byte_size.ts";
 * import assert from "node:assert/strict";
 * const part = { names: ["x"], columns: [{ data: new Float64Array(100), valid: null }] };
 * assert.ok(measure(part).bytes >= 800);
 * assert.equal(measure(new Float64Array(10)).bytes, 80);
 * ```
 */
export function measure(value: unknown): Measure {
  const seen = new Set<object>();
  let parts = 0;
  let plain = true;
  const walk = (v: unknown): number => {
    switch (typeof v) {
      case "string":
        return 2 * v.length + PART_BYTES;
      case "number":
      case "boolean":
      case "undefined":
      case "bigint":
        return PART_BYTES;
      case "object":
        break;
      default: // a function or a symbol: not data
        plain = false;
        return PART_BYTES;
    }
    if (v === null) return PART_BYTES;
    if (ArrayBuffer.isView(v)) {
      if (seen.has(v)) return 0;
      seen.add(v);
      // A view of shared memory is data too (a dataframe's columns on
      // worker hosts are): its bytes come back from a spill file exactly,
      // in a buffer of their own. A held result is a value, not a channel.
      return v.byteLength;
    }
    if (v instanceof ArrayBuffer) {
      if (seen.has(v)) return 0;
      seen.add(v);
      return v.byteLength;
    }
    if (v instanceof SharedArrayBuffer) {
      plain = false;
      return v.byteLength;
    }
    if (seen.has(v)) return 0; // (a cycle, or shared: counted once)
    seen.add(v);
    if (++parts > MAX_PARTS) return 64;
    if (Array.isArray(v)) {
      const n = v.length;
      // A long array of primitives is sampled; one with binary data or
      // objects in it is walked (up to the bound).
      if (n > 64 && (v[0] === null || typeof v[0] !== "object")) {
        let bytes = 0;
        for (let i = 0; i < 16; i++) bytes += walk(v[Math.floor(i * n / 16)]);
        return 16 + Math.round(bytes / 16 * n);
      }
      let bytes = 16;
      for (let i = 0; i < n; i++) bytes += walk(v[i]);
      return bytes;
    }
    if (v instanceof Date) return 16;
    if (v instanceof Map) {
      let bytes = 16;
      for (const [k, x] of v) bytes += walk(k) + walk(x);
      return bytes;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) plain = false;
    let bytes = 16;
    for (const k in v as object) {
      bytes += 2 * k.length + walk((v as Record<string, unknown>)[k]);
    }
    return bytes;
  };
  let bytes: number;
  try {
    bytes = walk(value);
  } catch {
    // (a getter that throws, a proxy: not data we can vouch for)
    return { bytes: Math.max(PART_BYTES, 64), plain: false };
  }
  return { bytes, plain };
}

/**
 * About how many bytes `value` takes (see `measure`).
 *
 * @example
 * ```ts
 * import { byteSize } from "./byte_size.ts";
 * console.log(byteSize(new Uint8Array(1024))); // 1024
 * ```
 */
export function byteSize(value: unknown): number {
  return measure(value).bytes;
}
