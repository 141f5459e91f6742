/**
 * Benchmarks of task graphs (`deno task bench:graph`): a tree reduction of
 * 10,000 leaves (`square` then pairwise `add`, 19,999 tasks) built with
 * `delayed` and computed inline (one isolate) and on 2 worker hosts, beside
 * Dask (Debian's `python3-dask`: `delayed`, the synchronous and the threaded
 * schedulers) in the same run; then tasks of about 10 ms each on 2 worker
 * hosts against the same tasks in one isolate.
 *
 * Each repetition runs troupe and Dask back to back. Every figure is the
 * median of its repetitions; a ratio is Dask's median over troupe's (per
 * task, lower is better, so above 1 means troupe is faster). Every run
 * checks the exact sum.
 *
 * Output: one JSON line per figure, then a table with each figure's target.
 * The JSON lines are appended to `bench/results/latest.jsonl`.
 *
 * Flags: `--reps N` (5), `--leaves N` (10,000), `--no-peers`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, delayed } from "@troupe/troupe";
import { DASK_SCRIPT, exists, PYTHON, saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";
import { check, gt, tree } from "./graph_tasks.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS_DIR = `${BENCH_DIR}results`;

const args = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "5" },
    leaves: { type: "string", default: "10000" },
    "no-peers": { type: "boolean", default: false },
  },
});
const REPS = Number(args.values.reps);
const LEAVES = Number(args.values.leaves);
const TASKS = 2 * LEAVES - 1;
const EXPECT = ((LEAVES - 1) * LEAVES * (2 * LEAVES - 1)) / 6;
/** CPU figure: leaves of about 10 ms each. */
const CPU_LEAVES = 64;
const CPU_MS = 10;

interface DaskRun {
  build_ms: number;
  compute_ms: number;
  us_per_task: number;
  ok: boolean;
}

async function dask(mode: "sync" | "threads"): Promise<DaskRun | undefined> {
  if (args.values["no-peers"] || DASK_SCRIPT === undefined) return undefined;
  const out = await new Deno.Command(PYTHON, {
    args: [DASK_SCRIPT, String(LEAVES), mode],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    console.error(`dask ${mode}: ${new TextDecoder().decode(out.stderr)}`);
    return undefined;
  }
  const run = JSON.parse(new TextDecoder().decode(out.stdout)) as DaskRun;
  if (!run.ok) throw new Error(`dask ${mode} computed a wrong sum`);
  return run;
}

const samples = new Map<string, number[]>();
const add = (bench: string, value: number) => {
  let list = samples.get(bench);
  if (list === undefined) samples.set(bench, list = []);
  list.push(value);
};

await using system = new ActorSystem();
await using inline = createScheduler(system, { placement: "inline" });
await using workers = createScheduler(system, {
  placement: "worker",
  workers: 2,
});

// Warm-up: JIT, worker hosts started, task modules loaded.
for (let i = 0; i < 3; i++) {
  check((await inline.compute(tree(LEAVES)))[0], EXPECT, "warm-up inline");
  check((await workers.compute(tree(LEAVES)))[0], EXPECT, "warm-up workers");
}

for (let rep = 0; rep < REPS; rep++) {
  console.error(`rep ${rep + 1}/${REPS}`);
  let t0 = performance.now();
  const g1 = tree(LEAVES);
  add("graph_build", (performance.now() - t0) * 1000 / TASKS);
  t0 = performance.now();
  check((await inline.compute(g1))[0], EXPECT, "inline");
  add("compute_inline", (performance.now() - t0) * 1000 / TASKS);
  const g2 = tree(LEAVES);
  t0 = performance.now();
  check((await workers.compute(g2))[0], EXPECT, "workers");
  add("compute_2_workers", (performance.now() - t0) * 1000 / TASKS);
  const sync = await dask("sync");
  if (sync !== undefined) {
    add("dask_build", sync.build_ms * 1000 / TASKS);
    add("dask_sync", sync.us_per_task);
  }
  const threads = await dask("threads");
  if (threads !== undefined) {
    add("dask_build", threads.build_ms * 1000 / TASKS);
    add("dask_threads", threads.us_per_task);
  }
}

// CPU-bound: leaves of ~10 ms each, inline (one isolate) against 2 workers.
const cpuTree = () =>
  tree(CPU_LEAVES, (i) => delayed(gt.busySquare)(i, CPU_MS));
const cpuExpect = ((CPU_LEAVES - 1) * CPU_LEAVES * (2 * CPU_LEAVES - 1)) / 6;
check((await workers.compute(cpuTree()))[0], cpuExpect, "cpu warm-up");
for (let rep = 0; rep < REPS; rep++) {
  let t0 = performance.now();
  check((await inline.compute(cpuTree()))[0], cpuExpect, "cpu inline");
  const one = performance.now() - t0;
  t0 = performance.now();
  check((await workers.compute(cpuTree()))[0], cpuExpect, "cpu workers");
  const two = performance.now() - t0;
  add("cpu_inline_ms", one);
  add("cpu_2_workers_ms", two);
  add("cpu_speedup", one / two);
}

const figures: Figure[] = [];
const unitOf: Record<string, string> = {
  cpu_inline_ms: "ms",
  cpu_2_workers_ms: "ms",
  cpu_speedup: "x",
};
for (const [bench, values] of samples) {
  figures.push({
    bench,
    value: median(values),
    unit: unitOf[bench] ?? "us/task",
  });
}
const value = (b: string) => figures.find((f) => f.bench === b)?.value;
const ratio = (bench: string, peer: string, ours: string) => {
  const p = value(peer), o = value(ours);
  if (p !== undefined && o !== undefined) {
    figures.push({ bench, value: p / o, unit: "x" });
  }
};
ratio("build_vs_dask", "dask_build", "graph_build");
ratio("inline_vs_dask_sync", "dask_sync", "compute_inline");
ratio("workers_vs_dask_threads", "dask_threads", "compute_2_workers");

const targets: Record<string, Target> = {
  graph_build: { label: "<= 2 us", met: (v) => v <= 2 },
  compute_inline: { label: "<= 3 us", met: (v) => v <= 3 },
  compute_2_workers: { label: "<= 15 us", met: (v) => v <= 15 },
  build_vs_dask: { label: ">= 15x", met: (v) => v >= 15 },
  inline_vs_dask_sync: { label: ">= 10x", met: (v) => v >= 10 },
  workers_vs_dask_threads: { label: ">= 5x", met: (v) => v >= 5 },
  cpu_speedup: { label: ">= 1.9x", met: (v) => v >= 1.9 },
};

await saveFigures(figures, `${RESULTS_DIR}/latest.jsonl`, true);
console.log(
  `\ntroupe graph bench, ${
    new Date().toISOString()
  }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ${REPS} reps, ${LEAVES} leaves (${TASKS} tasks)`,
);
console.log(figureTable(figures, samples, (b) => targets[b]));
if (DASK_SCRIPT === undefined || !exists(PYTHON)) {
  console.log(
    "(Dask not found: run `bash bench/peers.sh` and install python3-dask)",
  );
}
