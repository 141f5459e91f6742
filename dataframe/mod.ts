/**
 * Partitioned dataframes, as `dask.dataframe` is for pandas: CSV and
 * Parquet in, a lazy frame of partitions, column expressions, group-by
 * aggregations, joins, sorts, and a local `DataFrame` out, computed on
 * troupe's task graphs (inline, on local, worker and process hosts, or on
 * a cluster). Columns are in the Apache Arrow memory layout.
 *
 * This folder may import troupe's actors and cluster packages, only
 * through `_graph.ts`, and npm `apache-arrow` and `parquet-wasm`.
 *
 * @example The tutorial's example
 * ```ts
 * import { readCsv } from "@troupe/troupe/dataframe";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/large_data.csv`, "column,x,y\na,1,10\nb,2,20\na,3,30\n");
 * const df = readCsv(`${dir}/large_data.csv`, { blocksize: "64MB" });
 * const result = df.groupBy("column").mean();
 * const out = await result.compute({ placement: "inline" });
 * assert.deepEqual(out.toRecords(), [{ column: "a", x: 2, y: 20 }, { column: "b", x: 2, y: 20 }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { col, Expr, type ExprLike, lit } from "./expr.ts";
export { type ColumnValues, DataFrame } from "./data_frame.ts";
export {
  type ComputeOptions,
  LazyFrame,
  type MergeOptions,
} from "./lazy_frame.ts";
export { type AggRequest, GroupBy, type GroupByOptions } from "./group_by.ts";
export { readCsv, type ReadCsvOptions } from "./csv.ts";
export { readParquet } from "./parquet.ts";
export {
  concat,
  fromArrow,
  fromColumns,
  type FromOptions,
  fromRecords,
} from "./from.ts";
export {
  ColumnNotFoundError,
  type DType,
  DTypeError,
  type Schema,
} from "./_part.ts";
export { CsvParseError } from "./_csv_read.ts";
export type { AggFn } from "./_agg.ts";
export type { GraphRunner } from "./_compute.ts";
