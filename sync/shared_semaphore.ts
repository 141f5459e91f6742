/**
 * `SharedSemaphore` and `SharedBoundedSemaphore`: counting semaphores in a
 * `SharedArrayBuffer`, shared by worker actors and the main isolate.
 *
 * @module
 */

import { OverReleaseError } from "./errors.ts";
import {
  attachStruct,
  type SharedHandle,
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
import type { Guard, LockCore, WaitOptions } from "./types.ts";

const LAYOUT = { cells: ["i32", 2 + CHANNEL] } as const;
const VALUE = 0;
/** The bound of a bounded semaphore, -1 for an unbounded one. */
const BOUND = 1;
const WAIT = 2;

/**
 * A counting semaphore shared by every isolate that attaches to its buffer:
 * `acquire` takes a permit, waiting while there is none; `release` gives one
 * back (from any isolate: permits have no owner).
 *
 * Send `semaphore.handle` to a worker actor in a message and attach there
 * with `SharedSemaphore.from(handle)`.
 *
 * Fairness: not FIFO, and unlike `SharedMutex` without a bound on
 * starvation: a release wakes the longest sleeper, but a caller arriving
 * then may take the permit first, so under constant contention a waiter
 * can wait for as long as others keep taking permits back at once. (The
 * mutex's handoff to a waiter that has waited 1 ms is not done here: a
 * permit has no owner to name, and handing one over needs a reserved count
 * per waiter; bound such waits with `timeout`.)
 *
 * @example
 * ```ts
 * import { SharedSemaphore } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const s = new SharedSemaphore(2);
 * using _a = await s.lock();
 * const there = SharedSemaphore.from(s.handle); // as a worker actor would
 * assert.ok(there.tryAcquire());
 * assert.equal(s.value, 0);
 * there.release();
 * ```
 */
export class SharedSemaphore implements LockCore {
  /** The buffer that holds the semaphore's state. */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  #cells: Int32Array;
  #kind: string;

  /**
   * A semaphore with `value` permits (default 1), in a buffer of its own.
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedSemaphore(3).value, 3);
   * ```
   */
  constructor(value = 1) {
    this.#kind = new.target === SharedBoundedSemaphore
      ? "SharedBoundedSemaphore"
      : "SharedSemaphore";
    const from = takeAttached<SharedHandle>();
    if (from === undefined) {
      if (!Number.isInteger(value) || value < 0 || value > 0x3fffffff) {
        throw new RangeError(
          `${this.#kind}: value must be an integer from 0 to 2^30-1, got ${value}`,
        );
      }
      const s = sharedStruct(LAYOUT, { name: this.#kind });
      this.#cells = s.views.cells;
      this.#cells[VALUE] = value;
      this.#cells[BOUND] = this.#kind === "SharedBoundedSemaphore" ? value : -1;
      this.buffer = s.buffer;
      this.offset = s.offset;
    } else {
      const s = attachStruct(LAYOUT, from, { name: this.#kind });
      this.#cells = s.views.cells;
      this.buffer = s.buffer;
      this.offset = s.offset;
    }
  }

  /**
   * Attach to a semaphore made elsewhere, from its `handle`. `LayoutError`
   * when the buffer holds something else (a bounded semaphore's buffer is
   * something else for `SharedSemaphore.from`, and the other way round).
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(4);
   * assert.equal(SharedSemaphore.from(s.handle).value, 4);
   * ```
   */
  static from(handle: SharedHandle): SharedSemaphore {
    return attaching(handle, () => new SharedSemaphore());
  }

  /**
   * Plain data to send to a worker actor; `from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedSemaphore().handle.kind, "SharedSemaphore");
   * ```
   */
  get handle(): SharedHandle {
    return { kind: this.#kind, buffer: this.buffer, offset: this.offset };
  }

  /**
   * Permits available now.
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(2);
   * s.tryAcquire();
   * assert.equal(s.value, 1);
   * ```
   */
  get value(): number {
    return Atomics.load(this.#cells, VALUE);
  }

  /**
   * Take a permit if one is free now.
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(1);
   * assert.deepEqual([s.tryAcquire(), s.tryAcquire()], [true, false]);
   * ```
   */
  tryAcquire(): boolean {
    const cells = this.#cells;
    for (;;) {
      const v = Atomics.load(cells, VALUE);
      if (v <= 0) return false;
      if (Atomics.compareExchange(cells, VALUE, v, v - 1) === v) return true;
    }
  }

  /**
   * Wait for a permit; `WaitTimeoutError` / `WaitAbortedError` as with
   * `SharedMutex.acquire`.
   *
   * @example
   * ```ts
   * import { SharedSemaphore, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(1);
   * await s.acquire();
   * await assert.rejects(s.acquire({ timeout: 5 }), WaitTimeoutError);
   * s.release();
   * ```
   */
  acquire(options?: WaitOptions): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return waitUntil(
      this.#cells,
      WAIT,
      () => this.tryAcquire(),
      new Deadline(`${this.#kind}.acquire`, options),
    );
  }

  /**
   * Give back a permit. A `SharedBoundedSemaphore` throws `OverReleaseError`
   * instead of going above its initial value.
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(0);
   * s.release();
   * assert.equal(s.value, 1);
   * ```
   */
  release(): void {
    const cells = this.#cells;
    const bound = Atomics.load(cells, BOUND);
    if (bound < 0) {
      Atomics.add(cells, VALUE, 1);
    } else {
      for (;;) {
        const v = Atomics.load(cells, VALUE);
        if (v >= bound) throw new OverReleaseError(bound);
        if (Atomics.compareExchange(cells, VALUE, v, v + 1) === v) break;
      }
    }
    wake(cells, WAIT, 1);
  }

  /**
   * Wait for a permit and return a guard that gives it back (`using`).
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(1);
   * {
   *   using _permit = await s.lock();
   *   assert.equal(s.value, 0);
   * }
   * assert.equal(s.value, 1);
   * ```
   */
  async lock(options?: WaitOptions): Promise<Guard> {
    await this.acquire(options);
    return guard(() => this.release());
  }
}

/**
 * A `SharedSemaphore` that refuses to be released above its initial value:
 * `release()` then throws `OverReleaseError` (Python's `BoundedSemaphore`).
 *
 * @example
 * ```ts
 * import { OverReleaseError, SharedBoundedSemaphore } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const s = new SharedBoundedSemaphore(2);
 * await s.acquire();
 * s.release();
 * assert.throws(() => s.release(), OverReleaseError);
 * ```
 */
export class SharedBoundedSemaphore extends SharedSemaphore {
  /**
   * Attach to a bounded semaphore made elsewhere, from its `handle`.
   *
   * @example
   * ```ts
   * import { SharedBoundedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedBoundedSemaphore(3);
   * assert.equal(SharedBoundedSemaphore.from(s.handle).value, 3);
   * ```
   */
  static override from(handle: SharedHandle): SharedBoundedSemaphore {
    return attaching(handle, () => new SharedBoundedSemaphore());
  }
}
