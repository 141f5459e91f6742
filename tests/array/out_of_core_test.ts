/**
 * Arrays larger than memory on a real 2-node local cluster with a memory
 * limit per node: a reduction over an array 4x larger than the limits
 * together completes with the right result, holding its intermediate
 * chunks through spill files (seen during the run, gone after), with each
 * node's peak RSS under its limit plus a fixed overhead; and a node
 * SIGKILLed mid-computation, its held and spilled chunks lost, the result
 * still exact.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { type ChunkedArray, random } from "@troupe/troupe/array";
import { at } from "../fixtures/array_tasks.ts";
import { tick, until } from "../helpers.ts";
import { mib, peakRss, spillFiles } from "../memory_watch.ts";

const MiB = 2 ** 20;

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/**
 * `y + y.T`, where `y` is a user kernel over random chunks: its tasks are
 * not fused into the sum (a generated array's would be: a rechunk or a
 * transpose of `random` is free, nothing held), so every chunk of `y` is
 * held until both its uses (at (i, j) and at (j, i)) have run, and most of
 * `y` is held at some point, not streamed as a plain mean would be.
 */
function heldSum(
  n: number,
  seed: number,
): { y: ChunkedArray; z: ChunkedArray } {
  const y = random([n, n], { chunks: n / 8, seed }).mapBlocks(at.shifted);
  return { y, z: y.add(y.T) };
}

Deno.test("out of core: a reduction over an array 4x the nodes' limits completes on a 2-node cluster, spilling, in bounded memory", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "troupe-array-ooc-" });
  const LIMIT = 16 * MiB;
  const n = 4096; // 128 MiB of float64: 4x the two limits together
  try {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: LIMIT,
      // 16 MiB is less than the runtime's own resident memory: only held
      // results are measured against it (target), not the process's RSS.
      memoryFractions: { spill: false, terminate: false },
      localDirectory: dir,
      read: [FIXTURES],
    });
    const pids = Object.values(cluster.pids());
    const { y, z } = heldSum(n, 7);
    assert.equal(z.nbytes, 4 * 2 * LIMIT);
    let mostFiles = 0;
    let spills = 0;
    let mostHeld = 0;
    const watch = setInterval(() => {
      mostFiles = Math.max(mostFiles, spillFiles(dir).length);
      let held = 0;
      for (const node of cluster.status().nodes) {
        spills = Math.max(spills, node.heldMemory?.spills ?? 0);
        held += (node.heldMemory?.memory ?? 0) +
          (node.heldMemory?.spilled ?? 0);
      }
      mostHeld = Math.max(mostHeld, held);
    }, 10);
    let mean: number;
    try {
      mean = await z.mean().compute({ scheduler: cluster.scheduler }) as number;
    } finally {
      clearInterval(watch);
    }
    // mean(y + y.T) is 2 mean(y); y's plain mean streams (each chunk
    // reduced as it is made), computed here in the test's own process.
    const want = 2 *
      (await y.mean().compute({ placement: "inline" }) as number);
    assert.ok(
      Math.abs(mean - want) <= 1e-12 * Math.abs(want),
      `${mean} against ${want}`,
    );
    const peaks = pids.map(peakRss);
    console.log(
      `array ${n}x${n} (${mib(z.nbytes)} MiB), limit ${
        mib(LIMIT)
      } MiB per node: peak RSS of the nodes ${
        peaks.map(mib).join(", ")
      } MiB; held at most ${
        mib(mostHeld)
      } MiB; most spill files at once ${mostFiles}; spills ${spills}`,
    );
    assert.ok(mostFiles > 0, "spill files existed during the run");
    assert.ok(spills > 0, "status() showed spills");
    // More was held (in memory and on disk) than the limits allow in memory.
    assert.ok(mostHeld > 2 * LIMIT, `held at most ${mib(mostHeld)} MiB`);
    // Each node: its limit plus a fixed overhead (the runtime, a task's
    // inputs and output, garbage not yet collected); far below the data.
    for (const p of peaks) {
      assert.ok(p < LIMIT + 300 * MiB, `${mib(p)} MiB`);
    }
  } finally {
    const left = spillFiles(dir);
    const spaces = [...Deno.readDirSync(dir)].map((e) => e.name);
    Deno.removeSync(dir, { recursive: true });
    assert.deepEqual(left, [], "no spill file left");
    assert.deepEqual(spaces, [], "no spill directory left");
  }
});

Deno.test("out of core: a node SIGKILLed mid-computation, its spilled chunks lost, and the array's result still exact", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "troupe-array-kill-" });
  const n = 2048; // 32 MiB of float64
  try {
    const { z } = heldSum(n, 11);
    // The same graph in this process: the reduction's order is the graph's,
    // so the cluster's answer is bit for bit this one.
    const want = await z.mean().compute({ placement: "inline" });
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: 4 * MiB,
      memoryFractions: { spill: false, terminate: false },
      localDirectory: dir,
      read: [FIXTURES],
      logger: () => {}, // (the node's loss is expected)
    });
    let finished = false;
    const job = z.mean().compute({ scheduler: cluster.scheduler });
    job.finally(() => finished = true).catch(() => {});
    // A node that has spilled (it holds chunks, some on disk): kill it.
    let victim = "";
    await until(
      () => {
        const node = cluster.status().nodes.find((x) =>
          (x.heldMemory?.spilledCount ?? 0) > 0
        );
        if (node !== undefined) victim = node.name;
        return node !== undefined || finished;
      },
      "a node to spill",
      60_000,
    );
    assert.ok(!finished, "the computation ended before a node could be killed");
    const before = cluster.pids()[victim];
    cluster.kill(victim, "SIGKILL");
    const got = await job;
    assert.equal(got, want);
    assert.notEqual(cluster.pids()[victim], before);
    await tick(0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
