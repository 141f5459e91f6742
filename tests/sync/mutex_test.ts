import {
  Mutex,
  NotHeldError,
  ReentrantMutex,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { seeded, tick } from "../helpers.ts";

Deno.test("Mutex: waiters get the lock in arrival order", async () => {
  const m = new Mutex();
  await m.acquire();
  const order: number[] = [];
  const waiters = Array.from({ length: 20 }, (_, i) =>
    m.acquire().then(() => {
      order.push(i);
      m.release();
    }));
  assert.equal(m.waiting, 20);
  m.release();
  await Promise.all(waiters);
  assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
  assert.ok(!m.locked);
});

Deno.test("Mutex: release hands over to the first waiter (no barging)", async () => {
  const m = new Mutex();
  await m.acquire();
  const first = m.acquire();
  m.release();
  // The lock went to the waiter: a newcomer cannot take it in between.
  assert.ok(m.locked);
  assert.equal(m.tryAcquire(), false);
  const late = m.acquire({ timeout: 0 }).then(() => "late", (e) => e);
  await first;
  assert.ok((await late) instanceof WaitTimeoutError);
  m.release();
  assert.ok(!m.locked);
});

Deno.test("Mutex: a waiter that times out is skipped; the next one gets it", async () => {
  const m = new Mutex();
  await m.acquire();
  const gaveUp = m.acquire({ timeout: 1 });
  const patient = m.acquire();
  await assert.rejects(gaveUp, WaitTimeoutError);
  assert.equal(m.waiting, 1);
  m.release();
  await patient;
  assert.ok(m.locked);
  m.release();
});

Deno.test("Mutex: misuse is NotHeldError, and a guard releases once", async () => {
  const m = new Mutex();
  assert.throws(() => m.release(), NotHeldError);
  const g = await m.lock();
  g.release();
  g.release(); // no-op, not a second release
  assert.ok(!m.locked);
  {
    await using _g = await m.lock();
    assert.ok(m.locked);
  }
  assert.ok(!m.locked);
});

Deno.test("Mutex.runExclusive releases when fn throws", async () => {
  const m = new Mutex();
  await assert.rejects(
    m.runExclusive(() => {
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.ok(!m.locked);
  await assert.rejects(
    m.runExclusive(() => Promise.reject(new Error("async boom"))),
    /async boom/,
  );
  assert.ok(!m.locked);
});

Deno.test("Mutex: without it, a read-modify-write across awaits loses updates", async () => {
  let unsafe = 0;
  let safe = 0;
  const m = new Mutex();
  await Promise.all(Array.from({ length: 10 }, async () => {
    for (let i = 0; i < 10; i++) {
      const seen = unsafe;
      await tick();
      unsafe = seen + 1;
      await m.runExclusive(async () => {
        const s = safe;
        await Promise.resolve();
        safe = s + 1;
      });
    }
  }));
  assert.equal(safe, 100);
  assert.ok(unsafe < 100, "the race shows without the lock");
});

Deno.test("Mutex property: random delays, timeouts and aborts keep one holder and FIFO", async () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const rand = seeded(seed);
    const m = new Mutex();
    let holders = 0;
    let most = 0;
    let timedOut = 0;
    let aborted = 0;
    const callOrder: number[] = [];
    const grantOrder: number[] = [];
    await Promise.all(Array.from({ length: 60 }, async (_, id) => {
      await tick(Math.floor(rand() * 3));
      const r = rand();
      const ac = new AbortController();
      let abortTimer: ReturnType<typeof setTimeout> | undefined;
      let options;
      if (r < 0.2) options = { timeout: Math.floor(rand() * 3) };
      else if (r < 0.3) {
        options = { signal: ac.signal };
        abortTimer = setTimeout(() => ac.abort(), Math.floor(rand() * 3));
      }
      callOrder.push(id);
      try {
        await m.acquire(options);
      } catch (e) {
        if (e instanceof WaitTimeoutError) timedOut++;
        else aborted++;
        callOrder.splice(callOrder.indexOf(id), 1);
        return;
      } finally {
        clearTimeout(abortTimer);
      }
      grantOrder.push(id);
      most = Math.max(most, ++holders);
      await tick(Math.floor(rand() * 2));
      holders--;
      m.release();
    }));
    assert.equal(most, 1, `seed ${seed}`);
    assert.equal(grantOrder.length + timedOut + aborted, 60, `seed ${seed}`);
    assert.ok(timedOut > 0 && aborted > 0, `seed ${seed} exercises both`);
    // Those that got the lock got it in the order they asked.
    assert.deepEqual(grantOrder, callOrder, `seed ${seed}`);
    assert.ok(!m.locked, `seed ${seed}`);
    assert.equal(m.waiting, 0);
  }
});

Deno.test("Mutex property: grants follow the order of acquire calls", async () => {
  const rand = seeded(7);
  const m = new Mutex();
  const callOrder: number[] = [];
  const grantOrder: number[] = [];
  await Promise.all(Array.from({ length: 100 }, async (_, id) => {
    for (let k = Math.floor(rand() * 4); k > 0; k--) await Promise.resolve();
    callOrder.push(id);
    await m.acquire();
    grantOrder.push(id);
    for (let k = Math.floor(rand() * 4); k > 0; k--) await Promise.resolve();
    m.release();
  }));
  assert.deepEqual(grantOrder, callOrder);
});

Deno.test("ReentrantMutex: runExclusive re-enters in its own async context", async () => {
  const m = new ReentrantMutex();
  const depths: number[] = [];
  await m.runExclusive(async () => {
    depths.push(m.depth);
    await m.runExclusive(async () => {
      depths.push(m.depth);
      await tick();
      using _g = await m.lock();
      depths.push(m.depth);
    });
    depths.push(m.depth);
    assert.ok(m.tryAcquire());
    depths.push(m.depth);
    m.release();
  });
  assert.deepEqual(depths, [1, 2, 3, 1, 2]);
  assert.ok(!m.locked);
});

Deno.test("ReentrantMutex: other contexts wait, FIFO, and cannot release it", async () => {
  const m = new ReentrantMutex();
  const log: string[] = [];
  let releaseA!: () => void;
  const gate = new Promise<void>((r) => releaseA = r);
  const a = m.runExclusive(async () => {
    log.push("a in");
    await gate;
    log.push("a out");
  });
  await tick();
  assert.ok(m.locked);
  assert.ok(!m.heldHere);
  // Another context: not the owner.
  assert.throws(() => m.release(), NotHeldError);
  assert.equal(m.tryAcquire(), false);
  const b = m.runExclusive(() => {
    log.push("b");
  });
  const c = m.runExclusive(() => {
    log.push("c");
  });
  await tick();
  assert.deepEqual(log, ["a in"]);
  releaseA();
  await Promise.all([a, b, c]);
  assert.deepEqual(log, ["a in", "a out", "b", "c"]);
  assert.ok(!m.locked);
});

Deno.test("ReentrantMutex: a task outliving its scope is no longer the owner", async () => {
  const m = new ReentrantMutex();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let late: Promise<number> | undefined;
  await m.runExclusive(() => {
    late = (async () => {
      await gate;
      assert.ok(!m.heldHere);
      return await m.runExclusive(() => m.depth);
    })();
  });
  assert.ok(!m.locked);
  await m.acquire(); // a bare hold: the late task must wait for it
  release();
  await tick();
  assert.equal(m.depth, 1);
  m.release();
  assert.equal(await late, 1);
  // A bare acquire is an ordinary, non-reentrant hold.
  await m.acquire();
  await assert.rejects(m.acquire({ timeout: 1 }), WaitTimeoutError);
  m.release();
  assert.throws(() => m.release(), NotHeldError);
});

Deno.test("ReentrantMutex: releases fully when fn throws at depth 2", async () => {
  const m = new ReentrantMutex();
  await assert.rejects(
    m.runExclusive(() =>
      m.runExclusive(() => {
        throw new Error("inner");
      })
    ),
    /inner/,
  );
  assert.ok(!m.locked);
  assert.equal(m.depth, 0);
});
