/**
 * Benchmark of cluster-wide sync (`deno task bench:cluster-sync`; run it
 * under `flock /tmp/troupe-bench.lock`): `ClusterMutex`, `ClusterSemaphore`
 * and `ClusterQueue` on loopback TCP, beside Dask distributed's `Lock`,
 * `Semaphore` and `Queue` (Debian's `python3-distributed`) in the same run.
 *
 * Both sides have the same shape: a scheduler process and two client
 * processes, each client with its own connection. troupe's scheduler is
 * `startCluster` in this process (no nodes: sync needs none); Dask's is a
 * `LocalCluster(n_workers=1, threads_per_worker=1, processes=True)` in
 * `bench/dask_sync.py scheduler` (its scheduler runs in that process, its
 * worker in another). The clients are this file run with `--client ADDRESS`
 * (troupe) and `bench/dask_sync.py client ADDRESS` (Dask, asynchronous API),
 * both driven by this process over stdin/stdout with the same JSON-line
 * commands, and both time themselves (ms since the epoch, so that windows
 * compare across processes). Every call is awaited before the next.
 *
 * Placement (`--pin`, with `taskset`): `same` (default) runs every process
 * of both sides on CPU 0; `split` runs the schedulers (this process; Dask's
 * scheduler process and its worker) on CPU 0 and the clients on CPU 1;
 * `none` lets Linux choose. Every figure here is a chain of loopback round
 * trips, and on this 2-vCPU machine a round trip that crosses cores costs
 * about 4x one that does not (a bare Deno TCP ping-pong: about 87 us
 * against 21 us), so unpinned figures jump between two levels with the
 * placement of the moment. `same` measures what each side's code costs per
 * operation, steadily; `split` is the latency-bound view (the scheduler
 * "elsewhere").
 *
 * - `*_mutex_uncontended`: one client, n x (acquire, release) of one mutex
 *   (Dask: `Lock`); pairs/s.
 * - `*_semaphore_uncontended`: the same on a 4-permit semaphore (Dask:
 *   `Semaphore(max_leases=4)`); pairs/s.
 * - `*_mutex_handoff`: both clients at once, n x (acquire, then under the
 *   lock read-modify-write a 16-byte counter file [count, last holder],
 *   release) each. A handoff is an acquisition whose last holder was the
 *   other client; the figure is handoffs / (last end - first start). The
 *   file's final count must be 2n (no lost update: the lock excluded).
 * - `*_queue_put_get`: a producer client puts 0 .. n-1 into a queue of
 *   `maxSize` 1,000, a consumer client gets them and checks each is the
 *   next integer; items / (last end - first start).
 * - `*_vs_dask`: troupe / Dask, ratios of the medians (the table also shows
 *   each repetition's).
 * - `raw_tcp_pingpong`: the floor under all of them, n sequential 32-byte
 *   round trips (`TCP_NODELAY`, no codec) between this process and
 *   `raw_tcp_echo.ts` placed as a client is; rt/s.
 *   `mutex_uncontended_of_raw` is `cluster_mutex_uncontended` over the most
 *   an acquire + release of two awaited round trips could reach at that rate
 *   (raw / 2).
 *
 * Each repetition runs troupe's figures and Dask's (the side that goes
 * first alternates) after `--warmup` untimed ones. Dask runs a tenth of the
 * operations (it is that much slower; each run still takes about a
 * second). Output: JSON lines `{"bench", "value", "unit"}`, appended to
 * `bench/results/latest.jsonl`, then a table (target: troupe at least 10x
 * Dask).
 *
 * Flags: `--reps N` (5), `--warmup N` (1), `--scale F` (shrink the
 * workloads for a smoke run: figures not comparable), `--no-peers` (troupe
 * only), `--pin same|split|none` (same).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ActorSystem } from "@troupe/troupe";
import { type Client, connect, startCluster } from "@troupe/troupe/cluster";
import { exists, PYTHON, saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";
import { RUN_SHAPE_OPTIONS, runShape } from "./args.ts";
import { onCpu, pin, RawTcpPeer } from "./raw_tcp_peer.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const DASK_SYNC = `${BENCH_DIR}dask_sync.py`;

// ---- the protocol both sides' clients speak ---------------------------------

/** A command to a client process (one JSON line). */
interface Command {
  op: "mutex" | "semaphore" | "contend" | "produce" | "consume";
  n: number;
  name: string;
  permits?: number;
  maxSize?: number;
  /** The counter file of `contend`. */
  file?: string;
  /** Which contender this is (0 or 1). */
  me?: number;
}

/** A client's answer: its window in ms since the epoch, and checks. */
interface Answer {
  t0: number;
  t1: number;
  n: number;
  handoffs?: number;
  ok?: boolean;
  error?: string;
}

/** ms since the epoch, sub-ms: windows compare across processes. */
const now = (): number => performance.timeOrigin + performance.now();

/** The lines of a byte stream. */
async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    rest += text;
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  if (rest !== "") yield rest;
}

/** Run one command on a troupe client. */
async function runCommand(client: Client, c: Command): Promise<Answer> {
  switch (c.op) {
    case "mutex":
    case "semaphore": {
      const lock = c.op === "mutex"
        ? client.mutex(c.name)
        : client.semaphore(c.name, c.permits!);
      const t0 = now();
      for (let i = 0; i < c.n; i++) {
        await lock.acquire();
        await lock.release();
      }
      return { t0, t1: now(), n: c.n };
    }
    case "contend": {
      const lock = client.mutex(c.name);
      const me = c.me!;
      using file = Deno.openSync(c.file!, { read: true, write: true });
      const buf = new Uint8Array(16);
      const view = new DataView(buf.buffer);
      let handoffs = 0;
      const t0 = now();
      for (let i = 0; i < c.n; i++) {
        await lock.acquire();
        file.seekSync(0, Deno.SeekMode.Start);
        for (let got = 0; got < 16;) got += file.readSync(buf.subarray(got))!;
        const last = view.getFloat64(8, true);
        if (last !== me && last !== -1) handoffs++;
        view.setFloat64(0, view.getFloat64(0, true) + 1, true);
        view.setFloat64(8, me, true);
        file.seekSync(0, Deno.SeekMode.Start);
        for (let put = 0; put < 16;) put += file.writeSync(buf.subarray(put));
        await lock.release();
      }
      return { t0, t1: now(), n: c.n, handoffs };
    }
    case "produce": {
      const q = client.queue<number>(c.name, { maxSize: c.maxSize });
      const t0 = now();
      for (let i = 0; i < c.n; i++) await q.put(i);
      return { t0, t1: now(), n: c.n };
    }
    case "consume": {
      const q = client.queue<number>(c.name, { maxSize: c.maxSize });
      let ok = true;
      const t0 = now();
      for (let i = 0; i < c.n; i++) if (await q.get() !== i) ok = false;
      return { t0, t1: now(), n: c.n, ok };
    }
  }
}

/** `--client ADDRESS`: a troupe client answering commands from stdin. */
async function clientMain(address: string): Promise<void> {
  await using client = await connect(address, { reconnect: false });
  console.log("ready");
  for await (const line of lines(Deno.stdin.readable)) {
    let answer: Answer;
    try {
      answer = await runCommand(client, JSON.parse(line));
    } catch (e) {
      answer = { t0: 0, t1: 0, n: 0, error: String(e) };
    }
    console.log(JSON.stringify(answer));
  }
}

// ---- the driver ---------------------------------------------------------------

/** A child process that answers one JSON line per line it is sent. */
class LineProcess {
  readonly #child: Deno.ChildProcess;
  readonly #out: AsyncGenerator<string>;
  readonly #in: WritableStreamDefaultWriter<Uint8Array>;
  readonly #label: string;
  /** Its first line (an address, or "ready"). */
  first = "";

  private constructor(child: Deno.ChildProcess, label: string) {
    this.#child = child;
    this.#out = lines(child.stdout);
    this.#in = child.stdin.getWriter();
    this.#label = label;
  }

  /** Start `cmd args` (on `cpu` when given) and wait for its first line. */
  static async start(
    cmd: string,
    args: string[],
    label: string,
    cpu?: number,
  ): Promise<LineProcess> {
    const argv = onCpu([cmd, ...args], cpu);
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const p = new LineProcess(child, label);
    p.first = await p.#line();
    return p;
  }

  async #line(): Promise<string> {
    const { value, done } = await this.#out.next();
    if (done) throw new Error(`${this.#label} ended early`);
    return value;
  }

  /** Send `command`; its answer (an error answer throws). */
  async run(command: Command): Promise<Answer> {
    await this.#in.write(
      new TextEncoder().encode(JSON.stringify(command) + "\n"),
    );
    const answer = JSON.parse(await this.#line()) as Answer;
    if (answer.error !== undefined) {
      throw new Error(`${this.#label} ${command.op}: ${answer.error}`);
    }
    return answer;
  }

  /** Close its stdin and wait for it to end. */
  async close(): Promise<void> {
    await this.#in.close().catch(() => {});
    await this.#child.status;
    await this.#out.return(undefined);
  }
}

/** How much each figure does (per client). */
interface Sizes {
  lockOps: number;
  handoffOps: number;
  items: number;
}

const MAX_SIZE = 1000;
const PERMITS = 4;

/** One side: its two client processes and how much they do. */
interface Side {
  name: "troupe" | "dask";
  a: LineProcess;
  b: LineProcess;
  sizes: Sizes;
}

/** A window over both clients' answers, in s. */
const windowS = (xs: Answer[]): number =>
  (Math.max(...xs.map((x) => x.t1)) - Math.min(...xs.map((x) => x.t0))) /
  1000;

let runs = 0;

/** One run of every figure on `side`: rates by figure suffix. */
async function runSide(side: Side, dir: string): Promise<Map<string, number>> {
  const tag = `${side.name}-${++runs}`;
  const { a, b, sizes } = side;
  const out = new Map<string, number>();

  let r = await a.run({ op: "mutex", n: sizes.lockOps, name: `m-${tag}` });
  out.set("mutex_uncontended", r.n / windowS([r]));

  r = await a.run({
    op: "semaphore",
    n: sizes.lockOps,
    name: `s-${tag}`,
    permits: PERMITS,
  });
  out.set("semaphore_uncontended", r.n / windowS([r]));

  const file = `${dir}/counter-${tag}`;
  const init = new Uint8Array(16);
  new DataView(init.buffer).setFloat64(8, -1, true);
  await Deno.writeFile(file, init);
  const n = sizes.handoffOps;
  const both = await Promise.all(
    [a, b].map((p, me) =>
      p.run({ op: "contend", n, name: `c-${tag}`, file, me })
    ),
  );
  const end = new DataView((await Deno.readFile(file)).buffer);
  await Deno.remove(file);
  if (end.getFloat64(0, true) !== 2 * n) {
    throw new Error(
      `${side.name} handoff: the counter is ${end.getFloat64(0, true)}, not ${
        2 * n
      }: the lock did not exclude`,
    );
  }
  const handoffs = both.reduce((s, x) => s + x.handoffs!, 0);
  out.set("mutex_handoff", handoffs / windowS(both));
  out.set("handoff_share", handoffs / (2 * n));

  const q = { name: `q-${tag}`, n: sizes.items, maxSize: MAX_SIZE };
  const [got, put] = await Promise.all([
    b.run({ op: "consume", ...q }),
    a.run({ op: "produce", ...q }),
  ]);
  if (!got.ok || got.n !== sizes.items || put.n !== sizes.items) {
    throw new Error(`${side.name} queue: an item was lost or out of order`);
  }
  out.set("queue_put_get", sizes.items / windowS([got, put]));
  return out;
}

const UNITS: Record<string, string> = {
  mutex_uncontended: "pairs/s",
  semaphore_uncontended: "pairs/s",
  mutex_handoff: "handoff/s",
  queue_put_get: "items/s",
};
const FIGURES = Object.keys(UNITS);

/** Figure name of `figure` (a key of UNITS) on `side`. */
const nameOf = (side: string, figure: string): string =>
  side === "troupe"
    ? `cluster_${figure}`
    : `dask_${figure.replace("mutex", "lock")}`;

/** Where the schedulers and the clients run (`--pin`). */
interface Placement {
  /** What the header says. */
  label: string;
  /** The schedulers' CPU (unpinned when undefined). */
  scheduler?: number;
  /** The clients' CPU. */
  clients?: number;
}

/** The placement `--pin` asks for, or unpinned (with a note) if it cannot be. */
async function placement(wanted: string, notes: string[]): Promise<Placement> {
  const unpinned = { label: "unpinned" };
  if (wanted === "none") return unpinned;
  if (wanted !== "split" && wanted !== "same") {
    throw new RangeError("--pin: split, same or none");
  }
  const split = wanted === "split";
  if (split && navigator.hardwareConcurrency < 2) {
    notes.push("--pin split needs 2 cores: unpinned");
    return unpinned;
  }
  if (!(await pin(Deno.pid, "0"))) {
    notes.push("taskset failed: unpinned");
    return unpinned;
  }
  return split
    ? {
      label: "schedulers on CPU 0, clients on CPU 1",
      scheduler: 0,
      clients: 1,
    }
    : { label: "everything on CPU 0", scheduler: 0, clients: 0 };
}

const TEN_X: Target = { label: ">= 10x", met: (v) => v >= 10 };

async function main(): Promise<void> {
  const args = parseArgs({
    args: Deno.args,
    options: {
      ...RUN_SHAPE_OPTIONS,
      "no-peers": { type: "boolean", default: false },
      pin: { type: "string", default: "same" },
    },
  });
  const shape = runShape(args.values);
  const at = (n: number) => Math.max(100, Math.round(n * shape.scale));
  const troupeSizes: Sizes = {
    lockOps: at(20_000),
    handoffOps: at(10_000),
    items: at(50_000),
  };
  const daskSizes: Sizes = {
    lockOps: at(2_000),
    handoffOps: at(1_000),
    items: at(5_000),
  };
  const notes: string[] = [];
  let peers = !args.values["no-peers"];
  if (!peers) notes.push("Dask skipped (--no-peers)");
  else if (!exists(PYTHON)) {
    notes.push(`Dask skipped: no ${PYTHON}`);
    peers = false;
  }

  const place = await placement(args.values.pin, notes);
  const dir = await Deno.makeTempDir({ prefix: "cluster-sync-bench-" });
  const started: LineProcess[] = [];
  const sides: Side[] = [];
  let raw: RawTcpPeer | undefined;
  await using system = new ActorSystem();
  // (its clients are processes of their own, given no secret: a choice, on
  // loopback, as the raw TCP peer it is compared with has none)
  await using cluster = startCluster(system, {
    logger: () => {},
    secret: false,
  });
  try {
    const troupeClient = (label: string) =>
      LineProcess.start(
        Deno.execPath(),
        [
          "run",
          "--allow-net=127.0.0.1",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          SELF,
          "--client",
          cluster.address,
        ],
        label,
        place.clients,
      );
    const ta = await troupeClient("troupe client a");
    started.push(ta);
    const tb = await troupeClient("troupe client b");
    started.push(tb);
    sides.push({ name: "troupe", a: ta, b: tb, sizes: troupeSizes });
    raw = await RawTcpPeer.start(place.clients);
    if (peers) {
      try {
        const sched = await LineProcess.start(
          PYTHON,
          [DASK_SYNC, "scheduler"],
          "dask scheduler",
          place.scheduler,
        );
        started.push(sched);
        const daskClient = async (label: string) => {
          const p = await LineProcess.start(
            PYTHON,
            [DASK_SYNC, "client", sched.first],
            label,
            place.clients,
          );
          started.push(p);
          return p;
        };
        const da = await daskClient("dask client a");
        const db = await daskClient("dask client b");
        sides.push({ name: "dask", a: da, b: db, sizes: daskSizes });
      } catch (e) {
        notes.push(`Dask skipped: ${(e as Error).message}`);
      }
    }
    for (const note of notes) console.error(`note: ${note}`);

    const samples = new Map<string, number[]>();
    const add = (bench: string, v: number) => {
      let list = samples.get(bench);
      if (list === undefined) samples.set(bench, list = []);
      list.push(v);
    };
    for (let i = 0; i < shape.warmup; i++) {
      await raw.pingPong(troupeSizes.lockOps);
      for (const side of sides) await runSide(side, dir);
    }
    const shares = new Map<string, number[]>();
    for (let rep = 0; rep < shape.reps; rep++) {
      console.error(`rep ${rep + 1}/${shape.reps}`);
      const order = rep % 2 === 0 ? sides : [...sides].reverse();
      const got = new Map<string, Map<string, number>>();
      const rawRate = await raw.pingPong(troupeSizes.lockOps);
      add("raw_tcp_pingpong", rawRate);
      for (const side of order) got.set(side.name, await runSide(side, dir));
      add(
        "mutex_uncontended_of_raw",
        got.get("troupe")!.get("mutex_uncontended")! / (rawRate / 2),
      );
      for (const [side, values] of got) {
        for (const f of FIGURES) add(nameOf(side, f), values.get(f)!);
        let s = shares.get(side);
        if (s === undefined) shares.set(side, s = []);
        s.push(values.get("handoff_share")!);
      }
      const dask = got.get("dask");
      if (dask !== undefined) {
        for (const f of FIGURES) {
          add(`${f}_vs_dask`, got.get("troupe")!.get(f)! / dask.get(f)!);
        }
      }
    }

    const figures: Figure[] = [];
    for (const side of sides) {
      for (const f of FIGURES) {
        const bench = nameOf(side.name, f);
        figures.push({
          bench,
          value: median(samples.get(bench)!),
          unit: UNITS[f],
        });
      }
    }
    const valueOf = (bench: string) =>
      figures.find((x) => x.bench === bench)!.value;
    figures.push({
      bench: "raw_tcp_pingpong",
      value: median(samples.get("raw_tcp_pingpong")!),
      unit: "rt/s",
    });
    figures.push({
      bench: "mutex_uncontended_of_raw",
      value: valueOf("cluster_mutex_uncontended") /
        (valueOf("raw_tcp_pingpong") / 2),
      unit: "x",
    });
    if (sides.length === 2) {
      for (const f of FIGURES) {
        figures.push({
          bench: `${f}_vs_dask`,
          value: valueOf(nameOf("troupe", f)) / valueOf(nameOf("dask", f)),
          unit: "x",
        });
      }
    }
    await saveFigures(figures, `${BENCH_DIR}results/latest.jsonl`, true);
    const sizes = (s: Sizes) =>
      `${s.lockOps} pairs, 2 x ${s.handoffOps} handoff loops, ${s.items} items`;
    console.log(
      `\ntroupe cluster sync bench, ${
        new Date().toISOString()
      }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
        `scheduler + 2 client processes per side on loopback (${place.label}), ${shape.reps} reps` +
        `\ntroupe: ${sizes(troupeSizes)}` +
        (sides.length === 2 ? `; dask: ${sizes(daskSizes)}` : ""),
    );
    for (const [side, s] of shares) {
      console.log(
        `${side}: ${
          (median(s) * 100).toFixed(1)
        }% of contended acquisitions were handoffs`,
      );
    }
    for (const note of notes) console.log(`note: ${note}`);
    console.log(
      figureTable(
        figures,
        samples,
        (b) => b.endsWith("_vs_dask") ? TEN_X : undefined,
      ),
    );
  } finally {
    await raw?.close();
    for (const p of started.reverse()) await p.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--client") await clientMain(Deno.args[1]);
  else await main();
}
