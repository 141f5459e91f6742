/**
 * troupe's side of `deno task bench:array`: one workload per run (a fresh
 * process, so that its peak memory is its own), timed inside, printed as
 * one JSON line (time in ms, the result).
 *
 * Usage: deno run -A bench/array_run.ts MODE (seed | seed_cluster | sum | xxt
 * | xxt_mul | held | held_limited)
 *
 * @module
 */

import { ActorSystem } from "@troupe/troupe";
import { connect, localCluster } from "@troupe/troupe/cluster";
import { createScheduler } from "@troupe/troupe";
import { fromArray, random } from "@troupe/troupe/array";
import { abt } from "./array_tasks.ts";

const mode = Deno.args[0];
let ms: number;
let value: number;

if (mode === "seed") {
  // The snippet: the scheduler made for the call is in the time.
  const x = random([10000, 10000], { chunks: [1000, 1000], seed: 42 });
  const t0 = performance.now();
  value = await x.mean().compute();
  ms = performance.now() - t0;
} else if (mode === "seed_cluster") {
  const t0 = performance.now();
  {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, { nodes: 2 });
    await using client = await connect(cluster.address);
    const x = random([10000, 10000], { chunks: [1000, 1000], seed: 42 });
    value = await x.mean().compute({ scheduler: client });
  }
  ms = performance.now() - t0;
} else if (mode === "sum") {
  // The kernel on one core: a float64 sum of 1e8 held values, 100 chunks.
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "inline" });
  const data = new Float64Array(100_000_000);
  for (let i = 0; i < data.length; i++) data[i] = (i % 1000) / 1000;
  const x = fromArray(data, { chunks: 1_000_000, name: "bench-sum" }).persist({
    scheduler,
  });
  await x.sum().compute({ scheduler });
  const times: number[] = [];
  value = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    value = await x.sum().compute({ scheduler });
    times.push(performance.now() - t0);
  }
  ms = times.sort((a, b) => a - b)[2];
} else if (mode === "xxt") {
  const x = random([30000, 30000], { chunks: [2000, 2000], seed: 42 });
  const t0 = performance.now();
  value = await x.add(x.T).mean().compute();
  ms = performance.now() - t0;
} else if (mode === "xxt_mul") {
  const x = random([30000, 30000], { chunks: [2000, 2000], seed: 42 });
  const t0 = performance.now();
  value = await x.mul(x.T).mean().compute();
  ms = performance.now() - t0;
} else if (mode === "held" || mode === "held_limited") {
  // y + y.T where y's chunks are held (a user kernel's results), 512 MB,
  // on 2 worker hosts: without a limit, and with 64 MiB each (spilling).
  const limited = mode === "held_limited";
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "worker",
    workers: 2,
    memoryLimit: limited ? "64MiB" : 0,
    // (only held results against the limit: 64 MiB is less than a
    // runtime's own resident memory)
    memoryFractions: { spill: false, terminate: false },
  });
  const y = random([8000, 8000], { chunks: [1000, 1000], seed: 42 })
    .mapBlocks(abt.same);
  const t0 = performance.now();
  value = await y.add(y.T).mean().compute({ scheduler });
  ms = performance.now() - t0;
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify({ ms, value }));
