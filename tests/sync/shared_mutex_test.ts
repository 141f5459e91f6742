/**
 * `SharedMutex` across real worker actors and the main isolate: a race that
 * loses updates without the lock and none with it, misuse errors, and waits
 * that end by timeout or abort leaving nothing pending.
 */
import assert from "node:assert/strict";
import { ActorSystem, HandlerError } from "@troupe/troupe/actors";
import {
  LayoutError,
  NotHeldError,
  SharedMutex,
  SharedSemaphore,
  WaitAbortedError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import { peers } from "./shared_peers.ts";

const N = 4;
const M = 40;

Deno.test("N workers x M read-pause-write increments: exactly N*M under the SharedMutex, fewer without", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const workers = peers(system, N);

  // Without the lock the same fixture visibly loses updates.
  const bare = new SharedArrayBuffer(12);
  await Promise.all(
    workers.map((w) => w.ask("count", { cells: bare, times: M })),
  );
  const unlocked = new Int32Array(bare);
  assert.ok(unlocked[0] < N * M, `expected lost updates, got ${unlocked[0]}`);
  assert.ok(unlocked[2] > 1, "the workers overlapped");

  const mutex = new SharedMutex();
  const cells = new SharedArrayBuffer(12);
  await Promise.all(
    workers.map((w) =>
      w.ask("count", { mutex: mutex.handle, cells, times: M })
    ),
  );
  const locked = new Int32Array(cells);
  assert.equal(locked[0], N * M);
  assert.equal(locked[2], 1, "never two holders at once");
  assert.equal(mutex.locked, false);
});

Deno.test("the main isolate and a worker contend on one SharedMutex", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const [worker] = peers(system, 1);
  const mutex = new SharedMutex();
  const cells = new SharedArrayBuffer(12);
  const c = new Int32Array(cells);
  const mine = (async () => {
    for (let i = 0; i < M; i++) {
      using _held = await mutex.lock({ timeout: 20_000 });
      const v = c[0];
      await new Promise((r) => setTimeout(r, 0));
      c[0] = v + 1;
    }
  })();
  await Promise.all([
    mine,
    worker.ask("count", { mutex: mutex.handle, cells, times: M }),
  ]);
  assert.equal(c[0], 2 * M);

  // A worker holds it: the main isolate waits, and gets it after unlock.
  await worker.ask("lock", mutex.handle);
  assert.ok(mutex.locked && !mutex.heldHere);
  assert.equal(mutex.tryAcquire(), false);
  const waiting = mutex.acquire({ timeout: 20_000 });
  worker.tell("unlock");
  await waiting;
  assert.ok(mutex.heldHere);
  // And the other way round.
  assert.equal(
    await worker.ask("tryLock", { mutex: mutex.handle, timeout: 10 }),
    "WaitTimeoutError",
  );
  mutex.release();
  assert.equal(
    await worker.ask("tryLock", { mutex: mutex.handle, timeout: 20_000 }),
    "ok",
  );
});

Deno.test("SharedMutex misuse: releasing what another holder holds, attaching the wrong buffer", async () => {
  await using system = new ActorSystem();
  const [worker] = peers(system, 1);
  const mutex = new SharedMutex();
  assert.throws(() => mutex.release(), NotHeldError);
  await mutex.acquire();
  // Another instance (another holder id), here and in a worker.
  assert.throws(() => SharedMutex.from(mutex.handle).release(), NotHeldError);
  assert.equal(
    await worker.ask("releaseForeign", mutex.handle),
    "NotHeldError",
  );
  assert.ok(mutex.heldHere);
  mutex.release();

  // A semaphore's buffer is not a mutex: here and across the boundary.
  const sem = new SharedSemaphore(1);
  assert.throws(
    () => SharedMutex.from(sem.handle),
    (e) =>
      e instanceof LayoutError &&
      /expected a SharedMutex .* found a SharedSemaphore/.test(e.message),
  );
  const err = await worker.ask("attachMutex", sem.handle).catch((e) => e);
  assert.ok(err instanceof HandlerError);
  assert.equal(err.original.name, "LayoutError");
  assert.match(err.original.message, /found a SharedSemaphore/);
  assert.equal(await worker.ask("attachMutex", mutex.handle), "attached");
});

Deno.test("SharedMutex waits end by timeout or abort, and a waiter that gives up does not swallow a wake-up", async () => {
  await using system = new ActorSystem();
  const [worker] = peers(system, 1);
  const mutex = new SharedMutex();
  await worker.ask("lock", mutex.handle);

  await assert.rejects(mutex.acquire({ timeout: 5 }), WaitTimeoutError);
  const controller = new AbortController();
  const aborted = mutex.acquire({ signal: controller.signal });
  controller.abort("stop");
  await assert.rejects(
    aborted,
    (e) => e instanceof WaitAbortedError && e.cause === "stop",
  );
  await assert.rejects(
    mutex.acquire({ signal: AbortSignal.abort("already") }),
    WaitAbortedError,
  );

  // Two sleepers: one gives up, the other must still get the lock.
  const other = SharedMutex.from(mutex.handle);
  const patient = other.acquire({ timeout: 20_000 });
  const impatient = mutex.acquire({ timeout: 5 });
  await assert.rejects(impatient, WaitTimeoutError);
  worker.tell("unlock");
  await patient;
  assert.ok(other.heldHere);
  other.release();
});

Deno.test("a structured clone of a SharedMutex re-attaches with from()", async () => {
  const mutex = new SharedMutex();
  const clone = structuredClone(mutex) as unknown as {
    buffer: SharedArrayBuffer;
    offset: number;
  };
  assert.equal(Object.getPrototypeOf(clone), Object.prototype);
  assert.deepEqual(Object.keys(clone).sort(), ["buffer", "offset"]);
  const again = SharedMutex.from(clone);
  using _held = await again.lock();
  assert.ok(mutex.locked && !mutex.heldHere);
});
