/**
 * Measurements of troupe's actor core: tell and ask throughput, spawn rate,
 * heap per idle actor, shutdown time and timer lateness under load.
 *
 * Each measurement runs a warm-up, then `reps` repetitions; the median is
 * reported. Run directly it prints one JSON line per figure on stdout
 * (progress goes to stderr), which is how `bench/run.ts` calls it:
 *
 *     deno run --v8-flags=--expose-gc bench/actors_bench.ts --reps 5
 *
 * `--expose-gc` makes the heap figures exact; without it they are noisy
 * (a warning says so).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ActorSystem, defineActor } from "../actors/mod.ts";

/** One reported figure: the shape of every JSON line the harness prints. */
export interface Figure {
  /** What was measured (e.g. `tell_throughput`). */
  bench: string;
  /** The median over the repetitions. */
  value: number;
  /** Its unit (e.g. `msg/s`, `ms`, `B/actor`). */
  unit: string;
}

/** How much work each measurement does. */
export interface ActorBenchOptions {
  /** Timed repetitions per measurement (the median is reported). */
  reps: number;
  /** Untimed repetitions first, so that V8 has optimised the hot paths. */
  warmup: number;
  /** Messages per tell run (and drained by the timer-lateness run). */
  tells: number;
  /** Sequential asks per round-trip run. */
  asks: number;
  /** Asks in flight at once in the concurrent run. */
  concurrency: number;
  /** Rounds of `concurrency` asks in the concurrent run. */
  rounds: number;
  /** Idle actors per spawn/heap/shutdown run. */
  actors: number;
  /** Which measurements to run (all when empty). */
  only: string[];
}

/** The workloads of the issue "actor core". */
export const DEFAULT_OPTIONS: Readonly<ActorBenchOptions> = Object.freeze({
  reps: 5,
  warmup: 1,
  tells: 1_000_000,
  asks: 500_000,
  concurrency: 1_000,
  rounds: 200,
  actors: 1_000_000,
  only: [],
});

const Summer = defineActor({
  name: "summer",
  init: () => ({ sum: 0 }),
  handlers: {
    add: (s, n: number) => {
      s.sum += n;
    },
    get: (s) => s.sum,
  },
});

const Idle = defineActor({
  name: "idle",
  init: () => ({ n: 0 }),
  handlers: { get: (s) => s.n },
});

// A drain that is off by one message is a bug, not a fast run.
function expectSum(got: number, want: number, what: string): void {
  if (got !== want) throw new Error(`${what}: sum is ${got}, expected ${want}`);
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of no values");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `n` tells into a mailbox big enough to hold them all; msgs/s. */
export async function tellThroughput(n: number): Promise<number> {
  await using system = new ActorSystem();
  const ref = system.spawn(Summer, undefined, {
    mailbox: { capacity: 1_048_576 },
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ref.tell("add", 1);
  // The mailbox is FIFO: the reply comes after every add was handled.
  const sum = await ref.ask("get", undefined, { timeout: 60_000 });
  const dt = performance.now() - t0;
  expectSum(sum, n, "tell_throughput");
  return n / (dt / 1000);
}

/**
 * `n` tells into an actor whose mailbox already held `n` messages once; msgs/s.
 * Set beside `tell_throughput`, this shows what a fresh mailbox pays to grow
 * its ring from 8 slots to hold a million messages.
 */
export async function tellThroughputWarm(n: number): Promise<number> {
  await using system = new ActorSystem();
  const ref = system.spawn(Summer, undefined, {
    mailbox: { capacity: 1_048_576 },
  });
  for (let i = 0; i < n; i++) ref.tell("add", 1);
  await ref.ask("get", undefined, { timeout: 60_000 });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ref.tell("add", 1);
  const sum = await ref.ask("get", undefined, { timeout: 60_000 });
  const dt = performance.now() - t0;
  expectSum(sum, 2 * n, "tell_throughput_warm_mailbox");
  return n / (dt / 1000);
}

/**
 * `n` awaited sends into a 65,536-message backpressure mailbox; msgs/s. Every
 * send is awaited, as a producer that respects backpressure must, so this
 * measures the per-message cost of the await as well.
 */
export async function tellBackpressureThroughput(n: number): Promise<number> {
  await using system = new ActorSystem();
  const ref = system.spawn(Summer, undefined, {
    mailbox: { capacity: 65_536, overflow: "backpressure" },
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await ref.send("add", 1);
  const sum = await ref.ask("get", undefined, { timeout: 60_000 });
  const dt = performance.now() - t0;
  expectSum(sum, n, "tell_throughput_backpressure");
  return n / (dt / 1000);
}

/** `n` sequential asks, each awaited before the next; round trips/s. */
export async function askRoundtrip(n: number): Promise<number> {
  await using system = new ActorSystem();
  const ref = system.spawn(Summer);
  ref.tell("add", 1);
  let check = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) check += await ref.ask("get");
  const dt = performance.now() - t0;
  expectSum(check, n, "ask_roundtrip");
  return n / (dt / 1000);
}

/** `rounds` rounds of `concurrency` asks in flight at once; asks/s. */
export async function askConcurrent(
  concurrency: number,
  rounds: number,
): Promise<number> {
  await using system = new ActorSystem();
  const ref = system.spawn(Summer);
  ref.tell("add", 1);
  const batch = new Array<Promise<number>>(concurrency);
  let check = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < concurrency; i++) batch[i] = ref.ask("get");
    for (const v of await Promise.all(batch)) check += v;
  }
  const dt = performance.now() - t0;
  expectSum(check, concurrency * rounds, "ask_concurrent");
  return (concurrency * rounds) / (dt / 1000);
}

/** What one spawn run measured. */
export interface SpawnResult {
  /** Spawns per second (the synchronous spawn loop only). */
  spawnsPerSecond: number;
  /** Heap growth per live idle actor, after a full GC, in bytes. */
  heapPerActor: number;
  /** Milliseconds `system.shutdown()` took with every actor alive. */
  shutdownMs: number;
  /** Heap per actor still held after shutdown and a full GC (a leak check). */
  heapRetainedPerActor: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

// Twice: the first pass may only schedule finalisation of weak objects.
function fullGc(): void {
  gc?.();
  gc?.();
}

/**
 * Spawn `n` idle actors, measure the heap they hold, then shut them down.
 * Only the last ref is kept: the system itself holds every actor, and that
 * is the cost being measured.
 */
export async function spawnAndShutdown(n: number): Promise<SpawnResult> {
  fullGc();
  const before = Deno.memoryUsage().heapUsed;
  const system = new ActorSystem();
  const t0 = performance.now();
  let last = system.spawn(Idle);
  for (let i = 1; i < n; i++) last = system.spawn(Idle);
  const spawnMs = performance.now() - t0;
  // Every actor must be alive and answering, or the heap figure is a lie.
  if ((await last.ask("get")) !== 0) throw new Error("spawn: bad reply");
  fullGc();
  const live = Deno.memoryUsage().heapUsed;
  const t1 = performance.now();
  // The default overall deadline (10 s) is not what is being measured.
  const report = await system.shutdown({ timeout: 600_000 });
  const shutdownMs = performance.now() - t1;
  if (report.stopped !== n || report.killed !== 0 || report.timedOut) {
    throw new Error(`shutdown: unexpected report ${JSON.stringify(report)}`);
  }
  fullGc();
  const after = Deno.memoryUsage().heapUsed;
  return {
    spawnsPerSecond: n / (spawnMs / 1000),
    heapPerActor: (live - before) / n,
    shutdownMs,
    heapRetainedPerActor: (after - before) / n,
  };
}

/** What one timer-lateness run measured. */
export interface LatenessResult {
  /** How late a 5 ms timer fired, in ms, while an actor drained. */
  latenessMs: number;
  /** How long the drain took, in ms (it must outlast the timer). */
  drainMs: number;
}

/**
 * Queue `n` messages, set a 5 ms timer just before the dispatcher starts the
 * drain, and see how late it fires. A dispatcher that never yields to the
 * event loop would fire it only after the whole drain.
 */
export async function timerLateness(n: number): Promise<LatenessResult> {
  await using system = new ActorSystem();
  const ref = system.spawn(Summer, undefined, {
    mailbox: { capacity: 1_048_576 },
  });
  for (let i = 0; i < n; i++) ref.tell("add", 1);
  // The drain is a microtask queued by the first tell: it starts once this
  // synchronous code returns, so the timer is set just before it.
  const set = performance.now();
  const fired = new Promise<number>((resolve) => {
    setTimeout(() => resolve(performance.now()), 5);
  });
  const sum = await ref.ask("get", undefined, { timeout: 60_000 });
  const drained = performance.now();
  expectSum(sum, n, "timer_lateness");
  return { latenessMs: (await fired) - set - 5, drainMs: drained - set };
}

/** Warm up, then `reps` timed runs of `fn`; every result, in order. */
async function repeat<T>(
  label: string,
  reps: number,
  warmup: number,
  fn: () => Promise<T>,
  show: (r: T) => string,
): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: T[] = [];
  for (let i = 0; i < reps; i++) {
    const r = await fn();
    console.error(`  ${label} ${i + 1}/${reps}: ${show(r)}`);
    out.push(r);
  }
  return out;
}

const rate = (x: number): string => `${(x / 1e6).toFixed(3)} M/s`;

/** Run the selected measurements; one figure (a median) each. */
export async function runActorBenchmarks(
  options: Partial<ActorBenchOptions> = {},
): Promise<Figure[]> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const want = (name: string): boolean =>
    o.only.length === 0 || o.only.includes(name);
  const figures: Figure[] = [];
  const add = (bench: string, values: number[], unit: string): void => {
    figures.push({ bench, value: median(values), unit });
  };

  if (want("tell")) {
    const r = await repeat(
      "tell_throughput",
      o.reps,
      o.warmup,
      () => tellThroughput(o.tells),
      rate,
    );
    add("tell_throughput", r, "msg/s");
  }
  if (want("tell_warm")) {
    const r = await repeat(
      "tell_throughput_warm_mailbox",
      o.reps,
      o.warmup,
      () => tellThroughputWarm(o.tells),
      rate,
    );
    add("tell_throughput_warm_mailbox", r, "msg/s");
  }
  if (want("backpressure")) {
    const r = await repeat(
      "tell_throughput_backpressure",
      o.reps,
      o.warmup,
      () => tellBackpressureThroughput(o.tells),
      rate,
    );
    add("tell_throughput_backpressure", r, "msg/s");
  }
  if (want("ask")) {
    const r = await repeat(
      "ask_roundtrip",
      o.reps,
      o.warmup,
      () => askRoundtrip(o.asks),
      rate,
    );
    add("ask_roundtrip", r, "ask/s");
  }
  if (want("ask_concurrent")) {
    const r = await repeat(
      "ask_concurrent",
      o.reps,
      o.warmup,
      () => askConcurrent(o.concurrency, o.rounds),
      rate,
    );
    add("ask_concurrent", r, "ask/s");
  }
  if (want("spawn")) {
    if (gc === undefined) {
      console.error(
        "  warning: no gc(); run with --v8-flags=--expose-gc for exact heap figures",
      );
    }
    const r = await repeat(
      "spawn_rate",
      o.reps,
      o.warmup,
      () => spawnAndShutdown(o.actors),
      (x) =>
        `${rate(x.spawnsPerSecond)}, ${x.heapPerActor.toFixed(0)} B/actor, ` +
        `shutdown ${x.shutdownMs.toFixed(0)} ms, ` +
        `${x.heapRetainedPerActor.toFixed(1)} B/actor retained`,
    );
    add("spawn_rate", r.map((x) => x.spawnsPerSecond), "spawn/s");
    add("heap_per_actor", r.map((x) => x.heapPerActor), "B/actor");
    add("shutdown_1m_actors", r.map((x) => x.shutdownMs), "ms");
    add(
      "heap_retained_after_shutdown",
      r.map((x) => x.heapRetainedPerActor),
      "B/actor",
    );
  }
  if (want("timer")) {
    const r = await repeat(
      "timer_lateness",
      o.reps,
      o.warmup,
      () => timerLateness(o.tells),
      (x) =>
        `${x.latenessMs.toFixed(2)} ms late, drain ${x.drainMs.toFixed(0)} ms`,
    );
    add("timer_lateness", r.map((x) => x.latenessMs), "ms");
    add("timer_lateness_drain", r.map((x) => x.drainMs), "ms");
  }
  return figures;
}

/**
 * CLI: `--reps`, `--warmup`, `--scale` (0..1], and `--only` with any of
 * tell, tell_warm, backpressure, ask, ask_concurrent, spawn, timer.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reps: { type: "string" },
      warmup: { type: "string" },
      only: { type: "string" },
      // Shrinks every workload, for a quick smoke run; figures are not
      // comparable with a full run.
      scale: { type: "string" },
    },
  });
  const scale = Number(values.scale ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new RangeError("--scale: (0, 1]");
  const scaled = (x: number): number => Math.max(1, Math.round(x * scale));
  const figures = await runActorBenchmarks({
    reps: Number(values.reps ?? DEFAULT_OPTIONS.reps),
    warmup: Number(values.warmup ?? DEFAULT_OPTIONS.warmup),
    tells: scaled(DEFAULT_OPTIONS.tells),
    asks: scaled(DEFAULT_OPTIONS.asks),
    rounds: scaled(DEFAULT_OPTIONS.rounds),
    actors: scaled(DEFAULT_OPTIONS.actors),
    only: values.only?.split(",").filter((s) => s !== "") ?? [],
  });
  for (const f of figures) console.log(JSON.stringify(f));
}

if (import.meta.main) await main();
