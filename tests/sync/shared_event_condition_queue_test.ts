/**
 * `SharedEvent`, `SharedCondition` and `SharedQueue` across real worker
 * actors: wake-ups cross isolates; a bounded queue between producers and
 * consumers in workers loses and duplicates nothing.
 */
import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  ClosedError,
  SharedCondition,
  SharedEvent,
  SharedMutex,
  SharedQueue,
  WaitAbortedError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import { peers } from "./shared_peers.ts";

Deno.test("SharedEvent: set in the main isolate wakes waiters in 3 workers", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const workers = peers(system, 3);
  const event = new SharedEvent();
  const waits = workers.map((w) => w.ask("awaitEvent", event.handle));
  await assert.rejects(event.wait({ timeout: 5 }), WaitTimeoutError);
  event.set();
  assert.deepEqual(await Promise.all(waits), [true, true, true]);
  event.clear();
  const c = new AbortController();
  const w = event.wait({ signal: c.signal });
  c.abort();
  await assert.rejects(w, WaitAbortedError);
});

Deno.test("SharedCondition: workers wait for shared state that the main isolate changes and notifies", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const workers = peers(system, 2);
  const mutex = new SharedMutex();
  const cond = new SharedCondition(mutex);
  const cells = new SharedArrayBuffer(4);
  const c = new Int32Array(cells);
  const waits = workers.map((w) =>
    w.ask("awaitCondition", { condition: cond.handle, cells, want: 2 })
  );
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 5));
    using _held = await mutex.lock({ timeout: 20_000 });
    c[0] += 1;
    cond.notifyAll();
  }
  const seen = (await Promise.all(waits)).sort((a, b) => a - b);
  assert.deepEqual(seen, [102, 202]);

  // A wait that times out still gives the mutex back to its caller.
  using _held = await mutex.lock();
  await assert.rejects(cond.wait({ timeout: 5 }), WaitTimeoutError);
  assert.ok(mutex.heldHere);
});

Deno.test("SharedQueue: 2 producer and 2 consumer workers through a bounded ring lose and duplicate nothing", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const [p1, p2, c1, c2] = peers(system, 4);
  const EACH = 20_000;
  const queue = new SharedQueue({ maxSize: 64 });
  const seen = new SharedArrayBuffer(4 * 2 * EACH);
  const consumers = [c1, c2].map((c) =>
    c.ask("consume", { queue: queue.handle, seen })
  );
  await Promise.all([
    p1.ask("produce", { queue: queue.handle, from: 0, count: EACH }),
    p2.ask("produce", { queue: queue.handle, from: EACH, count: EACH }),
  ]);
  queue.close();
  const got = await Promise.all(consumers);
  const n = 2 * EACH;
  assert.equal(got[0].count + got[1].count, n);
  assert.equal(got[0].sum + got[1].sum, (n * (n - 1)) / 2);
  assert.ok(new Int32Array(seen).every((x) => x === 1), "each number once");
  assert.equal(queue.size, 0);
  await assert.rejects(queue.put(1), ClosedError);
  await assert.rejects(queue.get({ timeout: 5 }), ClosedError);
});

Deno.test("SharedQueue keeps FIFO order and its bound, and waits end cleanly", async () => {
  const q = new SharedQueue({ maxSize: 3 });
  const there = SharedQueue.from(q.handle);
  for (const x of [1, 2, 3]) assert.ok(q.tryPut(x));
  assert.equal(q.tryPut(4), false);
  assert.equal(q.size, 3);
  await assert.rejects(q.put(4, { timeout: 5 }), WaitTimeoutError);
  const putting = there.put(4, { timeout: 20_000 });
  assert.equal(await q.get(), 1);
  await putting;
  assert.deepEqual([await q.get(), await q.get(), await q.get()], [2, 3, 4]);
  const c = new AbortController();
  const getting = there.get({ signal: c.signal });
  c.abort();
  await assert.rejects(getting, WaitAbortedError);
  // Many laps around a small ring.
  for (let i = 0; i < 1000; i++) {
    await q.put(i);
    assert.equal(await there.get(), i);
  }
});
