/**
 * How `LazyFrame`'s results are made (compute, count, head and tail,
 * persist, the CSV and Parquet writers), as plain functions on a frame's
 * plans and schema: the CSV ranges resolved, the plans lowered with a sink
 * per partition, the graph run where `ComputeOptions` says.
 *
 * @module
 */

import { concatParts, sliceRows } from "./_builder.ts";
import { type ComputeOptions, withRunner } from "./_compute.ts";
import { addStep, fromProducers } from "./_ops.ts";
import { emptyPart, type Part } from "./_part.ts";
import {
  filesOf,
  given,
  type Lazy,
  lowerAll,
  lowerCtx,
  type PartPlan,
  resolveFiles,
} from "./_plan.ts";
import type { Sink } from "./_spec.ts";
import type { Framed } from "./_frame_steps.ts";
import { DataFrame } from "./data_frame.ts";

/** Plans with the CSV ranges resolved and lowered with `sink`, then run. */
async function runPlans<T>(
  plans: readonly PartPlan[],
  options: ComputeOptions,
  sink: (i: number) => Sink,
  name: string,
  then: (values: unknown[]) => T,
): Promise<T> {
  return await withRunner(options, async (run) => {
    await resolveFiles(filesOf(plans), run);
    const ctx = lowerCtx();
    const lazies = plans.map((p, i) => lowerAll([p], sink(i), name, ctx)[0]);
    return then(await run(lazies));
  });
}

/** Every partition computed and gathered into one `DataFrame`. */
export function computeFrame(
  f: Framed,
  options: ComputeOptions,
): Promise<DataFrame> {
  return runPlans(f.plans, options, () => ({ kind: "part" }), "frame", (v) => {
    const parts = (v as Part[]).filter((p) => p.length > 0);
    if (parts.length === 0) return new DataFrame(emptyPart(f.schema));
    return new DataFrame(
      parts.length === 1 ? parts[0] : concatParts(parts, false),
    );
  });
}

/** Rows in all partitions. */
export function countRows(
  f: Framed,
  options: ComputeOptions,
): Promise<number> {
  return runPlans(
    f.plans,
    options,
    () => ({ kind: "count" }),
    "count",
    (v) => (v as number[]).reduce((a, b) => a + b, 0),
  );
}

/** The first or last `n` rows, computing a partition at a time from that end. */
export async function endRows(
  f: Framed,
  n: number,
  options: ComputeOptions,
  op: "head" | "tail",
): Promise<DataFrame> {
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`${op}: n must be an integer >= 0, got ${n}`);
  }
  const order = op === "head" ? f.plans : f.plans.slice().reverse();
  return await withRunner(options, async (run) => {
    await resolveFiles(filesOf(f.plans), run);
    const ctx = lowerCtx();
    const got: Part[] = [];
    let rows = 0;
    // A partition at a time, as many as it takes.
    for (const plan of addStep(order, { op, n }, f.schema)) {
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
    if (parts.length === 0) return new DataFrame(emptyPart(f.schema));
    const all = concatParts(parts, false);
    const df = new DataFrame(all);
    return op === "head" ? df.head(n) : new DataFrame(
      sliceRows(all, Math.max(0, all.length - n), all.length),
    );
  });
}

/** The partitions computed and kept on the scheduler's workers: plans over them. */
export async function persistPlans(
  f: Framed,
  options: ComputeOptions,
): Promise<PartPlan[]> {
  const runner = options?.scheduler;
  if (runner === undefined) {
    throw new TypeError(
      "persist keeps partitions on a scheduler's workers: give { scheduler } (a scheduler or client)",
    );
  }
  return await withRunner(options, async (run) => {
    await resolveFiles(filesOf(f.plans), run);
    const lazies = lowerAll(f.plans, { kind: "part" }, "persist", lowerCtx());
    const futures = runner.persist(...(lazies as never[]));
    await Promise.all(futures.map((x) => x.result()));
    return fromProducers(
      futures.map((x) => given(x as unknown as Lazy)),
      f.schema,
    );
  });
}

/** Each partition written as a CSV file; the paths written. */
export async function writeCsv(
  f: Framed,
  path: string,
  options: ComputeOptions & { delimiter?: string; header?: boolean },
): Promise<string[]> {
  const paths = await outputPaths(path, f.plans.length, "csv");
  const delimiter = options.delimiter ?? ",";
  const header = options.header ?? true;
  await runPlans(
    f.plans,
    options,
    (i) => ({ kind: "csv", path: paths[i], delimiter, header }),
    "to-csv",
    () => 0,
  );
  return paths;
}

/** Each partition written as a Parquet file; the paths written. */
export async function writeParquet(
  f: Framed,
  path: string,
  options: ComputeOptions,
): Promise<string[]> {
  const paths = await outputPaths(path, f.plans.length, "parquet");
  await runPlans(
    f.plans,
    options,
    (i) => ({ kind: "parquet", path: paths[i] }),
    "to-parquet",
    () => 0,
  );
  return paths;
}

/** The files of `n` partitions: a directory (made), or a pattern with one `*`. */
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
