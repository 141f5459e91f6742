/**
 * The graph tasks of dataframes, imported by every host that runs them:
 * the fused partition task (`run`), the CSV range scan, the steps of tree
 * reductions and shuffles (combine, finish, pick, concat, join), and the
 * boundaries of a distributed sort.
 *
 * @module
 */

import { type AggSpec, GroupAcc, type PartialAgg } from "./_agg.ts";
import {
  concatParts,
  PartBuilder,
  sliceRows,
  takeRows,
  valueAt,
} from "./_builder.ts";
import { csvBounds } from "./_csv_read.ts";
import { defineTasks } from "./_graph.ts";
import { joinTable, probe, unmatched } from "./_join.ts";
import {
  columnOf,
  type DType,
  emptyPart,
  type Part,
  type Schema,
} from "./_part.ts";
import { runPartTask } from "./_run.ts";
import { argsort, boundaries } from "./_sort.ts";
import type { JoinSpec, PartTask } from "./_spec.ts";

/** What to do to a group-by's result before it is returned. */
export type AggPost =
  | null
  | {
    readonly op: "sort";
    readonly by: readonly string[];
    readonly ascending: readonly boolean[];
  }
  | {
    readonly op: "describe";
    readonly columns: readonly string[];
    readonly stats: readonly string[];
  };

function mergeAll(partials: readonly PartialAgg[], spec: AggSpec): GroupAcc {
  const acc = new GroupAcc(spec);
  for (const p of partials) acc.merge(p);
  return acc;
}

function post(part: Part, p: AggPost): Part {
  if (p === null) return part;
  if (p.op === "sort") {
    return part.length < 2
      ? part
      : takeRows(part, argsort(part, p.by, p.ascending), part.length);
  }
  // describe: one row per statistic, one column per described column.
  const rows = p.stats.map((stat) => [
    stat,
    ...p.columns.map((c) => {
      const v = part.length === 0
        ? null
        : valueAt(columnOf(part, `${c}\u0000${stat}`), 0);
      return v === null ? null : Number(v instanceof Date ? v.getTime() : v);
    }),
  ]);
  return partFromRows(
    ["statistic", ...p.columns],
    ["string", ...p.columns.map((): DType => "float64")],
    rows,
  );
}

function partFromRows(
  names: string[],
  types: DType[],
  rows: unknown[][],
): Part {
  const b = new PartBuilder(names, types, rows.length);
  for (const r of rows) {
    b.columns.forEach((c, i) => c.push(r[i]));
    b.length++;
  }
  return b.finish(true);
}

/** The dataframe tasks. */
export const dfTasks = defineTasks(import.meta.url, {
  /** One fused partition task: read, steps, sink. */
  run: (t: PartTask): Promise<unknown> => runPartTask(t),
  /** Scan a CSV byte range for its quote parity and first record starts. */
  csvBounds,
  /** Merge partial aggregates into one. */
  combine: (partials: PartialAgg[], spec: AggSpec): PartialAgg =>
    mergeAll(partials, spec).partial(),
  /** Merge partial aggregates and give the result. */
  finish: (partials: PartialAgg[], spec: AggSpec, p: AggPost): Part => {
    const out = mergeAll(partials, spec).finish(true);
    return post(out, p);
  },
  /** Element `j` of a list (one bucket of a shuffle). */
  pick: <T>(list: T[], j: number): T => list[j],
  /** Concatenate partitions. */
  concat: (parts: Part[], schema: Schema): Part => {
    const some = parts.filter((p) => p.length > 0);
    return some.length === 0
      ? emptyPart(schema)
      : some.length === 1
      ? some[0]
      : concatParts(some);
  },
  /** Rows [i * n / k, (i + 1) * n / k) of a partition (one piece of k). */
  piece: (part: Part, i: number, k: number): Part => {
    const a = Math.floor(i * part.length / k);
    const b = Math.floor((i + 1) * part.length / k);
    return sliceRows(part, a, b, true);
  },
  /** A partition given by the caller. */
  literal: (part: Part): Part => part,
  /** Join one bucket of each side of a shuffle. */
  join: (
    left: Part[],
    right: Part[],
    spec: JoinSpec,
    leftSchema: Schema,
    rightSchema: Schema,
  ): Part => {
    const l = concatNonEmpty(left, leftSchema);
    const r = concatNonEmpty(right, rightSchema);
    const table = joinTable(
      r,
      spec,
      spec.leftOn.map((n) => columnOf(l, n).type),
    );
    const matched = probe(l, table, spec);
    if (spec.how !== "outer" && spec.how !== "right") return matched;
    const rest = unmatched(emptyPart(leftSchema), table, spec);
    return rest.length === 0 ? matched : concatParts([matched, rest]);
  },
  /** Sort boundaries from samples of every partition. */
  sortBounds: (
    samples: unknown[][][],
    ascending: boolean[],
    parts: number,
  ): unknown[][] => boundaries(samples.flat(), ascending, parts),
});

function concatNonEmpty(parts: Part[], schema: Schema): Part {
  const some = parts.filter((p) => p.length > 0);
  return some.length === 0
    ? emptyPart(schema)
    : some.length === 1
    ? some[0]
    : concatParts(some, false);
}
