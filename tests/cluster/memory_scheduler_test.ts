/**
 * Memory limits on the local schedulers: worker and process hosts spill
 * their least recently used results past the target, read them back for
 * tasks and for the caller, show it in `status()`, and leave no spill
 * directory behind.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, type Delayed, delayed } from "@troupe/troupe";
import { blockValue, mt } from "../fixtures/memory_tasks.ts";
import { until } from "../helpers.ts";

const MiB = 2 ** 20;

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
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else if (e.name.endsWith(".bin")) out.push(`${d}/${e.name}`);
    }
  };
  walk(dir);
  return out;
}

function expectedTotal(blocks: number, n: number): number {
  let s = 0;
  for (let i = 0; i < blocks; i++) {
    for (let j = 0; j < n; j++) s += blockValue(i, j);
  }
  return s;
}

for (const placement of ["worker", "process", "local"] as const) {
  Deno.test(`memory on ${placement} hosts: results past the target spill, come back exact, and are counted in status`, async () => {
    const dir = Deno.makeTempDirSync();
    await using system = new ActorSystem();
    const scheduler = createScheduler(system, {
      placement,
      workers: 2,
      memoryLimit: "4MiB",
      localDirectory: dir,
      // (4 MiB is less than the garbage a process makes between two
      // collections: only held results count here, not resident memory.)
      memoryFractions: { spill: false, terminate: false },
      permissions: placement === "process"
        ? { read: [new URL("../fixtures/", import.meta.url).pathname] }
        : undefined,
    });
    try {
      const n = MiB / 8; // 1 MiB blocks
      const blocks: Delayed<Float64Array>[] = [];
      for (let i = 0; i < 12; i++) blocks.push(delayed(mt.block)(i, n));
      // Hold all twelve (12 MiB on 2 workers of 4 MiB): most must spill.
      const futures = scheduler.persist(...blocks);
      await Promise.all(futures.map((f) => f.settled()));
      // (Workers report their counters within REPORT_MS of a change.)
      const spilledNow = () =>
        scheduler.status().workers.reduce(
          (a, w) => a + (w.heldMemory?.spilled ?? 0),
          0,
        );
      await until(
        () => spilledNow() >= 12 * MiB - 2 * 0.6 * 4 * MiB,
        "spills reported",
      );
      const mem = scheduler.status().workers.map((w) => w.heldMemory!);
      assert.equal(mem.length, 2);
      for (const m of mem) {
        assert.equal(m.limit, 4 * MiB);
        assert.ok(m.memory <= 0.6 * 4 * MiB, `${m.memory} held in memory`);
      }
      // Every worker that holds more than its target spilled (one that
      // started late may hold fewer blocks: placement follows who is free).
      assert.ok(mem.some((m) => m.spills > 0), "spills");
      for (const m of mem) {
        if (m.memory + m.spilled > m.target) {
          assert.ok(m.spills > 0 && m.full, JSON.stringify(m));
        }
      }
      assert.ok(spillFiles(dir).length > 0, "spill files on disk");
      // A task over spilled inputs, and the caller's gather, read them back.
      const totals = blocks.map((b) => delayed(mt.total)(b));
      const [sum] = await scheduler.compute(delayed(mt.sum)(totals));
      assert.equal(sum, expectedTotal(12, n));
      const values = await Promise.all(futures.map((f) => f.result()));
      values.forEach((v, i) => assert.equal(v[5], blockValue(i, 5)));
      for (const f of futures) f.release();
    } finally {
      await scheduler.close();
    }
    assert.deepEqual(spillFiles(dir), [], "no spill file left");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      [],
      "no spill directory left",
    );
    Deno.removeSync(dir, { recursive: true });
  });
}

Deno.test("memory on process hosts: a host past its terminate fraction exits, and its work is redone on a fresh one", async () => {
  const dir = Deno.makeTempDirSync();
  const marker = `${dir}/leaked`;
  await using system = new ActorSystem();
  const scheduler = createScheduler(system, {
    placement: "process",
    workers: 2,
    memoryLimit: "512MiB", // (its resident memory counts: the runtime's too)
    localDirectory: dir,
    permissions: { read: [new URL("../fixtures/", import.meta.url).pathname] },
  });
  try {
    const before = scheduler.status().workers.map((w) => w.name);
    const n = MiB / 8;
    const totals = [0, 1, 2, 3, 4, 5].map((i) =>
      delayed(mt.total)(delayed(mt.block)(i, n))
    );
    // Leaks 600 MiB the first time it runs: that host ends.
    const leak = delayed(mt.leakOnce)(
      delayed(mt.sum)(totals),
      600 * MiB,
      marker,
    );
    const [sum] = await scheduler.compute(delayed(mt.sum)([leak, ...totals]));
    assert.equal(sum, 2 * expectedTotal(6, n));
    assert.ok(Deno.statSync(marker).isFile, "the leak ran");
    // Its host ended, and a fresh one took its place.
    const after = scheduler.status().workers.map((w) => w.name);
    assert.equal(after.length, 2);
    assert.equal(after.filter((name) => before.includes(name)).length, 1);
  } finally {
    await scheduler.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
