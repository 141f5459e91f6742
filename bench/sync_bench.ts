/**
 * The isolate-scope `sync/` benchmark (`deno task bench:sync`): troupe's
 * `Mutex`, `Semaphore`, `Queue` and `Channel` in one isolate, and Python's
 * `threading.Lock`, `asyncio.Lock`, `queue.Queue` and `asyncio.Queue` on the
 * same workloads (`bench/sync_peers.py`), in the same run.
 *
 * Each repetition runs every troupe figure and then the Python peers once
 * (the order alternates each repetition); figures are medians over the
 * repetitions, ratios are ratios of the medians. Every run checks its
 * result (a count or a sum), so a run that loses items fails instead of
 * looking fast.
 *
 * Flags: `--reps N` (default 5), `--warmup N` (default 1), `--scale F`
 * (shrink the workloads for a smoke run), `--no-peers`.
 *
 * @module
 */

import { Channel, Mutex, Queue, Semaphore } from "@troupe/troupe/sync";
import { hasCommand, saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, show, type Target } from "./table.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { RUN_SHAPE_OPTIONS, runShape } from "./args.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS_DIR = `${BENCH_DIR}results`;
const PEERS_SCRIPT = `${BENCH_DIR}sync_peers.py`;
const PYTHON = "python3";

/** The workloads. */
export interface SyncBenchOptions {
  /** Timed repetitions (the median is reported). */
  reps: number;
  /** Untimed repetitions first. */
  warmup: number;
  /** Uncontended acquire/release pairs per run. */
  lockOps: number;
  /** Items (or contended acquisitions) per run. */
  items: number;
  /** Tasks contending for the lock. */
  tasks: number;
  /** The queue bound (and the buffered channel's capacity). */
  maxSize: number;
  /** Run the Python peers. */
  peers: boolean;
}

/** The default workloads. */
export const DEFAULT_SYNC_OPTIONS: Readonly<SyncBenchOptions> = Object.freeze({
  reps: 5,
  warmup: 1,
  lockOps: 10_000_000,
  items: 2_000_000,
  tasks: 4,
  maxSize: 1024,
  peers: true,
});

function expect(got: unknown, want: unknown, what: string): void {
  if (got !== want) {
    throw new Error(
      `${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
    );
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function perSecond(n: number, t0: number): number {
  return n / ((performance.now() - t0) / 1000);
}

// ---- troupe ----------------------------------------------------------------

/** `await m.acquire(); m.release()` in a loop; pairs/s. */
async function mutexUncontended(n: number): Promise<number> {
  const m = new Mutex();
  let count = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await m.acquire();
    count++;
    m.release();
  }
  const rate = perSecond(n, t0);
  expect(count, n, "mutex count");
  return rate;
}

/**
 * `tasks` tasks, each: acquire, yield once holding it, count, release. Every
 * acquisition but the first waits, and every release hands over; per s.
 */
async function mutexContended(n: number, tasks: number): Promise<number> {
  const m = new Mutex();
  const each = Math.floor(n / tasks);
  let count = 0;
  const worker = async (): Promise<void> => {
    for (let i = 0; i < each; i++) {
      await m.acquire();
      await undefined; // yield while holding: the others queue
      count++;
      m.release();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: tasks }, worker));
  const rate = perSecond(each * tasks, t0);
  expect(count, each * tasks, "contended mutex count");
  return rate;
}

/** `Semaphore(2)`, `2 * tasks` tasks: acquire, yield, release; per s. */
async function semaphoreContended(n: number, tasks: number): Promise<number> {
  const s = new Semaphore(2);
  const workers = 2 * tasks;
  const each = Math.floor(n / workers);
  let inside = 0;
  let most = 0;
  let count = 0;
  const worker = async (): Promise<void> => {
    for (let i = 0; i < each; i++) {
      await s.acquire();
      if (++inside > most) most = inside;
      await undefined;
      inside--;
      count++;
      s.release();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const rate = perSecond(each * workers, t0);
  expect(count, each * workers, "semaphore count");
  expect(most, 2, "semaphore high-water");
  return rate;
}

/** `await s.acquire(); s.release()` on a free `Semaphore(4)`; pairs/s. */
async function semaphoreUncontended(n: number): Promise<number> {
  const s = new Semaphore(4);
  let count = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await s.acquire();
    count++;
    s.release();
  }
  const rate = perSecond(n, t0);
  expect(count, n, "semaphore count");
  return rate;
}

/** One producer task, one consumer task, a bounded `Queue`; items/s. */
async function queuePutGet(n: number, maxSize: number): Promise<number> {
  const q = new Queue<number>({ maxSize });
  const produce = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await q.put(i);
  };
  const consume = async (): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += await q.get();
    return sum;
  };
  const t0 = performance.now();
  const [, sum] = await Promise.all([produce(), consume()]);
  const rate = perSecond(n, t0);
  expect(sum, n * (n - 1) / 2, "queue sum");
  return rate;
}

/** The same through `tryPut` / `tryGet` batches (no await per item). */
async function queueTryPutGet(n: number, maxSize: number): Promise<number> {
  const q = new Queue<number>({ maxSize });
  let sum = 0;
  let put = 0;
  const t0 = performance.now();
  while (put < n) {
    while (put < n && q.tryPut(put)) put++;
    for (let r = q.tryGet(); r.ok; r = q.tryGet()) sum += r.value;
    await undefined;
  }
  const rate = perSecond(n, t0);
  expect(sum, n * (n - 1) / 2, "tryPut/tryGet sum");
  return rate;
}

/** One sender task, one receiver task over a `Channel(capacity)`; items/s. */
async function channelSendReceive(
  n: number,
  capacity: number,
): Promise<number> {
  const ch = new Channel<number>(capacity);
  const send = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await ch.send(i);
  };
  const receive = async (): Promise<number> => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += await ch.receive();
    return sum;
  };
  const t0 = performance.now();
  const [, sum] = await Promise.all([send(), receive()]);
  const rate = perSecond(n, t0);
  expect(sum, n * (n - 1) / 2, "channel sum");
  return rate;
}

// ---- peers -----------------------------------------------------------------

/** Figure name by the `peer` field of `sync_peers.py`'s lines. */
const PEER_FIGURES: Record<string, string> = {
  "threading.Lock": "py_threading_lock",
  "asyncio.Lock": "py_asyncio_lock",
  "asyncio.Lock contended": "py_asyncio_lock_contended",
  "queue.Queue": "py_queue_queue",
  "asyncio.Queue": "py_asyncio_queue",
};

async function runPeers(o: SyncBenchOptions): Promise<Record<string, number>> {
  // Python is 10-100x slower per operation: a tenth of the work suffices.
  const lockOps = Math.max(1000, Math.round(o.lockOps / 10));
  const items = Math.max(1000, Math.round(o.items / 10));
  const out = await new Deno.Command(PYTHON, {
    args: [
      PEERS_SCRIPT,
      String(lockOps),
      String(items),
      String(o.tasks),
      String(o.maxSize),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `sync_peers.py failed (${out.code}): ${
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
      ops_per_s: number;
      check: number;
    };
    const figure = PEER_FIGURES[r.peer];
    if (figure === undefined) continue;
    // A peer that lost items would look fast for the wrong reason.
    if (r.peer.endsWith("Queue")) {
      expect(r.check, r.N * (r.N - 1) / 2, `${r.peer} sum`);
    } else {
      expect(r.check, r.N, `${r.peer} count`);
    }
    values[figure] = r.ops_per_s;
  }
  for (const figure of Object.values(PEER_FIGURES)) {
    if (values[figure] === undefined) {
      throw new Error(`sync_peers.py printed no line for ${figure}: ${text}`);
    }
  }
  return values;
}

// ---- harness ---------------------------------------------------------------

/** Figures with every repetition's value, and notes. */
export interface SyncResults {
  /** The figures (medians), then the ratios. */
  figures: Figure[];
  /** Every repetition's value (or paired ratio) per figure. */
  samples: Map<string, number[]>;
  /** Peers skipped, and why. */
  notes: string[];
}

const UNITS: Record<string, string> = {
  mutex_uncontended: "ops/s",
  mutex_contended_handoff: "ops/s",
  semaphore_uncontended: "ops/s",
  semaphore_contended: "ops/s",
  queue_put_get: "items/s",
  queue_try_put_get: "items/s",
  channel_buffered: "items/s",
  channel_unbuffered: "items/s",
  py_threading_lock: "ops/s",
  py_asyncio_lock: "ops/s",
  py_asyncio_lock_contended: "ops/s",
  py_queue_queue: "items/s",
  py_asyncio_queue: "items/s",
};

/** Run every figure `reps` times (after `warmup`); medians and ratios. */
export async function runSyncBenchmarks(
  options: Partial<SyncBenchOptions> = {},
): Promise<SyncResults> {
  const o = { ...DEFAULT_SYNC_OPTIONS, ...options };
  const notes: string[] = [];
  let peers = o.peers;
  if (!peers) notes.push("Python peers skipped (--no-peers)");
  else if (!(await hasCommand(PYTHON))) {
    notes.push(`Python peers skipped: ${PYTHON} not found on PATH`);
    peers = false;
  }
  for (const note of notes) console.error(`note: ${note}`);

  const troupe = async (): Promise<Record<string, number>> => ({
    mutex_uncontended: await mutexUncontended(o.lockOps),
    mutex_contended_handoff: await mutexContended(o.items, o.tasks),
    semaphore_uncontended: await semaphoreUncontended(o.lockOps),
    semaphore_contended: await semaphoreContended(o.items, o.tasks),
    queue_put_get: await queuePutGet(o.items, o.maxSize),
    queue_try_put_get: await queueTryPutGet(o.items, o.maxSize),
    channel_buffered: await channelSendReceive(o.items, o.maxSize),
    channel_unbuffered: await channelSendReceive(o.items, 0),
  });
  const runs = [
    { name: "troupe", run: troupe },
    ...(peers ? [{ name: "python", run: () => runPeers(o) }] : []),
  ];

  for (let w = 0; w < o.warmup; w++) {
    for (const r of runs) {
      console.error(`  warm-up ${w + 1}/${o.warmup}: ${r.name}`);
      await r.run();
    }
  }
  const values = new Map<string, number[]>();
  for (let i = 0; i < o.reps; i++) {
    const order = i % 2 === 0 ? runs : [...runs].reverse();
    const got: string[] = [];
    for (const r of order) {
      for (const [f, v] of Object.entries(await r.run())) {
        if (!values.has(f)) values.set(f, []);
        values.get(f)!.push(v);
        got.push(`${f} ${show(v, UNITS[f])}`);
      }
    }
    console.error(`  rep ${i + 1}/${o.reps}: ${got.join(", ")}`);
  }

  const figures: Figure[] = [];
  const samples = new Map<string, number[]>();
  for (const [f, xs] of values) {
    figures.push({ bench: f, value: median(xs), unit: UNITS[f] });
    samples.set(f, xs);
  }
  const ratios: Figure[] = [];
  const ratio = (name: string, top: string, bottom: string): void => {
    const t = samples.get(top);
    const b = samples.get(bottom);
    if (t === undefined || b === undefined) return;
    ratios.push({ bench: name, value: median(t) / median(b), unit: "x" });
    samples.set(name, t.map((x, i) => x / b[i]));
  };
  ratio("mutex_vs_threading_lock", "mutex_uncontended", "py_threading_lock");
  ratio("mutex_vs_asyncio_lock", "mutex_uncontended", "py_asyncio_lock");
  ratio(
    "mutex_contended_vs_asyncio_lock",
    "mutex_contended_handoff",
    "py_asyncio_lock_contended",
  );
  ratio("queue_vs_queue_Queue", "queue_put_get", "py_queue_queue");
  ratio("queue_vs_asyncio_queue", "queue_put_get", "py_asyncio_queue");
  return { figures: [...figures, ...ratios], samples, notes };
}

const TARGETS: Record<string, Target> = {
  mutex_uncontended: { label: ">= 10M", met: (v) => v >= 10e6 },
  queue_put_get: { label: ">= 10M", met: (v) => v >= 10e6 },
};

/** The readable table: median, unit, every repetition, target, ok. */
export function syncTable(results: SyncResults): string {
  return figureTable(results.figures, results.samples, (b) => TARGETS[b]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...RUN_SHAPE_OPTIONS,
      "no-peers": { type: "boolean", default: false },
    },
  });
  const { reps, warmup, scale } = runShape(values);
  const d = DEFAULT_SYNC_OPTIONS;
  const scaled = (x: number): number => Math.max(1000, Math.round(x * scale));
  const results = await runSyncBenchmarks({
    reps,
    warmup,
    lockOps: scaled(d.lockOps),
    items: scaled(d.items),
    peers: !values["no-peers"],
  });
  await saveFigures(results.figures, `${RESULTS_DIR}/latest.jsonl`, true);
  console.log(
    `\ntroupe sync bench, ${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores, ${reps} reps after ${warmup} warm-up` +
      ` (Python peers do a tenth of the work per run)` +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(syncTable(results));
  for (const note of results.notes) console.log(`note: ${note}`);
  console.log(`\nappended to ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
