/**
 * Benchmarks of worker and process placement (`deno task bench:hosts`):
 * troupe's actors on Web Worker and subprocess hosts, each figure beside a
 * raw baseline measured in the same run (a bare `Worker` with `postMessage`,
 * a bare `deno run` subprocess with a framed stdin/stdout pipe).
 *
 * Each figure runs one untimed warm-up, then `--reps` timed repetitions
 * (default 5); troupe and its baseline take turns inside every repetition
 * (the order alternates), and the figure is the median. Ratios are ratios of
 * the medians; the table also shows each repetition's ratio, from the pair
 * that ran back to back.
 *
 * Output: one JSON line per figure (`{"bench", "value", "unit"}`), the ratio
 * lines, then a table with the target of each figure. The JSON lines are
 * appended to `bench/results/latest.jsonl`.
 *
 * Flags: `--reps N` (default 5), `--warmup N` (default 1), `--only` (any of
 * worker_tell, worker_ask, worker_concurrent, process_ask,
 * process_concurrent, process_tell, spawn, host_start, cpu), `--scale F`
 * (shrink every message count, for a smoke run: figures not comparable).
 *
 * @module
 */

import { saveFigures } from "./peer_tools.ts";
import { figureTable, show, type Target } from "./table.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type ActorRef, ActorSystem } from "@troupe/troupe";
import { Counter } from "../tests/fixtures/behaviors.ts";
import { type Figure, median } from "./actors_bench.ts";
import { crunch, CRUNCH_ROUNDS, Cruncher, FIB_30 } from "./fixtures.ts";
import { RUN_SHAPE_OPTIONS, runShape } from "./args.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS_DIR = `${BENCH_DIR}results`;
const RAW_WORKER = new URL("./raw_worker.ts", import.meta.url);
const RAW_PROCESS = fileURLToPath(new URL("./raw_process.ts", import.meta.url));

/** How much work each measurement does. */
export interface HostBenchOptions {
  /** Timed repetitions per figure (the median is reported). */
  reps: number;
  /** Untimed repetitions first (JIT, module caches, host warm-up). */
  warmup: number;
  /** One-way tells to a worker actor (and raw posts) per repetition. */
  workerTells: number;
  /** Sequential worker asks (and raw ping-pongs) per repetition. */
  workerAsks: number;
  /** Sequential process asks (and raw framed ping-pongs) per repetition. */
  processAsks: number;
  /** One-way tells to a process actor per repetition. */
  processTells: number;
  /** Asks in flight at once in the concurrent runs. */
  concurrency: number;
  /** Rounds of `concurrency` asks in the concurrent runs. */
  rounds: number;
  /** Spawns per repetition on a host that is already up. */
  spawns: number;
  /** Fresh hosts (and bare workers/subprocesses) started per kind. */
  hostStarts: number;
  /** CPU tasks in the fan-out. */
  tasks: number;
  /** Rounds of `fib(30)` per CPU task (about 200 ms). */
  crunchRounds: number;
  /** Which measurements to run (all when empty). */
  only: string[];
}

/** The workloads of the issue "worker and process placement". */
export const DEFAULT_HOST_OPTIONS: Readonly<HostBenchOptions> = Object.freeze({
  reps: 5,
  warmup: 1,
  workerTells: 1_000_000,
  workerAsks: 20_000,
  processAsks: 10_000,
  processTells: 1_000_000,
  concurrency: 1_000,
  rounds: 50,
  spawns: 1_000,
  hostStarts: 11,
  tasks: 8,
  crunchRounds: CRUNCH_ROUNDS,
  only: [],
});

/** The mailbox of the tell runs: room for every message of a burst. */
const BIG_MAILBOX = { capacity: 2_000_000 };
const LONG = { timeout: 120_000 };

function expect(got: unknown, want: unknown, what: string): void {
  if (got !== want) {
    throw new Error(
      `${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
    );
  }
}

// ---- raw baselines ------------------------------------------------------

/**
 * Counts what a baseline sent back: `take(n)` resolves once `n` more
 * messages (or frames) have arrived than the previous `take` consumed.
 */
class Arrivals {
  #got = 0;
  #used = 0;
  #sum = 0;
  #last: unknown;
  #want = Infinity;
  #wake: (() => void) | undefined;

  arrived(data: unknown): void {
    this.#got++;
    this.#last = data;
    if (typeof data === "number") this.#sum += data;
    if (this.#got >= this.#want) {
      const wake = this.#wake!;
      this.#wake = undefined;
      this.#want = Infinity;
      wake();
    }
  }

  /** Wait for `n` more; the sum of the numbers among them, and the last. */
  async take(n: number): Promise<{ sum: number; last: unknown }> {
    const target = this.#used + n;
    if (this.#got < target) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#want = target;
      this.#wake = resolve;
      await promise;
    }
    this.#used = target;
    const out = { sum: this.#sum, last: this.#last };
    this.#sum = 0;
    return out;
  }
}

/** A bare Web Worker (bench/raw_worker.ts) and what it posted back. */
class RawWorker {
  readonly worker: Worker;
  readonly arrivals: Arrivals = new Arrivals();

  constructor() {
    this.worker = new Worker(RAW_WORKER, { type: "module" });
    this.worker.onmessage = (e) => this.arrivals.arrived(e.data);
  }

  /** Resolves on the worker's first message (`"ready"`). */
  async ready(): Promise<void> {
    expect((await this.arrivals.take(1)).last, "ready", "raw worker");
  }

  close(): void {
    this.worker.terminate();
  }
}

/**
 * A bare `deno run` subprocess (bench/raw_process.ts) echoing frames: the
 * parent writes through the child's stdin writer and reads its stdout with
 * `for await`, as troupe's process transport does.
 */
class RawProcess {
  readonly child: Deno.ChildProcess;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly arrivals: Arrivals = new Arrivals();
  /** `performance.now()` when the first stdout byte arrived. */
  firstByte = 0;
  readonly #reading: Promise<void>;
  #writing = Promise.resolve();

  constructor() {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", RAW_PROCESS],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.writer = this.child.stdin.getWriter();
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    // Frame boundaries only: a 4-byte big-endian length, then the body.
    const header = new Uint8Array(4);
    let have = 0;
    let bodyLeft = 0;
    for await (const chunk of this.child.stdout) {
      if (this.firstByte === 0) this.firstByte = performance.now();
      let i = 0;
      while (i < chunk.length) {
        if (bodyLeft > 0) {
          const k = Math.min(bodyLeft, chunk.length - i);
          bodyLeft -= k;
          i += k;
          if (bodyLeft === 0) this.arrivals.arrived(undefined);
          continue;
        }
        header[have++] = chunk[i++];
        if (have === 4) {
          have = 0;
          bodyLeft = new DataView(header.buffer).getUint32(0);
          if (bodyLeft === 0) this.arrivals.arrived(undefined);
        }
      }
    }
  }

  /** Write a frame (writes are chained, as troupe chains them). */
  send(frame: Uint8Array): void {
    this.#writing = this.#writing.then(() => this.writer.write(frame));
  }

  /** Close stdin (the child then exits) and wait for it to be gone. */
  async close(): Promise<void> {
    await this.#writing;
    await this.writer.close();
    await this.#reading;
    const status = await this.child.status;
    expect(status.code, 0, "raw process exit code");
  }
}

/** A frame of `size` body bytes, about the size of a troupe ask frame. */
function frameOf(size: number): Uint8Array {
  const frame = new Uint8Array(4 + size);
  new DataView(frame.buffer).setUint32(0, size);
  for (let i = 0; i < size; i++) frame[4 + i] = i & 0xff;
  return frame;
}

const FRAME = frameOf(64);

// ---- 1. worker tell throughput -------------------------------------------

/** `n` tells to a worker or process actor, then an ask after them all; msg/s. */
async function tellBurst(
  ref: ActorRef<typeof Counter>,
  n: number,
): Promise<number> {
  const before = await ref.ask("get");
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ref.tell("add", 1);
  const after = await ref.ask("get", undefined, LONG);
  const dt = performance.now() - t0;
  expect(after - before, n, "tell sum");
  return n / (dt / 1000);
}

/** `n` one-way `postMessage(["add", 1])` to a bare worker; msg/s. */
async function rawWorkerPost(w: RawWorker, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) w.worker.postMessage(["add", 1]);
  w.worker.postMessage("end");
  const { last } = await w.arrivals.take(1);
  const dt = performance.now() - t0;
  expect(JSON.stringify(last), JSON.stringify({ count: n, sum: n }), "raw");
  return n / (dt / 1000);
}

// ---- 2. asks, sequential and concurrent ----------------------------------

/** `n` sequential asks; round trips/s. */
async function sequentialAsks(
  ref: ActorRef<typeof Counter>,
  n: number,
): Promise<number> {
  const want = await ref.ask("get");
  let check = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) check += await ref.ask("get");
  const dt = performance.now() - t0;
  expect(check, want * n, "sequential asks");
  return n / (dt / 1000);
}

/** `rounds` rounds of `concurrency` asks in flight; asks/s. */
async function concurrentAsks(
  ref: ActorRef<typeof Counter>,
  concurrency: number,
  rounds: number,
): Promise<number> {
  const want = await ref.ask("get");
  const batch = new Array<Promise<number>>(concurrency);
  let check = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < concurrency; i++) batch[i] = ref.ask("get", undefined);
    for (const v of await Promise.all(batch)) check += v;
  }
  const dt = performance.now() - t0;
  expect(check, want * concurrency * rounds, "concurrent asks");
  return (concurrency * rounds) / (dt / 1000);
}

/** `n` sequential `postMessage` ping-pongs with a bare worker; per s. */
async function rawWorkerPingPong(w: RawWorker, n: number): Promise<number> {
  let check = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    w.worker.postMessage(1);
    check += (await w.arrivals.take(1)).sum;
  }
  const dt = performance.now() - t0;
  expect(check, n, "raw worker ping-pong");
  return n / (dt / 1000);
}

/** `rounds` rounds of `concurrency` pings in flight to a bare worker; per s. */
async function rawWorkerConcurrent(
  w: RawWorker,
  concurrency: number,
  rounds: number,
): Promise<number> {
  let check = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < concurrency; i++) w.worker.postMessage(1);
    check += (await w.arrivals.take(concurrency)).sum;
  }
  const dt = performance.now() - t0;
  expect(check, concurrency * rounds, "raw worker concurrent");
  return (concurrency * rounds) / (dt / 1000);
}

// ---- 3. process asks and tells -------------------------------------------

/** `n` sequential framed ping-pongs with a bare subprocess; per s. */
async function rawProcessPingPong(p: RawProcess, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    p.send(FRAME);
    await p.arrivals.take(1);
  }
  return n / ((performance.now() - t0) / 1000);
}

/** `rounds` rounds of `concurrency` frames in flight; frames/s. */
async function rawProcessConcurrent(
  p: RawProcess,
  concurrency: number,
  rounds: number,
): Promise<number> {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < concurrency; i++) p.send(FRAME);
    await p.arrivals.take(concurrency);
  }
  return (concurrency * rounds) / ((performance.now() - t0) / 1000);
}

// ---- 4. spawn latency ----------------------------------------------------

/**
 * `n` sequential spawns (each `spawn` + `whenStarted`) on a worker host that
 * is already up; the mean ms per spawn. They are stopped afterwards, untimed.
 */
async function spawnOnHost(system: ActorSystem, n: number): Promise<number> {
  const refs: ActorRef<typeof Counter>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const ref = system.spawn(Counter, i, { placement: "worker" });
    await system.whenStarted(ref);
    refs.push(ref);
  }
  const dt = performance.now() - t0;
  expect(await refs[n - 1].ask("get"), n - 1, "last spawned actor");
  await Promise.all(refs.map((r) => system.stop(r)));
  return dt / n;
}

/** A fresh system, one actor on a new host: spawn + whenStarted, in ms. */
async function newHost(placement: "worker" | "process"): Promise<number> {
  const system = new ActorSystem({ workers: 1, processes: 1 });
  try {
    const t0 = performance.now();
    const ref = system.spawn(Counter, 7, { placement });
    await system.whenStarted(ref);
    const dt = performance.now() - t0;
    expect(await ref.ask("get"), 7, `${placement} host`);
    return dt;
  } finally {
    await system.shutdown();
  }
}

/** `new Worker` up to its first message, in ms. */
async function rawWorkerStart(): Promise<number> {
  const t0 = performance.now();
  const w = new RawWorker();
  await w.ready();
  const dt = performance.now() - t0;
  w.close();
  return dt;
}

/** A bare `deno run` subprocess up to its first stdout byte, in ms. */
async function rawProcessStart(): Promise<number> {
  const t0 = performance.now();
  const p = new RawProcess();
  await p.arrivals.take(1); // the empty "ready" frame
  const dt = p.firstByte - t0;
  await p.close();
  return dt;
}

// ---- 5. CPU-bound fan-out ------------------------------------------------

/** The tasks one after another on this isolate; ms. */
function cpuSequential(tasks: number, rounds: number): number {
  const t0 = performance.now();
  for (let i = 0; i < tasks; i++) {
    expect(crunch(rounds), rounds * FIB_30, "sequential crunch");
  }
  return performance.now() - t0;
}

/** The tasks at once, one per worker actor (spread over the hosts); ms. */
async function cpuFanOut(
  actors: ActorRef<typeof Cruncher>[],
  rounds: number,
): Promise<number> {
  const t0 = performance.now();
  const sums = await Promise.all(
    actors.map((a) => a.ask("crunch", rounds, LONG)),
  );
  const dt = performance.now() - t0;
  for (const s of sums) expect(s, rounds * FIB_30, "worker crunch");
  return dt;
}

/** The tasks at once on bare workers (`tasks / workers` each); ms. */
async function rawCpuFanOut(
  workers: RawWorker[],
  tasks: number,
  rounds: number,
): Promise<number> {
  const each = tasks / workers.length;
  const t0 = performance.now();
  for (const w of workers) {
    for (let i = 0; i < each; i++) w.worker.postMessage({ crunch: rounds });
  }
  const sums = await Promise.all(workers.map((w) => w.arrivals.take(each)));
  const dt = performance.now() - t0;
  for (const s of sums) expect(s.sum, each * rounds * FIB_30, "raw crunch");
  return dt;
}

// ---- harness -------------------------------------------------------------

/** One timed contestant of a figure. */
interface Run {
  /** The figure's name. */
  bench: string;
  /** Its unit. */
  unit: string;
  /** One repetition; its value. */
  run: () => Promise<number> | number;
}

/** Figures, each with the value of every repetition. */
export interface HostResults {
  /** The figures (medians) and ratios, in order. */
  figures: Figure[];
  /** Every repetition's value (or paired ratio) per figure. */
  samples: Map<string, number[]>;
}

/** Run the selected measurements; figures, ratios and every repetition. */
export async function runHostBenchmarks(
  options: Partial<HostBenchOptions> = {},
): Promise<HostResults> {
  const o = { ...DEFAULT_HOST_OPTIONS, ...options };
  const want = (name: string): boolean =>
    o.only.length === 0 || o.only.includes(name);
  const figures: Figure[] = [];
  const samples = new Map<string, number[]>();

  /**
   * Warm up each run, then `reps` repetitions of all of them, back to back
   * (the order alternates), each run's median a figure.
   */
  const measure = async (runs: Run[], reps = o.reps): Promise<number[][]> => {
    for (let w = 0; w < o.warmup; w++) for (const r of runs) await r.run();
    const values: number[][] = runs.map(() => []);
    for (let i = 0; i < reps; i++) {
      const order = runs.map((_, k) => k);
      if (i % 2 === 1) order.reverse();
      for (const k of order) values[k].push(await runs[k].run());
      console.error(
        `  rep ${i + 1}/${reps}: ` +
          runs.map((r, k) =>
            `${r.bench} ${show(values[k][i], r.unit)} ${r.unit}`
          ).join(", "),
      );
    }
    runs.forEach((r, k) => {
      figures.push({ bench: r.bench, value: median(values[k]), unit: r.unit });
      samples.set(r.bench, values[k]);
    });
    return values;
  };
  /** A ratio of two figures' medians (and per repetition, of the pairs). */
  const ratio = (name: string, top: string, bottom: string): void => {
    const t = samples.get(top)!;
    const b = samples.get(bottom)!;
    figures.push({ bench: name, value: median(t) / median(b), unit: "x" });
    samples.set(name, t.map((x, i) => x / b[i]));
  };

  if (want("worker_tell") || want("worker_ask") || want("worker_concurrent")) {
    await using system = new ActorSystem({ workers: 1 });
    const ref = system.spawn(Counter, 0, {
      placement: "worker",
      mailbox: BIG_MAILBOX,
    });
    await system.whenStarted(ref);
    const raw = new RawWorker();
    try {
      await raw.ready();
      if (want("worker_tell")) {
        console.error("worker tell throughput");
        await measure([
          {
            bench: "worker_tell_throughput",
            unit: "msg/s",
            run: () => tellBurst(ref, o.workerTells),
          },
          {
            bench: "raw_worker_post_throughput",
            unit: "msg/s",
            run: () => rawWorkerPost(raw, o.workerTells),
          },
        ]);
        ratio(
          "worker_tell_vs_raw",
          "worker_tell_throughput",
          "raw_worker_post_throughput",
        );
      }
      if (want("worker_ask")) {
        console.error("worker sequential asks");
        await measure([
          {
            bench: "worker_ask_roundtrip",
            unit: "ask/s",
            run: () => sequentialAsks(ref, o.workerAsks),
          },
          {
            bench: "raw_worker_pingpong",
            unit: "rt/s",
            run: () => rawWorkerPingPong(raw, o.workerAsks),
          },
        ]);
        ratio(
          "worker_ask_vs_raw",
          "worker_ask_roundtrip",
          "raw_worker_pingpong",
        );
      }
      if (want("worker_concurrent")) {
        console.error("worker concurrent asks");
        await measure([
          {
            bench: "worker_ask_concurrent",
            unit: "ask/s",
            run: () => concurrentAsks(ref, o.concurrency, o.rounds),
          },
          {
            bench: "raw_worker_concurrent",
            unit: "rt/s",
            run: () => rawWorkerConcurrent(raw, o.concurrency, o.rounds),
          },
        ]);
        ratio(
          "worker_ask_concurrent_vs_raw",
          "worker_ask_concurrent",
          "raw_worker_concurrent",
        );
      }
    } finally {
      raw.close();
    }
  }

  if (
    want("process_ask") || want("process_concurrent") || want("process_tell")
  ) {
    await using system = new ActorSystem({ processes: 1 });
    const ref = system.spawn(Counter, 0, {
      placement: "process",
      mailbox: BIG_MAILBOX,
    });
    await system.whenStarted(ref);
    const raw = new RawProcess();
    try {
      await raw.arrivals.take(1); // ready
      if (want("process_ask")) {
        console.error("process sequential asks");
        await measure([
          {
            bench: "process_ask_roundtrip",
            unit: "ask/s",
            run: () => sequentialAsks(ref, o.processAsks),
          },
          {
            bench: "raw_process_pingpong",
            unit: "rt/s",
            run: () => rawProcessPingPong(raw, o.processAsks),
          },
        ]);
        // Latency is the inverse of a sequential rate: troupe's over raw's.
        ratio(
          "process_ask_latency_vs_raw",
          "raw_process_pingpong",
          "process_ask_roundtrip",
        );
      }
      if (want("process_concurrent")) {
        console.error("process concurrent asks");
        await measure([
          {
            bench: "process_ask_concurrent",
            unit: "ask/s",
            run: () => concurrentAsks(ref, o.concurrency, o.rounds),
          },
          {
            bench: "raw_process_concurrent",
            unit: "rt/s",
            run: () => rawProcessConcurrent(raw, o.concurrency, o.rounds),
          },
        ]);
        ratio(
          "process_ask_concurrent_vs_raw",
          "process_ask_concurrent",
          "raw_process_concurrent",
        );
      }
      if (want("process_tell")) {
        console.error("process tell throughput");
        await measure([{
          bench: "process_tell_throughput",
          unit: "msg/s",
          run: () => tellBurst(ref, o.processTells),
        }]);
      }
    } finally {
      await raw.close();
    }
  }

  if (want("spawn")) {
    console.error("spawn on a worker host that is up");
    await using system = new ActorSystem({ workers: 1 });
    const keeper = system.spawn(Counter, 0, { placement: "worker" });
    await system.whenStarted(keeper);
    await measure([{
      bench: "worker_spawn_on_host",
      unit: "ms",
      run: () => spawnOnHost(system, o.spawns),
    }]);
  }

  if (want("host_start")) {
    console.error("a new worker host");
    await measure([
      {
        bench: "worker_host_start",
        unit: "ms",
        run: () => newHost("worker"),
      },
      { bench: "raw_worker_start", unit: "ms", run: rawWorkerStart },
    ], o.hostStarts);
    ratio("worker_host_start_vs_raw", "worker_host_start", "raw_worker_start");
    console.error("a new process host");
    await measure([
      {
        bench: "process_host_start",
        unit: "ms",
        run: () => newHost("process"),
      },
      { bench: "raw_process_start", unit: "ms", run: rawProcessStart },
    ], o.hostStarts);
    ratio(
      "process_host_start_vs_raw",
      "process_host_start",
      "raw_process_start",
    );
  }

  if (want("cpu")) {
    console.error(`CPU fan-out: ${o.tasks} tasks on 2 worker hosts`);
    await using system = new ActorSystem({ workers: 2 });
    const actors = Array.from(
      { length: o.tasks },
      () => system.spawn(Cruncher, undefined, { placement: "worker" }),
    );
    await Promise.all(actors.map((a) => system.whenStarted(a)));
    const hosts = system.hosts();
    expect(hosts.length, 2, "worker hosts");
    expect(
      hosts.map((h) => h.actors).join(","),
      `${o.tasks / 2},${o.tasks / 2}`,
      "actors per host",
    );
    const raw = [new RawWorker(), new RawWorker()];
    try {
      await Promise.all(raw.map((w) => w.ready()));
      await measure([
        {
          bench: "cpu_sequential",
          unit: "ms",
          run: () => cpuSequential(o.tasks, o.crunchRounds),
        },
        {
          bench: "cpu_fanout_workers",
          unit: "ms",
          run: () => cpuFanOut(actors, o.crunchRounds),
        },
        {
          bench: "raw_cpu_fanout_workers",
          unit: "ms",
          run: () => rawCpuFanOut(raw, o.tasks, o.crunchRounds),
        },
      ]);
    } finally {
      for (const w of raw) w.close();
    }
    const seq = samples.get("cpu_sequential")!;
    figures.push({
      bench: "cpu_task",
      value: median(seq) / o.tasks,
      unit: "ms",
    });
    samples.set("cpu_task", seq.map((x) => x / o.tasks));
    ratio("cpu_fanout_speedup", "cpu_sequential", "cpu_fanout_workers");
    ratio("raw_cpu_fanout_speedup", "cpu_sequential", "raw_cpu_fanout_workers");
  }
  return { figures, samples };
}

const TARGETS: Record<string, Target> = {
  worker_tell_throughput: { label: ">= 2M", met: (v) => v >= 2e6 },
  worker_ask_vs_raw: { label: ">= 2x", met: (v) => v >= 2 },
  worker_ask_concurrent: { label: ">= 500k", met: (v) => v >= 5e5 },
  process_ask_latency_vs_raw: { label: "<= 1.2x", met: (v) => v <= 1.2 },
  process_ask_concurrent: { label: ">= 200k", met: (v) => v >= 2e5 },
  worker_spawn_on_host: { label: "< 1 ms", met: (v) => v < 1 },
  worker_host_start_vs_raw: { label: "<= 1.2x", met: (v) => v <= 1.2 },
  process_host_start_vs_raw: { label: "<= 1.2x", met: (v) => v <= 1.2 },
  cpu_fanout_speedup: { label: ">= 1.9x", met: (v) => v >= 1.9 },
};

/** The readable table: median, unit, every repetition, target, ok. */
export function hostTable(results: HostResults): string {
  return figureTable(results.figures, results.samples, (b) => TARGETS[b]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...RUN_SHAPE_OPTIONS,
      only: { type: "string" },
    },
  });
  const { reps, warmup, scale } = runShape(values);
  const d = DEFAULT_HOST_OPTIONS;
  const scaled = (x: number): number => Math.max(1, Math.round(x * scale));
  const results = await runHostBenchmarks({
    reps,
    warmup,
    workerTells: scaled(d.workerTells),
    workerAsks: scaled(d.workerAsks),
    processAsks: scaled(d.processAsks),
    processTells: scaled(d.processTells),
    rounds: scaled(d.rounds),
    spawns: scaled(d.spawns),
    crunchRounds: scaled(d.crunchRounds),
    only: values.only?.split(",").filter((s) => s !== "") ?? [],
  });

  await saveFigures(results.figures, `${RESULTS_DIR}/latest.jsonl`, true);
  console.log(
    `\ntroupe hosts bench, ${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores, ${reps} reps after ${warmup} warm-up` +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(hostTable(results));
  console.log(`\nappended to ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
