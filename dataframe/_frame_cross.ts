/**
 * The methods of `LazyFrame` whose rows cross partitions (value counts,
 * nunique, describe, sort, duplicates, merge, repartition) as plain
 * functions on a frame's plans and schema: each checks its arguments and
 * works out the schema it gives; `_ops.ts` builds the reductions and
 * shuffles.
 *
 * @module
 */

import { type AggItem, aggSpec } from "./_agg.ts";
import {
  aggregate,
  dedupePlans,
  mergePlans,
  repartitionPlans,
  sortPlans,
} from "./_ops.ts";
import { type DType, DTypeError, isNumeric } from "./_part.ts";
import { estimateBytes } from "./_plan.ts";
import type { JoinSpec } from "./_spec.ts";
import { checkColumns, type Framed, list, typeIn } from "./_frame_steps.ts";

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

/** How often each value of `column` occurs, most frequent first. */
export function valueCountsOf(f: Framed, column: string): Framed {
  checkColumns(f.schema, [column]);
  const items: AggItem[] = [{ col: column, fn: "size", out: "count" }];
  const spec = aggSpec(f.schema, [column], items, true);
  const out = {
    names: [column, "count"],
    types: [typeIn(f.schema, column), "int32" as DType],
  };
  const then = {
    op: "sort",
    by: ["count", column],
    ascending: [false, true],
  } as const;
  return {
    plans: aggregate(f.plans, spec, then, 1, out, "value-counts"),
    schema: out,
  };
}

/** Distinct values per column: one row, one int32 column each. */
export function nuniqueOf(f: Framed): Framed {
  const items: AggItem[] = f.schema.names.map((n) => ({
    col: n,
    fn: "nunique",
    out: n,
  }));
  const spec = aggSpec(f.schema, [], items, true);
  const out = {
    names: f.schema.names,
    types: f.schema.names.map((): DType => "int32"),
  };
  return {
    plans: aggregate(f.plans, spec, null, 1, out, "nunique"),
    schema: out,
  };
}

/** Count, mean, std, min and max of the numeric columns, one row each. */
export function describeOf(f: Framed): Framed {
  const columns = f.schema.names.filter((n) => isNumeric(typeIn(f.schema, n)));
  const stats = ["count", "mean", "std", "min", "max"] as const;
  const items: AggItem[] = columns.flatMap((c) =>
    stats.map((fn) => ({ col: c, fn, out: `${c}\u0000${fn}` }))
  );
  const spec = aggSpec(f.schema, [], items, true);
  const out = {
    names: ["statistic", ...columns],
    types: ["string" as DType, ...columns.map((): DType => "float64")],
  };
  const then = { op: "describe", columns, stats: [...stats] } as const;
  return {
    plans: aggregate(f.plans, spec, then, 1, out, "describe"),
    schema: out,
  };
}

/** Rows sorted by columns, one ascending flag for all or one per key. */
export function sortedBy(
  f: Framed,
  by: string | string[],
  asc: boolean | boolean[],
): Framed {
  const keys = list(by);
  checkColumns(f.schema, keys);
  const ascending = Array.isArray(asc) ? asc : keys.map(() => asc);
  if (ascending.length !== keys.length) {
    throw new RangeError("sortValues: one ascending flag per key");
  }
  return {
    plans: sortPlans(f.plans, keys, ascending, f.schema),
    schema: f.schema,
  };
}

/** Rows with duplicates in `subset` (default all columns) dropped. */
export function withoutDuplicates(
  f: Framed,
  subset: string | string[] | undefined,
): Framed {
  const keys = subset === undefined ? f.schema.names.slice() : list(subset);
  checkColumns(f.schema, keys);
  return { plans: dedupePlans(f.plans, keys, f.schema), schema: f.schema };
}

/** `left` joined with `right` on key columns, broadcast or shuffled. */
export function mergeFrames(
  left: Framed,
  right: Framed,
  options: MergeOptions,
): Framed {
  const how = options.how ?? "inner";
  if (!["inner", "left", "right", "outer"].includes(how)) {
    throw new TypeError(
      `merge: how must be "inner", "left", "right" or "outer", got ${how}`,
    );
  }
  let leftOn = list(options.leftOn ?? options.on);
  let rightOn = list(options.rightOn ?? options.on);
  if (leftOn.length === 0) {
    leftOn = rightOn = left.schema.names.filter((n) =>
      right.schema.names.includes(n)
    );
  }
  if (leftOn.length === 0 || leftOn.length !== rightOn.length) {
    throw new TypeError(
      "merge: give `on`, or `leftOn` and `rightOn` of equal length",
    );
  }
  checkColumns(left.schema, leftOn);
  checkColumns(right.schema, rightOn);
  leftOn.forEach((l, k) => {
    const a = typeIn(left.schema, l), b = typeIn(right.schema, rightOn[k]);
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
    left.schema.names.includes(n) && !merged.includes(n);
  const leftNames = left.schema.names.map((n) =>
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
      ...left.schema.types,
      ...rightKeep.map((n) => typeIn(right.schema, n)),
    ],
  };
  const size = estimateBytes(right.plans);
  const broadcast = options.broadcast ??
    (right.plans.length === 1 ||
      (size !== undefined && size <= BROADCAST_BYTES));
  return {
    plans: mergePlans(
      left.plans,
      right.plans,
      spec,
      left.schema,
      right.schema,
      out,
      broadcast,
    ),
    schema: out,
  };
}

/** The same rows in `n` partitions. */
export function repartitioned(f: Framed, n: number): Framed {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`repartition: n must be an integer >= 1, got ${n}`);
  }
  return { plans: repartitionPlans(f.plans, n, f.schema), schema: f.schema };
}
