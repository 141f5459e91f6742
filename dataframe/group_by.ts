/**
 * `groupBy(keys)`: aggregations per group, as tree reductions of tiny
 * per-partition partial aggregates (fused into each partition's task with
 * its read and steps), or, for many groups, a hash shuffle of the partials
 * into `splitOut` reductions (Dask's `split_out`).
 *
 * @module
 */

import {
  AGG_FNS,
  type AggFn,
  type AggItem,
  aggSpec,
  aggType,
  NUMERIC_FNS,
} from "./_agg.ts";
import { aggregate } from "./_ops.ts";
import {
  type DType,
  DTypeError,
  isNumeric,
  missingColumn,
  type Schema,
} from "./_part.ts";
import type { PartPlan } from "./_plan.ts";

/**
 * How a group-by runs.
 *
 * @example
 * ```ts
 * import type { GroupByOptions } from "@troupe/troupe/dataframe";
 * const options: GroupByOptions = { splitOut: 4, dropna: false };
 * ```
 */
export interface GroupByOptions {
  /**
   * Output partitions (default 1: one tree reduction). More spread the
   * groups over that many reductions by a hash of their keys, for results
   * with too many groups for one partition.
   */
  splitOut?: number;
  /** Drop rows whose key is null (default true); false makes null a key. */
  dropna?: boolean;
}

/** What `agg` takes: per column, one aggregation or several. */
export type AggRequest = Record<string, AggFn | AggFn[]>;

/**
 * Rows grouped by key columns, waiting for an aggregation. Results have
 * the keys first, then one column per aggregation, one row per group,
 * sorted by the keys. `F` is the frame an aggregation gives (`LazyFrame`,
 * from `LazyFrame.groupBy`; a type parameter so that this file need not
 * import lazy_frame.ts, which imports it).
 *
 * @example
 * ```ts
 * import { fromColumns } from "@troupe/troupe/dataframe";
 * const df = fromColumns({ k: [1, 1, 2], x: [1, 3, 5] });
 * const out = await df.groupBy("k").sum().compute({ placement: "inline" });
 * console.log(out.toRecords()); // [ { k: 1, x: 4 }, { k: 2, x: 5 } ]
 * ```
 */
export class GroupBy<F> {
  readonly #plans: readonly PartPlan[];
  readonly #schema: Schema;
  readonly #keys: readonly string[];
  readonly #options: GroupByOptions;
  readonly #make: (plans: PartPlan[], schema: Schema) => F;

  /**
   * Use `LazyFrame.groupBy`.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const grouped = fromColumns({ k: [1], x: [2] }).groupBy("k");
   * ```
   */
  constructor(
    plans: readonly PartPlan[],
    schema: Schema,
    keys: readonly string[],
    options: GroupByOptions,
    make: (plans: PartPlan[], schema: Schema) => F,
  ) {
    const splitOut = options.splitOut ?? 1;
    if (!(Number.isInteger(splitOut) && splitOut >= 1)) {
      throw new RangeError(`splitOut must be an integer >= 1, got ${splitOut}`);
    }
    this.#plans = plans;
    this.#schema = schema;
    this.#keys = keys;
    this.#options = options;
    this.#make = make;
  }

  #type(name: string): DType {
    const i = this.#schema.names.indexOf(name);
    if (i < 0) throw missingColumn(name, this.#schema.names);
    return this.#schema.types[i];
  }

  /**
   * Aggregate columns: `{ x: "mean", y: ["min", "max"] }` (one function:
   * the column keeps its name; several: `y_min`, `y_max`). Functions:
   * mean, sum, count, size, min, max, std, var, first, last, nunique.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * const df = fromColumns({ k: ["a", "a"], x: [1, 3] });
   * const out = await df.groupBy("k").agg({ x: ["mean", "std"] }).compute({ placement: "inline" });
   * console.log(out.columns); // [ "k", "x_mean", "x_std" ]
   * ```
   */
  agg(request: AggRequest): F {
    const items: AggItem[] = [];
    for (const [col, fns] of Object.entries(request)) {
      const list = Array.isArray(fns) ? fns : [fns];
      for (const fn of list) {
        if (!AGG_FNS.includes(fn)) {
          throw new TypeError(
            `agg: "${fn}" for "${col}" is not one of ${AGG_FNS.join(", ")}`,
          );
        }
        const t = this.#type(col);
        if (NUMERIC_FNS.has(fn) && !isNumeric(t)) {
          throw new DTypeError(
            `${fn} needs a numeric column: "${col}" is ${t}`,
          );
        }
        items.push({ col, fn, out: list.length === 1 ? col : `${col}_${fn}` });
      }
    }
    return this.#run(items);
  }

  #run(items: AggItem[]): F {
    const spec = aggSpec(
      this.#schema,
      this.#keys,
      items,
      this.#options.dropna ?? true,
    );
    const out: Schema = {
      names: [...this.#keys, ...items.map((i) => i.out)],
      types: [
        ...spec.keyTypes,
        ...items.map((i, k) => aggType(i.fn, spec.itemTypes[k])),
      ],
    };
    const dup = out.names.find((n, i) => out.names.indexOf(n) !== i);
    if (dup !== undefined) {
      throw new TypeError(`agg: two output columns named "${dup}"`);
    }
    const plans = aggregate(
      this.#plans,
      spec,
      null,
      this.#options.splitOut ?? 1,
      out,
    );
    return this.#make(plans, out);
  }

  /** The non-key columns an aggregation applies to by default. */
  #all(fn: AggFn): F {
    const numeric = NUMERIC_FNS.has(fn);
    const cols = this.#schema.names.filter((n, i) =>
      !this.#keys.includes(n) && (!numeric || isNumeric(this.#schema.types[i]))
    );
    return this.#run(cols.map((col) => ({ col, fn, out: col })));
  }

  /**
   * Mean of each numeric column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").mean();
   * ```
   */
  mean(): F {
    return this.#all("mean");
  }
  /**
   * Sum of each numeric column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").sum();
   * ```
   */
  sum(): F {
    return this.#all("sum");
  }
  /**
   * Non-null values of each column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").count();
   * ```
   */
  count(): F {
    return this.#all("count");
  }
  /**
   * Rows per group, as column `size`.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1, 1] }).groupBy("k").size();
   * ```
   */
  size(): F {
    return this.#run([{ col: this.#keys[0] ?? "", fn: "size", out: "size" }]);
  }
  /**
   * Smallest value of each column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").min();
   * ```
   */
  min(): F {
    return this.#all("min");
  }
  /**
   * Largest value of each column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").max();
   * ```
   */
  max(): F {
    return this.#all("max");
  }
  /**
   * Sample standard deviation (n - 1) of each numeric column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").std();
   * ```
   */
  std(): F {
    return this.#all("std");
  }
  /**
   * Sample variance (n - 1) of each numeric column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").var();
   * ```
   */
  var(): F {
    return this.#all("var");
  }
  /**
   * First non-null value of each column (in partition order).
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").first();
   * ```
   */
  first(): F {
    return this.#all("first");
  }
  /**
   * Last non-null value of each column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").last();
   * ```
   */
  last(): F {
    return this.#all("last");
  }
  /**
   * Distinct non-null values of each column.
   *
   * @example
   * ```ts
   * import { fromColumns } from "@troupe/troupe/dataframe";
   * fromColumns({ k: [1], x: [2] }).groupBy("k").nunique();
   * ```
   */
  nunique(): F {
    return this.#all("nunique");
  }
}
