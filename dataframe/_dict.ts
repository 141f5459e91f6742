/**
 * String dictionaries: interning UTF-8 byte ranges into a dictionary
 * without making a JavaScript string per value, and decoding a dictionary's
 * values once per isolate.
 *
 * @module
 */

import { type Dict, EMPTY_DICT } from "./_part.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const decoded = new WeakMap<Int32Array, string[]>();

/** The values of `dict` as strings (decoded once, then cached). */
export function dictValues(dict: Dict): string[] {
  const origin = origins.get(dict);
  if (origin !== undefined) return origin.values();
  let out = decoded.get(dict.offsets);
  if (out === undefined) {
    const n = dict.offsets.length - 1;
    out = new Array(n);
    const { offsets, bytes } = dict;
    for (let i = 0; i < n; i++) {
      out[i] = decodeBytes(bytes, offsets[i], offsets[i + 1]);
    }
    decoded.set(dict.offsets, out);
  }
  return out;
}

/** Decode bytes[start, end) as UTF-8 (ASCII without the decoder). */
export function decodeBytes(
  bytes: Uint8Array,
  start: number,
  end: number,
): string {
  if (end - start <= 24) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 128) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** Which builder a dictionary snapshot came from, and its size then. */
const origins = new WeakMap<Dict, DictBuilder>();

/** The builder `dict` is a snapshot of, if it is one. */
export function originOf(dict: Dict): DictBuilder | undefined {
  return origins.get(dict);
}

function hashRange(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 16777619);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * Interns byte strings into a growing dictionary: the same bytes get the
 * same index. Open addressing over the bytes themselves.
 */
export class DictBuilder {
  bytes: Uint8Array = new Uint8Array(1024);
  offsets: Int32Array = new Int32Array(64);
  size = 0;
  #slots: Int32Array = new Int32Array(64).fill(-1);
  #hashes: Int32Array = new Int32Array(64);
  #snapshot: Dict | undefined;
  #values: string[] = [];

  /** The index of bytes b[start, end), added if new. */
  intern(b: Uint8Array, start: number, end: number): number {
    const h = hashRange(b, start, end);
    const slots = this.#slots;
    const mask = slots.length - 1;
    const len = end - start;
    const offsets = this.offsets;
    const mine = this.bytes;
    for (let s = h & mask;; s = (s + 1) & mask) {
      const idx = slots[s];
      if (idx < 0) break;
      if (this.#hashes[idx] !== (h | 0)) continue;
      const o = offsets[idx];
      if (offsets[idx + 1] - o !== len) continue;
      let same = true;
      for (let i = 0; i < len; i++) {
        if (mine[o + i] !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return idx;
    }
    return this.#add(b, start, end, h);
  }

  /** The values so far, decoded (each once: the list grows with the dictionary). */
  values(): string[] {
    const out = this.#values;
    for (let i = out.length; i < this.size; i++) {
      out.push(decodeBytes(this.bytes, this.offsets[i], this.offsets[i + 1]));
    }
    return out;
  }

  /** The index of `text`, added if new. */
  internString(text: string): number {
    const b = encoder.encode(text);
    return this.intern(b, 0, b.length);
  }

  #add(b: Uint8Array, start: number, end: number, h: number): number {
    const idx = this.size++;
    if (this.size + 1 > this.offsets.length) {
      const o = new Int32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
      const hs = new Int32Array(this.offsets.length);
      hs.set(this.#hashes);
      this.#hashes = hs;
    }
    const at = this.offsets[idx];
    const need = at + (end - start);
    if (need > this.bytes.length) {
      const nb = new Uint8Array(Math.max(need, this.bytes.length * 2));
      nb.set(this.bytes.subarray(0, at));
      this.bytes = nb;
    }
    this.bytes.set(b.subarray(start, end), at);
    this.offsets[idx + 1] = need;
    this.#hashes[idx] = h | 0;
    this.#snapshot = undefined;
    if (this.size * 2 > this.#slots.length) this.#rehash();
    else this.#place(idx, h);
    return idx;
  }

  #place(idx: number, h: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let s = h & mask;
    while (slots[s] >= 0) s = (s + 1) & mask;
    slots[s] = idx;
  }

  #rehash(): void {
    this.#slots = new Int32Array(this.#slots.length * 4).fill(-1);
    for (let i = 0; i < this.size; i++) this.#place(i, this.#hashes[i] >>> 0);
  }

  /**
   * The dictionary as it is now: views, no copy (later values go after
   * these, so earlier snapshots stay right).
   */
  snapshot(): Dict {
    if (this.#snapshot === undefined) {
      const dict: Dict = this.size === 0 ? EMPTY_DICT : {
        offsets: this.offsets.subarray(0, this.size + 1),
        bytes: this.bytes.subarray(0, this.offsets[this.size]),
      };
      if (dict !== EMPTY_DICT) origins.set(dict, this);
      this.#snapshot = dict;
    }
    return this.#snapshot;
  }

  /** An exact copy of the dictionary, in shared memory when `shared`. */
  finish(shared: boolean): Dict {
    if (this.size === 0) return EMPTY_DICT;
    const n = this.offsets[this.size];
    const offsets = shared
      ? new Int32Array(new SharedArrayBuffer(4 * (this.size + 1)))
      : new Int32Array(this.size + 1);
    offsets.set(this.offsets.subarray(0, this.size + 1));
    const bytes = shared
      ? new Uint8Array(new SharedArrayBuffer(n))
      : new Uint8Array(n);
    bytes.set(this.bytes.subarray(0, n));
    return { offsets, bytes };
  }

  /**
   * Intern every value of `dict`: index i of `dict` becomes out[i] here.
   */
  mapFrom(dict: Dict): Int32Array {
    const n = dict.offsets.length - 1;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.intern(dict.bytes, dict.offsets[i], dict.offsets[i + 1]);
    }
    return out;
  }
}

/** A dictionary of `values` (in order, duplicates kept). */
export function dictOf(values: readonly string[]): Dict {
  const parts = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    n += parts[i].length;
    offsets[i + 1] = n;
  }
  const bytes = new Uint8Array(n);
  for (let i = 0; i < parts.length; i++) bytes.set(parts[i], offsets[i]);
  return { offsets, bytes };
}
