/**
 * A partition as plain data, in the Apache Arrow memory layout: each column
 * a typed array of values, an optional validity bitmap (bit i set: row i has
 * a value; least significant bit first) and, for strings, a dictionary of
 * UTF-8 values that the data indexes. Plain data crosses every host as it
 * is: buffers in a SharedArrayBuffer are shared by worker hosts (no copy),
 * a process or node gets the bytes.
 *
 * @module
 */

/**
 * The column types: `bool` (a bitmap), `int32`, `int64` (bigint values),
 * `float64`, `string` (dictionary-encoded UTF-8), `date` (days since the
 * epoch, Arrow Date32) and `timestamp` (milliseconds since the epoch, UTC,
 * Arrow Timestamp(ms)).
 */
export type DType =
  | "bool"
  | "int32"
  | "int64"
  | "float64"
  | "string"
  | "date"
  | "timestamp";

/** Every column type, for checks and messages. */
export const DTYPES: readonly DType[] = [
  "bool",
  "int32",
  "int64",
  "float64",
  "string",
  "date",
  "timestamp",
];

/** A string dictionary in Arrow's Utf8 layout: value i is bytes[offsets[i], offsets[i+1]). */
export interface Dict {
  /** Where each value starts in `bytes` (one more entry than values). */
  readonly offsets: Int32Array;
  /** The values' UTF-8 bytes, one after another. */
  readonly bytes: Uint8Array;
}

/** The typed array a column type keeps its values in. */
export type ColumnData = Uint8Array | Int32Array | BigInt64Array | Float64Array;

/** One column of a partition. */
export interface Column {
  /** Its type. */
  readonly type: DType;
  /**
   * The values: a bitmap for `bool`, Int32Array for `int32`, `date` and the
   * dictionary indexes of `string`, BigInt64Array for `int64` and
   * `timestamp`, Float64Array for `float64`. It may be longer than the
   * partition (a batch in a reused buffer): the partition's length counts.
   */
  readonly data: ColumnData;
  /** Validity bitmap, or null when every row has a value. */
  readonly valid: Uint8Array | null;
  /** The dictionary of a `string` column, else null. */
  readonly dict: Dict | null;
}

/** A partition: named columns of equal length. */
export interface Part {
  /** Column names, in order. */
  readonly names: readonly string[];
  /** The columns, in the same order. */
  readonly columns: readonly Column[];
  /** Rows. */
  readonly length: number;
}

/** Column names and types: what a lazy frame knows before it runs. */
export interface Schema {
  /** Column names, in order. */
  readonly names: readonly string[];
  /** Their types. */
  readonly types: readonly DType[];
}

/** The schema of `part`. */
export function schemaOf(part: Part): Schema {
  return { names: part.names, types: part.columns.map((c) => c.type) };
}

/** Whether row `i` of a validity bitmap has a value. */
export function bit(valid: Uint8Array | null, i: number): boolean {
  return valid === null || ((valid[i >> 3] >> (i & 7)) & 1) === 1;
}

/** A bitmap of `n` bits, all set. */
export function allSet(n: number, shared = false): Uint8Array {
  const out = bytes((n + 7) >> 3, shared);
  out.fill(255);
  return out;
}

/** Count the set bits among the first `n` of `bits` (null: all set). */
export function countSet(bits: Uint8Array | null, n: number): number {
  if (bits === null) return n;
  let c = 0;
  const full = n >> 3;
  for (let i = 0; i < full; i++) {
    let b = bits[i];
    b = b - ((b >> 1) & 0x55);
    b = (b & 0x33) + ((b >> 2) & 0x33);
    c += (b + (b >> 4)) & 0x0f;
  }
  for (let i = full << 3; i < n; i++) if (bit(bits, i)) c++;
  return c;
}

/** `n` zeroed bytes, in a SharedArrayBuffer when `shared`. */
export function bytes(n: number, shared = false): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

/** A zeroed typed array for `type`'s values (bool: a bitmap of n bits). */
export function allocData(type: DType, n: number, shared = false): ColumnData {
  switch (type) {
    case "bool":
      return bytes((n + 7) >> 3, shared);
    case "int32":
    case "date":
    case "string":
      return shared
        ? new Int32Array(new SharedArrayBuffer(4 * n))
        : new Int32Array(n);
    case "int64":
    case "timestamp":
      return shared
        ? new BigInt64Array(new SharedArrayBuffer(8 * n))
        : new BigInt64Array(n);
    case "float64":
      return shared
        ? new Float64Array(new SharedArrayBuffer(8 * n))
        : new Float64Array(n);
  }
}

/** Whether `type` holds numbers that arithmetic takes. */
export function isNumeric(type: DType): boolean {
  return type === "int32" || type === "int64" || type === "float64";
}

/** A partition with no rows and the given schema. */
export function emptyPart(schema: Schema): Part {
  return {
    names: schema.names.slice(),
    columns: schema.types.map((t) => ({
      type: t,
      data: allocData(t, 0),
      valid: null,
      dict: t === "string" ? EMPTY_DICT : null,
    })),
    length: 0,
  };
}

/** The dictionary with no values. */
export const EMPTY_DICT: Dict = {
  offsets: new Int32Array(1),
  bytes: new Uint8Array(0),
};

/** A column by name, or a `ColumnNotFoundError`. */
export function columnOf(part: Part, name: string): Column {
  const i = part.names.indexOf(name);
  if (i < 0) throw missingColumn(name, part.names);
  return part.columns[i];
}

/** The error for a column that is not there: it lists those that are. */
export function missingColumn(
  name: string,
  names: readonly string[],
): ColumnNotFoundError {
  return new ColumnNotFoundError(name, names);
}

/**
 * A column named in an operation is not in the frame. The message lists the
 * columns that are.
 *
 * @example
 * ```ts
 * import { ColumnNotFoundError, fromColumns } from "@troupe/troupe/dataframe";
 * import assert from "node:assert/strict";
 * const df = fromColumns({ a: [1, 2] });
 * assert.throws(() => df.select("b"), ColumnNotFoundError);
 * ```
 */
export class ColumnNotFoundError extends Error {
  /** The missing column. */
  readonly column: string;
  /** The columns there are. */
  readonly columns: readonly string[];
  /** Build it from the missing name and the names there are. */
  constructor(column: string, columns: readonly string[]) {
    super(
      `no column "${column}"; the columns are: ${
        columns.map((c) => `"${c}"`).join(", ") || "(none)"
      }`,
    );
    this.name = "ColumnNotFoundError";
    this.column = column;
    this.columns = columns;
  }
}

/**
 * An operation met a column of a type it cannot take (a string column in
 * arithmetic, two columns of different types where one type is needed).
 * The message names the column and both types.
 *
 * @example
 * ```ts
 * import { col, DTypeError, fromColumns } from "@troupe/troupe/dataframe";
 * import assert from "node:assert/strict";
 * const df = fromColumns({ s: ["a"] });
 * assert.throws(() => df.assign({ t: col("s").add(1) }), DTypeError);
 * ```
 */
export class DTypeError extends TypeError {
  /** Build it from a message that names the column and the types. */
  constructor(message: string) {
    super(message);
    this.name = "DTypeError";
  }
}
