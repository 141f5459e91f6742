/**
 * Workers paused on memory they cannot spill (results that are class
 * instances here; a spill directory that cannot be written does the same)
 * never get below their pause fraction. Were a paused worker to take
 * nothing while every worker is idle, the graph would stop for good: one
 * task at a time goes to a paused worker then, and the graph completes:
 * on worker and local hosts, and on the nodes of a local cluster.
 */

import assert from "node:assert/strict";
import {
  ActorSystem,
  createScheduler,
  type Delayed,
  delayed,
} from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { type Boxed, ut } from "../fixtures/unspillable_tasks.ts";

const MiB = 2 ** 20;
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** Boxed blocks 0..count summed as a tree, then totalled. */
function boxedTotal(count: number, n: number): Delayed<number> {
  let layer: Delayed<Boxed>[] = [];
  for (let i = 0; i < count; i++) layer.push(delayed(ut.boxed)(i, n));
  while (layer.length > 1) {
    const next: Delayed<Boxed>[] = [];
    for (let i = 0; i + 1 < layer.length; i += 2) {
      next.push(delayed(ut.addBoxed)(layer[i], layer[i + 1]));
    }
    if (layer.length % 2 === 1) next.push(layer[layer.length - 1]);
    layer = next;
  }
  return delayed(ut.total)(layer[0]);
}

for (const placement of ["worker", "local"] as const) {
  Deno.test(`memory on ${placement} hosts: workers paused on results they cannot spill still finish the graph`, async () => {
    const dir = Deno.makeTempDirSync();
    try {
      await using system = new ActorSystem();
      await using scheduler = createScheduler(system, {
        placement,
        workers: 2,
        memoryLimit: 2 * MiB,
        memoryFractions: { spill: false, terminate: false },
        localDirectory: dir,
      });
      const n = MiB / 8 / 2; // 512 KiB blocks: 4 past the pause fraction
      const count = 32;
      let pausedSeen = false;
      const watch = setInterval(() => {
        for (const w of scheduler.status().workers) {
          if (w.heldMemory?.paused) pausedSeen = true;
        }
      }, 5);
      let total: number;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        // (a deadline: before the fix this never settled)
        [total] = await Promise.race([
          scheduler.compute(boxedTotal(count, n)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error("the graph stopped: workers paused")),
              60_000,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
        clearInterval(watch);
      }
      assert.equal(total, n * (count - 1) * count / 2);
      assert.ok(pausedSeen, "a worker was paused on what it held");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("memory on a 2-node cluster: nodes paused on results they cannot spill still finish the graph", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: 2 * MiB,
      memoryFractions: { spill: false, terminate: false },
      localDirectory: dir,
      read: [FIXTURES],
    });
    const n = MiB / 8 / 2; // 512 KiB blocks
    const count = 32;
    let pausedSeen = false;
    const watch = setInterval(() => {
      for (const node of cluster.status().nodes) {
        if (node.heldMemory?.paused) pausedSeen = true;
      }
    }, 5);
    let total: number;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      [total] = await Promise.race([
        cluster.scheduler.compute(boxedTotal(count, n)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("the graph stopped: nodes paused")),
            60_000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
    }
    assert.equal(total, n * (count - 1) * count / 2);
    assert.ok(pausedSeen, "a node was paused on what it held");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
