/**
 * Keys of rows as dense integers: the same key values get the same id
 * across every batch given to one encoder (groups of a group-by, the build
 * side of a join, duplicates), with fast paths for one integer key (a
 * direct table over its range) and one string key (an id per dictionary
 * value, not per row); and a content hash of key values that is the same
 * in every isolate (to route rows of a shuffle).
 *
 * @module
 */

import { PartBuilder } from "./_builder.ts";
import { DictBuilder, originOf } from "./_dict.ts";
import { floats } from "./_eval.ts";
import { bit, type Column, type Dict, type DType, type Part } from "./_part.ts";

/** Direct tables span at most this many values. */
const DIRECT_SPAN = 1 << 20;

/** Ids of one column's values. */
class OneKey {
  readonly type: DType;
  count = 0;
  /** The id of null, or -1 until one is met. */
  nullId = -1;
  // int32 / date: a direct table over [base, base + table.length).
  #base = 0;
  #table: Int32Array | null = null;
  // Other values: a map.
  #map: Map<number | bigint, number> | null = null;
  // Strings: ids are the indexes of a dictionary of the key values.
  readonly #dict: DictBuilder | null;
  #fromOrigin: DictBuilder | Dict | undefined;
  #fromMap = new Int32Array(0);

  constructor(type: DType) {
    this.type = type;
    this.#dict = type === "string" ? new DictBuilder() : null;
  }

  /**
   * out[i] = the id of row i's value (-1 for a null unless `nulls`; -1 for
   * a value not seen before when `lookup`); rows that made a new id are
   * pushed to `fresh`.
   */
  encode(
    col: Column,
    n: number,
    out: Int32Array,
    nulls: boolean,
    lookup: boolean,
    fresh: number[],
  ): void {
    const valid = col.valid;
    if (this.type === "string") {
      return this.#strings(col, n, out, nulls, lookup, fresh);
    }
    if ((this.type === "int32" || this.type === "date") && this.#map === null) {
      if (
        this.#ints(col.data as Int32Array, valid, n, out, nulls, lookup, fresh)
      ) return;
    }
    const map = this.#map ??= new Map();
    const big = this.type === "int64" || this.type === "timestamp";
    const data = big ? col.data as BigInt64Array : floats(col, n);
    for (let i = 0; i < n; i++) {
      if (valid !== null && !bit(valid, i)) {
        out[i] = this.#null(nulls, lookup, i, fresh);
        continue;
      }
      let v = data[i];
      if (v === 0) v = 0; // -0 and 0 are one key
      let id = map.get(v);
      if (id === undefined) {
        if (lookup) id = -1;
        else {
          map.set(v, id = this.count++);
          fresh.push(i);
        }
      }
      out[i] = id;
    }
  }

  #null(nulls: boolean, lookup: boolean, i: number, fresh: number[]): number {
    if (!nulls || lookup && this.nullId < 0) return -1;
    if (this.nullId < 0) {
      this.nullId = this.count++;
      fresh.push(i);
    }
    return this.nullId;
  }

  /** The direct-table path; false when the values' span is too wide for one. */
  #ints(
    d: Int32Array,
    valid: Uint8Array | null,
    n: number,
    out: Int32Array,
    nulls: boolean,
    lookup: boolean,
    fresh: number[],
  ): boolean {
    let lo = 2147483647, hi = -2147483648;
    for (let i = 0; i < n; i++) {
      const v = d[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (n === 0) return true;
    let table = this.#table;
    if (table === null || lo < this.#base || hi >= this.#base + table.length) {
      const base = table === null ? lo : Math.min(lo, this.#base);
      const top = table === null
        ? hi
        : Math.max(hi, this.#base + table.length - 1);
      if (top - base + 1 > DIRECT_SPAN) {
        // Too wide: move what the table holds into a map.
        const map = this.#map = new Map();
        if (table !== null) {
          for (let j = 0; j < table.length; j++) {
            if (table[j] > 0) map.set(this.#base + j, table[j] - 1);
          }
        }
        this.#table = null;
        return false;
      }
      const next = new Int32Array(
        Math.min(DIRECT_SPAN, Math.max(top - base + 1, 2 * (top - base + 1))),
      );
      if (table !== null) next.set(table, this.#base - base);
      this.#table = table = next;
      this.#base = base;
    }
    const base = this.#base;
    for (let i = 0; i < n; i++) {
      if (valid !== null && !bit(valid, i)) {
        out[i] = this.#null(nulls, lookup, i, fresh);
        continue;
      }
      const j = d[i] - base;
      let id = table[j] - 1;
      if (id < 0) {
        if (lookup) id = -1;
        else {
          id = this.count++;
          table[j] = id + 1;
          fresh.push(i);
        }
      }
      out[i] = id;
    }
    return true;
  }

  #strings(
    col: Column,
    n: number,
    out: Int32Array,
    nulls: boolean,
    lookup: boolean,
    fresh: number[],
  ): void {
    const dict = col.dict!;
    // Batches of one reader share a growing dictionary: map each of its
    // values once, then look rows up.
    const origin = originOf(dict) ?? dict;
    if (origin !== this.#fromOrigin) {
      this.#fromOrigin = origin;
      this.#fromMap = new Int32Array(0);
    }
    const size = dict.offsets.length - 1;
    let map = this.#fromMap;
    if (map.length < size) {
      const next = new Int32Array(size);
      next.set(map);
      next.fill(-2, map.length);
      this.#fromMap = map = next;
    }
    const keys = this.#dict!;
    const idx = col.data as Int32Array;
    const valid = col.valid;
    for (let i = 0; i < n; i++) {
      if (valid !== null && !bit(valid, i)) {
        out[i] = this.#null(nulls, lookup, i, fresh);
        continue;
      }
      const j = idx[i];
      let id = map[j];
      if (id === -2) {
        const o = dict.offsets;
        const before = keys.size;
        const k = keys.intern(dict.bytes, o[j], o[j + 1]);
        if (k >= before) this.#stringIds.push(-1);
        id = this.#stringIds[k];
        if (id < 0 && !lookup) {
          id = this.#stringIds[k] = this.count++;
          fresh.push(i);
        }
        if (id >= 0) map[j] = id;
        else id = -1;
      }
      out[i] = id;
    }
  }

  // Strings: the id of each value of the key dictionary, -1 for a value
  // only looked up (ids also count the null's: not the dictionary's indexes).
  readonly #stringIds: number[] = [];
}

/**
 * Dense ids for the rows of one or more key columns, kept across batches:
 * `keys()` has one row per id, in id order.
 */
export class KeyEncoder {
  readonly names: readonly string[];
  readonly types: readonly DType[];
  /** Whether a null is a key value (else rows with a null key get -1). */
  readonly nulls: boolean;
  readonly #one: OneKey[];
  readonly #pairs: Map<number, number>[] = [];
  readonly #keys: PartBuilder;
  #count = 0;
  #scratch: Int32Array[] = [];

  constructor(
    names: readonly string[],
    types: readonly DType[],
    nulls = false,
  ) {
    this.names = names;
    this.types = types;
    this.nulls = nulls;
    this.#one = types.map((t) => new OneKey(t));
    this.#keys = new PartBuilder(names, types, 64);
  }

  /** How many distinct keys so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * The ids of rows 0..n of `cols` (the key columns) into `out` (-1: a
   * null key, or with `lookup` a key not seen before, which is not added).
   */
  encode(
    cols: readonly Column[],
    n: number,
    out: Int32Array,
    lookup = false,
  ): void {
    const fresh: number[] = [];
    if (cols.length === 0) {
      // No keys: one group of every row.
      out.fill(0, 0, n);
      if (n > 0 && this.#count === 0 && !lookup) {
        this.#count = 1;
        this.#addKeys(cols, [0]);
      }
      return;
    }
    if (cols.length === 1) {
      this.#one[0].encode(cols[0], n, out, this.nulls, lookup, fresh);
      this.#count = this.#one[0].count;
      this.#addKeys(cols, fresh);
      return;
    }
    // Several keys: ids of each, then of each combination.
    for (let k = 0; k < cols.length; k++) {
      if ((this.#scratch[k]?.length ?? 0) < n) {
        this.#scratch[k] = new Int32Array(n);
      }
      this.#one[k].encode(cols[k], n, this.#scratch[k], this.nulls, lookup, []);
    }
    for (let i = 0; i < n; i++) {
      let id = this.#scratch[0][i];
      for (let k = 1; k < cols.length && id >= 0; k++) {
        const part = this.#scratch[k][i];
        if (part < 0) {
          id = -1;
          break;
        }
        const pairs = this.#pairs[k - 1] ??= new Map();
        const code = id * 67108864 + part;
        let next = pairs.get(code);
        if (next === undefined) {
          if (lookup) {
            id = -1;
            break;
          }
          next = k === cols.length - 1 ? this.#count++ : pairs.size;
          pairs.set(code, next);
          if (k === cols.length - 1) fresh.push(i);
        }
        id = next;
      }
      out[i] = id;
    }
    this.#addKeys(cols, fresh);
  }

  #addKeys(cols: readonly Column[], fresh: number[]): void {
    if (fresh.length === 0) return;
    const part: Part = { names: this.names, columns: cols, length: 0 };
    this.#keys.appendTake(part, Int32Array.from(fresh), fresh.length);
  }

  /** One row per key, in id order. */
  keys(shared = false): Part {
    return this.#keys.finish(shared);
  }
}

/** Spread a 32-bit word (murmur3's finaliser). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * A hash of each row's key values, the same for the same values in every
 * isolate (strings by their bytes, numbers by value: an int32 1 and a
 * float64 1 hash alike).
 */
export function hashRows(cols: readonly Column[], n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (const c of cols) {
    const valid = c.valid;
    if (c.type === "string") {
      const dict = c.dict!;
      const m = dict.offsets.length - 1;
      const per = new Uint32Array(m);
      for (let j = 0; j < m; j++) {
        let h = 0x9747b28c;
        for (let p = dict.offsets[j]; p < dict.offsets[j + 1]; p++) {
          h = Math.imul(h ^ dict.bytes[p], 0x01000193);
        }
        per[j] = fmix(h);
      }
      const idx = c.data as Int32Array;
      for (let i = 0; i < n; i++) {
        const h = valid !== null && !bit(valid, i) ? 0x5bd1e995 : per[idx[i]];
        out[i] = fmix(Math.imul(out[i], 31) ^ h) >>> 0;
      }
      continue;
    }
    if (c.type === "int32" || c.type === "date") {
      const d = c.data as Int32Array;
      for (let i = 0; i < n; i++) {
        const h = valid !== null && !bit(valid, i)
          ? 0x5bd1e995
          : hashNumber(d[i]);
        out[i] = fmix(Math.imul(out[i], 31) ^ h) >>> 0;
      }
      continue;
    }
    const d = c.type === "int64" || c.type === "timestamp"
      ? null
      : floats(c, n);
    for (let i = 0; i < n; i++) {
      let h: number;
      if (valid !== null && !bit(valid, i)) h = 0x5bd1e995;
      else if (d === null) h = hashNumber(Number((c.data as BigInt64Array)[i]));
      else h = hashNumber(d[i]);
      out[i] = fmix(Math.imul(out[i], 31) ^ h) >>> 0;
    }
  }
  return out;
}

function hashNumber(v: number): number {
  if ((v | 0) === v) return fmix(v | 0);
  f64[0] = v === 0 ? 0 : v;
  return fmix(u32[0] ^ fmix(u32[1]));
}
