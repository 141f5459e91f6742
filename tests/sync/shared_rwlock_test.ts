/**
 * `SharedRWLock` across real worker actors: readers share it, a waiting
 * writer holds back new readers and is not starved by a stream of them.
 */
import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { SharedRWLock, WaitTimeoutError } from "@troupe/troupe/sync";
import { peers } from "./shared_peers.ts";

Deno.test("SharedRWLock: readers in 3 workers hold it at once", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const workers = peers(system, 3);
  const rw = new SharedRWLock();
  const cells = new SharedArrayBuffer(4);
  const seen = await Promise.all(
    workers.map((w) =>
      w.ask("readTogether", { rw: rw.handle, cells, together: 3 })
    ),
  );
  assert.deepEqual(seen, [3, 3, 3]);
  assert.equal(rw.readers, 0);
});

Deno.test("SharedRWLock: a waiting writer holds back new readers and gets in under a stream of them", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const [a, b, c] = peers(system, 3);
  const rw = new SharedRWLock();

  // Writer preference: with a reader inside and a writer waiting, a new
  // reader (in a worker) waits too.
  const reader = await rw.read();
  const writer = rw.write({ timeout: 20_000 });
  assert.equal(rw.writersWaiting, 1);
  assert.equal(
    await a.ask("tryRead", { rw: rw.handle, timeout: 20 }),
    "WaitTimeoutError",
  );
  reader.release();
  const held = await writer;
  assert.ok(rw.writing);
  await assert.rejects(rw.read({ timeout: 5 }), WaitTimeoutError);
  held.release();

  // Two workers read in a loop, overlapping; the writer still gets in.
  const cells = new SharedArrayBuffer(12);
  const flags = new Int32Array(cells);
  const loops = [a, b].map((w) => w.ask("readLoop", { rw: rw.handle, cells }));
  while (Atomics.load(flags, 2) < 10) {
    await new Promise((r) => setTimeout(r, 1));
  }
  {
    using _w = await rw.write({ timeout: 20_000 });
    assert.ok(rw.writing && rw.readers === 0);
    Atomics.store(flags, 1, 1); // readers: stop
  }
  await Promise.all(loops);
  assert.equal(
    await c.ask("tryRead", { rw: rw.handle, timeout: 20_000 }),
    "ok",
  );
});
