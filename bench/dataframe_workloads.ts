/**
 * The dataframe benchmark's workloads, each run by troupe in a fresh
 * subprocess (`dataframe_job.ts`) so that its peak RSS is its own: the
 * tutorial's group-by mean on the integer key, the same on the string
 * key, a filter + assign + group-by chain, a merge of 10M x 1M rows, and
 * the tutorial's group-by on a 2-node local cluster (its start and stop
 * included, as Dask's `LocalCluster(2)` is; the nodes' peak memory is
 * added to the process's: `nodePeakMb`).
 * Each returns a checksum the peers must match.
 *
 * @module
 */

import { ActorSystem } from "@troupe/troupe";
import { connect, localCluster } from "@troupe/troupe/cluster";
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

/** The peak memory of a cluster workload's node processes, in MB. */
export let nodePeakMb = 0;

/** Peak resident memory (VmHWM) of process `pid` in MB. */
function peakOf(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m === null ? NaN : Number(m[1]) / 1024;
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
  async groupby_int_cluster(f) {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      read: [f.main],
    });
    await using client = await connect(cluster.address, {
      secret: cluster.secret,
    });
    const out = await readCsv(f.main).groupBy("k").mean().compute({
      scheduler: client,
    });
    nodePeakMb = Object.values(cluster.pids()).reduce(
      (sum, pid) => sum + peakOf(pid),
      0,
    );
    return total(out.column("x") as Float64Array) +
      total(out.column("y") as Float64Array);
  },
  async merge(f) {
    return await readCsv(f.fact).merge(readCsv(f.side), { on: "id" }).count();
  },
};
