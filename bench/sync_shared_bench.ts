/**
 * Benchmarks of the shared scope of `sync/` (`deno task bench:sync-shared`).
 *
 * - Cross-worker handoff: 2 Web Workers each loop `n` times take the lock,
 *   read-increment-write a shared counter, release, at the same time
 *   (`shared`: the next acquire right after the release, where a barging
 *   lock stays with one worker for long stretches; `shared-yield`: one
 *   microtask turn after each release, where it changes hands often). The
 *   same loop runs on a `SharedMutex`, on `navigator.locks.request` (which
 *   does coordinate across workers in Deno 2.9: the counter comes out exact
 *   and the lock changes hands) and on a lock server in the main isolate
 *   that grants by `postMessage` (the usual way to lock across workers
 *   without shared memory). Figures: critical sections per second (both
 *   workers together), and handoffs per second (the lock passing from one
 *   worker to the other), with the ratios of both to `navigator.locks`; the
 *   targets (at least 5x) are on the handoff ratios.
 * - Uncontended: `await mutex.acquire(); mutex.release()` in a loop in the
 *   main isolate, and `await locks.request(name, f)`.
 *
 * Each repetition runs every figure once, in an order that rotates; every
 * figure is the median of `--reps` repetitions (default 5) after one
 * warm-up; every run checks that the counter is exact. Output: JSON lines
 * (`{"bench", "value", "unit"}`, also appended to
 * `bench/results/latest.jsonl`), then a table with ratios and targets.
 *
 * Flags: `--reps N` (5), `--scale F` (shrink the loops: a smoke run).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { SharedMutex } from "@troupe/troupe/sync";
import { saveFigures } from "./peer_tools.ts";
import { median } from "./actors_bench.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { locks, type LoopOrder } from "./sync_shared_worker.ts";

const RESULTS_DIR = fileURLToPath(new URL("./results", import.meta.url));

/** Loop lengths per worker (or per loop, uncontended). */
const LOOPS = {
  shared: 400_000,
  locks: 20_000,
  server: 20_000,
  uncontended: 2_000_000,
  locksUncontended: 100_000,
};

type Kind = LoopOrder["kind"];

interface Result {
  ops: number;
  handoffs: number;
}

/** Two workers, reused for every run. */
class Pair {
  readonly workers: Worker[];
  #onMessage: ((w: number, data: Record<string, unknown>) => void)[] = [];
  constructor() {
    this.workers = [1, 2].map((me) => {
      const w = new Worker(
        new URL("./sync_shared_worker.ts", import.meta.url),
        { type: "module" },
      );
      w.onmessage = (e) => this.#onMessage[0]?.(me, e.data);
      return w;
    });
  }

  /** Both workers run `n` iterations of `kind` at once. */
  run(kind: Kind, n: number): Promise<Result> {
    const cells = new SharedArrayBuffer(16);
    const c = new Int32Array(cells);
    const mutex = kind.startsWith("shared") ? new SharedMutex() : undefined;
    const { promise, resolve, reject } = Promise.withResolvers<Result>();
    const times: number[] = [];
    // The lock server, for `server`.
    let holder = 0;
    const queue: number[] = [];
    const grant = (me: number): void => {
      holder = me;
      this.workers[me - 1].postMessage("granted");
    };
    this.#onMessage[0] = (me, data) => {
      switch (data.type) {
        case "acquire":
          if (holder === 0) grant(me);
          else queue.push(me);
          break;
        case "release": {
          const next = queue.shift();
          if (next === undefined) holder = 0;
          else grant(next);
          break;
        }
        case "done":
          times.push(data.ms as number);
          if (times.length === 2) {
            if (c[0] !== 2 * n) {
              reject(new Error(`${kind}: counter ${c[0]}, expected ${2 * n}`));
            }
            const s = Math.max(...times) / 1000;
            resolve({ ops: (2 * n) / s, handoffs: c[2] / s });
          }
          break;
        case "error":
          reject(new Error(`${kind}: ${data.message}`));
      }
    };
    for (const [i, w] of this.workers.entries()) {
      const order: LoopOrder = {
        kind,
        me: i + 1,
        n,
        cells,
        mutex: mutex?.handle,
      };
      w.postMessage(order);
    }
    return promise;
  }

  close(): void {
    for (const w of this.workers) w.terminate();
  }
}

async function uncontendedShared(n: number): Promise<number> {
  const m = new SharedMutex();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await m.acquire();
    m.release();
  }
  return n / ((performance.now() - t0) / 1000);
}

async function uncontendedLocks(n: number): Promise<number> {
  const body = (): void => {};
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await locks.request("troupe-bench-main", body);
  }
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The issue asks for cross-worker *handoff* at 5x `navigator.locks`: the
 * target is on handoffs per second (the lock passing from one worker to the
 * other), not on critical sections per second, which a lock that stays
 * with one worker wins without handing anything off.
 */
const TARGETS: Record<string, Target> = {
  shared_mutex_handoffs_vs_navigator_locks: {
    label: ">= 5x",
    met: (v) => v >= 5,
  },
  shared_mutex_yield_handoffs_vs_navigator_locks: {
    label: ">= 5x",
    met: (v) => v >= 5,
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reps: { type: "string", default: "5" },
      scale: { type: "string", default: "1" },
    },
  });
  const reps = Number(values.reps);
  const scale = Number(values.scale);
  if (!(Number.isInteger(reps) && reps >= 1)) {
    throw new RangeError("--reps: a positive integer");
  }
  if (!(scale > 0 && scale <= 1)) throw new RangeError("--scale: (0, 1]");
  const n = (x: number): number => Math.max(10, Math.round(x * scale));

  const pair = new Pair();
  const runs: [string, () => Promise<Record<string, number>>][] = [
    ["shared", async () => {
      const r = await pair.run("shared", n(LOOPS.shared));
      return {
        shared_mutex_2workers: r.ops,
        shared_mutex_2workers_handoffs: r.handoffs,
      };
    }],
    ["shared-yield", async () => {
      const r = await pair.run("shared-yield", n(LOOPS.shared));
      return {
        shared_mutex_2workers_yield: r.ops,
        shared_mutex_2workers_yield_handoffs: r.handoffs,
      };
    }],
    ["locks", async () => {
      const r = await pair.run("locks", n(LOOPS.locks));
      return {
        navigator_locks_2workers: r.ops,
        navigator_locks_2workers_handoffs: r.handoffs,
      };
    }],
    ["server", async () => {
      const r = await pair.run("server", n(LOOPS.server));
      return {
        postmessage_lock_server_2workers: r.ops,
        postmessage_lock_server_2workers_handoffs: r.handoffs,
      };
    }],
    ["uncontended", async () => ({
      shared_mutex_uncontended: await uncontendedShared(n(LOOPS.uncontended)),
    })],
    ["locks-uncontended", async () => ({
      navigator_locks_uncontended: await uncontendedLocks(
        n(LOOPS.locksUncontended),
      ),
    })],
  ];
  const samples = new Map<string, number[]>();
  try {
    for (const [, run] of runs) await run(); // warm-up
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < runs.length; i++) {
        const [, run] = runs[(i + rep) % runs.length];
        for (const [k, v] of Object.entries(await run())) {
          samples.set(k, [...(samples.get(k) ?? []), v]);
        }
      }
    }
  } finally {
    pair.close();
  }

  const units: Record<string, string> = {
    shared_mutex_2workers: "ops/s",
    shared_mutex_2workers_handoffs: "handoffs/s",
    shared_mutex_2workers_yield: "ops/s",
    shared_mutex_2workers_yield_handoffs: "handoffs/s",
    navigator_locks_2workers: "ops/s",
    navigator_locks_2workers_handoffs: "handoffs/s",
    postmessage_lock_server_2workers: "ops/s",
    postmessage_lock_server_2workers_handoffs: "handoffs/s",
    shared_mutex_uncontended: "ops/s",
    navigator_locks_uncontended: "ops/s",
  };
  const figures: Figure[] = Object.entries(units).map(([bench, unit]) => ({
    bench,
    value: median(samples.get(bench)!),
    unit,
  }));
  const value = (b: string): number =>
    figures.find((f) => f.bench === b)!.value;
  const ratio = (bench: string, top: string, bottom: string): void => {
    const t = samples.get(top)!;
    const b = samples.get(bottom)!;
    samples.set(bench, t.map((x, i) => x / b[i]));
    figures.push({ bench, value: value(top) / value(bottom), unit: "x" });
  };
  ratio(
    "shared_mutex_2workers_vs_navigator_locks",
    "shared_mutex_2workers",
    "navigator_locks_2workers",
  );
  ratio(
    "shared_mutex_2workers_vs_lock_server",
    "shared_mutex_2workers",
    "postmessage_lock_server_2workers",
  );
  ratio(
    "shared_mutex_yield_vs_navigator_locks",
    "shared_mutex_2workers_yield",
    "navigator_locks_2workers",
  );
  ratio(
    "shared_mutex_handoffs_vs_navigator_locks",
    "shared_mutex_2workers_handoffs",
    "navigator_locks_2workers_handoffs",
  );
  ratio(
    "shared_mutex_yield_handoffs_vs_navigator_locks",
    "shared_mutex_2workers_yield_handoffs",
    "navigator_locks_2workers_handoffs",
  );
  ratio(
    "shared_mutex_uncontended_vs_navigator_locks",
    "shared_mutex_uncontended",
    "navigator_locks_uncontended",
  );

  await saveFigures(figures, `${RESULTS_DIR}/latest.jsonl`, true);
  console.log(
    `\ntroupe sync shared bench, ${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores, ${reps} reps after 1 warm-up` +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(figureTable(figures, samples, (b) => TARGETS[b]));
  console.log(`\nappended to ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
