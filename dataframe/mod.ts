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
 * const path = new URL("../tests/fixtures/dataframe/large_data.csv", import.meta.url).pathname;
 * const df = readCsv(path, { blocksize: "64MB" });
 * const result = df.groupBy("column").mean();
 * const out = await result.compute({ placement: "inline" });
 * assert.deepEqual(out.toRecords(), [{ column: "a", x: 2, y: 20 }, { column: "b", x: 2, y: 20 }]);
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
  type Column,
  type ColumnData,
  ColumnNotFoundError,
  type Dict,
  type DType,
  DTypeError,
  type Part,
  type Schema,
} from "./_part.ts";
export type { BinaryOp, ExprNode, LitValue, UnaryOp } from "./_expr.ts";
export type { HostPermissions, Task } from "./_graph.ts";
export { CsvParseError } from "./_csv_read.ts";
export type { AggFn } from "./_agg.ts";
export type { GraphRunner, KeptResult } from "./_compute.ts";
