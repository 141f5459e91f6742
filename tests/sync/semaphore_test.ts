import {
  OverReleaseError,
  Semaphore,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { seeded, tick } from "../helpers.ts";

Deno.test("Semaphore: at most k at once, waiters served FIFO", async () => {
  const s = new Semaphore(2);
  assert.ok(s.tryAcquire());
  assert.ok(s.tryAcquire());
  assert.ok(!s.tryAcquire());
  const order: number[] = [];
  const waiters = [0, 1, 2].map((i) => s.acquire().then(() => order.push(i)));
  assert.equal(s.waiting, 3);
  s.release();
  s.release();
  await tick();
  assert.deepEqual(order, [0, 1]);
  assert.equal(s.value, 0); // handed over, never visible as free
  s.release();
  await Promise.all(waiters);
  assert.deepEqual(order, [0, 1, 2]);
});

Deno.test("Semaphore: a released permit is not taken by a newcomer", async () => {
  const s = new Semaphore(0);
  const first = s.acquire();
  s.release();
  assert.equal(s.tryAcquire(), false);
  await first;
});

Deno.test("Semaphore: a plain semaphore may be raised by release", () => {
  const s = new Semaphore(1);
  s.release();
  assert.equal(s.value, 2);
  assert.throws(() => new Semaphore(-1), RangeError);
  assert.throws(() => new Semaphore(1.5), RangeError);
});

Deno.test("a bounded Semaphore: over-release is OverReleaseError", async () => {
  const s = new Semaphore(2, { bounded: true });
  assert.throws(() => s.release(), OverReleaseError);
  await s.acquire();
  await s.acquire();
  const waiting = s.acquire();
  s.release(); // to the waiter
  await waiting;
  s.release();
  s.release();
  assert.equal(s.value, 2);
  const e = assert.throws(() => s.release(), OverReleaseError);
  void e;
  assert.equal(s.value, 2);
  assert.equal(s.bound, 2);
  assert.equal(new Semaphore(2).bound, undefined);
});

Deno.test("a bounded Semaphore: guards give back exactly once", async () => {
  const s = new Semaphore(1, { bounded: true });
  const g = await s.lock();
  g.release();
  g.release();
  assert.equal(s.value, 1);
  assert.equal(await s.runExclusive(() => s.value), 0);
  assert.equal(s.value, 1);
});

Deno.test("Semaphore property: random work, timeouts and aborts never admit more than k", async () => {
  for (const seed of [11, 12, 13, 14]) {
    const rand = seeded(seed);
    const k = 1 + Math.floor(rand() * 4);
    const s = new Semaphore(k, { bounded: true });
    let inside = 0;
    let most = 0;
    let done = 0;
    let gaveUp = 0;
    const callOrder: number[] = [];
    const grantOrder: number[] = [];
    await Promise.all(Array.from({ length: 80 }, async (_, id) => {
      await tick(Math.floor(rand() * 3));
      const r = rand();
      const ac = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let options;
      if (r < 0.15) options = { timeout: Math.floor(rand() * 3) };
      else if (r < 0.25) {
        options = { signal: ac.signal };
        timer = setTimeout(() => ac.abort(), Math.floor(rand() * 3));
      }
      callOrder.push(id);
      try {
        await s.acquire(options);
      } catch {
        gaveUp++;
        callOrder.splice(callOrder.indexOf(id), 1);
        return;
      } finally {
        clearTimeout(timer);
      }
      grantOrder.push(id);
      most = Math.max(most, ++inside);
      assert.ok(inside <= k, `seed ${seed}: ${inside} > ${k}`);
      await tick(Math.floor(rand() * 2));
      inside--;
      done++;
      s.release();
    }));
    assert.ok(most <= k && most >= 1, `seed ${seed}`);
    assert.equal(done + gaveUp, 80);
    assert.equal(s.value, k, `seed ${seed}: every permit came back`);
    assert.deepEqual(grantOrder, callOrder, `seed ${seed}: FIFO`);
  }
});

Deno.test("Semaphore: a timed-out waiter does not consume a permit", async () => {
  const s = new Semaphore(0);
  await assert.rejects(s.acquire({ timeout: 1 }), WaitTimeoutError);
  s.release();
  assert.equal(s.value, 1);
});
