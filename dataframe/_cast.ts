/**
 * Casting a column to another type (`astype`): numbers between widths,
 * booleans as 0 and 1, dates and timestamps, text parsed once per distinct
 * value and values formatted as text.
 *
 * @module
 */

import { convertText } from "./_csv_parse.ts";
import { formatDate, formatTimestamp } from "./_dates.ts";
import { DictBuilder, dictValues } from "./_dict.ts";
import {
  allocData,
  bit,
  type Column,
  type DType,
  DTypeError,
} from "./_part.ts";

/** `col`'s first `n` rows as `to` (a `DTypeError` for a value that does not fit). */
export function castColumn(
  col: Column,
  to: DType,
  n: number,
  name = "?",
): Column {
  if (col.type === to) return col;
  const valid = col.valid === null ? null : col.valid.slice(0, (n + 7) >> 3);
  const fail = (v: unknown): never => {
    throw new DTypeError(
      `cannot cast ${
        JSON.stringify(String(v))
      } in column "${name}" from ${col.type} to ${to}`,
    );
  };
  if (to === "string") {
    const b = new DictBuilder();
    const out = new Int32Array(n);
    const text = textOf(col);
    for (let i = 0; i < n; i++) {
      if (bit(col.valid, i)) out[i] = b.internString(text(i));
    }
    return { type: to, data: out, valid, dict: b.finish(false) };
  }
  if (col.type === "string") {
    // Parse each distinct value once.
    const values = dictValues(col.dict!);
    const parsed = values.map((v) => {
      const t = v.trim();
      if (t === "") return null;
      const x = convertText(t, to);
      return x === undefined ? fail(v) : x;
    });
    const data = allocData(to, n);
    const out = new Uint8Array((n + 7) >> 3);
    const idx = col.data as Int32Array;
    for (let i = 0; i < n; i++) {
      if (!bit(col.valid, i)) continue;
      const x = parsed[idx[i]];
      if (x === null) continue;
      out[i >> 3] |= 1 << (i & 7);
      store(data, to, i, x as number | bigint | boolean);
    }
    return { type: to, data, valid: out, dict: null };
  }
  const data = allocData(to, n);
  const get = numberOf(col);
  for (let i = 0; i < n; i++) {
    if (!bit(col.valid, i)) continue;
    let x = get(i);
    if (col.type === "date" && to === "timestamp") x *= 86_400_000;
    else if (col.type === "timestamp" && to === "date") {
      x = Math.floor(x / 86_400_000);
    }
    if (to === "int32" || to === "date") {
      x = Math.trunc(x);
      if (!(x >= -2147483648 && x <= 2147483647)) fail(get(i));
    } else if (to === "int64" || to === "timestamp") {
      if (!Number.isFinite(x)) fail(x);
      x = Math.trunc(x);
    }
    store(data, to, i, to === "bool" ? x !== 0 : x);
  }
  return { type: to, data, valid, dict: null };
}

function store(
  data: ReturnType<typeof allocData>,
  to: DType,
  i: number,
  x: number | bigint | boolean,
): void {
  switch (to) {
    case "bool":
      if (x) (data as Uint8Array)[i >> 3] |= 1 << (i & 7);
      return;
    case "int64":
    case "timestamp":
      (data as BigInt64Array)[i] = typeof x === "bigint"
        ? x
        : BigInt(x as number);
      return;
    default:
      (data as Float64Array)[i] = Number(x);
  }
}

function numberOf(col: Column): (i: number) => number {
  switch (col.type) {
    case "bool":
      return (i) => bit(col.data as Uint8Array, i) ? 1 : 0;
    case "int64":
    case "timestamp":
      return (i) => Number((col.data as BigInt64Array)[i]);
    default:
      return (i) => (col.data as Float64Array)[i];
  }
}

/** Row `i` of `col` as text, as `toCsv` writes it. */
export function textOf(col: Column): (i: number) => string {
  switch (col.type) {
    case "bool":
      return (i) => bit(col.data as Uint8Array, i) ? "true" : "false";
    case "int32":
    case "float64":
      return (i) => String((col.data as Float64Array)[i]);
    case "int64":
      return (i) => String((col.data as BigInt64Array)[i]);
    case "date":
      return (i) => formatDate((col.data as Int32Array)[i]);
    case "timestamp":
      return (i) => formatTimestamp(Number((col.data as BigInt64Array)[i]));
    case "string": {
      const values = dictValues(col.dict!);
      return (i) => values[(col.data as Int32Array)[i]];
    }
  }
}
