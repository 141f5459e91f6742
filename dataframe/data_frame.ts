/**
 * A local, computed dataframe: what `compute()` gives, and what a
 * `mapPartitions` task gets and returns. Its columns are in the Apache
 * Arrow memory layout, so `toArrow()` shares them with an Arrow table.
 *
 * @module
 */

import type * as arrow from "apache-arrow";
import { fromArrowTable, toArrowTable } from "./_arrow.ts";
import { PartBuilder } from "./_builder.ts";
import { dictValues } from "./_dict.ts";
import { evalExpr, selectRows } from "./_eval.ts";
import { typeOf } from "./_expr.ts";
import { formatPart } from "./_format.ts";
import { bit, columnOf, type DType, type Part, schemaOf } from "./_part.ts";
import { recordsOf } from "./_records.ts";
import { takeRows } from "./_builder.ts";
import { type ExprLike, nodeOf } from "./expr.ts";
import { columnsFrom, partFromRecords } from "./_from.ts";

/** What `column(name)` gives for each column type. */
export type ColumnValues =
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | (string | null)[];

/**
 * A dataframe in this isolate's memory.
 *
 * @example
 * ```ts
 * import { DataFrame } from "@troupe/troupe/dataframe";
 * const df = DataFrame.fromRecords([{ a: 1, b: "x" }, { a: 2, b: "y" }]);
 * console.log(df.length, df.columns); // 2 [ "a", "b" ]
 * ```
 */
export class DataFrame {
  /** The partition it wraps (plain data in the Arrow layout). */
  readonly part: Part;

  /**
   * Wrap a partition; use `DataFrame.fromRecords`, `fromColumns` or a lazy
   * frame's `compute()`.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromColumns({ x: [1, 2] });
   * console.log(new DataFrame(df.part).length); // 2
   * ```
   */
  constructor(part: Part) {
    this.part = part;
  }

  /**
   * A frame of plain objects (types inferred; `dtypes` fixes them).
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromRecords([{ a: 1 }, { a: null }]);
   * console.log(df.dtypes); // { a: "int32" }
   * ```
   */
  static fromRecords(
    records: readonly Record<string, unknown>[],
    dtypes: Record<string, DType> = {},
  ): DataFrame {
    return new DataFrame(partFromRecords(records, dtypes));
  }

  /**
   * A frame of columns (arrays or typed arrays of equal length).
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromColumns({ x: new Float64Array([1, 2]), s: ["a", "b"] });
   * console.log(df.dtypes); // { x: "float64", s: "string" }
   * ```
   */
  static fromColumns(
    columns: Record<string, ArrayLike<unknown>>,
    dtypes: Record<string, DType> = {},
  ): DataFrame {
    return new DataFrame(columnsFrom(columns, dtypes));
  }

  /**
   * An Arrow table's data (its buffers kept where the types match).
   *
   * @example
   * ```ts
   * import { tableFromArrays } from "apache-arrow";
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromArrow(tableFromArrays({ x: new Float64Array([1, 2]) }));
   * console.log(df.column("x")); // Float64Array(2) [ 1, 2 ]
   * ```
   */
  static fromArrow(table: arrow.Table): DataFrame {
    return new DataFrame(fromArrowTable(table));
  }

  /**
   * Rows.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1, 2, 3] }).length); // 3
   * ```
   */
  get length(): number {
    return this.part.length;
  }

  /**
   * Column names, in order.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1], y: [2] }).columns); // [ "x", "y" ]
   * ```
   */
  get columns(): string[] {
    return [...this.part.names];
  }

  /**
   * Each column's type.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1.5] }).dtypes); // { x: "float64" }
   * ```
   */
  get dtypes(): Record<string, DType> {
    const s = schemaOf(this.part);
    return Object.fromEntries(s.names.map((n, i) => [n, s.types[i]]));
  }

  /**
   * A column's values: a typed array for numbers (float64, int32, int64 as
   * BigInt64Array, dates as days in an Int32Array, timestamps as ms in a
   * BigInt64Array), a Uint8Array of 0/1 for bools, a string array for
   * strings (null for a null). A null number reads as 0: see `isNull`.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromColumns({ x: [1.5, 2.5], s: ["a", null] });
   * console.log(df.column("x"), df.column("s")); // Float64Array(2) [ 1.5, 2.5 ] [ "a", null ]
   * ```
   */
  column(name: string): ColumnValues {
    const c = columnOf(this.part, name);
    const n = this.part.length;
    switch (c.type) {
      case "string": {
        const values = dictValues(c.dict!);
        const idx = c.data as Int32Array;
        return Array.from(
          { length: n },
          (_, i) => bit(c.valid, i) ? values[idx[i]] : null,
        );
      }
      case "bool":
        return Uint8Array.from(
          { length: n },
          (_, i) => bit(c.data as Uint8Array, i) ? 1 : 0,
        );
      default:
        return (c.data as Float64Array).subarray(0, n);
    }
  }

  /**
   * 1 where a column's value is null, else 0.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1, null] }).isNull("x")); // Uint8Array(2) [ 0, 1 ]
   * ```
   */
  isNull(name: string): Uint8Array {
    const c = columnOf(this.part, name);
    return Uint8Array.from(
      { length: this.part.length },
      (_, i) => bit(c.valid, i) ? 0 : 1,
    );
  }

  /**
   * One plain object per row (dates and timestamps as `Date`, int64 as
   * bigint, nulls as null).
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1], s: ["a"] }).toRecords()); // [ { x: 1, s: "a" } ]
   * ```
   */
  toRecords(): Record<string, unknown>[] {
    return recordsOf(this.part);
  }

  /**
   * An Apache Arrow table over the same buffers (no copy; strings as
   * dictionary vectors).
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * const t = DataFrame.fromColumns({ x: [1.5, 2.5] }).toArrow();
   * console.log(t.numRows, t.getChild("x")?.get(1)); // 2 2.5
   * ```
   */
  toArrow(): arrow.Table {
    return toArrowTable(this.part);
  }

  /**
   * The columns named, in that order.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1], y: [2] }).select("y").columns); // [ "y" ]
   * ```
   */
  select(...names: string[]): DataFrame {
    return new DataFrame({
      names,
      columns: names.map((n) => columnOf(this.part, n)),
      length: this.part.length,
    });
  }

  /**
   * The rows where `predicate` is true.
   *
   * @example
   * ```ts
   * import { col, DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromColumns({ x: [1, 5, 9] }).filter(col("x").gt(4));
   * console.log(df.length); // 2
   * ```
   */
  filter(predicate: ExprLike): DataFrame {
    const node = nodeOf(predicate);
    typeOf(node, schemaOf(this.part));
    const [idx, k] = selectRows(node, this.part);
    return new DataFrame(takeRows(this.part, idx, k));
  }

  /**
   * New or replaced columns from expressions or values.
   *
   * @example
   * ```ts
   * import { col, DataFrame } from "@troupe/troupe/dataframe";
   * const df = DataFrame.fromColumns({ x: [1, 2] }).assign({ y: col("x").mul(10) });
   * console.log(df.column("y")); // Float64Array(2) [ 10, 20 ]
   * ```
   */
  assign(columns: Record<string, ExprLike>): DataFrame {
    const names = this.part.names.slice();
    const cols = this.part.columns.slice();
    const schema = schemaOf(this.part);
    for (const [name, e] of Object.entries(columns)) {
      const node = nodeOf(e);
      typeOf(node, schema);
      const c = evalExpr(node, this.part);
      const at = names.indexOf(name);
      if (at >= 0) cols[at] = c;
      else {
        names.push(name);
        cols.push(c);
      }
    }
    return new DataFrame({ names, columns: cols, length: this.part.length });
  }

  /**
   * The first `n` rows.
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1, 2, 3] }).head(2).length); // 2
   * ```
   */
  head(n = 5): DataFrame {
    const b = new PartBuilder(this.part.names, schemaOf(this.part).types, n);
    b.appendRange(this.part, 0, Math.min(n, this.part.length));
    return new DataFrame(b.finish(false));
  }

  /**
   * A readable table (the first and last rows of a long frame).
   *
   * @example
   * ```ts
   * import { DataFrame } from "@troupe/troupe/dataframe";
   * console.log(DataFrame.fromColumns({ x: [1.5], s: ["a"] }).toString());
   * ```
   */
  toString(): string {
    return formatPart(this.part);
  }
}
