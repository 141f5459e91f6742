/**
 * `SharedMutex` across real worker actors and the main isolate: a race that
 * loses updates without the lock and none with it, bounded starvation
 * between workers that hog the lock, waiters that give up as the lock is
 * handed to them, misuse errors, and waits that end by timeout or abort
 * leaving nothing pending.
 */
import assert from "node:assert/strict";
import { ActorSystem, HandlerError } from "@troupe/troupe";
import {
  LayoutError,
  NotHeldError,
  SharedMutex,
  SharedSemaphore,
  WaitAbortedError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import { peers } from "./shared_peers.ts";
import {
  clock,
  takeTurns,
  turnBuffers,
  type TurnLog,
  turnLog,
} from "../fixtures/sync_shared.ts";
import { seeded, tick } from "../helpers.ts";

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

/** The mutex's starvation threshold, in ms. */
const THRESHOLD_MS = 1;
/**
 * Margin on the threshold for the clocks of two isolates (they agree to
 * microseconds) and for where the test reads the clock.
 */
const SLACK_MS = 1;

/**
 * For each entry of `log`: how many times a contender other than its holder
 * took the lock after that holder had been waiting (from when its
 * `acquire` call returned a pending promise) for the threshold plus the
 * slack. The largest such count, and where.
 */
function overtakes(log: TurnLog): { worst: number; at: number } {
  const n = Atomics.load(log.ctl, 0);
  let worst = 0;
  let at = -1;
  for (let e = 0; e < n; e++) {
    const from = log.since[e] + THRESHOLD_MS + SLACK_MS;
    let count = 0;
    for (let j = e - 1; j >= 0 && log.stamps[j] > log.since[e]; j--) {
      if (log.holders[j] !== log.holders[e] && log.stamps[j] > from) count++;
    }
    if (count > worst) [worst, at] = [count, e];
  }
  return { worst, at };
}

/** Times the lock passed from one contender to another, longest run. */
function turnsOf(log: TurnLog): { handoffs: number; longest: number } {
  const n = Atomics.load(log.ctl, 0);
  let handoffs = 0;
  let run = 0;
  let longest = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0 && log.holders[k] !== log.holders[k - 1]) {
      handoffs++;
      run = 0;
    }
    longest = Math.max(longest, ++run);
  }
  return { handoffs, longest };
}

// Two workers each loop acquire, a short critical section, release, and at
// once acquire again: with a barging lock the one that holds it keeps it
// while the other sleeps, for milliseconds and hundreds of acquisitions.
// The bound asserted counts acquisitions, not time: once a waiter has
// waited the threshold, the release of the acquisition in progress hands
// the lock to it, so the other worker starts at most ONE more acquisition
// (the one in progress) before it, however slow the machine or long either
// worker is descheduled. Time only says from when to count (the
// threshold plus a slack of 1 ms for the clocks), and more slack makes the
// assertion only looser, never flaky.
for (const holdUs of [0, 20]) {
  Deno.test(`two workers hogging a SharedMutex (critical section ${holdUs} us): once one has waited 1 ms the other acquires at most once more before it`, async () => {
    await using system = new ActorSystem({ askTimeout: 60_000 });
    const workers = peers(system, 2);
    const rounds = 3_000;
    const mutex = new SharedMutex();
    const buffers = turnBuffers(2 * rounds);
    await Promise.all(
      workers.map((w, i) =>
        w.ask("turns", {
          mutex: mutex.handle,
          log: buffers,
          me: i + 1,
          rounds,
          holdUs,
          parties: 2,
        })
      ),
    );
    const log = turnLog(buffers);
    assert.equal(Atomics.load(log.ctl, 0), 2 * rounds);
    assert.equal(Atomics.load(log.ctl, 3), 1, "never two holders at once");
    const { worst, at } = overtakes(log);
    const { handoffs, longest } = turnsOf(log);
    assert.ok(
      worst <= 1,
      `entry ${at} (worker ${log.holders[at]}) was overtaken ${worst} times ` +
        `after waiting ${THRESHOLD_MS + SLACK_MS} ms ` +
        `(${handoffs} handoffs, longest run ${longest})`,
    );
    assert.ok(handoffs >= 1, "the lock changed hands");
    assert.equal(mutex.locked, false);
  });
}

// The races of the handoff: a waiter whose timeout or abort fires just as
// a release hands it the lock must give it back (or the releaser takes it
// back), so that it is neither lost (held by nobody for good) nor taken by
// two. The main isolate waits with random timeouts and aborts around the
// threshold, from two instances (so that a younger candidate is displaced
// by an older one too), while a worker hogs the lock; every wait that ends
// in a timeout of the worker would show a lost handoff.
Deno.test("SharedMutex waiters that time out or abort as the lock is handed to them never lose it", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const [worker] = peers(system, 1);
  const mutex = new SharedMutex();
  const buffers = turnBuffers(50_000);
  const log = turnLog(buffers);
  const random = seeded(0x5eed);
  const hogRounds = 2_000;
  let hogDone = false;
  let taken = 0;
  let gaveUp = 0;
  // Both waiters of the main isolate loop for as long as the worker does.
  const waiter = async (m: SharedMutex, me: number): Promise<void> => {
    Atomics.add(log.ctl, 1, 1);
    while (Atomics.load(log.ctl, 1) < 3) await tick();
    while (!hogDone) {
      const ms = random() * 3 * THRESHOLD_MS;
      const controller = new AbortController();
      const byAbort = random() < 0.5;
      const timer = byAbort
        ? setTimeout(() => controller.abort("late"), ms)
        : undefined;
      try {
        await m.acquire(
          byAbort ? { signal: controller.signal } : { timeout: ms },
        );
      } catch (e) {
        assert.ok(
          e instanceof WaitTimeoutError || e instanceof WaitAbortedError,
        );
        gaveUp++;
        continue;
      } finally {
        clearTimeout(timer);
      }
      raise(log.ctl, 3, Atomics.add(log.ctl, 2, 1) + 1);
      const k = Atomics.add(log.ctl, 0, 1);
      Atomics.store(log.holders, k, me);
      log.stamps[k] = log.since[k] = clock();
      Atomics.sub(log.ctl, 2, 1);
      taken++;
      m.release();
      if (random() < 0.5) await tick();
    }
  };
  const hog = worker.ask("turns", {
    mutex: mutex.handle,
    log: buffers,
    me: 1,
    rounds: hogRounds,
    holdUs: 200,
    parties: 3,
  }).finally(() => hogDone = true);
  await Promise.all([
    waiter(mutex, 2),
    waiter(SharedMutex.from(mutex.handle), 3),
    hog,
  ]);
  assert.equal(Atomics.load(log.ctl, 0), hogRounds + taken);
  assert.equal(Atomics.load(log.ctl, 3), 1, "never two holders at once");
  // (About a quarter of the waits give up, and in runs of this test a
  // third of those had the lock handed to them at that moment.)
  assert.ok(gaveUp > 0 && taken > 0, `${gaveUp} gave up, ${taken} took it`);
  assert.equal(mutex.locked, false, "not held, nor handed to anybody");
  assert.ok(mutex.tryAcquire());
  mutex.release();
});

/** Raise the high-water mark at `cells[at]` to `value`. */
function raise(cells: Int32Array, at: number, value: number): void {
  for (;;) {
    const seen = Atomics.load(cells, at);
    if (value <= seen) return;
    if (Atomics.compareExchange(cells, at, seen, value) === seen) return;
  }
}

Deno.test("the main isolate and a worker hogging one SharedMutex: neither overtakes the other more than once after the threshold", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const [worker] = peers(system, 1);
  const mutex = new SharedMutex();
  const rounds = 2_000;
  const buffers = turnBuffers(2 * rounds);
  const log = turnLog(buffers);
  await Promise.all([
    worker.ask("turns", {
      mutex: mutex.handle,
      log: buffers,
      me: 1,
      rounds,
      holdUs: 10,
      parties: 2,
    }),
    takeTurns(mutex, log, { me: 2, rounds, holdUs: 10, parties: 2 }),
  ]);
  assert.equal(Atomics.load(log.ctl, 0), 2 * rounds);
  assert.equal(Atomics.load(log.ctl, 3), 1);
  const { worst, at } = overtakes(log);
  assert.ok(worst <= 1, `entry ${at} overtaken ${worst} times`);
  assert.equal(mutex.locked, false);
});

Deno.test("a SharedMutex buffer of the previous revision is a LayoutError", async () => {
  const { attachStruct, sharedStruct } = await import("@troupe/troupe/sync");
  const mutex = new SharedMutex();
  // Revision 1 had one cell fewer (no spinning-candidate cell).
  const old = sharedStruct({ cells: ["i32", 8] }, {
    name: "SharedMutex",
    revision: 1,
  });
  assert.throws(
    () => SharedMutex.from(old.handle),
    (e) => e instanceof LayoutError && /revision 2/.test(e.message),
  );
  assert.ok(attachStruct({ cells: ["i32", 9] }, mutex.handle, {
    name: "SharedMutex",
    revision: 2,
  }));
});
