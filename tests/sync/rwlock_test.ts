import { RWLock, WaitTimeoutError } from "@troupe/troupe/sync";
import type { Guard } from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { seeded, tick } from "../helpers.ts";

Deno.test("RWLock: readers share; a writer excludes everyone", async () => {
  const rw = new RWLock();
  const r = await Promise.all([rw.read(), rw.read(), rw.read()]);
  assert.equal(rw.readers, 3);
  assert.equal(rw.tryWrite(), undefined);
  for (const g of r) g.release();
  const w = await rw.write();
  assert.ok(rw.writing);
  assert.equal(rw.tryRead(), undefined);
  assert.equal(rw.tryWrite(), undefined);
  w.release();
  assert.ok(!rw.writing);
  assert.equal(rw.readers, 0);
});

Deno.test("RWLock: a waiting writer blocks new readers and is not starved", async () => {
  const rw = new RWLock();
  const log: string[] = [];
  // A steady stream of overlapping readers: without writer preference
  // there would always be a reader inside and the writer would never run.
  let stop = false;
  const readers = Array.from({ length: 4 }, async (_, id) => {
    while (!stop) {
      const g = await rw.read();
      log.push(`r${id}`);
      await tick();
      g.release();
    }
  });
  await tick();
  assert.ok(rw.readers > 0);
  const writer = rw.write().then((g) => {
    log.push("w");
    assert.equal(rw.readers, 0);
    stop = true;
    g.release();
  });
  assert.equal(rw.waiting.writers, 1);
  // A reader arriving now must queue behind the writer.
  assert.equal(rw.tryRead(), undefined);
  const late = rw.read().then((g) => {
    log.push("late");
    g.release();
  });
  await writer;
  await late;
  await Promise.all(readers);
  assert.ok(log.indexOf("w") < log.indexOf("late"));
});

Deno.test("RWLock: readers queued during a write go before the next writer", async () => {
  const rw = new RWLock();
  const order: string[] = [];
  const w1 = await rw.write();
  const r1 = rw.read().then((g) => (order.push("r1"), g));
  const w2 = rw.write().then((g) => (order.push("w2"), g));
  const r2 = rw.read().then((g) => (order.push("r2"), g));
  w1.release();
  // Both readers that waited are let in together, before w2.
  const [g1, g2] = await Promise.all([r1, r2]);
  assert.equal(rw.readers, 2);
  assert.equal(rw.writing, false);
  g1.release();
  assert.deepEqual(order, ["r1", "r2"]);
  g2.release();
  (await w2).release();
  assert.deepEqual(order, ["r1", "r2", "w2"]);
});

Deno.test("RWLock: a writer that gives up lets the readers behind it in", async () => {
  const rw = new RWLock();
  const r0 = await rw.read();
  const w = rw.write({ timeout: 1 });
  const r1 = rw.read();
  assert.equal(rw.waiting.readers, 1);
  await assert.rejects(w, WaitTimeoutError);
  (await r1).release();
  r0.release();
  assert.equal(rw.readers, 0);
  const ww = await rw.write();
  ww.release();
});

Deno.test("RWLock property: random readers and writers never overlap wrongly", async () => {
  for (const seed of [5, 6, 7]) {
    const rand = seeded(seed);
    const rw = new RWLock();
    let readers = 0;
    let writers = 0;
    let reads = 0;
    let writes = 0;
    let gaveUp = 0;
    await Promise.all(Array.from({ length: 80 }, async () => {
      await tick(Math.floor(rand() * 3));
      const write = rand() < 0.3;
      const options = rand() < 0.15
        ? { timeout: Math.floor(rand() * 3) }
        : undefined;
      let g: Guard;
      try {
        g = await (write ? rw.write(options) : rw.read(options));
      } catch {
        gaveUp++;
        return;
      }
      if (write) {
        writers++;
        writes++;
      } else {
        readers++;
        reads++;
      }
      assert.ok(writers <= 1 && (writers === 0 || readers === 0));
      await tick(Math.floor(rand() * 2));
      if (write) writers--;
      else readers--;
      g.release();
    }));
    assert.equal(reads + writes + gaveUp, 80);
    assert.equal(rw.readers, 0);
    assert.ok(!rw.writing);
    assert.deepEqual(rw.waiting, { readers: 0, writers: 0 });
  }
});
