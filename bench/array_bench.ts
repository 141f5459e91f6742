/**
 * Benchmarks of chunked arrays (`deno task bench:array`), beside Dask
 * (Debian's `python3-dask`) in the same run:
 *
 * - `seed`: the snippet, `random((10000, 10000), chunks=(1000,
 *   1000)).mean().compute()`, on each side's default scheduler (troupe's
 *   is made for the call, its worker start included; Dask's threads);
 * - `seed_cluster`: the same on a 2-node local cluster, its start included
 *   (troupe `localCluster` + `connect`, Dask `LocalCluster(2)` + `Client`);
 * - `sum`: the kernel, a float64 sum of 1e8 held values on one core
 *   (troupe's inline scheduler over 100 persisted chunks; numpy's `sum`);
 * - `xxt`: `(x + x.T).mean()` of a 30000 x 30000 random array (7.2 GB if
 *   it were held) in 2000 x 2000 chunks (troupe sums a program of added
 *   random leaves leaf by leaf, never writing the values);
 * - `xxt_mul`: `(x * x.T).mean()`, the same shape, where no such shortcut
 *   applies: each value is made, multiplied and added;
 * - `held`, `held_limited`: `(y + y.T).mean()` where `y` (8000 x 8000,
 *   512 MB) is a user kernel's chunks, held by 2 worker hosts, without a
 *   memory limit and with 64 MiB each (spilling); troupe only, the figure
 *   is the limited run's time and peak over the unlimited run's.
 *
 * Each run is a fresh process that times its workload inside; this driver
 * samples the peak resident memory of the process tree (every 10 ms, the
 * sum over the process and its children), and its peak proportional set
 * size (PSS, every 50 ms: a page shared by n processes counts 1/n in each,
 * so the runtime's binary, mapped by every node, counts once; beside the
 * RSS, no target). Runs alternate troupe, Dask.
 * Figures are medians over `--reps` (3); a ratio is troupe's over Dask's
 * (time and memory: lower is better; for `sum`, numpy's time over troupe's).
 *
 * Flags: `--reps N`, `--only seed,sum,...`, `--no-peers`. It runs with `-A`:
 * reading `/proc` for the process tree's memory needs all permissions.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { exists, PYTHON, saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS_DIR = `${BENCH_DIR}results`;
const MODES = [
  "seed",
  "seed_cluster",
  "sum",
  "xxt",
  "xxt_mul",
  "held",
  "held_limited",
];
/** Modes with no peer run (troupe against itself). */
const OWN = ["held", "held_limited"];

const args = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "3" },
    only: { type: "string", default: MODES.join(",") },
    "no-peers": { type: "boolean", default: false },
  },
});
const REPS = Number(args.values.reps);
const ONLY = args.values.only!.split(",");
const DASK = !args.values["no-peers"] && exists(PYTHON);

const PAGE = 4096;

/** Proportional set size of `pid` in bytes (0 if it is gone). */
function pss(pid: number): number {
  try {
    const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Resident bytes of `root` and its descendants now, and with `withPss`
 * their proportional bytes (a read of smaps_rollup costs ~0.25 ms a
 * process: every 5th sample only).
 */
function treeMemory(
  root: number,
  withPss: boolean,
): { rss: number; pss: number } {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const statm = Deno.readTextFileSync(`/proc/${pid}/statm`).split(" ");
      rss.set(pid, Number(statm[1]) * PAGE);
      let list = children.get(ppid);
      if (list === undefined) children.set(ppid, list = []);
      list.push(pid);
    } catch { /* gone */ }
  }
  let total = 0, proportional = 0;
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    total += rss.get(p) ?? 0;
    if (withPss) proportional += pss(p);
    stack.push(...(children.get(p) ?? []));
  }
  return { rss: total, pss: proportional };
}

interface Run {
  ms: number;
  value: number;
  peakMb: number;
  peakPssMb: number;
}

async function run(command: string, argv: string[]): Promise<Run> {
  const child = new Deno.Command(command, {
    args: argv,
    cwd: `${BENCH_DIR}..`,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let peak = 0, peakPss = 0, tick = 0;
  const timer = setInterval(() => {
    const now = treeMemory(child.pid, tick++ % 5 === 0);
    peak = Math.max(peak, now.rss);
    peakPss = Math.max(peakPss, now.pss);
  }, 10);
  const out = await child.output();
  clearInterval(timer);
  if (!out.success) throw new Error(`${command} ${argv.join(" ")} failed`);
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  const { ms, value } = JSON.parse(line) as { ms: number; value: number };
  return { ms, value, peakMb: peak / 2 ** 20, peakPssMb: peakPss / 2 ** 20 };
}

const troupe = (mode: string) =>
  run(Deno.execPath(), ["run", "-A", "bench/array_run.ts", mode]);
const dask = (mode: string) => run(PYTHON, ["bench/dask_array.py", mode]);

const samples = new Map<string, number[]>();
const add = (bench: string, value: number) => {
  let list = samples.get(bench);
  if (list === undefined) samples.set(bench, list = []);
  list.push(value);
};

for (let rep = 0; rep < REPS; rep++) {
  for (const mode of MODES.filter((m) => ONLY.includes(m))) {
    console.error(`rep ${rep + 1}/${REPS}: ${mode}`);
    const t = await troupe(mode);
    const expect = mode === "sum"
      ? 49950000
      : mode === "xxt" || OWN.includes(mode)
      ? 1
      : mode === "xxt_mul"
      ? 0.25
      : 0.5;
    if (!(Math.abs(t.value - expect) < 1e-3)) {
      throw new Error(
        `troupe ${mode} computed ${t.value}, not about ${expect}`,
      );
    }
    add(`troupe_${mode}_ms`, t.ms);
    if (mode !== "sum") add(`troupe_${mode}_peak_mb`, t.peakMb);
    if (mode !== "sum") add(`troupe_${mode}_peak_pss_mb`, t.peakPssMb);
    if (!DASK || OWN.includes(mode)) continue;
    const d = await dask(mode);
    const name = mode === "sum" ? "numpy_sum_ms" : `dask_${mode}_ms`;
    add(name, d.ms);
    if (mode !== "sum") add(`dask_${mode}_peak_mb`, d.peakMb);
    if (mode !== "sum") add(`dask_${mode}_peak_pss_mb`, d.peakPssMb);
  }
}

const figures: Figure[] = [];
for (const [bench, values] of samples) {
  figures.push({
    bench,
    value: median(values),
    unit: bench.endsWith("_mb") ? "MB" : "ms",
  });
}
const value = (b: string) => figures.find((f) => f.bench === b)?.value;
const ratio = (bench: string, num: string, den: string) => {
  const n = value(num), d = value(den);
  if (n !== undefined && d !== undefined) {
    figures.push({ bench, value: n / d, unit: "x" });
  }
};
ratio("seed_time_vs_dask", "troupe_seed_ms", "dask_seed_ms");
ratio("seed_peak_vs_dask", "troupe_seed_peak_mb", "dask_seed_peak_mb");
ratio(
  "seed_cluster_time_vs_dask",
  "troupe_seed_cluster_ms",
  "dask_seed_cluster_ms",
);
ratio(
  "seed_cluster_peak_vs_dask",
  "troupe_seed_cluster_peak_mb",
  "dask_seed_cluster_peak_mb",
);
ratio(
  "seed_cluster_pss_vs_dask",
  "troupe_seed_cluster_peak_pss_mb",
  "dask_seed_cluster_peak_pss_mb",
);
ratio("sum_speed_vs_numpy", "numpy_sum_ms", "troupe_sum_ms");
ratio("xxt_time_vs_dask", "troupe_xxt_ms", "dask_xxt_ms");
ratio("xxt_peak_vs_dask", "troupe_xxt_peak_mb", "dask_xxt_peak_mb");
ratio("xxt_mul_time_vs_dask", "troupe_xxt_mul_ms", "dask_xxt_mul_ms");
ratio(
  "xxt_mul_peak_vs_dask",
  "troupe_xxt_mul_peak_mb",
  "dask_xxt_mul_peak_mb",
);
ratio(
  "held_limited_time_vs_unlimited",
  "troupe_held_limited_ms",
  "troupe_held_ms",
);
ratio(
  "held_limited_peak_vs_unlimited",
  "troupe_held_limited_peak_mb",
  "troupe_held_peak_mb",
);

const atMost = (x: number): Target => ({
  label: `<= ${x}x`,
  met: (v) => v <= x,
});
const targets: Record<string, Target> = {
  seed_time_vs_dask: atMost(0.4),
  seed_peak_vs_dask: atMost(1.5),
  seed_cluster_time_vs_dask: atMost(0.2),
  seed_cluster_peak_vs_dask: atMost(0.5),
  sum_speed_vs_numpy: { label: ">= 0.8x", met: (v) => v >= 0.8 },
  xxt_time_vs_dask: atMost(0.5),
  xxt_mul_time_vs_dask: atMost(0.5),
};

await saveFigures(figures, `${RESULTS_DIR}/latest.jsonl`, true);
console.log(
  `\ntroupe array bench, ${
    new Date().toISOString()
  }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ${REPS} reps`,
);
console.log(figureTable(figures, samples, (b) => targets[b], "reps"));
if (!DASK) {
  console.log("(Dask not run: /usr/bin/python3 with python3-dask is needed)");
}
