/**
 * The partitioned, lazy dataframe (what `dask.dataframe.DataFrame` is to
 * pandas): each method adds to a plan; `compute`, `persist`, `head` and
 * the writers lower it to a task graph and run it. Row-by-row steps fuse
 * into one task per partition with the read before them and the partial
 * aggregate or shuffle split after them. Each method's work is a plain
 * function of `_frame_steps.ts` (row-by-row steps), `_frame_cross.ts`
 * (across partitions) or `_frame_run.ts` (results and writers).
 *
 * @module
 */

import type { ComputeOptions } from "./_compute.ts";
import { preview, type Task } from "./_graph.ts";
import type { DType, Schema } from "./_part.ts";
import type { PartPlan } from "./_plan.ts";
import * as steps from "./_frame_steps.ts";
import type { Framed } from "./_frame_steps.ts";
import * as cross from "./_frame_cross.ts";
import type { MergeOptions } from "./_frame_cross.ts";
import * as run from "./_frame_run.ts";
import type { DataFrame } from "./data_frame.ts";
import type { ExprLike } from "./expr.ts";
import { GroupBy, type GroupByOptions } from "./group_by.ts";

export type { ComputeOptions, MergeOptions };

/**
 * A partitioned dataframe, computed lazily. Make one with `readCsv`,
 * `readParquet`, `fromRecords`, `fromColumns` or `fromArrow`.
 *
 * @example The tutorial's group-by
 * ```ts
 * import { fromColumns } from "@troupe/troupe/dataframe";
 * import assert from "node:assert/strict";
 * const df = fromColumns({ k: [1, 2, 1, 2], x: [1, 2, 3, 4] }, { npartitions: 2 });
 * const out = await df.groupBy("k").mean().compute({ placement: "inline" });
 * assert.deepEqual(out.toRecords(), [{ k: 1, x: 2 }, { k: 2, x: 3 }]);
 * ```
 */
export class LazyFrame {
  /** Column names and types. */
  readonly schema: Schema;
  /** Its plans and schema, as the functions that build frames take them. */
  readonly #framed: Framed;

  /**
   * A frame of partition plans; use the readers.
   *
   * @example
   * ```ts
   * import { LazyFrame } from "@troupe/troupe/dataframe";
   * const empty = new LazyFrame([], { names: ["x"], types: ["float64"] });
   * console.log(empty.npartitions); // 0
   * ```
   */
  constructor(plans: readonly PartPlan[], schema: Schema) {
    this.schema = schema;
    this.#framed = { plans, schema };
  }

  /** `f`'s plans, or a TypeError naming `what` when `f` is no LazyFrame. */
  static #framedOf(f: unknown, what: string): Framed {
    if (f instanceof LazyFrame) return f.#framed;
    throw new TypeError(`${what} must be a LazyFrame, got ${preview(f)}`);
  }

  /** A frame of what one of those functions gave. */
  static #of(f: Framed): LazyFrame {
    return new LazyFrame(f.plans, f.schema);
  }

  /**
   * Partitions (one task each for every per-partition step).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1, 2, 3] }, { npartitions: 3 }).npartitions); // 3
   * ```
   */
  get npartitions(): number {
    return this.#framed.plans.length;
  }

  /**
   * Column names, in order.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1], y: ["a"] }).columns); // [ "x", "y" ]
   * ```
   */
  get columns(): string[] {
    return [...this.schema.names];
  }

  /**
   * Each column's type.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1.5] }).dtypes); // { x: "float64" }
   * ```
   */
  get dtypes(): Record<string, DType> {
    return Object.fromEntries(
      this.schema.names.map((n, i) => [n, this.schema.types[i]]),
    );
  }

  /**
   * The rows of several frames, one after another (their partitions, in
   * order). Every frame must have the same columns and types (in any
   * order).
   *
   * @example
   * ```ts
   * import { fromColumns, LazyFrame } from "@troupe/troupe/dataframe";
   * const both = LazyFrame.concat([fromColumns({ x: [1] }), fromColumns({ x: [2] })]);
   * console.log(both.npartitions); // 2
   * ```
   */
  static concat(frames: readonly LazyFrame[]): LazyFrame {
    if (!Array.isArray(frames)) throw new TypeError(steps.CONCAT_LIST);
    return LazyFrame.#of(
      steps.concatFrames(
        frames.map((f, i) => LazyFrame.#framedOf(f, `concat's frame ${i}`)),
      ),
    );
  }

  /**
   * The columns named, in that order.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1], y: [2] }).select("y", "x").columns); // [ "y", "x" ]
   * ```
   */
  select(...names: string[]): LazyFrame {
    return LazyFrame.#of(steps.selectColumns(this.#framed, names));
  }

  /**
   * All columns but those named.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1], y: [2] }).drop("x").columns); // [ "y" ]
   * ```
   */
  drop(...names: string[]): LazyFrame {
    steps.checkColumns(this.schema, names);
    return this.select(...this.schema.names.filter((n) => !names.includes(n)));
  }

  /**
   * Columns renamed (`{ old: "new" }`).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1] }).rename({ x: "y" }).columns); // [ "y" ]
   * ```
   */
  rename(mapping: Record<string, string>): LazyFrame {
    return LazyFrame.#of(steps.renameColumns(this.#framed, mapping));
  }

  /**
   * The rows where `predicate` holds: a bool column expression (fast,
   * vectorised), or a task (`defineTasks`) called with each row as a plain
   * object (for logic no expression says).
   *
   * @example
   * ```ts
   * import { col, fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [1, 5, 9] }).filter(col("x").gt(2).and(col("x").lt(9)));
   * console.log((await df.compute({ placement: "inline" })).column("x")); // Int32Array(1) [ 5 ]
   * ```
   */
  filter(
    predicate: ExprLike | Task<[Record<string, unknown>], boolean>,
  ): LazyFrame {
    return LazyFrame.#of(steps.filterRows(this.#framed, predicate));
  }

  /**
   * New or replaced columns from expressions or values; every expression
   * reads the columns as they were before.
   *
   * @example
   * ```ts
   * import { col, fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [1, 2] }).assign({ y: col("x").mul(2), one: 1 });
   * console.log(df.dtypes); // { x: "int32", y: "float64", one: "int32" }
   * ```
   */
  assign(columns: Record<string, ExprLike>): LazyFrame {
    return LazyFrame.#of(steps.assignColumns(this.#framed, columns));
  }

  /**
   * One new or replaced column.
   *
   * @example
   * ```ts
   * import { col, fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [1, 2] }).withColumn("neg", col("x").neg());
   * console.log(df.columns); // [ "x", "neg" ]
   * ```
   */
  withColumn(name: string, value: ExprLike): LazyFrame {
    return this.assign({ [name]: value });
  }

  /**
   * Nulls replaced: by one value in every column it fits, or per column
   * (`{ x: 0, name: "?" }`).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [1, null] }).fillNull(0);
   * console.log((await df.compute({ placement: "inline" })).column("x")); // Int32Array(2) [ 1, 0 ]
   * ```
   */
  fillNull(value: ExprLike | Record<string, ExprLike>): LazyFrame {
    return LazyFrame.#of(steps.fillNulls(this.#framed, value));
  }

  /**
   * Rows without nulls: in any column of `subset` (default: all), or
   * (`how: "all"`) only rows null in all of them are dropped.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [1, null, 3] }).dropNull();
   * console.log((await df.compute({ placement: "inline" })).length); // 2
   * ```
   */
  dropNull(
    options: { subset?: string[]; how?: "any" | "all" } = {},
  ): LazyFrame {
    return LazyFrame.#of(steps.dropNulls(this.#framed, options));
  }

  /**
   * Columns cast to other types (one type for all, or per column).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: ["1", "2"] }).astype({ x: "int32" });
   * console.log(df.dtypes); // { x: "int32" }
   * ```
   */
  astype(types: DType | Record<string, DType>): LazyFrame {
    return LazyFrame.#of(steps.castColumns(this.#framed, types));
  }

  /**
   * Apply a task (`defineTasks`) to each partition as a local `DataFrame`;
   * it returns a `DataFrame` (and is run once on an empty one here, to
   * learn the columns it gives, as Dask's `meta`).
   *
   * @example
   * ```ts
   * import { defineTasks } from "@troupe/troupe";
   * import { col, DataFrame, fromColumns } from "@troupe/troupe/dataframe";
   * export const t = defineTasks(import.meta.url, {
   *   double: (df: DataFrame) => df.assign({ x: col("x").mul(2) }),
   * });
   * const out = await fromColumns({ x: [1, 2] }).mapPartitions(t.double).compute({ placement: "inline" });
   * console.log(out.column("x")); // Float64Array(2) [ 2, 4 ]
   * ```
   */
  mapPartitions<A extends unknown[]>(
    task: Task<[DataFrame, ...A], DataFrame | Promise<DataFrame>>,
    ...args: A
  ): LazyFrame {
    return LazyFrame.#of(steps.mapPartitionsOf(this.#framed, task, args));
  }

  /**
   * Group rows by the key columns: then `agg`, or `mean()`, `sum()`...
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ k: ["a", "b", "a"], x: [1, 2, 3] });
   * const out = await df.groupBy("k").agg({ x: ["sum", "max"] }).compute({ placement: "inline" });
   * console.log(out.toRecords()); // [ { k: "a", x_sum: 4, x_max: 3 }, { k: "b", x_sum: 2, x_max: 2 } ]
   * ```
   */
  groupBy(
    keys: string | string[],
    options: GroupByOptions = {},
  ): GroupBy<LazyFrame> {
    const k = steps.list(keys);
    steps.checkColumns(this.schema, k);
    return new GroupBy(
      this.#framed.plans,
      this.schema,
      k,
      options,
      (plans, schema) => new LazyFrame(plans, schema),
    );
  }

  /**
   * How often each value of a column occurs: the column and `count`, most
   * frequent first (nulls not counted).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const out = await fromColumns({ s: ["a", "b", "a"] }).valueCounts("s").compute({ placement: "inline" });
   * console.log(out.toRecords()); // [ { s: "a", count: 2 }, { s: "b", count: 1 } ]
   * ```
   */
  valueCounts(column: string): LazyFrame {
    return LazyFrame.#of(cross.valueCountsOf(this.#framed, column));
  }

  /**
   * Distinct values per column: one row, one int32 column each.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const out = await fromColumns({ s: ["a", "b", "a"] }).nunique().compute({ placement: "inline" });
   * console.log(out.toRecords()); // [ { s: 2 } ]
   * ```
   */
  nunique(): LazyFrame {
    return LazyFrame.#of(cross.nuniqueOf(this.#framed));
  }

  /**
   * Summary statistics of the numeric columns: rows `count`, `mean`,
   * `std`, `min`, `max`, one float64 column each.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const out = await fromColumns({ x: [1, 2, 3] }).describe().compute({ placement: "inline" });
   * console.log(out.toRecords()[1]); // { statistic: "mean", x: 2 }
   * ```
   */
  describe(): LazyFrame {
    return LazyFrame.#of(cross.describeOf(this.#framed));
  }

  /**
   * Rows sorted by columns (nulls last): keys sampled for range
   * boundaries, rows split by range, each range sorted.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [3, 1, 2] }, { npartitions: 2 }).sortValues("x");
   * console.log((await df.compute({ placement: "inline" })).column("x")); // Int32Array(3) [ 1, 2, 3 ]
   * ```
   */
  sortValues(
    by: string | string[],
    options: { ascending?: boolean | boolean[] } = {},
  ): LazyFrame {
    const ascending = options.ascending ?? true;
    return LazyFrame.#of(cross.sortedBy(this.#framed, by, ascending));
  }

  /**
   * Rows with duplicates (in `subset`, default all columns) dropped; the
   * first of each kept within a partition.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ x: [1, 1, 2] }).dropDuplicates();
   * console.log((await df.compute({ placement: "inline" })).length); // 2
   * ```
   */
  dropDuplicates(subset?: string | string[]): LazyFrame {
    return LazyFrame.#of(cross.withoutDuplicates(this.#framed, subset));
  }

  /**
   * Join with another frame on key columns (`inner`, `left`, `right`,
   * `outer`): a one-partition right side is broadcast, else both sides are
   * shuffled by key.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const people = fromColumns({ id: [1, 2], name: ["ada", "alan"] });
   * const langs = fromColumns({ id: [1, 1], lang: ["ada", "analytical"] });
   * const out = await people.merge(langs, { on: "id" }).compute({ placement: "inline" });
   * console.log(out.length); // 2
   * ```
   */
  merge(right: LazyFrame, options: MergeOptions = {}): LazyFrame {
    const other = LazyFrame.#framedOf(right, "merge's right frame");
    return LazyFrame.#of(cross.mergeFrames(this.#framed, other, options));
  }

  /**
   * `merge`, by another name (there is no index: give the keys).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const a = fromColumns({ id: [1], x: [1] });
   * const b = fromColumns({ id: [1], y: [2] });
   * console.log(a.join(b, { on: "id" }).columns); // [ "id", "x", "y" ]
   * ```
   */
  join(right: LazyFrame, options: MergeOptions = {}): LazyFrame {
    return this.merge(right, options);
  }

  /**
   * The same rows in `n` partitions (neighbours merged, or each split).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(fromColumns({ x: [1, 2, 3, 4] }, { npartitions: 4 }).repartition(2).npartitions); // 2
   * ```
   */
  repartition(n: number): LazyFrame {
    return LazyFrame.#of(cross.repartitioned(this.#framed, n));
  }

  /**
   * Compute every partition and gather them into a local `DataFrame`.
   * Runs on `options.scheduler`, or on a local scheduler made for the call
   * (worker hosts, one per core).
   *
   * @example
   * ```ts
   * import { fromRecords } from "@troupe/troupe/dataframe";
   * const out = await fromRecords([{ a: 1 }, { a: 2 }]).compute({ placement: "inline" });
   * console.log(out.toRecords()); // [ { a: 1 }, { a: 2 } ]
   * ```
   */
  compute(options: ComputeOptions = {}): Promise<DataFrame> {
    return run.computeFrame(this.#framed, options);
  }

  /**
   * Rows in all partitions.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(await fromColumns({ x: [1, 2, 3] }).count({ placement: "inline" })); // 3
   * ```
   */
  count(options: ComputeOptions = {}): Promise<number> {
    return run.countRows(this.#framed, options);
  }

  /**
   * The first `n` rows (from the first partitions, as many as it takes).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const top = await fromColumns({ x: [1, 2, 3] }, { npartitions: 3 }).head(2, { placement: "inline" });
   * console.log(top.length); // 2
   * ```
   */
  head(n = 5, options: ComputeOptions = {}): Promise<DataFrame> {
    return run.endRows(this.#framed, n, options, "head");
  }

  /**
   * The last `n` rows (from the last partitions, as many as it takes).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const last = await fromColumns({ x: [1, 2, 3] }, { npartitions: 2 }).tail(1, { placement: "inline" });
   * console.log(last.column("x")); // Int32Array(1) [ 3 ]
   * ```
   */
  tail(n = 5, options: ComputeOptions = {}): Promise<DataFrame> {
    return run.endRows(this.#framed, n, options, "tail");
  }

  /**
   * Compute the partitions and keep them on the scheduler's workers (a
   * scheduler or client must be given): a frame of them, for more work
   * without reading again.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const kept = await fromColumns({ x: [1, 2] }).persist({ scheduler });
   * console.log(await kept.count({ scheduler })); // 2
   * ```
   */
  async persist(options: ComputeOptions): Promise<LazyFrame> {
    return new LazyFrame(
      await run.persistPlans(this.#framed, options),
      this.schema,
    );
  }

  /**
   * Write each partition as a CSV file: `path` is a directory (files
   * `part-00000.csv`...) or a pattern with one `*` for the partition
   * number. The paths written.
   *
   * @example (writes files: not run by the doc tests, which may not write)
   * ```ts ignore
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const dir = await Deno.makeTempDir();
   * const files = await fromColumns({ x: [1, 2] }).toCsv(dir, { placement: "inline" });
   * console.log(files.length); // 1
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  toCsv(
    path: string,
    options: ComputeOptions & { delimiter?: string; header?: boolean } = {},
  ): Promise<string[]> {
    return run.writeCsv(this.#framed, path, options);
  }

  /**
   * Write each partition as a Parquet file (`path` a directory: files
   * `part.0.parquet`...; or a pattern with one `*`). The paths written.
   *
   * @example (writes files: not run by the doc tests, which may not write)
   * ```ts ignore
   * import { fromColumns, readParquet } from "@troupe/troupe/dataframe";
   * const dir = await Deno.makeTempDir();
   * await fromColumns({ x: [1.5, 2.5] }).toParquet(dir, { placement: "inline" });
   * const back = await (await readParquet(`${dir}/*.parquet`)).compute({ placement: "inline" });
   * console.log(back.column("x")); // Float64Array(2) [ 1.5, 2.5 ]
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  toParquet(path: string, options: ComputeOptions = {}): Promise<string[]> {
    return run.writeParquet(this.#framed, path, options);
  }

  /**
   * A short description: partitions and columns (nothing is computed).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * console.log(String(fromColumns({ x: [1] }))); // LazyFrame(npartitions=1; x: int32)
   * ```
   */
  toString(): string {
    const cols = this.schema.names.map((n, i) =>
      `${n}: ${this.schema.types[i]}`
    ).join(", ");
    return `LazyFrame(npartitions=${this.npartitions}; ${cols})`;
  }
}
