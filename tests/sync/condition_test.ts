import {
  Condition,
  Event,
  Mutex,
  NotHeldError,
  WaitAbortedError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { tick } from "../helpers.ts";

Deno.test("Condition: wait releases the lock and takes it back; notify is FIFO", async () => {
  const lock = new Mutex();
  const c = new Condition(lock);
  const woke: number[] = [];
  const waiters = [0, 1, 2].map(async (i) => {
    using _held = await lock.lock();
    await c.wait();
    assert.ok(lock.locked);
    woke.push(i);
  });
  await tick();
  assert.equal(c.waiting, 3);
  assert.ok(!lock.locked, "every waiter released the lock");
  await lock.runExclusive(() => c.notify());
  await tick();
  assert.deepEqual(woke, [0]);
  await lock.runExclusive(() => c.notify(5)); // more than wait: fine
  await Promise.all(waiters);
  assert.deepEqual(woke, [0, 1, 2]);
});

Deno.test("Condition: notifyAll wakes every waiter, each with the lock in turn", async () => {
  const lock = new Mutex();
  const c = new Condition(lock);
  let inside = 0;
  let most = 0;
  const waiters = Array.from({ length: 5 }, async () => {
    await lock.acquire();
    try {
      await c.wait();
      most = Math.max(most, ++inside);
      await tick();
      inside--;
    } finally {
      lock.release();
    }
  });
  await tick();
  await lock.runExclusive(() => c.notifyAll());
  await Promise.all(waiters);
  assert.equal(most, 1);
});

Deno.test("Condition: waitFor checks the predicate under the lock", async () => {
  const lock = new Mutex();
  const c = new Condition(lock);
  const items: number[] = [];
  const consumers = [0, 1].map(async () => {
    using _held = await lock.lock();
    await c.waitFor(() => items.length > 0);
    return items.shift();
  });
  await tick();
  await lock.runExclusive(() => {
    items.push(1);
    c.notifyAll(); // both wake; only one finds an item
  });
  await tick();
  await lock.runExclusive(() => {
    items.push(2);
    c.notify();
  });
  assert.deepEqual((await Promise.all(consumers)).sort(), [1, 2]);
});

Deno.test("Condition: a timeout re-acquires the lock before rejecting", async () => {
  const lock = new Mutex();
  const c = new Condition(lock);
  let holderDone!: () => void;
  const holderGate = new Promise<void>((r) => holderDone = r);
  await lock.acquire();
  const waiting = c.wait({ timeout: 1 }).then(
    () => "woken",
    (e) => e,
  );
  // Someone else takes the lock while the waiter waits and keeps it past
  // the timeout: the waiter cannot reject until it has the lock again.
  const holder = lock.runExclusive(() => holderGate);
  await tick(5);
  let settled = false;
  void waiting.then(() => settled = true);
  await tick();
  assert.equal(settled, false, "still waiting for the lock");
  holderDone();
  await holder;
  const e = await waiting;
  assert.ok(e instanceof WaitTimeoutError);
  assert.ok(lock.locked);
  lock.release();
});

Deno.test("Condition: waitFor times out as a whole; abort carries the reason", async () => {
  const c = new Condition();
  await c.lock.acquire();
  await assert.rejects(
    c.waitFor(() => false, { timeout: 2 }),
    (e: unknown) =>
      e instanceof WaitTimeoutError && e.operation === "Condition.waitFor",
  );
  assert.ok(c.lock.locked);
  const ac = new AbortController();
  const p = c.waitFor(() => false, { signal: ac.signal });
  await tick();
  ac.abort("enough");
  await assert.rejects(
    p,
    (e: unknown) => e instanceof WaitAbortedError && e.cause === "enough",
  );
  assert.ok(c.lock.locked);
  c.lock.release();
});

Deno.test("Condition: misuse without the lock is NotHeldError", async () => {
  const c = new Condition();
  await assert.rejects(c.wait(), NotHeldError);
  await assert.rejects(c.waitFor(() => true), NotHeldError);
  assert.throws(() => c.notify(), NotHeldError);
  assert.throws(() => c.notifyAll(), NotHeldError);
});

Deno.test("Event: set wakes all, clear re-arms", async () => {
  const e = new Event();
  let woke = 0;
  const waiters = [1, 2, 3].map(() => e.wait().then(() => woke++));
  await tick();
  assert.equal(woke, 0);
  assert.equal(e.waiting, 3);
  e.set();
  await Promise.all(waiters);
  assert.equal(woke, 3);
  await e.wait(); // set: at once
  e.clear();
  assert.ok(!e.isSet);
  await assert.rejects(e.wait({ timeout: 1 }), WaitTimeoutError);
});
