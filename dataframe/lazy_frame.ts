/**
 * The partitioned, lazy dataframe (what `dask.dataframe.DataFrame` is to
 * pandas): each method adds to a plan; `compute`, `persist`, `head` and
 * the writers lower it to a task graph and run it. Row-by-row steps fuse
 * into one task per partition with the read before them and the partial
 * aggregate or shuffle split after them.
 *
 * @module
 */

import { concatParts, sliceRows } from "./_builder.ts";
import { type ComputeOptions, withRunner } from "./_compute.ts";
import { type ExprNode, showExpr, typeOf } from "./_expr.ts";
import { type Task, taskRef } from "./_graph.ts";
import {
  addStep,
  aggregate,
  dedupePlans,
  fromProducers,
  mergePlans,
  repartitionPlans,
  sortPlans,
} from "./_ops.ts";
import {
  type DType,
  DTypeError,
  emptyPart,
  isNumeric,
  missingColumn,
  type Part,
  type Schema,
} from "./_part.ts";
import {
  estimateBytes,
  filesOf,
  given,
  type Lazy,
  lowerAll,
  lowerCtx,
  type PartPlan,
  resolveFiles,
} from "./_plan.ts";
import type { JoinSpec, Sink } from "./_spec.ts";
import { type AggItem, aggSpec } from "./_agg.ts";
import { DataFrame } from "./data_frame.ts";
import { type ExprLike, nodeOf } from "./expr.ts";
import { GroupBy, type GroupByOptions } from "./group_by.ts";

export type { ComputeOptions };

/** How `merge` joins. */
export interface MergeOptions {
  /** Key columns of both sides (same names). */
  on?: string | string[];
  /** Key columns of the left side (with `rightOn`). */
  leftOn?: string | string[];
  /** Key columns of the right side. */
  rightOn?: string | string[];
  /** `inner` (default), `left`, `right` or `outer`. */
  how?: "inner" | "left" | "right" | "outer";
  /** Added to clashing non-key names (default `["_x", "_y"]`). */
  suffixes?: [string, string];
  /**
   * Send the right side whole to every left partition instead of shuffling
   * both sides by key (default: when it is one partition, or CSV of at
   * most 64 MB; inner and left joins only).
   */
  broadcast?: boolean;
}

/** A right side read from at most this many bytes of CSV is broadcast. */
const BROADCAST_BYTES = 64 << 20;

function list(x: string | readonly string[] | undefined): string[] {
  return x === undefined ? [] : typeof x === "string" ? [x] : [...x];
}

/** Check that every name is a column of `schema`. */
export function checkColumns(schema: Schema, names: readonly string[]): void {
  for (const n of names) {
    if (!schema.names.includes(n)) throw missingColumn(n, schema.names);
  }
}

function typeIn(schema: Schema, name: string): DType {
  return schema.types[schema.names.indexOf(name)];
}

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
  readonly #plans: readonly PartPlan[];

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
    this.#plans = plans;
    this.schema = schema;
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
    return this.#plans.length;
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
    if (frames.length === 0) {
      throw new RangeError("concat needs at least one frame");
    }
    const schema = frames[0].schema;
    const show = (x: Schema) =>
      x.names.map((n, i) => `${n}: ${x.types[i]}`).join(", ");
    const plans: PartPlan[] = [];
    frames.forEach((f, k) => {
      const s = f.schema;
      const same = s.names.length === schema.names.length &&
        schema.names.every((n, i) =>
          s.names.includes(n) && s.types[s.names.indexOf(n)] === schema.types[i]
        );
      if (!same) {
        throw new DTypeError(
          `concat: frame ${k} has columns { ${show(s)} }, frame 0 has { ${
            show(schema)
          } }`,
        );
      }
      const inOrder = s.names.every((n, i) => n === schema.names[i]);
      plans.push(
        ...(inOrder
          ? f.#plans
          : addStep(f.#plans, { op: "select", names: schema.names }, schema)),
      );
    });
    return new LazyFrame(plans, schema);
  }

  #with(plans: PartPlan[], schema: Schema = this.schema): LazyFrame {
    return new LazyFrame(plans, schema);
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
    checkColumns(this.schema, names);
    const out = { names, types: names.map((n) => typeIn(this.schema, n)) };
    return this.#with(addStep(this.#plans, { op: "select", names }, out), out);
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
    checkColumns(this.schema, names);
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
    const from = Object.keys(mapping);
    checkColumns(this.schema, from);
    const to = from.map((f) => mapping[f]);
    const names = this.schema.names.map((n) => mapping[n] ?? n);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) {
      throw new TypeError(`rename: two columns would be named "${dup}"`);
    }
    const out = { names, types: this.schema.types };
    return this.#with(
      addStep(this.#plans, { op: "rename", from, to }, out),
      out,
    );
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
    if (typeof predicate === "function") {
      const t = predicate as Task;
      if (typeof t.taskModule !== "string") {
        throw new TypeError(
          "filter takes an expression or a task made by defineTasks",
        );
      }
      return this.#with(
        addStep(this.#plans, {
          op: "filterRows",
          task: taskRef(t),
        }, this.schema),
      );
    }
    const expr = nodeOf(predicate);
    const t = typeOf(expr, this.schema);
    if (t !== "bool") {
      throw new DTypeError(
        `filter needs a bool expression: ${showExpr(expr)} is ${t}`,
      );
    }
    return this.#with(
      addStep(this.#plans, { op: "filter", expr }, this.schema),
    );
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
    const names = Object.keys(columns);
    const exprs = names.map((n) => nodeOf(columns[n]));
    const types = exprs.map((e) => {
      const t = typeOf(e, this.schema);
      return t === "null" ? "float64" : t;
    });
    return this.#assignNodes(names, exprs, types);
  }

  #assignNodes(names: string[], exprs: ExprNode[], types: DType[]): LazyFrame {
    const outNames = this.schema.names.slice();
    const outTypes = this.schema.types.slice();
    names.forEach((n, k) => {
      const at = outNames.indexOf(n);
      if (at >= 0) outTypes[at] = types[k];
      else {
        outNames.push(n);
        outTypes.push(types[k]);
      }
    });
    const out = { names: outNames, types: outTypes };
    return this.#with(
      addStep(this.#plans, { op: "assign", names, exprs }, out),
      out,
    );
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
    const perColumn = typeof value === "object" && value !== null &&
      !(value instanceof Date) &&
      !("node" in value);
    const entries = perColumn
      ? Object.entries(value as Record<string, ExprLike>)
      : this.schema.names.map((n) => [n, value as ExprLike] as const).filter(
        ([n]) => {
          const t = typeIn(this.schema, n);
          const v = nodeOf(value as ExprLike);
          const vt = typeOf(v, this.schema);
          return vt === t || (isNumeric(t) && isNumeric(vt as DType));
        },
      );
    checkColumns(this.schema, entries.map(([n]) => n));
    const names = entries.map(([n]) => n);
    const exprs: ExprNode[] = entries.map(([n, v]) => ({
      k: "fill",
      a: { k: "col", name: n },
      v: nodeOf(v),
    }));
    const types = exprs.map((e) => typeOf(e, this.schema) as DType);
    return this.#assignNodes(names, exprs, types);
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
    const subset = options.subset ?? this.schema.names.slice();
    checkColumns(this.schema, subset);
    return this.#with(
      addStep(this.#plans, {
        op: "dropNull",
        subset,
        how: options.how ?? "any",
      }, this.schema),
    );
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
    const map = typeof types === "string"
      ? Object.fromEntries(this.schema.names.map((n) => [n, types]))
      : types;
    const names = Object.keys(map);
    checkColumns(this.schema, names);
    const exprs: ExprNode[] = names.map((n) => ({
      k: "cast",
      a: { k: "col", name: n },
      to: map[n],
    }));
    return this.#assignNodes(names, exprs, names.map((n) => map[n]));
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
    if (typeof task?.taskModule !== "string") {
      throw new TypeError("mapPartitions takes a task made by defineTasks");
    }
    const meta = task(new DataFrame(emptyPart(this.schema)), ...args);
    if (meta instanceof Promise) {
      throw new TypeError(
        `mapPartitions: ${task.taskName} returned a Promise for the empty frame its columns are learnt from; return the DataFrame itself when df.length is 0 (it may be async for the others)`,
      );
    }
    if (!(meta instanceof DataFrame)) {
      throw new TypeError(
        `mapPartitions: ${task.taskName} must return a DataFrame`,
      );
    }
    const out = {
      names: meta.part.names,
      types: meta.part.columns.map((c) => c.type),
    };
    const step = {
      op: "map",
      task: taskRef(task as unknown as Task),
      args,
      schema: out,
    } as const;
    return this.#with(addStep(this.#plans, step, out), out);
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
    const k = list(keys);
    checkColumns(this.schema, k);
    return new GroupBy(
      this.#plans,
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
    checkColumns(this.schema, [column]);
    const items: AggItem[] = [{ col: column, fn: "size", out: "count" }];
    const spec = aggSpec(this.schema, [column], items, true);
    const out = {
      names: [column, "count"],
      types: [typeIn(this.schema, column), "int32" as DType],
    };
    return this.#with(
      aggregate(
        this.#plans,
        spec,
        { op: "sort", by: ["count", column], ascending: [false, true] },
        1,
        out,
        "value-counts",
      ),
      out,
    );
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
    const items: AggItem[] = this.schema.names.map((n) => ({
      col: n,
      fn: "nunique",
      out: n,
    }));
    const spec = aggSpec(this.schema, [], items, true);
    const out = {
      names: this.schema.names,
      types: this.schema.names.map((): DType => "int32"),
    };
    return this.#with(
      aggregate(this.#plans, spec, null, 1, out, "nunique"),
      out,
    );
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
    const columns = this.schema.names.filter((n) =>
      isNumeric(typeIn(this.schema, n))
    );
    const stats = ["count", "mean", "std", "min", "max"] as const;
    const items: AggItem[] = columns.flatMap((c) =>
      stats.map((fn) => ({ col: c, fn, out: `${c}\u0000${fn}` }))
    );
    const spec = aggSpec(this.schema, [], items, true);
    const out = {
      names: ["statistic", ...columns],
      types: ["string" as DType, ...columns.map((): DType => "float64")],
    };
    return this.#with(
      aggregate(
        this.#plans,
        spec,
        { op: "describe", columns, stats: [...stats] },
        1,
        out,
        "describe",
      ),
      out,
    );
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
    const keys = list(by);
    checkColumns(this.schema, keys);
    const asc = options.ascending ?? true;
    const ascending = Array.isArray(asc) ? asc : keys.map(() => asc);
    if (ascending.length !== keys.length) {
      throw new RangeError("sortValues: one ascending flag per key");
    }
    return this.#with(sortPlans(this.#plans, keys, ascending, this.schema));
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
    const keys = subset === undefined
      ? this.schema.names.slice()
      : list(subset);
    checkColumns(this.schema, keys);
    return this.#with(dedupePlans(this.#plans, keys, this.schema));
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
    const how = options.how ?? "inner";
    if (!["inner", "left", "right", "outer"].includes(how)) {
      throw new TypeError(
        `merge: how must be "inner", "left", "right" or "outer", got ${how}`,
      );
    }
    let leftOn = list(options.leftOn ?? options.on);
    let rightOn = list(options.rightOn ?? options.on);
    if (leftOn.length === 0) {
      leftOn = rightOn = this.schema.names.filter((n) =>
        right.schema.names.includes(n)
      );
    }
    if (leftOn.length === 0 || leftOn.length !== rightOn.length) {
      throw new TypeError(
        "merge: give `on`, or `leftOn` and `rightOn` of equal length",
      );
    }
    checkColumns(this.schema, leftOn);
    checkColumns(right.schema, rightOn);
    leftOn.forEach((l, k) => {
      const a = typeIn(this.schema, l), b = typeIn(right.schema, rightOn[k]);
      if (a !== b && !(isNumeric(a) && isNumeric(b))) {
        throw new DTypeError(
          `merge: key "${l}" is ${a} on the left, "${
            rightOn[k]
          }" is ${b} on the right`,
        );
      }
    });
    const [sx, sy] = options.suffixes ?? ["_x", "_y"];
    const merged = leftOn.filter((l, k) => l === rightOn[k]);
    const rightKeep = right.schema.names.filter((n) => !merged.includes(n));
    const clash = (n: string) =>
      this.schema.names.includes(n) && !merged.includes(n);
    const leftNames = this.schema.names.map((n) =>
      rightKeep.includes(n) && !merged.includes(n) ? n + sx : n
    );
    const rightNames = rightKeep.map((n) => clash(n) ? n + sy : n);
    const spec: JoinSpec = {
      how,
      leftOn,
      rightOn,
      leftNames,
      rightKeep,
      rightNames,
      merged,
    };
    const out = {
      names: [...leftNames, ...rightNames],
      types: [
        ...this.schema.types,
        ...rightKeep.map((n) => typeIn(right.schema, n)),
      ],
    };
    const size = estimateBytes(right.#plans);
    const broadcast = options.broadcast ??
      (right.npartitions === 1 ||
        (size !== undefined && size <= BROADCAST_BYTES));
    return this.#with(
      mergePlans(
        this.#plans,
        right.#plans,
        spec,
        this.schema,
        right.schema,
        out,
        broadcast,
      ),
      out,
    );
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
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new RangeError(`repartition: n must be an integer >= 1, got ${n}`);
    }
    return this.#with(repartitionPlans(this.#plans, n, this.schema));
  }

  /** Plans with the CSV ranges resolved and lowered with `sink`, then run. */
  async #run<T>(
    options: ComputeOptions,
    sink: (i: number) => Sink,
    name: string,
    then: (values: unknown[]) => T,
    plans: readonly PartPlan[] = this.#plans,
  ): Promise<T> {
    return await withRunner(options, async (run) => {
      await resolveFiles(filesOf(plans), run);
      const ctx = lowerCtx();
      const lazies = plans.map((p, i) => lowerAll([p], sink(i), name, ctx)[0]);
      return then(await run(lazies));
    });
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
    return this.#run(options, () => ({ kind: "part" }), "frame", (values) => {
      const parts = (values as Part[]).filter((p) => p.length > 0);
      if (parts.length === 0) return new DataFrame(emptyPart(this.schema));
      return new DataFrame(
        parts.length === 1 ? parts[0] : concatParts(parts, false),
      );
    });
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
    return this.#run(
      options,
      () => ({ kind: "count" }),
      "count",
      (v) => (v as number[]).reduce((a, b) => a + b, 0),
    );
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
    return this.#ends(n, options, "head");
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
    return this.#ends(n, options, "tail");
  }

  async #ends(
    n: number,
    options: ComputeOptions,
    op: "head" | "tail",
  ): Promise<DataFrame> {
    if (!(Number.isInteger(n) && n >= 0)) {
      throw new RangeError(`${op}: n must be an integer >= 0, got ${n}`);
    }
    const order = op === "head" ? this.#plans : this.#plans.slice().reverse();
    return await withRunner(options, async (run) => {
      await resolveFiles(filesOf(this.#plans), run);
      const ctx = lowerCtx();
      const got: Part[] = [];
      let rows = 0;
      // A partition at a time, as many as it takes.
      for (const plan of addStep(order, { op, n }, this.schema)) {
        if (rows >= n) break;
        const [part] = await run(
          lowerAll([plan], { kind: "part" }, op, ctx),
        ) as Part[];
        got.push(part);
        rows += part.length;
      }
      const parts = (op === "head" ? got : got.reverse()).filter((p) =>
        p.length > 0
      );
      if (parts.length === 0) return new DataFrame(emptyPart(this.schema));
      const all = concatParts(parts, false);
      const df = new DataFrame(all);
      return op === "head" ? df.head(n) : new DataFrame(
        sliceRows(all, Math.max(0, all.length - n), all.length),
      );
    });
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
    const runner = options?.scheduler;
    if (runner === undefined) {
      throw new TypeError(
        "persist keeps partitions on a scheduler's workers: give { scheduler } (a scheduler or client)",
      );
    }
    return await withRunner(options, async (run) => {
      await resolveFiles(filesOf(this.#plans), run);
      const lazies = lowerAll(
        this.#plans,
        { kind: "part" },
        "persist",
        lowerCtx(),
      );
      const futures = runner.persist(...(lazies as never[]));
      await Promise.all(futures.map((f) => f.result()));
      return new LazyFrame(
        fromProducers(
          futures.map((f) => given(f as unknown as Lazy)),
          this.schema,
        ),
        this.schema,
      );
    });
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
  async toCsv(
    path: string,
    options: ComputeOptions & { delimiter?: string; header?: boolean } = {},
  ): Promise<string[]> {
    const paths = await outputPaths(path, this.npartitions, "csv");
    const delimiter = options.delimiter ?? ",";
    const header = options.header ?? true;
    await this.#run(
      options,
      (i) => ({ kind: "csv", path: paths[i], delimiter, header }),
      "to-csv",
      () => 0,
    );
    return paths;
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
  async toParquet(
    path: string,
    options: ComputeOptions = {},
  ): Promise<string[]> {
    const paths = await outputPaths(path, this.npartitions, "parquet");
    await this.#run(
      options,
      (i) => ({ kind: "parquet", path: paths[i] }),
      "to-parquet",
      () => 0,
    );
    return paths;
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

async function outputPaths(
  path: string,
  n: number,
  ext: "csv" | "parquet",
): Promise<string[]> {
  const stars = path.split("*").length - 1;
  if (stars > 1) {
    throw new TypeError(`an output pattern takes one "*", got ${path}`);
  }
  if (stars === 1) {
    const width = String(Math.max(0, n - 1)).length;
    return Array.from(
      { length: n },
      (_, i) => path.replace("*", String(i).padStart(width, "0")),
    );
  }
  await Deno.mkdir(path, { recursive: true });
  const base = path.endsWith("/") ? path : path + "/";
  return Array.from(
    { length: n },
    (_, i) =>
      ext === "csv"
        ? `${base}part-${String(i).padStart(5, "0")}.csv`
        : `${base}part.${i}.parquet`,
  );
}
