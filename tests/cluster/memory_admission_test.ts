/**
 * Root tasks are admitted by memory as well as by time: a worker at its
 * target fraction gets no new root task while it has work, so a stream of
 * fast root tasks whose results are reduced at once stays near the target
 * instead of piling a window's worth of results into memory (and onto disk).
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, delayed } from "@troupe/troupe";
import { blockValue, mt } from "../fixtures/memory_tasks.ts";

const KiB = 1024;

Deno.test("memory: a worker at its target takes no new root task while busy; fast roots stream through near the target", async () => {
  const dir = Deno.makeTempDirSync();
  await using system = new ActorSystem();
  const scheduler = createScheduler(system, {
    placement: "local",
    workers: 1,
    memoryLimit: 2 * 1024 * KiB, // target 1.2 MiB: about 4 blocks of 256 KiB
    localDirectory: dir,
  });
  try {
    const n = 32 * KiB; // 256 KiB blocks
    const BLOCKS = 400; // 100 MiB in all
    let most = 0;
    const stop = scheduler.subscribe(() => {
      const m = scheduler.status().workers[0]?.heldMemory;
      if (m !== undefined) most = Math.max(most, m.memory + m.spilled);
    });
    const totals = Array.from(
      { length: BLOCKS },
      (_, i) => delayed(mt.total)(delayed(mt.block)(i, n)),
    );
    const [sum] = await scheduler.compute(delayed(mt.sum)(totals));
    stop();
    let expected = 0;
    for (let i = 0; i < BLOCKS; i++) {
      for (let j = 0; j < n; j++) expected += blockValue(i, j);
    }
    assert.equal(sum, expected);
    const m = scheduler.status().workers[0].heldMemory!;
    console.log(
      `held at most ${(most / KiB).toFixed(0)} KiB (target ${
        (0.6 * 2048).toFixed(0)
      } KiB); spilled ${
        (m.spillBytes / KiB).toFixed(0)
      } KiB in ${m.spills} spills`,
    );
    // A window of 64 roots at once would hold 16 MiB: 8x the limit.
    assert.ok(most <= 2 * 1024 * KiB, `${most} bytes held at once`);
  } finally {
    await scheduler.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
