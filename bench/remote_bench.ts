/**
 * Benchmark of remote actors (`deno task bench:remote`; run it under
 * `flock /tmp/troupe-bench.lock`): a cluster on loopback (`localCluster`:
 * the scheduler side in this process, 2 node processes), actors placed on
 * the nodes, and a bare TCP ping-pong with a subprocess beside it in the
 * same run.
 *
 * - `remote_tell_node_to_node`: an actor on node 1 tells 1,000,000
 *   `add(1)` to an actor on node 2, one way, in bursts of 32,768 with two
 *   bursts in flight (each burst ends with an ask for the count, and the
 *   next burst waits for the answer before last); msg/s from the first tell
 *   to the last answer, which must be the exact count. Nodes reach each
 *   other through the scheduler's process, so every message crosses two
 *   connections.
 * - `remote_tell`: the same from an actor in this process to an actor on
 *   node 1 (one connection).
 * - `remote_ask_roundtrip`: 20,000 sequential `await ask("get")` from this
 *   process to an actor on node 1.
 * - `raw_tcp_pingpong`: 20,000 sequential 32-byte frames (4-byte length and
 *   28 bytes) written with `conn.write` on a loopback connection with
 *   `TCP_NODELAY`, each awaiting its echo with `conn.read` from a bare
 *   subprocess (`raw_tcp_echo.ts`).
 * - `remote_ask_latency_vs_raw`: troupe's round trip over raw's (raw's rate
 *   over troupe's; lower is better). The two are measured together,
 *   alternating 500 round trips of each, with this process pinned to CPU 0
 *   and both peers (node 1, the echo subprocess) to CPU 1 (`taskset`), so
 *   that both cross cores alike: unpinned, Linux puts each pair on one core
 *   or on two as it likes, and a loopback round trip then takes about 20 or
 *   about 55 us here, which decides the ratio more than either side's code.
 *   Without `taskset` (or with one core) they run unpinned, and the header
 *   says so.
 * - `remote_ask_concurrent`: 100 rounds of 1,000 asks at once
 *   (`Promise.all`) from this process to an actor on node 1.
 * - `remote_ask_roundtrip_node_to_node`, `remote_ask_concurrent_node_to_node`:
 *   the two ask figures from an actor on node 1 to one on node 2.
 *
 * Each repetition runs every figure once (the order reverses every
 * repetition) after the warm-ups; figures are medians, ratios are ratios of
 * medians (the table also shows each repetition's). Output: JSON lines
 * `{"bench", "value", "unit"}`, appended to `bench/results/latest.jsonl`,
 * then a table with the targets of issue 8.
 *
 * Flags: `--reps N` (5), `--warmup N` (1), `--scale F` (shrink the
 * workloads for a smoke run: figures not comparable).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type ActorRef, ActorSystem } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";
import { RUN_SHAPE_OPTIONS, runShape } from "./args.ts";
import { Sink, Source } from "./remote_actors.ts";
import { pinAll, RawTcpPeer } from "./raw_tcp_peer.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS_DIR = `${BENCH_DIR}results`;
/** Room for two bursts in flight and then some. */
const BIG_MAILBOX = { capacity: 1 << 20 };
const LONG = { timeout: 300_000 };

/** How much each figure does. */
export interface RemoteBenchOptions {
  /** Timed repetitions (the median is reported). */
  reps: number;
  /** Untimed repetitions first. */
  warmup: number;
  /** Tells per tell figure. */
  tells: number;
  /** Tells per burst (two bursts in flight). */
  burst: number;
  /** Sequential asks per round-trip figure. */
  asks: number;
  /** Asks at once in the concurrent figures. */
  width: number;
  /** Rounds of those. */
  rounds: number;
}

/** Figures measured together: their names and units, and one run of them. */
interface Run {
  benches: [bench: string, unit: string][];
  run: () => Promise<number[]>;
}

const TARGETS: Record<string, Target> = {
  remote_tell_node_to_node: { label: ">= 1M", met: (v) => v >= 1e6 },
  remote_ask_latency_vs_raw: { label: "<= 1.2x", met: (v) => v <= 1.2 },
  remote_ask_concurrent: { label: ">= 200k", met: (v) => v >= 200_000 },
};

/** Results: figures, ratios, and every repetition's value. */
export interface RemoteResults {
  /** The medians. */
  figures: Figure[];
  /** Ratios of medians. */
  ratios: Figure[];
  /** Every repetition's value by figure. */
  samples: Map<string, number[]>;
  /** Whether the sequential pair ran pinned (see the module's notes). */
  pinned: boolean;
}

/** Run every figure `reps` times after `warmup` runs. */
export async function runRemoteBenchmarks(
  o: RemoteBenchOptions,
): Promise<RemoteResults> {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    read: [BENCH_DIR],
  });
  const onNode = (host: string) => ({
    placement: "node" as const,
    host,
    mailbox: BIG_MAILBOX,
  });
  const sink1 = system.spawn(Sink, undefined, onNode("local-1"));
  const sink2 = system.spawn(Sink, undefined, onNode("local-2"));
  const source1 = system.spawn(Source, undefined, onNode("local-1"));
  const sourceHere = system.spawn(Source);
  await Promise.all(
    [sink1, sink2, source1].map((r) => system.whenStarted(r)),
  );
  const raw = await RawTcpPeer.start();
  const blast = async (
    source: ActorRef<typeof Source>,
    sink: ActorRef<typeof Sink>,
  ) => {
    const start = await sink.ask("get");
    return await source.ask(
      "blast",
      [sink.address, o.tells, o.burst, start],
      LONG,
    );
  };
  const cores = navigator.hardwareConcurrency || 1;
  const everywhere = `0-${cores - 1}`;
  const peers = [cluster.pids()["local-1"], raw.pid];
  let pinned = cores >= 2;
  /** `n` sequential asks of `sink1` and raw ping-pongs, alternating. */
  const sequential = async (): Promise<number[]> => {
    if (pinned) {
      pinned = await pinAll([Deno.pid], "0") && await pinAll(peers, "1");
      if (!pinned) await pinAll([Deno.pid, ...peers], everywhere);
    }
    const chunk = 500;
    let troupeMs = 0;
    let rawMs = 0;
    try {
      for (let done = 0; done < o.asks; done += chunk) {
        const k = Math.min(chunk, o.asks - done);
        let t0 = performance.now();
        for (let i = 0; i < k; i++) await sink1.ask("get");
        troupeMs += performance.now() - t0;
        t0 = performance.now();
        await raw.pingPong(k);
        rawMs += performance.now() - t0;
      }
    } finally {
      if (pinned) await pinAll([Deno.pid, ...peers], everywhere);
    }
    return [o.asks / (troupeMs / 1000), o.asks / (rawMs / 1000)];
  };
  const runs: Run[] = [
    {
      benches: [["remote_tell_node_to_node", "msg/s"]],
      run: async () => [await blast(source1, sink2)],
    },
    {
      benches: [["remote_tell", "msg/s"]],
      run: async () => [await blast(sourceHere, sink1)],
    },
    {
      benches: [
        ["remote_ask_roundtrip", "ask/s"],
        ["raw_tcp_pingpong", "rt/s"],
      ],
      run: sequential,
    },
    {
      benches: [["remote_ask_concurrent", "ask/s"]],
      run: async () => {
        const t0 = performance.now();
        for (let r = 0; r < o.rounds; r++) {
          await Promise.all(
            Array.from({ length: o.width }, () => sink1.ask("get")),
          );
        }
        return [(o.width * o.rounds) / ((performance.now() - t0) / 1000)];
      },
    },
    {
      benches: [["remote_ask_roundtrip_node_to_node", "ask/s"]],
      run: async () => [
        await source1.ask("pingpong", [sink2.address, o.asks], LONG),
      ],
    },
    {
      benches: [["remote_ask_concurrent_node_to_node", "ask/s"]],
      run: async () => [
        await source1.ask(
          "concurrent",
          [sink2.address, o.width, o.rounds],
          LONG,
        ),
      ],
    },
  ];
  const all = runs.flatMap((r) => r.benches);
  const samples = new Map<string, number[]>(all.map(([b]) => [b, []]));
  try {
    for (let w = 0; w < o.warmup; w++) {
      for (const { benches, run } of runs) {
        console.error(
          `  warm-up ${w + 1}/${o.warmup}: ${benches.map((b) => b[0])}`,
        );
        await run();
      }
    }
    for (let r = 0; r < o.reps; r++) {
      const order = r % 2 === 0 ? runs : [...runs].reverse();
      const line: string[] = [];
      for (const { benches, run } of order) {
        const values = await run();
        benches.forEach(([bench, unit], i) => {
          samples.get(bench)!.push(values[i]);
          line.push(`${bench} ${values[i].toPrecision(3)} ${unit}`);
        });
      }
      console.error(`  rep ${r + 1}/${o.reps}: ${line.join(", ")}`);
    }
  } finally {
    await raw.close();
  }
  const figures = all.map(([bench, unit]) => ({
    bench,
    value: median(samples.get(bench)!),
    unit,
  }));
  // Latency is the inverse of a sequential rate: troupe's over raw's.
  const t = samples.get("raw_tcp_pingpong")!;
  const b = samples.get("remote_ask_roundtrip")!;
  const ratios: Figure[] = [{
    bench: "remote_ask_latency_vs_raw",
    value: median(t) / median(b),
    unit: "x",
  }];
  samples.set("remote_ask_latency_vs_raw", t.map((x, i) => x / b[i]));
  return { figures, ratios, samples, pinned };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { ...RUN_SHAPE_OPTIONS },
  });
  const { reps, warmup, scale } = runShape(values);
  const results = await runRemoteBenchmarks({
    reps,
    warmup,
    tells: Math.max(10_000, Math.round(1_000_000 * scale)),
    burst: 32_768,
    asks: Math.max(200, Math.round(20_000 * scale)),
    width: 1_000,
    rounds: Math.max(2, Math.round(100 * scale)),
  });
  const all = [...results.figures, ...results.ratios];
  await saveFigures(all, `${RESULTS_DIR}/latest.jsonl`, true);
  console.log(
    `\ntroupe remote actors bench, ${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
      `scheduler (this process) + 2 node processes on loopback, ` +
      `${reps} reps after ${warmup} warm-up, ` +
      (results.pinned
        ? "sequential pair pinned across 2 CPUs"
        : "sequential pair NOT pinned (no taskset)") +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(figureTable(all, results.samples, (b) => TARGETS[b]));
  console.log(`\nappended to ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
