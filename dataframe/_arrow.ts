/**
 * Partitions to and from Apache Arrow tables (npm `apache-arrow`). A
 * partition is already in Arrow's memory layout, so `toArrowTable` wraps
 * its buffers without copying; `fromArrowTable` takes Arrow's buffers as
 * they are where the types match (one chunk, no offset), and converts the
 * rest (other integer widths, Float32, plain Utf8, other time units).
 *
 * @module
 */

import * as arrow from "apache-arrow";
import { PartBuilder } from "./_builder.ts";
import { DictBuilder } from "./_dict.ts";
import {
  allocData,
  type Column,
  type ColumnData,
  type DType,
  type Part,
} from "./_part.ts";

function nullCount(valid: Uint8Array | null, n: number): number {
  if (valid === null) return 0;
  let c = 0;
  for (let i = 0; i < n; i++) if (!((valid[i >> 3] >> (i & 7)) & 1)) c++;
  return c;
}

const ARROW_TYPES = {
  bool: () => new arrow.Bool(),
  int32: () => new arrow.Int32(),
  int64: () => new arrow.Int64(),
  float64: () => new arrow.Float64(),
  date: () => new arrow.DateDay(),
  timestamp: () => new arrow.TimestampMillisecond(),
} as const;

/** One column as an Arrow vector over the same buffers. */
export function toArrowVector(col: Column, n: number): arrow.Vector {
  const nulls = nullCount(col.valid, n);
  const nullBitmap = nulls === 0
    ? undefined
    : col.valid!.subarray(0, (n + 7) >> 3);
  if (col.type === "string") {
    const dict = col.dict!;
    const values = arrow.makeVector(arrow.makeData({
      type: new arrow.Utf8(),
      valueOffsets: dict.offsets,
      data: dict.bytes,
      length: dict.offsets.length - 1,
    }));
    return arrow.makeVector(arrow.makeData({
      type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
      data: (col.data as Int32Array).subarray(0, n),
      length: n,
      nullCount: nulls,
      nullBitmap,
      dictionary: values,
    }));
  }
  const data = col.type === "bool"
    ? (col.data as Uint8Array).subarray(0, (n + 7) >> 3)
    : (col.data as Float64Array).subarray(0, n);
  // deno-lint-ignore no-explicit-any
  const props: any = {
    type: ARROW_TYPES[col.type](),
    data,
    length: n,
    nullCount: nulls,
    nullBitmap,
  };
  return arrow.makeVector(arrow.makeData(props));
}

/** A partition as an Arrow table (no copy). */
export function toArrowTable(part: Part): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  part.names.forEach((name, c) => {
    vectors[name] = toArrowVector(part.columns[c], part.length);
  });
  return new arrow.Table(vectors);
}

/** Our type for an Arrow type, or a TypeError naming the field. */
export function dtypeOfArrow(type: arrow.DataType, name: string): DType {
  switch (type.typeId) {
    case arrow.Type.Bool:
      return "bool";
    case arrow.Type.Int: {
      const t = type as arrow.Int;
      return t.bitWidth < 32 || (t.bitWidth === 32 && t.isSigned)
        ? "int32"
        : "int64";
    }
    case arrow.Type.Float:
      return "float64";
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      return "string";
    case arrow.Type.Dictionary: {
      const d = type as arrow.Dictionary;
      if (
        d.dictionary.typeId === arrow.Type.Utf8 ||
        d.dictionary.typeId === arrow.Type.LargeUtf8
      ) return "string";
      break;
    }
    case arrow.Type.Date:
      return (type as arrow.Date_).unit === arrow.DateUnit.DAY
        ? "date"
        : "timestamp";
    case arrow.Type.Timestamp:
      return "timestamp";
  }
  throw new TypeError(
    `column "${name}": Arrow type ${type} has no dataframe type`,
  );
}

function bitsOf(d: arrow.Data): Uint8Array | null {
  if (
    d.nullCount === 0 || d.nullBitmap === undefined || d.nullBitmap.length === 0
  ) return null;
  if (d.offset === 0) return d.nullBitmap;
  const out = new Uint8Array((d.length + 7) >> 3);
  for (let i = 0; i < d.length; i++) {
    const j = d.offset + i;
    if ((d.nullBitmap[j >> 3] >> (j & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
  }
  return out;
}

/** One Arrow chunk as a column of `type`. */
function columnOfData(d: arrow.Data, type: DType): Column {
  const n = d.length;
  const valid = bitsOf(d);
  const t = d.type;
  if (type === "string") {
    const dict = new DictBuilder();
    const idx = new Int32Array(n);
    const values = d.dictionary?.data[0];
    if (
      t.typeId === arrow.Type.Dictionary &&
      (values === undefined || values.length === 0)
    ) {
      // (No values: every row is null.)
    } else if (t.typeId === arrow.Type.Dictionary && values !== undefined) {
      const map = dict.mapFrom({
        offsets: Int32Array.from(values.valueOffsets as Int32Array, Number),
        bytes: values.values as Uint8Array,
      });
      const keys = d.values as ArrayLike<number>;
      for (let i = 0; i < n; i++) idx[i] = map[Number(keys[d.offset + i])] ?? 0;
    } else {
      const o = d.valueOffsets as ArrayLike<number | bigint>;
      const bytes = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        idx[i] = dict.intern(
          bytes,
          Number(o[d.offset + i]),
          Number(o[d.offset + i + 1]),
        );
      }
    }
    return { type, data: idx, valid, dict: dict.finish(false) };
  }
  if (type === "bool") {
    if (d.offset === 0) {
      return { type, data: d.values as Uint8Array, valid, dict: null };
    }
    const out = new Uint8Array((n + 7) >> 3);
    const src = d.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const j = d.offset + i;
      if ((src[j >> 3] >> (j & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
    }
    return { type, data: out, valid, dict: null };
  }
  const values = (d.values as ColumnData).subarray(d.offset, d.offset + n);
  const want = allocData(type, 0).constructor;
  // Milliseconds for every time unit.
  let scale = 1;
  if (t.typeId === arrow.Type.Timestamp) {
    scale = [1000, 1, 1e-3, 1e-6][(t as arrow.Timestamp).unit];
  }
  if (values.constructor === want && scale === 1) {
    return { type, data: values, valid, dict: null };
  }
  const out = allocData(type, n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (type === "int64" || type === "timestamp") {
      (out as BigInt64Array)[i] = scale === 1
        ? BigInt(v)
        : BigInt(Math.floor(Number(v) * scale));
    } else (out as Float64Array)[i] = Number(v);
  }
  return { type, data: out, valid, dict: null };
}

/** An Arrow table as a partition (Arrow's buffers kept where they fit). */
export function fromArrowTable(table: arrow.Table): Part {
  const names = table.schema.fields.map((f) => f.name);
  const columns = table.schema.fields.map((f, c) => {
    const type = dtypeOfArrow(f.type, f.name);
    const vector = table.getChildAt(c)!;
    const chunks = vector.data.map((d) => columnOfData(d, type));
    return chunks.length === 1
      ? chunks[0]
      : joinChunks(chunks, vector.data.map((d) => d.length), type);
  });
  return { names, columns, length: table.numRows };
}

function joinChunks(chunks: Column[], lengths: number[], type: DType): Column {
  const total = lengths.reduce((a, b) => a + b, 0);
  const b = new PartBuilder(["c"], [type], total);
  chunks.forEach((c, i) =>
    b.appendRange({ names: ["c"], columns: [c], length: lengths[i] })
  );
  return b.finish(false).columns[0];
}
