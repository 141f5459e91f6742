/**
 * Plans: what a lazy frame's partitions are before they are lowered to a
 * task graph. A partition's plan is a source and the steps fused onto it;
 * a source may be the outputs of other tasks (producers: a reduction, a
 * shuffle's bucket, given data), lowered to `delayed` calls only when a
 * result is asked for, after the CSV ranges are resolved to exact record
 * boundaries. Every task gets an explicit, structured key, `name-token-i`,
 * its token a hash of what it does and of its inputs' keys.
 *
 * @module
 */

import type { CsvLayout } from "./_csv_parse.ts";
import { type RangeBounds, resolveStarts } from "./_csv_read.ts";
import {
  type Delayed,
  delayed,
  type Future,
  type Task,
  tokenize,
} from "./_graph.ts";
import type { Schema } from "./_part.ts";
import { columnsOf } from "./_expr.ts";
import type { ParquetSource, PartTask, Sink, Source, Step } from "./_spec.ts";
import { dfTasks } from "./_tasks.ts";

/** A lazy value of the graph: a delayed call or a future. */
export type Lazy<T = unknown> = Delayed<T> | Future<T>;

/** One CSV file split into byte ranges; the ranges' exact starts once resolved. */
export interface CsvFile {
  readonly path: string;
  readonly size: number;
  readonly mtime: number;
  /** Range starts (then the file's size): blocks, before resolution. */
  readonly blocks: readonly number[];
  /** Where the first record starts (after the header). */
  readonly first: number;
  readonly layout: CsvLayout;
  /** Exact record starts per range (then the size), once resolved. */
  starts: number[] | null;
}

/** Something that lowers to one lazy value (memoised per lowering). */
export interface Producer {
  /** The CSV files it reads (to resolve before lowering). */
  readonly files: readonly CsvFile[];
  lower(ctx: LowerCtx): Lazy;
}

/** Where a partition's rows come from, in a plan. */
export type SourcePlan =
  | { readonly kind: "csv"; readonly file: CsvFile; readonly index: number }
  | ParquetSource
  | {
    readonly kind: "parts";
    readonly inputs: readonly Producer[];
    readonly schema: Schema;
  };

/** A step in a plan: a join's right side is a producer until lowered. */
export type StepPlan =
  | Exclude<Step, { op: "join" }>
  | {
    readonly op: "join";
    readonly right: Producer;
    readonly spec: Extract<Step, { op: "join" }>["spec"];
  };

/** One partition's plan. */
export interface PartPlan {
  readonly source: SourcePlan;
  readonly steps: readonly StepPlan[];
  /** The schema into each step, then the output's. */
  readonly schemas: readonly Schema[];
}

/** The state of one lowering: what has been lowered already. */
export interface LowerCtx {
  readonly memo: Map<object, Lazy>;
}

/** A new lowering. */
export function lowerCtx(): LowerCtx {
  return { memo: new Map() };
}

/** Lower a producer once per lowering. */
export function lowerOnce(p: Producer, ctx: LowerCtx): Lazy {
  let v = ctx.memo.get(p);
  if (v === undefined) ctx.memo.set(p, v = p.lower(ctx));
  return v;
}

/** The CSV files of partition plans (and of their inputs). */
export function filesOf(plans: readonly PartPlan[]): CsvFile[] {
  const out = new Set<CsvFile>();
  for (const p of plans) {
    if (p.source.kind === "csv") out.add(p.source.file);
    if (p.source.kind === "parts") {
      for (const i of p.source.inputs) i.files.forEach((f) => out.add(f));
    }
    for (const s of p.steps) {
      if (s.op === "join") s.right.files.forEach((f) => out.add(f));
    }
  }
  return [...out];
}

/**
 * About how many bytes the sources of `plans` read (CSV ranges), or
 * undefined when a source's size is not known before it runs.
 */
export function estimateBytes(plans: readonly PartPlan[]): number | undefined {
  let total = 0;
  for (const p of plans) {
    if (p.source.kind !== "csv") return undefined;
    const { file, index } = p.source;
    total += file.blocks[index + 1] - file.blocks[index];
  }
  return total;
}

/**
 * A token for a collection's tasks: a 128-bit hash of their name and
 * arguments over the graphs' canonical encoding (lazy values by their keys;
 * -0, NaN, bigints and bytes as they are), so that different arguments
 * never share a token.
 */
export function tokenOf(name: string, args: unknown): string {
  return tokenize(name, args);
}

/**
 * The columns a partition's source must give for `sink` (the others are
 * not parsed): walked back from the sink through the steps.
 */
export function neededColumns(plan: PartPlan, sink: Sink): Set<string> {
  const out = plan.schemas[plan.steps.length].names;
  let need: Set<string>;
  switch (sink.kind) {
    case "agg":
      need = new Set([
        ...sink.spec.keys,
        ...sink.spec.items.filter((i) => i.fn !== "size").map((i) => i.col),
      ]);
      break;
    case "sample":
      need = new Set(sink.by);
      break;
    case "count":
      need = new Set();
      break;
    default:
      need = new Set(out);
  }
  for (let i = plan.steps.length - 1; i >= 0; i--) {
    const step = plan.steps[i];
    const input = plan.schemas[i].names;
    switch (step.op) {
      case "select":
        // (The step reads every column it names.)
        need = new Set(step.names);
        break;
      case "rename":
        need = new Set([...need].map((n) => {
          const k = step.to.indexOf(n);
          return k < 0 ? n : step.from[k];
        }));
        break;
      case "filter":
        columnsOf(step.expr, need);
        break;
      case "assign":
        for (const n of step.names) need.delete(n);
        for (const e of step.exprs) columnsOf(e, need);
        break;
      case "dropNull":
        step.subset.forEach((n) => need.add(n));
        break;
      case "sort":
        step.by.forEach((n) => need.add(n));
        break;
      case "head":
      case "tail":
        break;
      case "join":
        // A counted join reads only its keys (`_join_count.ts`).
        need = sink.kind === "count" && i === plan.steps.length - 1 &&
            (step.spec.how === "inner" || step.spec.how === "left")
          ? new Set(step.spec.leftOn)
          : new Set(input);
        break;
      default:
        // Row functions, partition functions, joins, duplicates: every column.
        need = new Set(input);
    }
  }
  return need;
}

/** A CSV layout that parses only the columns in `need`. */
function projectLayout(layout: CsvLayout, need: Set<string>): CsvLayout {
  if (layout.names.every((n) => need.has(n))) return layout;
  const names = layout.names.filter((n) => need.has(n));
  return {
    ...layout,
    names,
    types: names.map((n) => layout.types[layout.names.indexOf(n)]),
    targets: layout.targets.map((c) =>
      c < 0 ? -1 : names.indexOf(layout.names[c])
    ),
  };
}

/** Lower one partition plan with `sink`: the fused task's arguments. */
export function lowerPart(plan: PartPlan, sink: Sink, ctx: LowerCtx): PartTask {
  const need = neededColumns(plan, sink);
  return {
    source: lowerSource(plan.source),
    steps: plan.steps.map((s) =>
      s.op === "join"
        ? { op: "join", right: lowerOnce(s.right, ctx) as never, spec: s.spec }
        : s
    ),
    sink,
    schemas: plan.schemas,
  };

  function lowerSource(src: SourcePlan): Source {
    switch (src.kind) {
      case "csv": {
        const f = src.file;
        const starts = f.starts;
        const i = src.index;
        return {
          kind: "csv",
          path: f.path,
          start: starts === null
            ? (i === 0 ? f.first : f.blocks[i])
            : starts[i],
          end: starts === null ? f.blocks[i + 1] : starts[i + 1],
          exact: starts !== null,
          layout: projectLayout(f.layout, need),
          stamp: `${f.size}-${f.mtime}`,
        };
      }
      case "parquet": {
        let names = src.schema.names.filter((n) => need.has(n));
        // (Rows are counted from a column: keep one.)
        if (names.length === 0) names = src.schema.names.slice(0, 1);
        if (names.length === src.schema.names.length) return src;
        return {
          ...src,
          schema: {
            names,
            types: names.map((n) =>
              src.schema.types[src.schema.names.indexOf(n)]
            ),
          },
        };
      }
      case "parts":
        return {
          kind: "parts",
          parts: src.inputs.map((p) => lowerOnce(p, ctx)) as never,
          schema: src.schema,
        };
    }
  }
}

/**
 * One fused task per partition with `sink`: keys `name-token-i`, the token
 * shared by the collection.
 */
export function lowerAll<T>(
  plans: readonly PartPlan[],
  sink: Sink,
  name: string,
  ctx: LowerCtx,
): Delayed<T>[] {
  const tasks = plans.map((p) => lowerPart(p, sink, ctx));
  const token = tokenOf(name, tasks);
  return tasks.map((t, i) =>
    delayed(dfTasks.run as Task<[PartTask], Promise<T>>, {
      key: `${name}-${token}-${i}`,
    })(t)
  );
}

/** `task(...args)` with key `name-token-i` (the token from `name` and the arguments). */
export function call<A extends unknown[], R>(
  task: Task<A, R>,
  name: string,
  i: number,
  ...args: A
): Delayed<Awaited<R>> {
  return delayed(task, { key: `${name}-${tokenOf(name, args)}-${i}` })(
    ...(args as never),
  );
}

/** A producer of a fixed lazy value. */
export function given(value: Lazy, files: readonly CsvFile[] = []): Producer {
  return { files, lower: () => value };
}

/**
 * Resolve CSV files' ranges to exact record starts: one scan task per
 * range (quote parity, first record starts), run by `run`.
 */
export async function resolveFiles(
  files: readonly CsvFile[],
  run: (lazies: Lazy[]) => Promise<unknown[]>,
): Promise<void> {
  const todo = files.filter((f) => f.starts === null);
  const scans: Lazy[] = [];
  const owners: [CsvFile, number][] = [];
  for (const f of todo) {
    const n = f.blocks.length - 1;
    if (n <= 1 || f.layout.quote < 0) {
      // One range, or no quotes: starts follow from newlines alone.
      if (n <= 1) f.starts = [f.first, f.size];
      continue;
    }
    for (let i = 0; i < n; i++) {
      scans.push(
        call(
          dfTasks.csvBounds,
          "csv-bounds",
          i,
          f.path,
          f.blocks[i],
          f.blocks[i + 1],
          f.layout.quote,
        ),
      );
      owners.push([f, i]);
    }
  }
  if (scans.length === 0) return;
  const found = await run(scans) as RangeBounds[];
  for (const f of todo) {
    if (f.starts !== null || f.layout.quote < 0) continue;
    const bounds = owners.map(([g], k) => g === f ? found[k] : undefined)
      .filter((b) => b !== undefined);
    f.starts = resolveStarts(bounds, f.size, f.first);
  }
}
