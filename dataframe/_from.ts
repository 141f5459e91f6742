/**
 * Partitions from JavaScript values: records (plain objects) or columns
 * (arrays and typed arrays), the types inferred from the values unless
 * given.
 *
 * @module
 */

import { ColumnBuilder } from "./_builder.ts";
import {
  type Column,
  type DType,
  DTypeError,
  DTYPES,
  type Part,
} from "./_part.ts";

function kindOf(v: unknown): DType | null {
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647
        ? "int32"
        : "float64";
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "bigint":
      return "int64";
  }
  if (v instanceof Date) return "timestamp";
  return null;
}

/** The type of a column's values (a `DTypeError` naming both types when they clash). */
export function inferType(name: string, values: ArrayLike<unknown>): DType {
  if (values instanceof Float64Array || values instanceof Float32Array) {
    return "float64";
  }
  if (
    values instanceof Int32Array || values instanceof Int16Array ||
    values instanceof Int8Array ||
    values instanceof Uint16Array || values instanceof Uint8Array
  ) return "int32";
  if (values instanceof BigInt64Array) return "int64";
  let type: DType | null = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const k = kindOf(v);
    if (k === null) {
      throw new DTypeError(
        `column "${name}": row ${i} is ${
          Object.prototype.toString.call(v)
        }, not a number, string, boolean, bigint or Date`,
      );
    }
    if (type === null || type === k) type = k;
    else if (
      (type === "int32" && k === "float64") ||
      (type === "float64" && k === "int32")
    ) {
      type = "float64";
    } else {
      throw new DTypeError(
        `column "${name}" mixes ${type} and ${k} values (row ${i})`,
      );
    }
  }
  return type ?? "float64";
}

function checkDType(name: string, t: string): DType {
  if (!(DTYPES as readonly string[]).includes(t)) {
    throw new TypeError(
      `dtypes: "${t}" for column "${name}" is not one of ${DTYPES.join(", ")}`,
    );
  }
  return t as DType;
}

function buildColumn(
  name: string,
  values: ArrayLike<unknown>,
  type: DType,
): Column {
  const b = new ColumnBuilder(type, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      const k = kindOf(v);
      const fits = k === type || (type === "float64" && k === "int32") ||
        (type === "int32" && k === "float64" && Number.isInteger(v)) ||
        ((type === "date" || type === "timestamp") &&
          (k === "timestamp" || k === "int32" || k === "float64")) ||
        (type === "int64" &&
          (k === "int32" || (k === "float64" && Number.isInteger(v))));
      if (!fits) {
        throw new DTypeError(
          `column "${name}" is ${type}, row ${i} is a ${k ?? typeof v} (${
            String(v)
          })`,
        );
      }
    }
    b.push(v);
  }
  return b.finish(true);
}

/** A partition of columns (equal lengths). */
export function columnsFrom(
  columns: Record<string, ArrayLike<unknown>>,
  dtypes: Record<string, DType> = {},
): Part {
  const names = Object.keys(columns);
  const lengths = names.map((n) => columns[n].length);
  if (lengths.some((l) => l !== lengths[0])) {
    throw new RangeError(
      `columns differ in length: ${
        names.map((n, i) => `${n}: ${lengths[i]}`).join(", ")
      }`,
    );
  }
  return {
    names,
    columns: names.map((n) => {
      const type = dtypes[n] !== undefined
        ? checkDType(n, dtypes[n])
        : inferType(n, columns[n]);
      return buildColumn(n, columns[n], type);
    }),
    length: lengths[0] ?? 0,
  };
}

/** A partition of records: the columns are the union of their keys, in order of appearance. */
export function partFromRecords(
  records: readonly Record<string, unknown>[],
  dtypes: Record<string, DType> = {},
): Part {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) (seen.add(k), names.push(k));
    }
  }
  for (const k of Object.keys(dtypes)) {
    if (!seen.has(k)) (seen.add(k), names.push(k));
  }
  const columns: Record<string, unknown[]> = {};
  for (const n of names) columns[n] = records.map((r) => r[n]);
  return columnsFrom(columns, dtypes);
}
