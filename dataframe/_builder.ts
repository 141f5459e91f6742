/**
 * Growable columns: appending ranges and gathers of other columns (with
 * their dictionaries merged), single values, and finishing into an exact
 * column in shared memory.
 *
 * @module
 */

import { DictBuilder, dictValues, originOf } from "./_dict.ts";
import {
  allocData,
  bit,
  type Column,
  type ColumnData,
  type Dict,
  type DType,
  type Part,
} from "./_part.ts";

/** A column being built. */
export class ColumnBuilder {
  readonly type: DType;
  length = 0;
  data: ColumnData;
  /** Validity bits, made when the first null comes. */
  valid: Uint8Array | null = null;
  /** The dictionary of a string column. */
  dict: DictBuilder | null;
  #mapFrom: Dict | undefined;
  #map: Int32Array | undefined;

  constructor(type: DType, capacity = 1024, dict?: DictBuilder) {
    this.type = type;
    this.data = allocData(type, Math.max(8, capacity));
    this.dict = type === "string" ? dict ?? new DictBuilder() : null;
  }

  /** Capacity in rows. */
  get capacity(): number {
    return this.type === "bool" ? this.data.length * 8 : this.data.length;
  }

  /** Room for `n` more rows. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.capacity) return;
    const cap = Math.max(need, this.capacity * 2);
    const data = allocData(this.type, cap);
    (data as Float64Array).set(this.data as Float64Array);
    this.data = data;
    if (this.valid !== null) {
      const v = new Uint8Array((cap + 7) >> 3);
      v.set(this.valid);
      this.valid = v;
    }
  }

  /** Mark row `i` null (making the bitmap if there is none). */
  setNull(i: number): void {
    if (this.valid === null) {
      this.valid = new Uint8Array((this.capacity + 7) >> 3);
      this.valid.fill(255);
    }
    this.valid[i >> 3] &= ~(1 << (i & 7));
  }

  /** Mark row `i` valid (only needed where a bitmap exists). */
  setValid(i: number): void {
    if (this.valid !== null) this.valid[i >> 3] |= 1 << (i & 7);
  }

  /** Append one null. */
  pushNull(): void {
    this.ensure(1);
    this.setNull(this.length++);
  }

  /** Append one JavaScript value (null and undefined are nulls). */
  push(v: unknown): void {
    if (v === null || v === undefined) return this.pushNull();
    this.ensure(1);
    const i = this.length++;
    this.setValid(i);
    const d = this.data;
    switch (this.type) {
      case "bool": {
        const b = d as Uint8Array;
        if (v) b[i >> 3] |= 1 << (i & 7);
        else b[i >> 3] &= ~(1 << (i & 7));
        return;
      }
      case "int32":
      case "float64":
        (d as Float64Array)[i] = Number(v);
        return;
      case "int64":
        (d as BigInt64Array)[i] = BigInt(v as number);
        return;
      case "date":
        (d as Int32Array)[i] = v instanceof Date
          ? Math.floor(v.getTime() / 86_400_000)
          : Number(v);
        return;
      case "timestamp":
        (d as BigInt64Array)[i] = BigInt(
          v instanceof Date ? v.getTime() : Math.trunc(Number(v)),
        );
        return;
      case "string":
        (d as Int32Array)[i] = this.dict!.internString(String(v));
        return;
    }
  }

  /** Indexes of `dict`'s values in this builder's dictionary. */
  #remap(dict: Dict): Int32Array | undefined {
    if (originOf(dict) === this.dict) return undefined;
    if (this.#mapFrom !== dict) {
      this.#map = this.dict!.mapFrom(dict);
      this.#mapFrom = dict;
    }
    return this.#map;
  }

  /** Append rows [start, end) of `col` (same type). */
  appendRange(col: Column, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    const at = this.length;
    if (this.type === "bool") {
      const src = col.data as Uint8Array;
      const dst = this.data as Uint8Array;
      for (let i = 0; i < n; i++) {
        const j = at + i;
        if (bit(src, start + i)) dst[j >> 3] |= 1 << (j & 7);
        else dst[j >> 3] &= ~(1 << (j & 7));
      }
    } else if (this.type === "string") {
      const map = this.#remap(col.dict!);
      const src = col.data as Int32Array;
      const dst = this.data as Int32Array;
      if (map === undefined) dst.set(src.subarray(start, end), at);
      else {
        for (let i = 0; i < n; i++) dst[at + i] = map[src[start + i]];
      }
    } else {
      (this.data as Float64Array).set(
        (col.data as Float64Array).subarray(start, end),
        at,
      );
    }
    this.#appendValidity(col.valid, start, n);
    this.length += n;
  }

  /** Append rows idx[0..count) of `col` (same type); an index < 0 is a null. */
  appendTake(col: Column, idx: Int32Array, count: number): void {
    if (count <= 0) return;
    this.ensure(count);
    const at = this.length;
    let holes = false;
    if (this.type === "bool") {
      const src = col.data as Uint8Array;
      const dst = this.data as Uint8Array;
      for (let i = 0; i < count; i++) {
        const j = at + i;
        const r = idx[i];
        if (r < 0) holes = true;
        if (r >= 0 && bit(src, r)) dst[j >> 3] |= 1 << (j & 7);
        else dst[j >> 3] &= ~(1 << (j & 7));
      }
    } else if (this.type === "string") {
      const map = this.#remap(col.dict!);
      const src = col.data as Int32Array;
      const dst = this.data as Int32Array;
      for (let i = 0; i < count; i++) {
        const r = idx[i];
        if (r < 0) {
          holes = true;
          dst[at + i] = 0;
        } else dst[at + i] = map === undefined ? src[r] : map[src[r]];
      }
    } else if (this.type === "int64" || this.type === "timestamp") {
      const src = col.data as BigInt64Array;
      const dst = this.data as BigInt64Array;
      for (let i = 0; i < count; i++) {
        const r = idx[i];
        if (r < 0) holes = true;
        dst[at + i] = r < 0 ? 0n : src[r];
      }
    } else {
      const src = col.data as Float64Array;
      const dst = this.data as Float64Array;
      for (let i = 0; i < count; i++) {
        const r = idx[i];
        if (r < 0) holes = true;
        dst[at + i] = r < 0 ? 0 : src[r];
      }
    }
    if (col.valid === null && !holes) {
      if (this.valid !== null) {
        for (let i = 0; i < count; i++) this.setValid(at + i);
      }
    } else {
      for (let i = 0; i < count; i++) {
        const r = idx[i];
        if (r >= 0 && bit(col.valid, r)) this.setValid(at + i);
        else this.setNull(at + i);
      }
    }
    this.length += count;
  }

  #appendValidity(src: Uint8Array | null, start: number, n: number): void {
    const at = this.length;
    if (src === null) {
      if (this.valid === null) return;
      for (let i = 0; i < n; i++) this.setValid(at + i);
      return;
    }
    for (let i = 0; i < n; i++) {
      if (bit(src, start + i)) this.setValid(at + i);
      else this.setNull(at + i);
    }
  }

  /** Start again, empty, keeping the buffers (and the dictionary). */
  reset(): void {
    this.length = 0;
    this.valid = null;
  }

  /** The column so far as views of the buffers (no copy). */
  view(): Column {
    return {
      type: this.type,
      data: this.data,
      valid: this.valid,
      dict: this.dict === null ? null : this.dict.snapshot(),
    };
  }

  /** The column as an exact copy (in shared memory when `shared`). */
  finish(shared = true): Column {
    const n = this.length;
    const data = allocData(this.type, n, shared);
    if (this.type === "bool") {
      (data as Uint8Array).set(
        (this.data as Uint8Array).subarray(0, (n + 7) >> 3),
      );
    } else {
      (data as Float64Array).set((this.data as Float64Array).subarray(0, n));
    }
    let valid: Uint8Array | null = null;
    if (this.valid !== null) {
      valid = allocData("bool", n, shared) as Uint8Array;
      valid.set(this.valid.subarray(0, (n + 7) >> 3));
    }
    return {
      type: this.type,
      data,
      valid,
      dict: this.dict === null ? null : this.dict.finish(shared),
    };
  }
}

/** Builders for every column of a schema, appended to together. */
export class PartBuilder {
  readonly names: readonly string[];
  readonly columns: ColumnBuilder[];
  length = 0;

  constructor(
    names: readonly string[],
    types: readonly DType[],
    capacity = 1024,
  ) {
    this.names = names;
    this.columns = types.map((t) => new ColumnBuilder(t, capacity));
  }

  /** Append rows [start, end) of `part` (same columns in the same order). */
  appendRange(part: Part, start = 0, end = part.length): void {
    for (let c = 0; c < this.columns.length; c++) {
      this.columns[c].appendRange(part.columns[c], start, end);
    }
    this.length += Math.max(0, end - start);
  }

  /** Append rows idx[0..count) of `part`. */
  appendTake(part: Part, idx: Int32Array, count: number): void {
    for (let c = 0; c < this.columns.length; c++) {
      this.columns[c].appendTake(part.columns[c], idx, count);
    }
    this.length += count;
  }

  /** The partition built (exact copies, shared memory by default). */
  finish(shared = true): Part {
    return {
      names: this.names.slice(),
      columns: this.columns.map((c) => c.finish(shared)),
      length: this.length,
    };
  }
}

/** One JavaScript value of row `i` of `col` (null for a null). */
export function valueAt(col: Column, i: number): unknown {
  if (!bit(col.valid, i)) return null;
  switch (col.type) {
    case "bool":
      return bit(col.data as Uint8Array, i);
    case "int32":
    case "float64":
      return (col.data as Float64Array)[i];
    case "int64":
      return (col.data as BigInt64Array)[i];
    case "date":
      return new Date((col.data as Int32Array)[i] * 86_400_000);
    case "timestamp":
      return new Date(Number((col.data as BigInt64Array)[i]));
    case "string":
      return dictValues(col.dict!)[(col.data as Int32Array)[i]];
  }
}

/** Concatenate partitions of one schema into one (shared memory). */
export function concatParts(parts: readonly Part[], shared = true): Part {
  const first = parts[0];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const b = new PartBuilder(
    first.names,
    first.columns.map((c) => c.type),
    total,
  );
  for (const p of parts) b.appendRange(p);
  return b.finish(shared);
}

/** Rows [start, end) of `part`, copied (in shared memory when `shared`). */
export function sliceRows(
  part: Part,
  start: number,
  end: number,
  shared = false,
): Part {
  const b = new PartBuilder(
    part.names,
    part.columns.map((c) => c.type),
    end - start,
  );
  b.appendRange(part, start, end);
  return b.finish(shared);
}

/**
 * Rows idx[0..count) of one column (an index < 0 is a null), gathered
 * once into exact arrays; a string column keeps its dictionary.
 */
export function takeColumn(
  col: Column,
  idx: Int32Array,
  count: number,
  shared = false,
): Column {
  const data = allocData(col.type, count, shared);
  let holes = false;
  if (col.type === "bool") {
    const src = col.data as Uint8Array;
    const dst = data as Uint8Array;
    for (let i = 0; i < count; i++) {
      const r = idx[i];
      if (r < 0) holes = true;
      else if ((src[r >> 3] >> (r & 7)) & 1) dst[i >> 3] |= 1 << (i & 7);
    }
  } else if (col.type === "int64" || col.type === "timestamp") {
    const src = col.data as BigInt64Array;
    const dst = data as BigInt64Array;
    for (let i = 0; i < count; i++) {
      const r = idx[i];
      if (r < 0) holes = true;
      else dst[i] = src[r];
    }
  } else {
    const src = col.data as Float64Array;
    const dst = data as Float64Array;
    for (let i = 0; i < count; i++) {
      const r = idx[i];
      if (r < 0) holes = true;
      else dst[i] = src[r];
    }
  }
  let valid: Uint8Array | null = null;
  if (holes || col.valid !== null) {
    valid = allocData("bool", count, shared) as Uint8Array;
    const v = col.valid;
    for (let i = 0; i < count; i++) {
      const r = idx[i];
      if (r >= 0 && (v === null || ((v[r >> 3] >> (r & 7)) & 1))) {
        valid[i >> 3] |= 1 << (i & 7);
      }
    }
  }
  return { type: col.type, data, valid, dict: col.dict };
}

/** Rows idx[0..count) of `part`, gathered (in shared memory when `shared`). */
export function takeRows(
  part: Part,
  idx: Int32Array,
  count: number,
  shared = false,
): Part {
  return {
    names: part.names,
    columns: part.columns.map((c) => takeColumn(c, idx, count, shared)),
    length: count,
  };
}
