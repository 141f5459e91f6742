/**
 * Every wait of the isolate scope: its timeout and its abort reject with the
 * typed error, an already-aborted signal rejects at once, and no timer or
 * listener outlives the wait (the test sanitizers check the timers).
 */

import {
  Barrier,
  BrokenBarrierError,
  Channel,
  Condition,
  Event,
  Mutex,
  Queue,
  ReentrantMutex,
  RWLock,
  Semaphore,
  WaitAbortedError,
  type WaitOptions,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import assert from "node:assert/strict";

/** A wait that cannot succeed until something else happens. */
interface Blocked {
  name: string;
  /** Set up a primitive in a state where `wait` must wait. */
  make: () => Promise<(options: WaitOptions) => Promise<unknown>>;
  /** The error every outcome is wrapped in, if not the plain one. */
  wrapped?: typeof BrokenBarrierError;
}

const BLOCKED: Blocked[] = [
  {
    name: "Mutex.acquire",
    make: async () => {
      const m = new Mutex();
      await m.acquire();
      return (o) => m.acquire(o);
    },
  },
  {
    name: "ReentrantMutex.acquire",
    make: async () => {
      const m = new ReentrantMutex();
      await m.acquire();
      return (o) => m.acquire(o);
    },
  },
  {
    name: "Semaphore.acquire",
    make: () => {
      const s = new Semaphore(0);
      return Promise.resolve((o) => s.acquire(o));
    },
  },
  {
    name: "RWLock.read",
    make: async () => {
      const rw = new RWLock();
      await rw.write();
      return (o) => rw.read(o);
    },
  },
  {
    name: "RWLock.write",
    make: async () => {
      const rw = new RWLock();
      await rw.read();
      return (o) => rw.write(o);
    },
  },
  {
    name: "Condition.wait",
    make: async () => {
      const c = new Condition();
      await c.lock.acquire();
      return async (o) => {
        try {
          await c.wait(o);
        } finally {
          // Whatever happened, the lock is held again.
          assert.ok(c.lock.locked);
        }
      };
    },
  },
  {
    name: "Event.wait",
    make: () => {
      const e = new Event();
      return Promise.resolve((o) => e.wait(o));
    },
  },
  {
    name: "Barrier.wait",
    make: () => {
      const b = new Barrier(2);
      return Promise.resolve((o) => b.wait(o));
    },
    wrapped: BrokenBarrierError,
  },
  {
    name: "Queue.get",
    make: () => {
      const q = new Queue<number>();
      return Promise.resolve((o) => q.get(o));
    },
  },
  {
    name: "Queue.put",
    make: async () => {
      const q = new Queue<number>({ maxSize: 1 });
      await q.put(0);
      return (o) => q.put(1, o);
    },
  },
  {
    name: "Queue.join",
    make: async () => {
      const q = new Queue<number>();
      await q.put(0);
      return (o) => q.join(o);
    },
  },
  {
    name: "Channel.send",
    make: () => {
      const ch = new Channel<number>();
      return Promise.resolve((o) => ch.send(1, o));
    },
  },
  {
    name: "Channel.receive",
    make: () => {
      const ch = new Channel<number>();
      return Promise.resolve((o) => ch.receive(o));
    },
  },
  {
    name: "Channel.race",
    make: () => {
      const a = new Channel<number>();
      const b = new Channel<number>(2);
      return Promise.resolve((o) => Channel.race([a, b], o));
    },
  },
];

/** Check `error` is `type`, directly or (for a barrier) as the cause. */
function expectError(
  error: unknown,
  type: typeof WaitTimeoutError | typeof WaitAbortedError,
  wrapped: typeof BrokenBarrierError | undefined,
): Error {
  if (wrapped !== undefined) {
    assert.ok(error instanceof wrapped, `${error}`);
    error = (error as Error).cause;
  }
  assert.ok(error instanceof type, `${error}`);
  return error as Error;
}

for (const b of BLOCKED) {
  Deno.test(`${b.name}: a timeout rejects with WaitTimeoutError`, async () => {
    const wait = await b.make();
    const error = await wait({ timeout: 2 }).then(
      () => assert.fail("resolved"),
      (e) => e,
    );
    const e = expectError(error, WaitTimeoutError, b.wrapped);
    assert.equal((e as WaitTimeoutError).timeoutMs, 2);
  });

  Deno.test(`${b.name}: an abort rejects with WaitAbortedError`, async () => {
    const wait = await b.make();
    const ac = new AbortController();
    const reason = new Error("stop now");
    // A long timeout as well: aborting must clear its timer too.
    const p = wait({ signal: ac.signal, timeout: 60_000 }).then(
      () => assert.fail("resolved"),
      (e) => e,
    );
    await Promise.resolve();
    ac.abort(reason);
    const e = expectError(await p, WaitAbortedError, b.wrapped);
    assert.equal(e.cause, reason);
  });

  Deno.test(`${b.name}: an aborted signal rejects at once`, async () => {
    const wait = await b.make();
    const reason = "already gone";
    const e = expectError(
      await wait({ signal: AbortSignal.abort(reason) }).then(
        () => assert.fail("resolved"),
        (e) => e,
      ),
      WaitAbortedError,
      b.wrapped,
    );
    assert.equal(e.cause, reason);
  });

  Deno.test(`${b.name}: a timeout of 0 does not wait`, async () => {
    const wait = await b.make();
    const error = await wait({ timeout: 0 }).then(
      () => assert.fail("resolved"),
      (e) => e,
    );
    expectError(error, WaitTimeoutError, b.wrapped);
  });
}

/** Waits that succeed before their long timeout: the timer must be gone. */
Deno.test("a wait that succeeds clears its timer and its abort listener", async () => {
  const ac = new AbortController();
  const o = { timeout: 60_000, signal: ac.signal };

  const m = new Mutex();
  await m.acquire();
  const acquired = m.acquire(o);
  m.release();
  await acquired;
  m.release();

  const s = new Semaphore(0);
  const permit = s.acquire(o);
  s.release();
  await permit;

  const e = new Event();
  const set = e.wait(o);
  e.set();
  await set;

  const q = new Queue<number>({ maxSize: 1 });
  const got = q.get(o);
  await q.put(1, o);
  assert.equal(await got, 1);
  await q.put(2);
  const put = q.put(3, o);
  assert.equal(await q.get(o), 2);
  await put;

  const ch = new Channel<number>();
  const received = Channel.race([ch, new Channel<number>()], o);
  await ch.send(7, o);
  assert.equal((await received).value, 7);

  const b = new Barrier(2);
  assert.deepEqual(await Promise.all([b.wait(o), b.wait(o)]), [0, 1]);

  // The abort after success must change nothing.
  ac.abort();
  assert.ok(!m.locked);
});

Deno.test("a timeout that is not a number >= 0 is a RangeError", async () => {
  const m = new Mutex();
  await assert.rejects(m.acquire({ timeout: -1 }), RangeError);
  await assert.rejects(m.acquire({ timeout: NaN }), RangeError);
  assert.ok(!m.locked);
});
