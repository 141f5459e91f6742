/**
 * `SharedSemaphore`: a counting semaphore in a `SharedArrayBuffer`, shared
 * by worker actors and the main isolate, bounded or not.
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
import type { Guard, WaitOptions } from "./types.ts";

const LAYOUT = { cells: ["i32", 2 + CHANNEL] } as const;
const VALUE = 0;
/** The bound of a bounded semaphore, -1 for an unbounded one. */
const BOUND = 1;
const WAIT = 2;
/** The layout name (and handle kind) of a bounded semaphore's buffer. */
const BOUNDED = "SharedBoundedSemaphore";

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
export class SharedSemaphore {
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
   * import { OverReleaseError, SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedSemaphore(3).value, 3);
   * const bounded = new SharedSemaphore(1, { bounded: true });
   * assert.throws(() => bounded.release(), OverReleaseError);
   * ```
   */
  constructor(value = 1, options: {
    /**
     * Refuse a `release`, from any isolate, that would raise the value
     * above `value` (`OverReleaseError`), as Python's `BoundedSemaphore`.
     */
    bounded?: boolean;
  } = {}) {
    const from = takeAttached<SharedHandle>();
    // A bounded semaphore's buffer is named apart (its handle's kind), so
    // that attaching checks which of the two it is.
    this.#kind =
      (from === undefined ? options.bounded === true : from.kind === BOUNDED)
        ? BOUNDED
        : "SharedSemaphore";
    if (from === undefined) {
      if (!Number.isInteger(value) || value < 0 || value > 0x3fffffff) {
        throw new RangeError(
          `${this.#kind}: value must be an integer from 0 to 2^30-1, got ${value}`,
        );
      }
      const s = sharedStruct(LAYOUT, { name: this.#kind });
      this.#cells = s.views.cells;
      this.#cells[VALUE] = value;
      this.#cells[BOUND] = this.#kind === BOUNDED ? value : -1;
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
   * Attach to a semaphore made elsewhere, bounded or not, from its `handle`.
   * `LayoutError` when the buffer holds something else (or the handle's
   * `kind` says bounded and the buffer holds an unbounded one, or the other
   * way round).
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
   * The initial value, which `release` may not exceed, when bounded.
   *
   * @example
   * ```ts
   * import { SharedSemaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const s = new SharedSemaphore(2, { bounded: true });
   * assert.equal(SharedSemaphore.from(s.handle).bound, 2);
   * assert.equal(new SharedSemaphore(2).bound, undefined);
   * ```
   */
  get bound(): number | undefined {
    const bound = Atomics.load(this.#cells, BOUND);
    return bound < 0 ? undefined : bound;
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
   * Give back a permit. A bounded semaphore throws `OverReleaseError`
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
