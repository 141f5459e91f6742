/**
 * Benchmarks of troupe's pools (`deno task bench:pool`): a pool of 2 task
 * runners on worker hosts, beside the tools people use today for the same
 * workload (Python `multiprocessing.Pool`, and piscina, tinypool and
 * workerpool on Node), measured in the same run.
 *
 * Each group of runs has `--warmup` untimed repetitions (default 1; at
 * least 3 for the CPU figure, whose runs are short enough that the workers'
 * first, not yet optimised, runs would count), then
 * `--reps` timed ones (default 5; the CPU figure takes `--cpu-reps`, default
 * 11, as one of its runs is short). Inside a repetition troupe and the peers
 * run back to back, and the order reverses every repetition, so that neither
 * always runs first. Every figure is the median of its repetitions; a ratio
 * is the ratio of two medians, and the table also shows each repetition's
 * ratio (from a pair that ran back to back). Every run checks its result
 * (the exact sum, the count, for `map` the order too).
 *
 * Output: one JSON line per figure (`{"bench", "value", "unit"}`), then the
 * ratio lines (troupe / peer), then a table with the target of each figure.
 * The JSON lines are appended to `bench/results/latest.jsonl`.
 *
 * Flags: `--reps N` (5), `--cpu-reps N` (11), `--warmup N` (1), `--only`
 * (any of `tiny`, `informative`, `cpu`), `--no-peers`, `--scale F` (shrink
 * the workloads, for a smoke run: figures not comparable).
 *
 * @module
 */

import { exists, hasCommand, saveFigures } from "./peer_tools.ts";
import { figureTable, show, type Target } from "./table.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ActorSystem, createPool, type Pool } from "@troupe/troupe";
import { type Figure, median } from "./actors_bench.ts";
import { FIB_27, tasks } from "./pool_tasks.ts";
import { RUN_SHAPE_OPTIONS, runShape } from "./args.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const PEERS_DIR = `${BENCH_DIR}.peers`;
const RESULTS_DIR = `${BENCH_DIR}results`;
const PYTHON = "/usr/bin/python3";
const PEERS_HINT = "run `bash bench/peers.sh` first";

/** How much work each measurement does. */
export interface PoolBenchOptions {
  /** Timed repetitions per figure (the median is reported). */
  reps: number;
  /** Timed repetitions of the CPU figure (each run is short). */
  cpuReps: number;
  /** Untimed repetitions first (JIT, module caches, the peers' start). */
  warmup: number;
  /** Items of the tiny-task figures (and the peers' N). */
  items: number;
  /** CPU tasks (`fib(fibN)` each) of the CPU figure. */
  cpuTasks: number;
  /** The argument of every CPU task. */
  fibN: number;
  /** Runners in the pool. */
  size: number;
  /** Which groups to run: `tiny`, `informative`, `cpu` (all when empty). */
  only: string[];
  /** Run the peers (python, node). */
  peers: boolean;
}

/** The workloads of the issue "pools". */
export const DEFAULT_POOL_OPTIONS: Readonly<PoolBenchOptions> = Object.freeze({
  reps: 5,
  cpuReps: 11,
  warmup: 1,
  items: 100_000,
  cpuTasks: 64,
  fibN: 27,
  size: 2,
  only: [],
  peers: true,
});

function expect(got: unknown, want: unknown, what: string): void {
  if (got !== want) {
    throw new Error(
      `${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
    );
  }
}

/** `2 * (0 + 1 + ... + (n - 1))`: the sum every tiny run must return. */
function doubledSum(n: number): number {
  return n * (n - 1);
}

// ---- troupe ----------------------------------------------------------------

/** `pool.map(double, items)` (`chunksize` when given); items/s. */
async function mapTiny(
  pool: Pool,
  items: number[],
  chunksize?: number,
): Promise<number> {
  const t0 = performance.now();
  const out = await pool.map(tasks.double, items, { chunksize });
  const dt = performance.now() - t0;
  expect(out.length, items.length, "map results");
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 2 * items[i]) expect(out[i], 2 * items[i], `map item ${i}`);
    sum += out[i];
  }
  expect(sum, doubledSum(items.length), "map sum");
  return items.length / (dt / 1000);
}

/** `n` `pool.submit(double, i)` at once, then `Promise.all`; tasks/s. */
async function submitAll(pool: Pool, n: number): Promise<number> {
  const t0 = performance.now();
  const pending = new Array<Promise<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = pool.submit(tasks.double, i);
  const out = await Promise.all(pending);
  const dt = performance.now() - t0;
  let sum = 0;
  for (const x of out) sum += x;
  expect(sum, doubledSum(n), "submit sum");
  return n / (dt / 1000);
}

/** `for await` over `imap` or `imapUnordered` of double; items/s. */
async function streamTiny(
  pool: Pool,
  items: number[],
  ordered: boolean,
): Promise<number> {
  const t0 = performance.now();
  let sum = 0;
  let count = 0;
  const stream = ordered
    ? pool.imap(tasks.double, items)
    : pool.imapUnordered(tasks.double, items);
  for await (const y of stream) {
    sum += y;
    count++;
  }
  const dt = performance.now() - t0;
  expect(count, items.length, "stream count");
  expect(sum, doubledSum(items.length), "stream sum");
  return items.length / (dt / 1000);
}

/** The CPU tasks one after another in this isolate; ms. */
function cpuSequential(args: number[], each: number): number {
  const t0 = performance.now();
  let sum = 0;
  for (const n of args) sum += tasks.fib(n);
  const dt = performance.now() - t0;
  expect(sum, args.length * each, "sequential fib sum");
  return dt;
}

/** `pool.map(fib, args)`; ms. */
async function cpuPool(
  pool: Pool,
  args: number[],
  each: number,
): Promise<number> {
  const t0 = performance.now();
  const out = await pool.map(tasks.fib, args);
  const dt = performance.now() - t0;
  expect(out.reduce((a, b) => a + b, 0), args.length * each, "pool fib sum");
  return dt;
}

/** `size` bare Web Workers (bench/raw_worker.ts), once each said ready. */
async function rawWorkers(size: number): Promise<Worker[]> {
  const url = new URL("./raw_worker.ts", import.meta.url);
  return await Promise.all(
    Array.from({ length: size }, () =>
      new Promise<Worker>((resolve) => {
        const w = new Worker(url, { type: "module" });
        w.onmessage = () => resolve(w);
      })),
  );
}

/** The CPU tasks split evenly over bare workers, one message each; ms. */
async function rawCpu(
  workers: Worker[],
  args: number[],
  each: number,
): Promise<number> {
  const share = args.length / workers.length;
  const t0 = performance.now();
  const sums = await Promise.all(
    workers.map((w) =>
      new Promise<number>((resolve) => {
        w.onmessage = (e) => resolve(e.data as number);
        w.postMessage({ fib: [args[0], share] });
      })
    ),
  );
  const dt = performance.now() - t0;
  expect(sums.reduce((a, b) => a + b, 0), args.length * each, "raw fib sum");
  return dt;
}

// ---- peers -----------------------------------------------------------------

/** One peer program: what to run, and which JSON line feeds which figure. */
interface PeerSpec {
  /** A name for notes and progress lines. */
  name: string;
  /** What to run (argv[0]). */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Figure name by the `peer` field of its JSON lines. */
  figures: Record<string, string>;
  /** Why it cannot run, or undefined when it can. */
  missing: string | undefined;
}

async function findPeers(n: number): Promise<PeerSpec[]> {
  const node = await hasCommand("node");
  const nodePeer = (
    pkg: string,
    script: string,
    figure: string,
  ): PeerSpec => ({
    name: pkg,
    cmd: "node",
    args: [`${PEERS_DIR}/${script}`, String(n)],
    figures: { [pkg]: figure },
    missing: !node
      ? "node not on PATH"
      : !exists(`${PEERS_DIR}/${script}`)
      ? `${PEERS_DIR}/${script} not found: ${PEERS_HINT}`
      : !exists(`${PEERS_DIR}/node_modules/${pkg}/package.json`)
      ? `${pkg} not installed in ${PEERS_DIR}: ${PEERS_HINT}`
      : undefined,
  });
  const mp = `${PEERS_DIR}/mp_tiny.py`;
  return [
    {
      name: "multiprocessing",
      cmd: PYTHON,
      args: [mp, String(n)],
      figures: {
        "multiprocessing.Pool.map(default chunks)": "mp_map_tiny",
        "multiprocessing.Pool.apply_async(1 per task)": "mp_apply_async",
      },
      missing: !exists(PYTHON)
        ? `${PYTHON} not found`
        : !exists(mp)
        ? `${mp} not found: ${PEERS_HINT}`
        : undefined,
    },
    nodePeer("piscina", "piscina_tiny.mjs", "piscina_submit"),
    nodePeer("tinypool", "tinypool_tiny.mjs", "tinypool_submit"),
    nodePeer("workerpool", "workerpool_tiny.mjs", "workerpool_submit"),
  ];
}

/** Run a peer once; its figures (per second), each line's result checked. */
async function runPeer(
  peer: PeerSpec,
  n: number,
): Promise<Record<string, number>> {
  const out = await new Deno.Command(peer.cmd, {
    args: peer.args,
    cwd: PEERS_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${peer.name} failed (${out.code}): ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const values: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as {
      peer: string;
      N: number;
      tasks_per_s: number;
      check: number;
    };
    const figure = peer.figures[r.peer];
    if (figure === undefined) continue;
    // A peer that lost tasks would look fast for the wrong reason.
    expect(r.N, n, `${r.peer} N`);
    expect(r.check, doubledSum(n), `${r.peer} check`);
    values[figure] = r.tasks_per_s;
  }
  for (const figure of Object.values(peer.figures)) {
    if (values[figure] === undefined) {
      throw new Error(`${peer.name} printed no line for ${figure}: ${text}`);
    }
  }
  return values;
}

// ---- harness ---------------------------------------------------------------

/** One contestant of a group: one run gives one or more figures. */
interface Run {
  /** A name for progress lines. */
  name: string;
  /** The unit of each figure it gives, by figure name. */
  units: Record<string, string>;
  /** One repetition; its figures. */
  run: () => Promise<Record<string, number>>;
}

/** Figures, each with the value of every repetition. */
export interface PoolResults {
  /** The figures (medians), then the ratios, in order. */
  figures: Figure[];
  /** Every repetition's value (or paired ratio) per figure. */
  samples: Map<string, number[]>;
  /** Peers that were skipped, and why. */
  notes: string[];
}

/** Run the selected measurements; figures, ratios and every repetition. */
export async function runPoolBenchmarks(
  options: Partial<PoolBenchOptions> = {},
): Promise<PoolResults> {
  const o = { ...DEFAULT_POOL_OPTIONS, ...options };
  const want = (group: string): boolean =>
    o.only.length === 0 || o.only.includes(group);
  const figures: Figure[] = [];
  const ratios: Figure[] = [];
  const samples = new Map<string, number[]>();
  const notes: string[] = [];

  /**
   * Warm up every run, then `reps` repetitions of all of them back to back
   * (the order reverses every repetition); each figure is the median.
   */
  const measure = async (
    runs: Run[],
    reps: number,
    warmup = o.warmup,
  ): Promise<void> => {
    for (let w = 0; w < warmup; w++) {
      for (const r of runs) {
        console.error(`  warm-up ${w + 1}/${warmup}: ${r.name}`);
        await r.run();
      }
    }
    const values = new Map<string, number[]>();
    for (const r of runs) for (const f in r.units) values.set(f, []);
    for (let i = 0; i < reps; i++) {
      const order = i % 2 === 0 ? runs : [...runs].reverse();
      const got: string[] = [];
      for (const r of order) {
        const out = await r.run();
        for (const [f, v] of Object.entries(out)) {
          values.get(f)!.push(v);
          got.push(`${f} ${show(v, r.units[f])}`);
        }
      }
      console.error(`  rep ${i + 1}/${reps}: ${got.join(", ")}`);
    }
    for (const r of runs) {
      for (const [f, unit] of Object.entries(r.units)) {
        const xs = values.get(f)!;
        figures.push({ bench: f, value: median(xs), unit });
        samples.set(f, xs);
      }
    }
  };
  /** A ratio of two figures' medians (and per repetition, of the pairs). */
  const ratio = (name: string, top: string, bottom: string): void => {
    const t = samples.get(top);
    const b = samples.get(bottom);
    if (t === undefined || b === undefined) return;
    ratios.push({ bench: name, value: median(t) / median(b), unit: "x" });
    samples.set(name, t.map((x, i) => x / b[i]));
  };

  await using system = new ActorSystem({ workers: o.size });
  const pool = createPool(system, { size: o.size, placement: "worker" });
  try {
    // Start the hosts (and load the task module there) before measuring.
    expect((await pool.map(tasks.double, [1, 2, 3])).join(), "2,4,6", "start");
    const hosts = system.hosts();
    expect(hosts.length, o.size, "worker hosts");
    expect(hosts.every((h) => h.actors === 1), true, "one runner per host");

    const items = Array.from({ length: o.items }, (_, i) => i);

    if (want("tiny")) {
      const peers = o.peers ? await findPeers(o.items) : [];
      for (const p of peers) {
        if (p.missing !== undefined) {
          notes.push(
            `skipped ${Object.values(p.figures).join(", ")}: ${p.missing}`,
          );
        }
      }
      if (!o.peers) notes.push("peers skipped (--no-peers)");
      for (const note of notes) console.error(`note: ${note}`);
      console.error(
        `tiny tasks: ${o.items} x double, troupe and the peers in turn`,
      );
      await measure([
        {
          name: "troupe map",
          units: { pool_map_tiny: "items/s" },
          run: async () => ({ pool_map_tiny: await mapTiny(pool, items) }),
        },
        {
          name: "troupe submit",
          units: { pool_submit: "tasks/s" },
          run: async () => ({ pool_submit: await submitAll(pool, o.items) }),
        },
        ...peers.filter((p) => p.missing === undefined).map((p): Run => ({
          name: p.name,
          // multiprocessing's map is the peer of `pool_map_tiny` (items/s).
          units: Object.fromEntries(
            Object.values(p.figures).map((f) => [
              f,
              f === "mp_map_tiny" ? "items/s" : "tasks/s",
            ]),
          ),
          run: () => runPeer(p, o.items),
        })),
      ], o.reps);
      ratio("pool_map_tiny_vs_mp_map", "pool_map_tiny", "mp_map_tiny");
      ratio("pool_submit_vs_piscina", "pool_submit", "piscina_submit");
      ratio("pool_submit_vs_tinypool", "pool_submit", "tinypool_submit");
      ratio("pool_submit_vs_workerpool", "pool_submit", "workerpool_submit");
      ratio("pool_submit_vs_mp_apply_async", "pool_submit", "mp_apply_async");
    }

    if (want("informative")) {
      console.error("informative: chunksize 1, imap, imapUnordered");
      await measure([
        {
          name: "map chunksize 1",
          units: { pool_map_tiny_chunk1: "items/s" },
          run: async () => ({
            pool_map_tiny_chunk1: await mapTiny(pool, items, 1),
          }),
        },
        {
          name: "imap",
          units: { pool_imap: "items/s" },
          run: async () => ({ pool_imap: await streamTiny(pool, items, true) }),
        },
        {
          name: "imapUnordered",
          units: { pool_imap_unordered: "items/s" },
          run: async () => ({
            pool_imap_unordered: await streamTiny(pool, items, false),
          }),
        },
      ], o.reps);
      ratio("chunking_gain", "pool_map_tiny", "pool_map_tiny_chunk1");
    }

    if (want("cpu")) {
      const args = new Array<number>(o.cpuTasks).fill(o.fibN);
      const each = tasks.fib(o.fibN);
      if (o.fibN === 27) expect(each, FIB_27, "fib(27)");
      console.error(
        `CPU: ${o.cpuTasks} x fib(${o.fibN}), sequential vs the pool`,
      );
      // The bound: bare workers (no troupe), each given its share of the
      // tasks in one message, on the same machine in the same run.
      const raw = await rawWorkers(o.size);
      try {
        await measure(
          [
            {
              name: "sequential",
              units: { cpu_sequential: "ms" },
              run: () =>
                Promise.resolve({ cpu_sequential: cpuSequential(args, each) }),
            },
            {
              name: "pool",
              units: { pool_map_cpu_time: "ms" },
              run: async () => ({
                pool_map_cpu_time: await cpuPool(pool, args, each),
              }),
            },
            {
              name: "raw workers",
              units: { raw_workers_cpu_time: "ms" },
              run: async () => ({
                raw_workers_cpu_time: await rawCpu(raw, args, each),
              }),
            },
          ],
          o.cpuReps,
          Math.max(o.warmup, 3), // short runs: let the JIT settle
        );
      } finally {
        for (const w of raw) w.terminate();
      }
      ratio("pool_map_cpu", "cpu_sequential", "pool_map_cpu_time");
      ratio("raw_workers_cpu", "cpu_sequential", "raw_workers_cpu_time");
      ratio("pool_cpu_vs_raw", "raw_workers_cpu_time", "pool_map_cpu_time");
    }
  } finally {
    await pool.close();
  }
  return { figures: [...figures, ...ratios], samples, notes };
}

const TARGETS: Record<string, Target> = {
  pool_map_tiny: { label: ">= 3M", met: (v) => v >= 3e6 },
  pool_submit: { label: ">= 100k", met: (v) => v >= 1e5 },
  pool_submit_vs_piscina: { label: ">= 6x", met: (v) => v >= 6 },
  pool_map_cpu: { label: ">= 1.9x", met: (v) => v >= 1.9 },
};

/** The readable table: median, unit, every repetition, target, ok. */
export function poolTable(results: PoolResults): string {
  return figureTable(results.figures, results.samples, (b) => TARGETS[b]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...RUN_SHAPE_OPTIONS,
      "cpu-reps": { type: "string", default: "11" },
      only: { type: "string" },
      "no-peers": { type: "boolean", default: false },
    },
  });
  const { reps, warmup, scale } = runShape(values);
  const cpuReps = Number(values["cpu-reps"]);
  if (!(Number.isInteger(cpuReps) && cpuReps >= 1)) {
    throw new RangeError("--cpu-reps: a positive integer");
  }
  const only = values.only?.split(",").filter((s) => s !== "") ?? [];
  for (const g of only) {
    if (!["tiny", "informative", "cpu"].includes(g)) {
      throw new RangeError(`--only: tiny, informative or cpu, got ${g}`);
    }
  }
  const d = DEFAULT_POOL_OPTIONS;
  const scaled = (x: number): number => Math.max(2, Math.round(x * scale));
  const results = await runPoolBenchmarks({
    reps,
    cpuReps,
    warmup,
    items: scaled(d.items),
    cpuTasks: scaled(d.cpuTasks),
    only,
    peers: !values["no-peers"],
  });

  await saveFigures(results.figures, `${RESULTS_DIR}/latest.jsonl`, true);
  console.log(
    `\ntroupe pool bench, ${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores, pool of ${d.size} worker runners, ` +
      `${reps} reps (cpu ${cpuReps}) after ${warmup} warm-up` +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(poolTable(results));
  for (const note of results.notes) console.log(`note: ${note}`);
  console.log(`\nappended to ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
