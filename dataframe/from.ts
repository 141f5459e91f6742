/**
 * Lazy frames from data in memory (records, columns, an Arrow table),
 * split into partitions, and `concat` of frames.
 *
 * @module
 */

import type * as arrow from "apache-arrow";
import { fromArrowTable } from "./_arrow.ts";
import { sliceRows } from "./_builder.ts";
import { columnsFrom, partFromRecords } from "./_from.ts";
import { delayed, tokenize } from "./_graph.ts";
import { fromProducers } from "./_ops.ts";
import type { DType, Part, Schema } from "./_part.ts";
import { given } from "./_plan.ts";
import { dfTasks } from "./_tasks.ts";
import { LazyFrame } from "./lazy_frame.ts";

/**
 * How data in memory is made a lazy frame.
 *
 * @example
 * ```ts
 * import type { FromOptions } from "@troupe/troupe/dataframe";
 * const options: FromOptions = { npartitions: 4, dtypes: { id: "int64" } };
 * ```
 */
export interface FromOptions {
  /** Partitions, of about equal rows (default 1). */
  npartitions?: number;
  /** Column types instead of those inferred from the values. */
  dtypes?: Record<string, DType>;
}

/** A frame of a partition split into `n`: each piece a task of its own. */
export function frameOfPart(part: Part, n = 1): LazyFrame {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`npartitions must be an integer >= 1, got ${n}`);
  }
  const schema: Schema = {
    names: part.names,
    types: part.columns.map((c) => c.type),
  };
  const pieces = Array.from(
    { length: n },
    (_, i) =>
      n === 1 ? part : sliceRows(
        part,
        Math.floor(i * part.length / n),
        Math.floor((i + 1) * part.length / n),
        true,
      ),
  );
  // Keys from the content: the same data gives the same keys.
  const auto = pieces.map((p) => delayed(dfTasks.literal)(p).key);
  const token = tokenize(auto);
  const lazies = pieces.map((p, i) =>
    delayed(dfTasks.literal, { key: `from-data-${token}-${i}` })(p)
  );
  return new LazyFrame(
    fromProducers(lazies.map((l) => given(l)), schema),
    schema,
  );
}

/**
 * A lazy frame of plain objects (the columns are the union of their keys;
 * types inferred unless given).
 *
 * @example
 * ```ts
 * import { fromRecords } from "@troupe/troupe/dataframe";
 * const df = fromRecords([{ city: "Oslo", t: 3.5 }, { city: "Lima", t: 19 }]);
 * console.log(df.dtypes); // { city: "string", t: "float64" }
 * ```
 */
export function fromRecords(
  records: readonly Record<string, unknown>[],
  options: FromOptions = {},
): LazyFrame {
  return frameOfPart(
    partFromRecords(records, options.dtypes),
    options.npartitions,
  );
}

/**
 * A lazy frame of columns: arrays or typed arrays of equal length.
 *
 * @example
 * ```ts
 * import { fromColumns } from "@troupe/troupe/dataframe";
 * const df = fromColumns({ x: new Float64Array([1, 2, 3]), s: ["a", "b", null] }, { npartitions: 2 });
 * console.log(df.npartitions); // 2
 * ```
 */
export function fromColumns(
  columns: Record<string, ArrayLike<unknown>>,
  options: FromOptions = {},
): LazyFrame {
  return frameOfPart(columnsFrom(columns, options.dtypes), options.npartitions);
}

/**
 * A lazy frame of an Apache Arrow table.
 *
 * @example
 * ```ts
 * import { tableFromArrays } from "apache-arrow";
 * import { fromArrow } from "@troupe/troupe/dataframe";
 * const df = fromArrow(tableFromArrays({ x: new Int32Array([1, 2]) }));
 * console.log(df.dtypes); // { x: "int32" }
 * ```
 */
export function fromArrow(
  table: arrow.Table,
  options: { npartitions?: number } = {},
): LazyFrame {
  return frameOfPart(fromArrowTable(table), options.npartitions);
}

/**
 * The rows of several frames, one after another (their partitions, in
 * order). Every frame must have the same columns and types (in any order).
 *
 * @example
 * ```ts
 * import { concat, fromColumns } from "@troupe/troupe/dataframe";
 * const both = concat([fromColumns({ x: [1] }), fromColumns({ x: [2] })]);
 * console.log(both.npartitions); // 2
 * ```
 */
export function concat(frames: readonly LazyFrame[]): LazyFrame {
  return LazyFrame.concat(frames);
}
