/**
 * What one fused partition task does, as plain data: where its rows come
 * from (a source), what happens to them (steps, applied batch by batch
 * where they can be), and what it gives back (a sink). The graph carries
 * these in a task's arguments; the partitions a source or step needs from
 * other tasks sit in them as lazy values, which the graph fills in.
 *
 * @module
 */

import type { AggSpec } from "./_agg.ts";
import type { CsvLayout } from "./_csv_parse.ts";
import type { ExprNode } from "./_expr.ts";
import type { Part, Schema } from "./_part.ts";

/** A task by module URL and export name (a `defineTasks` task). */
export interface TaskRef {
  readonly module: string;
  readonly name: string;
}

/** Rows of one CSV file: records that start in [start, end). */
export interface CsvSource {
  readonly kind: "csv";
  readonly path: string;
  readonly start: number;
  readonly end: number;
  /** Whether start and end are record starts (else each is aligned to the next one: no quotes). */
  readonly exact: boolean;
  readonly layout: CsvLayout;
  /** The file's size and modification time (a changed file, new keys). */
  readonly stamp: string;
}

/** One row group of a Parquet file. */
export interface ParquetSource {
  readonly kind: "parquet";
  readonly path: string;
  readonly rowGroup: number;
  readonly schema: Schema;
}

/** Partitions made by other tasks (or given), one after another. */
export interface PartsSource {
  readonly kind: "parts";
  readonly parts: readonly Part[];
  readonly schema: Schema;
}

/** Where a partition's rows come from. */
export type Source = CsvSource | ParquetSource | PartsSource;

/** How two frames are joined. */
export interface JoinSpec {
  readonly how: "inner" | "left" | "right" | "outer";
  readonly leftOn: readonly string[];
  readonly rightOn: readonly string[];
  /** Output names of the left's columns, then the right's kept columns. */
  readonly leftNames: readonly string[];
  readonly rightKeep: readonly string[];
  readonly rightNames: readonly string[];
  /** Key columns shared by name: one output column, from either side. */
  readonly merged: readonly string[];
}

/** One step of a pipeline. */
export type Step =
  | { readonly op: "select"; readonly names: readonly string[] }
  | {
    readonly op: "rename";
    readonly from: readonly string[];
    readonly to: readonly string[];
  }
  | { readonly op: "filter"; readonly expr: ExprNode }
  | { readonly op: "filterRows"; readonly task: TaskRef }
  | {
    readonly op: "assign";
    readonly names: readonly string[];
    readonly exprs: readonly ExprNode[];
  }
  | {
    readonly op: "dropNull";
    readonly subset: readonly string[];
    readonly how: "any" | "all";
  }
  | {
    readonly op: "map";
    readonly task: TaskRef;
    readonly args: readonly unknown[];
    readonly schema: Schema;
  }
  | { readonly op: "join"; readonly right: Part; readonly spec: JoinSpec }
  | { readonly op: "dedupe"; readonly subset: readonly string[] }
  | {
    readonly op: "sort";
    readonly by: readonly string[];
    readonly ascending: readonly boolean[];
  }
  | { readonly op: "head"; readonly n: number }
  | { readonly op: "tail"; readonly n: number };

/** The steps that need the whole partition before they can start. */
export const WHOLE_STEPS: ReadonlySet<Step["op"]> = new Set([
  "map",
  "dedupe",
  "sort",
  "tail",
]);

/** What a partition task gives back. */
export type Sink =
  | { readonly kind: "part" }
  | {
    readonly kind: "agg";
    readonly spec: AggSpec;
    /** Split the partial into this many buckets by key hash (a shuffle). */
    readonly split: number;
  }
  | {
    readonly kind: "split";
    readonly by: readonly string[];
    readonly n: number;
  }
  | {
    readonly kind: "range";
    readonly by: readonly string[];
    readonly ascending: readonly boolean[];
    readonly bounds: readonly (readonly unknown[])[];
  }
  | {
    readonly kind: "sample";
    readonly by: readonly string[];
    readonly n: number;
  }
  | { readonly kind: "count" }
  | {
    readonly kind: "csv";
    readonly path: string;
    readonly delimiter: string;
    readonly header: boolean;
  }
  | { readonly kind: "parquet"; readonly path: string };

/** A fused partition task: source, steps, sink. */
export interface PartTask {
  readonly source: Source;
  readonly steps: readonly Step[];
  readonly sink: Sink;
  /** The schema going into each step, then the output's (steps + 1 of them). */
  readonly schemas: readonly Schema[];
}
