/**
 * The benchmark harness (`deno task bench`): troupe's own measurements and the
 * peer workloads (Python asyncio, nact on Node) in the same run.
 *
 * The machine is noisy, so troupe and the peers take turns for a few rounds
 * (the order rotates each round) and every figure is the median over rounds.
 * troupe runs in a subprocess with `--expose-gc`, which its heap figures need
 * and which also gives every round a fresh isolate.
 *
 * Output: one JSON line per figure (`{"bench", "value", "unit"}`), ratios
 * against the peers as JSON lines too, then a readable table. The JSON lines
 * are also written to `bench/results/latest.jsonl`.
 *
 * Flags: `--rounds N` (default 3), `--reps N` (troupe repetitions per round,
 * default 5), `--no-peers`, `--scale F` (shrink every workload for a smoke
 * run; figures are then not comparable).
 *
 * @module
 */

import { exists, hasCommand, saveFigures } from "./peer_tools.ts";
import { figureTable, type Target } from "./table.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type Figure, median } from "./actors_bench.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const PEERS_DIR = `${BENCH_DIR}.peers`;
const RESULTS_DIR = `${BENCH_DIR}results`;
const PYTHON = "/usr/bin/python3";

const TARGETS: Record<string, Target> = {
  tell_throughput: { label: ">= 20M", met: (v) => v >= 20e6 },
  tell_vs_asyncio: { label: ">= 8x", met: (v) => v >= 8 },
  ask_roundtrip: { label: ">= 2M", met: (v) => v >= 2e6 },
  ask_concurrent: { label: ">= 2M", met: (v) => v >= 2e6 },
  spawn_rate: { label: ">= 1M", met: (v) => v >= 1e6 },
  heap_per_actor: { label: "<= 500", met: (v) => v <= 500 },
};

/** A peer workload: how to run it and where its figure goes. */
interface Peer {
  /** The figure's name. */
  bench: string;
  /** What to run (argv[0]). */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Why it cannot run, or undefined when it can. */
  missing: string | undefined;
}

async function findPeers(n: number): Promise<Peer[]> {
  const hint = "run `bash bench/peers.sh` first";
  const asyncio = `${PEERS_DIR}/asyncio_queue.py`;
  const nact = `${PEERS_DIR}/nact_tell.mjs`;
  return [
    {
      bench: "asyncio_queue_throughput",
      cmd: PYTHON,
      args: [asyncio, String(n)],
      missing: !exists(PYTHON)
        ? `${PYTHON} not found`
        : !exists(asyncio)
        ? `${asyncio} not found: ${hint}`
        : undefined,
    },
    {
      bench: "nact_tell_throughput",
      cmd: "node",
      args: [nact, String(n)],
      missing: !(await hasCommand("node"))
        ? "node not on PATH"
        : !exists(nact) ||
            !exists(`${PEERS_DIR}/node_modules/nact/package.json`)
        ? `nact not installed: ${hint}`
        : undefined,
    },
  ];
}

/** Run one peer; its msgs/s (the peers print one JSON line each). */
async function runPeer(peer: Peer, n: number): Promise<number> {
  const out = await new Deno.Command(peer.cmd, {
    args: peer.args,
    cwd: PEERS_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `${peer.bench} failed (${out.code}): ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const line = JSON.parse(text.split("\n").at(-1)!);
  // A peer that lost messages would look fast for the wrong reason.
  if (line.check !== n) {
    throw new Error(`${peer.bench}: check ${line.check}, expected ${n}`);
  }
  return line.msgs_per_s;
}

/** Run troupe's measurements in a fresh isolate; its figures. */
async function runTroupe(reps: number, scale: number): Promise<Figure[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      `${BENCH_DIR}actors_bench.ts`,
      "--reps",
      String(reps),
      "--scale",
      String(scale),
    ],
    stdout: "piped",
    stderr: "inherit", // progress lines
  }).output();
  if (!out.success) throw new Error(`actors_bench failed (${out.code})`);
  return new TextDecoder().decode(out.stdout).trim().split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Figure);
}

/** Per-round values of every figure, in first-seen order. */
class Samples {
  readonly values: Map<string, number[]> = new Map();
  readonly units: Map<string, string> = new Map();

  add(bench: string, value: number, unit: string): void {
    if (!this.values.has(bench)) this.values.set(bench, []);
    this.values.get(bench)!.push(value);
    this.units.set(bench, unit);
  }
}

function table(
  figures: Figure[],
  samples: Samples,
  drainMs: number | undefined,
): string {
  return figureTable(figures, samples.values, (bench) => {
    // No fixed goal here: the timer must simply fire before the drain ends.
    if (bench === "timer_lateness" && drainMs !== undefined) {
      return {
        label: `< ${(drainMs - 5).toFixed(1)} (drain-5)`,
        met: (v: number) => v < drainMs - 5,
      };
    }
    return TARGETS[bench];
  }, "rounds");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      reps: { type: "string", default: "5" },
      scale: { type: "string", default: "1" },
      "no-peers": { type: "boolean", default: false },
    },
  });
  const rounds = Number(values.rounds);
  const reps = Number(values.reps);
  const scale = Number(values.scale);
  if (!(Number.isInteger(rounds) && rounds >= 1)) {
    throw new RangeError("--rounds: a positive integer");
  }
  if (!(scale > 0 && scale <= 1)) throw new RangeError("--scale: (0, 1]");
  // The peers' N matches troupe's tell workload (1,000,000 at scale 1).
  const n = Math.max(1, Math.round(1_000_000 * scale));

  const peers = values["no-peers"] ? [] : await findPeers(n);
  const notes: string[] = [];
  for (const p of peers) {
    if (p.missing !== undefined) notes.push(`skipped ${p.bench}: ${p.missing}`);
  }
  if (values["no-peers"]) notes.push("peers skipped (--no-peers)");
  const runnable = peers.filter((p) => p.missing === undefined);
  for (const note of notes) console.error(`note: ${note}`);

  // Alternate troupe and the peers; rotate the order so that no one always
  // runs first (on a cold cache) or last (on a hot machine).
  const samples = new Samples();
  type Job = { name: string; run: () => Promise<void> };
  const jobs: Job[] = [
    {
      name: "troupe",
      run: async () => {
        for (const f of await runTroupe(reps, scale)) {
          samples.add(f.bench, f.value, f.unit);
        }
      },
    },
    ...runnable.map((p) => ({
      name: p.bench,
      run: async () => samples.add(p.bench, await runPeer(p, n), "msg/s"),
    })),
  ];
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[(j + r) % jobs.length];
      console.error(`round ${r + 1}/${rounds}: ${job.name}`);
      await job.run();
    }
  }

  const figures: Figure[] = [...samples.values].map(([bench, xs]) => ({
    bench,
    value: median(xs),
    unit: samples.units.get(bench)!,
  }));
  const byName = new Map(figures.map((f) => [f.bench, f.value]));
  const tell = byName.get("tell_throughput");
  for (
    const [ratio, peer] of [
      ["tell_vs_asyncio", "asyncio_queue_throughput"],
      ["tell_vs_nact", "nact_tell_throughput"],
    ]
  ) {
    const p = byName.get(peer);
    if (tell !== undefined && p !== undefined) {
      // The ratio of the medians; the table also shows each round's ratio
      // (troupe and the peer ran back to back), to show the spread.
      figures.push({ bench: ratio, value: tell / p, unit: "x" });
      const ts = samples.values.get("tell_throughput")!;
      const ps = samples.values.get(peer)!;
      samples.values.set(ratio, ts.map((t, i) => t / ps[i]));
    }
  }

  await saveFigures(figures, `${RESULTS_DIR}/latest.jsonl`, false);

  console.log(
    `\ntroupe bench, ${new Date().toISOString()}, deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores, ${rounds} rounds x ${reps} reps` +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(
    table(figures, samples, byName.get("timer_lateness_drain")),
  );
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`\nwrote ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
