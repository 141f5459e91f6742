/**
 * Memory limits on a real 2-node local cluster: a reduction over data 4x
 * larger than the nodes' limits together streams through, spilling (the
 * spill files are seen during the run and gone after), with each node's
 * peak RSS under its limit plus a fixed overhead; a node past its pause
 * fraction is given no task until it is below again; a node past its
 * terminate fraction exits and its work is redone elsewhere.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ActorSystem } from "@troupe/troupe";
import { type Delayed, delayed } from "@troupe/troupe";
import { type ClusterStatus, localCluster } from "@troupe/troupe/cluster";
import { blockValue, mt } from "../fixtures/memory_tasks.ts";
import { until } from "../helpers.ts";

const MiB = 2 ** 20;
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** The spill files under `dir` now. */
function spillFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory) walk(join(d, e.name));
      else if (e.name.endsWith(".bin")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** A process's peak resident memory (VmHWM), in bytes. */
function peakRss(pid: number): number {
  // (through cat: Deno asks --allow-all to read another process's /proc)
  const status = new TextDecoder().decode(
    new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" })
      .outputSync().stdout,
  );
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  assert.ok(m !== null, "VmHWM in /proc/<pid>/status");
  return Number(m[1]) * 1024;
}

function expectedSum(blocks: number, n: number): number {
  let s = 0;
  for (let i = 0; i < blocks; i++) {
    for (let j = 0; j < n; j++) s += blockValue(i, j);
  }
  return s;
}

/** Blocks `from..to` of `n` numbers summed elementwise as a tree, then totalled. */
function treeTotal(from: number, to: number, n: number): Delayed<number> {
  let layer: Delayed<Float64Array>[] = [];
  for (let i = from; i < to; i++) layer.push(delayed(mt.block)(i, n));
  while (layer.length > 1) {
    const next: Delayed<Float64Array>[] = [];
    for (let i = 0; i + 1 < layer.length; i += 2) {
      next.push(delayed(mt.addBlocks)(layer[i], layer[i + 1]));
    }
    if (layer.length % 2 === 1) next.push(layer[layer.length - 1]);
    layer = next;
  }
  return delayed(mt.total)(layer[0]);
}

Deno.test("memory: a reduction over 4x the nodes' limits streams through a 2-node cluster, spilling, in bounded memory", async () => {
  const dir = Deno.makeTempDirSync();
  const LIMIT = 32 * MiB;
  const n = MiB; // 8 MiB blocks
  const BLOCKS = 32; // 256 MiB: 4x the two limits together
  try {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: LIMIT,
      // 32 MiB is less than the runtime's own resident memory: only the
      // held results are measured against it here (target), not the RSS.
      memoryFractions: { spill: false, terminate: false },
      localDirectory: dir,
      read: [FIXTURES],
    });
    const pids = Object.values(cluster.pids());
    let mostFiles = 0;
    let spills = 0;
    const watch = setInterval(() => {
      mostFiles = Math.max(mostFiles, spillFiles(dir).length);
      for (const node of cluster.status().nodes) {
        spills = Math.max(spills, node.heldMemory?.spills ?? 0);
      }
    }, 10);
    let total: number;
    try {
      [total] = await cluster.scheduler.compute(treeTotal(0, BLOCKS, n));
    } finally {
      clearInterval(watch);
    }
    assert.equal(total, expectedSum(BLOCKS, n));
    assert.ok(mostFiles > 0, "spill files existed during the run");
    assert.ok(spills > 0, "status() showed spills");
    const nodes = cluster.status().nodes;
    for (const node of nodes) {
      assert.equal(node.heldMemory?.limit, LIMIT);
      assert.equal(node.heldMemory?.paused, false);
    }
    // Peak RSS of each node: its limit plus a fixed overhead (the runtime,
    // the task's own inputs and output, garbage not yet collected).
    const peaks = pids.map(peakRss);
    console.log(
      `peak RSS of the nodes: ${
        peaks.map((p) => (p / MiB).toFixed(0)).join(", ")
      } MiB (limit ${LIMIT / MiB} MiB each; data ${
        BLOCKS * n * 8 / MiB
      } MiB); most spill files at once: ${mostFiles}`,
    );
    // (loose: a CI run with four other jobs on 2 cores saw 361 MiB; alone,
    // 230-263; the bench measures it exactly)
    for (const p of peaks) assert.ok(p < LIMIT + 400 * MiB, `${p / MiB} MiB`);
  } finally {
    // The nodes left: their spill directories went with them.
    const left = spillFiles(dir);
    const spaces = [...Deno.readDirSync(dir)].map((e) => e.name);
    Deno.removeSync(dir, { recursive: true });
    assert.deepEqual(left, [], "no spill file left");
    assert.deepEqual(spaces, [], "no spill directory left");
  }
});

Deno.test("memory: a node past its pause fraction takes no task until it is below again", async () => {
  const dir = Deno.makeTempDirSync();
  const n = MiB; // 8 MiB blocks
  try {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: 64 * MiB,
      // No spilling: what it holds stays, and past 32 MiB it pauses.
      memoryFractions: {
        target: false,
        spill: false,
        pause: 0.5,
        terminate: false,
      },
      localDirectory: dir,
      read: [FIXTURES],
    });
    const node = (name: string): ClusterStatus["nodes"][number] =>
      cluster.status().nodes.find((x) => x.name === name)!;
    const pinned = delayed(mt.block, { workers: ["local-1"] });
    const held = cluster.scheduler.persist(
      ...[0, 1, 2, 3, 4].map((i) => pinned(i, n)),
    );
    await until(
      () => node("local-1").heldMemory?.paused === true,
      "local-1 paused",
      30_000,
    );
    assert.ok(node("local-1").heldMemory!.memory > 32 * MiB);
    // Work now goes to local-2 only: local-1 holds what it held.
    const [sum] = await cluster.scheduler.compute(treeTotal(10, 16, n));
    assert.equal(sum, expectedSum(16, n) - expectedSum(10, n));
    assert.equal(node("local-1").held, 5);
    assert.ok(node("local-2").held === 0);
    const ran = cluster.status().stream.filter((r) => r.worker === "local-1");
    assert.ok(ran.every((r) => r.task === "block"), "local-1 ran nothing new");
    // Released: it resumes, and takes work again.
    for (const f of held) f.release();
    await until(
      () => node("local-1").heldMemory?.paused === false,
      "local-1 resumed",
      30_000,
    );
    const [again] = await cluster.scheduler.compute(
      delayed(mt.total, { workers: ["local-1"] })(pinned(7, n)),
    );
    assert.equal(again, expectedSum(8, n) - expectedSum(7, n));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("memory: a node past its terminate fraction exits, and its work is redone elsewhere", async () => {
  const dir = Deno.makeTempDirSync();
  const marker = join(dir, "leaked");
  const n = MiB / 4; // 2 MiB blocks
  try {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: 512 * MiB, // (its resident memory counts: the runtime's too)
      memoryFractions: { target: 0.005 }, // (2.7 MB: its blocks spill)
      localDirectory: dir,
      read: [FIXTURES],
      logger: () => {}, // (the node's loss is expected)
    });
    const before = cluster.pids();
    // Held results on both nodes, then a task that leaks 600 MiB once.
    const blocks = [0, 1, 2, 3, 4, 5].map((i) => delayed(mt.block)(i, n));
    const totals = blocks.map((b) => delayed(mt.total)(b));
    const leak = delayed(mt.leakOnce)(
      delayed(mt.sum)(totals),
      600 * MiB,
      marker,
    );
    const [sum] = await cluster.scheduler.compute(
      delayed(mt.sum)([leak, ...totals]),
    );
    assert.equal(sum, 2 * expectedSum(6, n));
    const leaker = Number(Deno.readTextFileSync(marker));
    const name = Object.entries(before).find(([, pid]) => pid === leaker)?.[0];
    assert.ok(name !== undefined, "the leak ran on a node");
    // That node exited (a fresh one took its name); the spill space it
    // left behind is removed.
    await until(() => cluster.pids()[name] !== leaker, "a fresh node", 30_000);
    await until(
      () =>
        ![...Deno.readDirSync(dir)].some((e) => e.name.includes(`-${leaker}-`)),
      "the dead node's space removed",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
