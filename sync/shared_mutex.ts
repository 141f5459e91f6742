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
  type SharedPrimitiveHandle,
  type SharedStruct,
  sharedStruct,
} from "./shared_layout.ts";
import {
  attaching,
  CHANNEL,
  Deadline,
  guard,
  takeAttached,
  waitUntil,
  wake,
} from "./shared_wait.ts";
import type { Guard, MutexLike, WaitOptions } from "./types.ts";

const KIND = "SharedMutex";
const LAYOUT = { cells: ["i32", 1 + CHANNEL] } as const;
/** The holder's id, 0 when free. */
const HOLDER = 0;
const WAIT = 1;

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
 * Fairness: not FIFO. A release wakes one sleeper (V8 wakes sleepers of a
 * word in the order they went to sleep), but a caller that arrives at that
 * moment may take the lock first (barging), and the woken one sleeps again.
 * A strict ticket order across isolates would make every handoff wait for a
 * thread wake-up (tens of microseconds) and could not skip a waiter that
 * timed out in an isolate that is busy; barging keeps the lock fast and a
 * waiter that times out harmless. The cost: a holder that releases and
 * takes the lock again at once keeps it, often for milliseconds, while the
 * others sleep; starvation is possible under constant contention, so bound
 * waits with `timeout`. Before it sleeps (and after each wake-up) a waiter
 * spins for up to 50 microseconds, which blocks its event loop that long.
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
export class SharedMutex implements MutexLike {
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
      ? sharedStruct(LAYOUT, { name: KIND })
      : attachStruct(LAYOUT, from, { name: KIND });
    this.buffer = s.buffer;
    this.offset = s.offset;
    this.#struct = s;
    this.#cells = s.views.cells;
    this.#id = s.nextId();
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
  get handle(): SharedPrimitiveHandle {
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
    return waitUntil(
      this.#cells,
      WAIT,
      () => this.tryAcquire(),
      new Deadline("SharedMutex.acquire", options),
    );
  }

  /**
   * Release the lock. `NotHeldError` when this instance does not hold it.
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
    if (
      Atomics.compareExchange(this.#cells, HOLDER, this.#id, 0) !== this.#id
    ) {
      throw new NotHeldError("SharedMutex.release");
    }
    wake(this.#cells, WAIT, 1);
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
