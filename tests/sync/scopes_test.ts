// A local primitive and its Shared twin have the same members: the entry
// does not export the `*Like` and `*Core` interfaces that say so (a user names
// the class), so this file holds both scopes to them, by type and by use (and
// tests/cluster/cluster_sync_test.ts holds the cluster scope to the `*Core`
// ones).
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  LayoutError,
  Mutex,
  Queue,
  ReentrantMutex,
  RWLock,
  Semaphore,
  SharedBarrier,
  SharedCondition,
  SharedEvent,
  SharedMutex,
  SharedQueue,
  SharedRWLock,
  SharedSemaphore,
} from "@troupe/troupe/sync";
import type {
  BarrierLike,
  ConditionLike,
  EventLike,
  MutexLike,
  QueueLike,
  RWLockLike,
  SemaphoreLike,
} from "../../sync/types.ts";

const opts = { timeout: 5_000 };

Deno.test("mutexes of both scopes answer through MutexLike", async () => {
  const all: MutexLike[] = [
    new Mutex(),
    new SharedMutex(),
    new ReentrantMutex(),
  ];
  for (const m of all) {
    assert.equal(m.tryAcquire(), true);
    assert.equal(m.locked, true);
    m.release();
    using _held = await m.lock(opts);
    assert.equal(m.tryAcquire(), false);
  }
});

Deno.test("semaphores of both scopes answer through SemaphoreLike", async () => {
  const all: SemaphoreLike[] = [new Semaphore(2), new SharedSemaphore(2)];
  for (const s of all) {
    await s.acquire(opts);
    assert.equal(s.value, 1);
    assert.equal(s.tryAcquire(), true);
    assert.equal(s.tryAcquire(), false);
    s.release();
    s.release();
    assert.equal(s.value, 2);
  }
});

Deno.test("rwlocks of both scopes answer through RWLockLike", async () => {
  const all: RWLockLike[] = [new RWLock(), new SharedRWLock()];
  for (const rw of all) {
    const a = await rw.read(opts), b = await rw.read(opts);
    assert.equal(rw.readers, 2);
    a.release();
    b.release();
    using _w = await rw.write(opts);
    assert.equal(rw.writing, true);
  }
});

Deno.test("conditions of both scopes answer through ConditionLike", async () => {
  const m = new Mutex(), sm = new SharedMutex();
  const all: [MutexLike, ConditionLike][] = [
    [m, new Condition(m)],
    [sm, new SharedCondition(sm)],
  ];
  for (const [lock, c] of all) {
    using _held = await lock.lock(opts);
    await c.waitFor(() => true, opts);
    c.notifyAll();
  }
});

Deno.test("events of both scopes answer through EventLike", async () => {
  const all: EventLike[] = [new Event(), new SharedEvent()];
  for (const e of all) {
    assert.equal(e.isSet, false);
    e.set();
    await e.wait(opts);
    assert.equal(e.isSet, true);
    e.clear();
    assert.equal(e.isSet, false);
  }
});

Deno.test("barriers of both scopes answer through BarrierLike", async () => {
  const all: BarrierLike[] = [new Barrier(2), new SharedBarrier(2)];
  for (const b of all) {
    assert.equal(b.parties, 2);
    const arrived = await Promise.all([b.wait(opts), b.wait(opts)]);
    assert.deepEqual(arrived.sort(), [0, 1]);
    assert.equal(b.broken, false);
  }
});

Deno.test("queues of both scopes answer through QueueLike", async () => {
  const all: QueueLike<number>[] = [
    new Queue<number>({ maxSize: 2 }),
    new SharedQueue({ maxSize: 2 }),
  ];
  for (const q of all) {
    await q.put(1, opts);
    assert.equal(q.tryPut(2), true);
    assert.equal(q.tryPut(3), false);
    assert.equal(q.size, 2);
    assert.equal(await q.get(opts), 1);
    assert.deepEqual(q.tryGet(), { ok: true, value: 2 });
    q.close();
    assert.equal(q.closed, true);
  }
});

Deno.test("SharedCondition.from a handle without its mutex's names what is missing", () => {
  const h = new SharedCondition(new SharedMutex()).handle;
  assert.throws(
    () => SharedCondition.from({ buffer: h.buffer, offset: h.offset }),
    (e: unknown) =>
      e instanceof LayoutError && /mutex's handle/.test(e.message),
  );
});
