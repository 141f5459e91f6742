/**
 * Benchmarks of the cluster (`deno task bench:cluster`): a scheduler in this
 * process and 2 worker node processes on loopback TCP (`localCluster`),
 * beside Dask's `distributed.LocalCluster` (2 worker processes, 1 thread
 * each; Debian's `python3-distributed`) in the same run.
 *
 * - `cluster_tree`: the 10,000-leaf tree reduction (19,999 tasks), end to
 *   end per task, against Dask distributed's per task (`dask_graph.py
 *   10000 distributed`);
 * - `cluster_submit_gather`: `map` (one future per task) then `gather` of
 *   100,000 independent tiny tasks, in tasks/s.
 *
 * Each figure is the median of `--reps` runs (default 5) after a warm-up;
 * Dask runs once per repetition. Every run checks its result. Output: JSON
 * lines, then a table with targets; appended to `bench/results/latest.jsonl`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ActorSystem } from "@troupe/troupe";
import { gather } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { DASK_SCRIPT, PYTHON, saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";
import { check, gt, tree } from "./graph_tasks.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

const args = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "5" },
    "no-peers": { type: "boolean", default: false },
  },
});
const REPS = Number(args.values.reps);
const LEAVES = 10_000;
const TASKS = 2 * LEAVES - 1;
const EXPECT = ((LEAVES - 1) * LEAVES * (2 * LEAVES - 1)) / 6;
const SUBMITS = 100_000;

async function daskDistributed(): Promise<number | undefined> {
  if (args.values["no-peers"] || DASK_SCRIPT === undefined) return undefined;
  const out = await new Deno.Command(PYTHON, {
    args: [DASK_SCRIPT, String(LEAVES), "distributed"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    console.error(`dask distributed: ${new TextDecoder().decode(out.stderr)}`);
    return undefined;
  }
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  const run = JSON.parse(line) as { us_per_task: number; ok: boolean };
  if (!run.ok) throw new Error("dask distributed computed a wrong sum");
  return run.us_per_task;
}

const samples = new Map<string, number[]>();
const add = (bench: string, value: number) => {
  let list = samples.get(bench);
  if (list === undefined) samples.set(bench, list = []);
  list.push(value);
};

{
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    read: [BENCH_DIR],
  });
  const s = cluster.scheduler;
  check((await s.compute(tree(LEAVES)))[0], EXPECT, "warm-up");
  for (let rep = 0; rep < REPS; rep++) {
    console.error(`rep ${rep + 1}/${REPS}`);
    const g = tree(LEAVES);
    let t0 = performance.now();
    check((await s.compute(g))[0], EXPECT, "tree");
    add("cluster_tree", (performance.now() - t0) * 1000 / TASKS);
    const xs = Array.from({ length: SUBMITS }, (_, i) => i);
    t0 = performance.now();
    const futures = s.map(gt.square, xs);
    const got = await gather(futures);
    add("cluster_submit_gather", SUBMITS / ((performance.now() - t0) / 1000));
    check(got[SUBMITS - 1], (SUBMITS - 1) ** 2, "gather");
    for (const f of futures) f.release();
  }
}
for (let rep = 0; rep < REPS; rep++) {
  const us = await daskDistributed();
  if (us !== undefined) add("dask_distributed_tree", us);
}

const figures: Figure[] = [];
const unitOf: Record<string, string> = {
  cluster_submit_gather: "tasks/s",
};
for (const [bench, values] of samples) {
  figures.push({
    bench,
    value: median(values),
    unit: unitOf[bench] ?? "us/task",
  });
}
const value = (b: string) => figures.find((f) => f.bench === b)?.value;
const dask = value("dask_distributed_tree");
const ours = value("cluster_tree");
if (dask !== undefined && ours !== undefined) {
  figures.push({
    bench: "tree_vs_dask_distributed",
    value: dask / ours,
    unit: "x",
  });
}
const targets: Record<string, Target> = {
  cluster_tree: { label: "<= 50 us", met: (v) => v <= 50 },
  cluster_submit_gather: { label: ">= 50k", met: (v) => v >= 50_000 },
  tree_vs_dask_distributed: { label: ">= 50x", met: (v) => v >= 50 },
};
await saveFigures(figures, `${BENCH_DIR}results/latest.jsonl`, true);
console.log(
  `\ntroupe cluster bench, ${
    new Date().toISOString()
  }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, scheduler + 2 node processes on loopback, ${REPS} reps`,
);
console.log(figureTable(figures, samples, (b) => targets[b]));
