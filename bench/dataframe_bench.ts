/**
 * Dataframes (`deno task bench:dataframe`): troupe against Dask (Debian's
 * python3-dask and python3-pandas, its default threaded scheduler) and
 * DuckDB (npm `@duckdb/node-api`) in the same run, on data the benchmark
 * writes to a temporary directory: 10M rows of `k,name,x,y,z` (~285 MB:
 * an integer key with 100 groups, a string of 1,000 distinct values, three
 * floats), and for the merge 10M rows of `id,x` and 1M rows of `id,w`.
 *
 * Workloads (bench/dataframe_workloads.ts): the tutorial's group-by mean
 * on the integer key, the same on the string key, a filter + assign +
 * group-by chain, a merge of 10M x 1M rows. Each run of each tool is a
 * fresh process (troupe: `dataframe_job.ts` with its default local
 * scheduler, one worker per core), timed from the read to the result, and
 * reports its peak RSS (troupe's worker threads are in its process). Every
 * run's checksum must match the others'.
 *
 * Output: JSON lines (also appended to bench/results/latest.jsonl), then a
 * table with ratios (troupe / peer: below 1 is faster or smaller).
 *
 * Flags: `--rows N` (10,000,000), `--side-rows N` (1,000,000), `--reps N`
 * (3), `--big` (also group-by on 100M rows, ~2.9 GB), `--cluster` (also
 * the group-by on a 2-node local cluster against Dask's LocalCluster(2), each
 * side's start and stop included, memory summed over the process tree),
 * `--only a,b`, `--no-peers`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { writeFactCsv, writeMainCsv, writeSideCsv } from "./dataframe_data.ts";
import { exists, PYTHON, saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const args = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "10000000" },
    "side-rows": { type: "string", default: "1000000" },
    reps: { type: "string", default: "3" },
    big: { type: "boolean", default: false },
    cluster: { type: "boolean", default: false },
    only: { type: "string" },
    "no-peers": { type: "boolean", default: false },
  },
});
const ROWS = Number(args.values.rows);
const SIDE = Number(args.values["side-rows"]);
const REPS = Number(args.values.reps);
const ONLY = args.values.only?.split(",");
const PEERS = !args.values["no-peers"];

interface Run {
  ms: number;
  rss_mb: number;
  check: number;
}

async function runJson(cmd: string, argv: string[]): Promise<Run | undefined> {
  const out = await new Deno.Command(cmd, {
    args: argv,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    console.error(
      `${cmd} ${argv.slice(0, 3).join(" ")}: ${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
    return undefined;
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Run;
}

const tools: Record<
  string,
  (w: string, files: string[]) => Promise<Run | undefined>
> = {
  troupe: (w, f) =>
    runJson(Deno.execPath(), [
      "run",
      "-A",
      "--v8-flags=--max-old-space-size=4096",
      `${BENCH_DIR}dataframe_job.ts`,
      w,
      ...f,
    ]),
  dask: (w, f) => runJson(PYTHON, [`${BENCH_DIR}dask_dataframe.py`, w, ...f]),
  duckdb: (w, f) =>
    runJson(Deno.execPath(), [
      "run",
      "-A",
      `${BENCH_DIR}dataframe_duckdb.ts`,
      w,
      ...f,
    ]),
};

async function hasDask(): Promise<boolean> {
  if (!exists(PYTHON)) return false;
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", "import dask.dataframe, pandas"],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

const samples = new Map<string, number[]>();
const add = (bench: string, v: number) =>
  samples.set(bench, [...(samples.get(bench) ?? []), v]);

const dir = await Deno.makeTempDir({ prefix: "troupe-df-bench-" });
try {
  console.error(`writing ${ROWS} rows...`);
  const main = `${dir}/main.csv`;
  const mainBytes = await writeMainCsv(main, ROWS);
  const fact = `${dir}/fact.csv`;
  const side = `${dir}/side.csv`;
  const workloads = ["groupby_int", "groupby_str", "chain", "merge"].filter((
    w,
  ) => ONLY === undefined || ONLY.includes(w));
  if (workloads.includes("merge")) {
    await writeFactCsv(fact, ROWS, SIDE);
    await writeSideCsv(side, SIDE);
  }
  console.error(`main.csv: ${(mainBytes / 1e6).toFixed(0)} MB`);
  const peers = PEERS && await hasDask()
    ? ["dask", "duckdb"]
    : PEERS
    ? ["duckdb"]
    : [];
  if (PEERS && !peers.includes("dask")) {
    console.error(
      "dask: skipped (apt-get install -y python3-dask python3-distributed python3-pandas)",
    );
  }
  // The cluster run's peer is Dask's LocalCluster(2) (DuckDB has none).
  const peersOf = (label: string) =>
    label === "groupby_int_cluster" ? peers.filter((p) => p === "dask") : peers;
  const runs: [string, string, string[]][] = workloads.map((
    w,
  ) => [w, w, [main, fact, side]]);
  if (args.values.big) {
    const bigMain = `${dir}/big.csv`;
    console.error(`writing ${10 * ROWS} rows...`);
    await writeMainCsv(bigMain, 10 * ROWS);
    runs.push(["groupby_int_big", "groupby_int", [bigMain, fact, side]]);
  }
  if (args.values.cluster) {
    runs.push(["groupby_int_cluster", "groupby_int_cluster", [
      main,
      fact,
      side,
    ]]);
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const [label, w, files] of runs) {
      const order = ["troupe", ...peersOf(label)];
      // The order rotates, so that no tool always runs on a warm cache.
      for (let i = 0; i < order.length; i++) {
        const tool = order[(i + rep) % order.length];
        console.error(`rep ${rep + 1}/${REPS} ${label} ${tool}`);
        const r = tool === "dask" && w === "groupby_int_cluster"
          ? await runJson(PYTHON, [
            `${BENCH_DIR}dask_dataframe.py`,
            "groupby_int",
            ...files,
            "--cluster",
            "2",
          ])
          : await tools[tool](w, files);
        if (r === undefined) continue;
        // Each run as it ends, so that a late failure loses no figure.
        console.error(`  ${JSON.stringify(r)}`);
        add(`${label}_${tool}_ms`, r.ms);
        add(`${label}_${tool}_rss_mb`, r.rss_mb);
        add(`${label}_${tool}_check`, r.check);
      }
    }
  }
  const figures: Figure[] = [];
  const targets = new Map<string, Target>();
  for (const [label] of runs) {
    // (By exact name: "groupby_int_" is also the start of "groupby_int_big_".)
    const checks = ["troupe", ...peersOf(label)].map((t) =>
      `${label}_${t}_check`
    )
      .filter((k) => samples.has(k));
    const values = checks.map((k) => median(samples.get(k)!));
    if (
      values.some((v) =>
        Math.abs(v - values[0]) > 1e-6 * Math.max(1, Math.abs(values[0]))
      )
    ) {
      throw new Error(
        `${label}: the tools disagree: ${
          checks.map((k, i) => `${k}=${values[i]}`).join(" ")
        }`,
      );
    }
    for (const tool of ["troupe", ...peers]) {
      for (const unit of ["ms", "rss_mb"]) {
        const s = samples.get(`${label}_${tool}_${unit}`);
        if (s !== undefined) {
          figures.push({
            bench: `${label}_${tool}_${unit}`,
            value: median(s),
            unit: unit === "ms" ? "ms" : "MB",
          });
        }
      }
    }
    for (const peer of peers) {
      for (const unit of ["ms", "rss_mb"]) {
        const mine = samples.get(`${label}_troupe_${unit}`),
          theirs = samples.get(`${label}_${peer}_${unit}`);
        if (mine === undefined || theirs === undefined) continue;
        const bench = `${label}_${unit === "ms" ? "time" : "rss"}_vs_${peer}`;
        figures.push({
          bench,
          value: median(mine) / median(theirs),
          unit: "x",
        });
        samples.set(bench, mine.map((m, i) => m / (theirs[i] ?? theirs[0])));
      }
    }
  }
  const limit = (x: number) => ({
    label: `<= ${x}x`,
    met: (v: number) => v <= x,
  });
  targets.set("groupby_int_time_vs_dask", limit(0.35));
  targets.set("groupby_int_rss_vs_dask", limit(0.5));
  targets.set("groupby_int_time_vs_duckdb", limit(1));
  targets.set("groupby_str_time_vs_dask", limit(0.35));
  targets.set("chain_time_vs_dask", limit(0.35));
  targets.set("merge_time_vs_dask", limit(0.5));
  targets.set("groupby_int_big_time_vs_dask", limit(0.3));
  targets.set("groupby_int_cluster_time_vs_dask", limit(0.25));
  targets.set("groupby_int_cluster_rss_vs_dask", limit(0.5));
  const bigRss = samples.get("groupby_int_big_troupe_rss_mb"),
    smallRss = samples.get("groupby_int_troupe_rss_mb");
  if (bigRss !== undefined && smallRss !== undefined) {
    const flat = median(bigRss) / median(smallRss);
    figures.push({ bench: "rss_100m_over_10m", value: flat, unit: "x" });
    targets.set("rss_100m_over_10m", limit(1.2));
  }
  await saveFigures(figures, `${BENCH_DIR}results/latest.jsonl`, true);
  console.log(
    `\n${ROWS} rows, ${
      (mainBytes / 1e6).toFixed(0)
    } MB CSV; medians of ${REPS} runs\n`,
  );
  console.log(figureTable(figures, samples, (b) => targets.get(b), "runs"));
} finally {
  await Deno.remove(dir, { recursive: true });
}
