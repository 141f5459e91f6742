/**
 * One troupe workload of the dataframe benchmark, in its own process:
 * prints `{ ms, rss_mb, check }` (peak RSS of the whole process, its worker
 * threads included, from /proc/self/status).
 *
 * Usage: `deno run -A bench/dataframe_job.ts WORKLOAD MAIN FACT SIDE`
 *
 * @module
 */

import { nodePeakMb, WORKLOADS } from "./dataframe_workloads.ts";

/** Peak resident memory of this process in MB (VmHWM). */
export function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m === null ? NaN : Number(m[1]) / 1024;
}

if (import.meta.main) {
  const [name, main, fact, side] = Deno.args;
  const run = WORKLOADS[name];
  if (run === undefined) throw new Error(`no workload ${name}`);
  const t0 = performance.now();
  const check = await run({ main, fact, side });
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({ ms, rss_mb: peakRssMb() + nodePeakMb, check }),
  );
}
