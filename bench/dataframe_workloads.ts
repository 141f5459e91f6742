/**
 * The dataframe benchmark's workloads, each run by troupe in a fresh
 * subprocess (`dataframe_job.ts`) so that its peak RSS is its own: the
 * tutorial's group-by mean on the integer key, the same on the string
 * key, a filter + assign + group-by chain, a merge of 10M x 1M rows.
 * Each returns a checksum the peers must match.
 *
 * @module
 */

import { col, readCsv } from "@troupe/troupe/dataframe";

/** The files a run reads. */
export interface BenchFiles {
  main: string;
  fact: string;
  side: string;
}

/** Sum of a column's values (a checksum over a small result). */
function total(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** Workload name to what it computes (its checksum). */
export const WORKLOADS: Record<string, (f: BenchFiles) => Promise<number>> = {
  async groupby_int(f) {
    const out = await readCsv(f.main).groupBy("k").mean().compute();
    return total(out.column("x") as Float64Array) +
      total(out.column("y") as Float64Array);
  },
  async groupby_str(f) {
    const out = await readCsv(f.main).groupBy("name").mean().compute();
    return total(out.column("x") as Float64Array) +
      total(out.column("y") as Float64Array);
  },
  async chain(f) {
    const out = await readCsv(f.main)
      .filter(col("x").gt(0.5))
      .assign({ w: col("y").mul(col("z")) })
      .groupBy("k").agg({ w: "mean" })
      .compute();
    return total(out.column("w") as Float64Array);
  },
  async merge(f) {
    return await readCsv(f.fact).merge(readCsv(f.side), { on: "id" }).count();
  },
};
