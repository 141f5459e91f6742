/**
 * `SharedMutex`: a lock in a `SharedArrayBuffer`, so that worker actors and
 * the main isolate contend on the same lock.
 *
 * @module
 */

import { NotHeldError } from "./errors.ts";
import {
  attachStruct,
  type SharedHandle,
  type SharedStruct,
  sharedStruct,
} from "./shared_layout.ts";
import {
  attaching,
  CHANNEL,
  Deadline,
  guard,
  sleepOn,
  spin,
  takeAttached,
  wake,
} from "./shared_wait.ts";
import type { Guard, WaitOptions } from "./types.ts";

const KIND = "SharedMutex";
/**
 * Revision 2: a cell for the spinning candidate (revision 1 added the
 * handoff cells; revision 0 had only the holder and WAIT).
 */
const REVISION = 2;
const LAYOUT = { cells: ["i32", 5 + 2 * CHANNEL] } as const;
/**
 * 0 when free; the holder's id (> 0) when held; `-token` while the lock is
 * being handed to the waiter that registered with `token` (held by nobody,
 * and only that waiter may take it).
 */
const HOLDER = 0;
/** Where waiters that are not the candidate sleep. */
const WAIT = 1;
/** Where the candidate sleeps (a release that hands off wakes it here). */
const CAND = WAIT + CHANNEL;
/**
 * The candidate: the token of the waiter that the next release hands the
 * lock to once it has waited `STARVE_US`; 0 when none; -1 while a waiter
 * writes its registration.
 */
const STARVER = CAND + CHANNEL;
/** When the candidate began to wait (µs, wrapping Int32; see `nowUs`). */
const SINCE = STARVER + 1;
/** Hands out waiter tokens. */
const TOKENS = SINCE + 1;
/**
 * The candidate's token while it spins (awake, so a handoff to it costs no
 * wake-up); 0 otherwise.
 */
const SPINNING = TOKENS + 1;
/** Tokens and holder ids stay in 1 ..= 2^30. */
const MASK = 0x3fffffff;
/**
 * How long a waiter waits before a release hands the lock to it rather
 * than freeing it (Go's `sync.Mutex` uses the same 1 ms).
 */
const STARVE_US = 1_000;

/**
 * A clock every isolate of the process reads alike, in microseconds, as a
 * wrapping Int32 (differences are right for waits under 35 minutes).
 */
const ORIGIN_US = performance.timeOrigin * 1000;
function nowUs(): number {
  return (ORIGIN_US + performance.now() * 1000) | 0;
}

/** Whether a wait that began at `since` began before the candidate's. */
function older(since: number, cells: Int32Array): boolean {
  return ((Atomics.load(cells, SINCE) - since) | 0) > 0;
}

/** Whether a wait that began at `since` (see `nowUs`) is past the threshold. */
function starving(since: number): boolean {
  const waited = (nowUs() - since) | 0;
  // A wait long enough to wrap comes out negative and large.
  return waited >= STARVE_US || waited < -(1 << 30);
}

/**
 * A mutual-exclusion lock shared by every isolate that attaches to its
 * buffer: the main isolate and any number of worker actors.
 *
 * Each attached instance is one holder, with an id recorded in the buffer
 * while it holds the lock; `release()` from an instance that does not hold
 * it throws `NotHeldError`. Async tasks that share one instance share its
 * holdership (as with the isolate-scope `Mutex`, the lock does not know
 * tasks apart). It is not reentrant: acquiring it again from the holder
 * waits.
 *
 * To use it in a worker actor, send `mutex.handle` in a message (a class
 * instance does not cross hosts; the handle is plain data and its buffer is
 * shared, not copied) and attach there with `SharedMutex.from(handle)`.
 * `from` also takes a structured clone of an instance, since its state is
 * the public fields `buffer` and `offset`.
 *
 * Fairness: bounded starvation, not FIFO (the scheme of Go's
 * `sync.Mutex`). In normal mode the lock barges: a release frees it, wakes
 * one sleeper, and whoever tries first takes it (often the holder itself,
 * looping), which keeps it fast. But one waiter at a time is the
 * *candidate*: it records in the buffer when it began to wait (the oldest
 * waiter that has tried takes the place: an older waiter displaces a
 * younger candidate). Once the candidate has waited 1 ms, the lock is in
 * starvation mode: the next release does not free it but hands it to the
 * candidate (the holder word names the candidate's token), so nobody can
 * barge; the candidate takes it when it runs, even if its isolate was busy
 * meanwhile. The lock leaves starvation mode by itself when the next
 * candidate has waited less than 1 ms. So, with two contenders, once a
 * waiter has waited 1 ms the other acquires the lock at most once more
 * before it; with more, each release after the candidate's first 1 ms
 * serves the oldest waiter that has tried since the last handoff, but
 * waiters asleep when the place falls free are not ordered among
 * themselves. A release also hands the lock to a candidate that is
 * spinning (awake: it takes the lock within nanoseconds, where waking a
 * sleeper takes tens of microseconds), so two isolates that contend hard
 * pass the lock back and forth instead of one keeping it while the other
 * sleeps. A candidate that times out or is aborted as the lock is
 * handed to it gives it back (or the releaser takes the handoff back): the
 * lock is never lost nor left held by nobody. Before it sleeps (and after
 * each wake-up) a waiter spins for up to 50 microseconds, which blocks its
 * event loop that long.
 *
 * @example
 * ```ts
 * import { SharedMutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const mutex = new SharedMutex();
 * {
 *   using _held = await mutex.lock({ timeout: 1_000 });
 *   assert.ok(mutex.locked);
 * }
 * // In a worker actor that got `mutex.handle` in a message:
 * const there = SharedMutex.from(mutex.handle);
 * assert.ok(there.tryAcquire());
 * assert.ok(!mutex.tryAcquire());
 * there.release();
 * ```
 */
export class SharedMutex {
  /** The buffer that holds the lock's state (shared, not copied, in a message). */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  #cells: Int32Array;
  #id: number;
  #struct: SharedStruct<typeof LAYOUT>;

  /**
   * A new, unlocked mutex in a buffer of its own.
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * const m = new SharedMutex();
   * ```
   */
  constructor() {
    const from = takeAttached<SharedHandle>();
    const s = from === undefined
      ? sharedStruct(LAYOUT, { name: KIND, revision: REVISION })
      : attachStruct(LAYOUT, from, { name: KIND, revision: REVISION });
    this.buffer = s.buffer;
    this.offset = s.offset;
    this.#struct = s;
    this.#cells = s.views.cells;
    this.#id = ((s.nextId() - 1) & MASK) + 1;
  }

  /**
   * Attach to a mutex made elsewhere, from its `handle` (or a structured
   * clone of it). Each call is a new holder. `LayoutError` when the buffer
   * holds something else.
   *
   * @example
   * ```ts
   * import { LayoutError, SharedEvent, SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = SharedMutex.from(new SharedMutex().handle);
   * assert.equal(m.locked, false);
   * assert.throws(() => SharedMutex.from(new SharedEvent().handle), LayoutError);
   * ```
   */
  static from(handle: SharedHandle): SharedMutex {
    return attaching(handle, () => new SharedMutex());
  }

  /**
   * Plain data to send to a worker actor; `SharedMutex.from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const h = new SharedMutex().handle;
   * assert.equal(h.kind, "SharedMutex");
   * assert.ok(h.buffer instanceof SharedArrayBuffer);
   * ```
   */
  get handle(): SharedHandle {
    return { kind: KIND, buffer: this.buffer, offset: this.offset };
  }

  /**
   * A number the same in every isolate attached to this mutex.
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * assert.equal(SharedMutex.from(m.handle).uid, m.uid);
   * ```
   */
  get uid(): number {
    return this.#struct.uid;
  }

  /**
   * Whether anyone (in any isolate) holds the lock.
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * assert.equal(m.locked, false);
   * ```
   */
  get locked(): boolean {
    return Atomics.load(this.#cells, HOLDER) !== 0;
  }

  /**
   * Whether this instance holds the lock.
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * const other = SharedMutex.from(m.handle);
   * m.tryAcquire();
   * assert.deepEqual([m.heldHere, other.heldHere], [true, false]);
   * ```
   */
  get heldHere(): boolean {
    return Atomics.load(this.#cells, HOLDER) === this.#id;
  }

  /**
   * Take the lock if it is free now.
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * assert.equal(m.tryAcquire(), true);
   * assert.equal(m.tryAcquire(), false);
   * ```
   */
  tryAcquire(): boolean {
    return Atomics.compareExchange(this.#cells, HOLDER, 0, this.#id) === 0;
  }

  /**
   * Wait for the lock. Rejects with `WaitTimeoutError` after `timeout` ms or
   * `WaitAbortedError` when `signal` aborts (checked only when it has to
   * wait), leaving no timer or waiter behind.
   *
   * @example
   * ```ts
   * import { SharedMutex, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * await m.acquire();
   * await assert.rejects(
   *   SharedMutex.from(m.handle).acquire({ timeout: 5 }),
   *   WaitTimeoutError,
   * );
   * m.release();
   * ```
   */
  acquire(options?: WaitOptions): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return this.#wait(new Deadline("SharedMutex.acquire", options));
  }

  /**
   * The slow path: try, register as the candidate when the place is free
   * (or held by a younger waiter), spin, sleep; on giving up, resign.
   */
  async #wait(deadline: Deadline): Promise<void> {
    if (deadline.signal?.aborted) throw deadline.aborted();
    const cells = this.#cells;
    const since = nowUs();
    let token = 0;
    const attempt = (): boolean => {
      // The place first, then the holder: a release sets the holder to
      // our token before it clears our place, so if the place is no
      // longer ours because of a handoff, we see the handoff below and
      // take it, rather than displace the next candidate with a stale view.
      const cur = Atomics.load(cells, STARVER);
      const h = Atomics.load(cells, HOLDER);
      if (
        (h === 0 &&
          Atomics.compareExchange(cells, HOLDER, 0, this.#id) === 0) ||
        (h === -token && h !== 0 &&
          Atomics.compareExchange(cells, HOLDER, h, this.#id) === h)
      ) {
        if (token !== 0) {
          Atomics.compareExchange(cells, STARVER, token, 0);
          // The place is free: let the oldest sleeper claim it.
          wake(cells, WAIT, 1);
        }
        return true;
      }
      if (cur !== token || token === 0) {
        if (cur === 0 || (cur > 0 && older(since, cells))) {
          if (Atomics.compareExchange(cells, STARVER, cur, -1) === cur) {
            if (token === 0) {
              token = (Atomics.add(cells, TOKENS, 1) & MASK) + 1;
            }
            Atomics.store(cells, SINCE, since);
            Atomics.store(cells, STARVER, token);
            Atomics.store(cells, SPINNING, token); // (cleared before sleeping)
            // A displaced candidate goes back to waiting as the others do.
            if (cur > 0) wake(cells, CAND, Infinity);
          }
        }
      }
      return false;
    };
    try {
      for (;;) {
        if (token !== 0) Atomics.store(cells, SPINNING, token);
        const got = spin(attempt, deadline);
        if (token !== 0) Atomics.compareExchange(cells, SPINNING, token, 0);
        if (got) return;
        const at = token !== 0 && Atomics.load(cells, STARVER) === token
          ? CAND
          : WAIT;
        const seq = Atomics.load(cells, at);
        if (attempt()) return;
        if (
          at === WAIT && token !== 0 && Atomics.load(cells, STARVER) === token
        ) {
          continue; // became the candidate: sleep where handoffs wake
        }
        if (deadline.end <= performance.now()) throw deadline.timedOut();
        if (token !== 0) Atomics.compareExchange(cells, SPINNING, token, 0);
        await sleepOn(cells, at, seq, deadline);
      }
    } catch (e) {
      if (token !== 0) this.#resign(token);
      throw e;
    }
  }

  /**
   * A waiter with `token` gives up: leave the candidate's place, and give
   * back the lock if it was being handed to it; then wake the others (the
   * release that freed the lock may have woken only this waiter).
   */
  #resign(token: number): void {
    const cells = this.#cells;
    Atomics.compareExchange(cells, STARVER, token, 0);
    Atomics.compareExchange(cells, HOLDER, -token, 0);
    wake(cells, WAIT, 1);
    wake(cells, CAND, Infinity);
  }

  /**
   * Release the lock. `NotHeldError` when this instance does not hold it.
   * When the candidate has waited 1 ms, the lock goes to it rather than
   * becoming free (see the class's fairness notes).
   *
   * @example
   * ```ts
   * import { NotHeldError, SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * assert.throws(() => m.release(), NotHeldError);
   * ```
   */
  release(): void {
    const cells = this.#cells;
    const id = this.#id;
    const s = Atomics.load(cells, STARVER);
    // Hand over to the candidate when it is awake (spinning: it takes the
    // lock at once) or has waited past the threshold; otherwise free the
    // lock (barging: cheap when the candidate sleeps).
    if (
      s > 0 &&
      (Atomics.load(cells, SPINNING) === s ||
        starving(Atomics.load(cells, SINCE)))
    ) {
      if (Atomics.compareExchange(cells, HOLDER, id, -s) !== id) {
        throw new NotHeldError("SharedMutex.release");
      }
      if (Atomics.compareExchange(cells, STARVER, s, 0) !== s) {
        // It resigned or was displaced after we read it: take the handoff
        // back (unless it took it already) and free the lock.
        Atomics.compareExchange(cells, HOLDER, -s, 0);
      }
      wake(cells, CAND, Infinity);
      // The place is free: let the oldest sleeper claim it.
      wake(cells, WAIT, 1);
      return;
    }
    if (Atomics.compareExchange(cells, HOLDER, id, 0) !== id) {
      throw new NotHeldError("SharedMutex.release");
    }
    wake(cells, WAIT, 1);
    if (Atomics.load(cells, STARVER) !== 0) wake(cells, CAND, Infinity);
  }

  /**
   * Wait for the lock and return a guard that releases it (`using`).
   *
   * @example
   * ```ts
   * import { SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * {
   *   using _held = await m.lock();
   *   assert.ok(m.heldHere);
   * }
   * assert.ok(!m.locked);
   * ```
   */
  async lock(options?: WaitOptions): Promise<Guard> {
    await this.acquire(options);
    return guard(() => this.release());
  }
}
