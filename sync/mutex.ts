/**
 * `Mutex`: the isolate-scope mutual-exclusion lock, for async code and local
 * actors.
 *
 * @module
 */

import { NotHeldError } from "./errors.ts";
import { Held } from "./guard.ts";
import type { Guard, WaitOptions } from "./types.ts";
import { refuse, RESOLVED, WaiterList } from "./waiters.ts";

/**
 * A mutual-exclusion lock for async code in one isolate (asyncio's `Lock`).
 *
 * Fairness is exact FIFO: `release()` with waiters hands the lock straight
 * to the first of them (the lock never looks free in between), so a caller
 * that arrives later cannot barge in. An uncontended `acquire()` returns a
 * shared, already-resolved promise: it allocates nothing.
 *
 * Any code may release a held `Mutex` (as with Python's `Lock`); for a lock
 * that its holder may take again, see {@linkcode ReentrantMutex}.
 *
 * @example
 * ```ts
 * import { Mutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const m = new Mutex();
 * let inside = 0;
 * let most = 0;
 * await Promise.all([1, 2, 3].map(() =>
 *   m.runExclusive(async () => {
 *     most = Math.max(most, ++inside);
 *     await new Promise((r) => setTimeout(r, 1));
 *     inside--;
 *   })
 * ));
 * assert.equal(most, 1);
 * ```
 */
export class Mutex {
  #locked = false;
  #waiters = new WaiterList<void>();

  /**
   * Whether someone holds the lock.
   *
   * @example
   * ```ts
   * import { Mutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new Mutex();
   * assert.equal(m.locked, false);
   * ```
   */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * How many callers wait for the lock now.
   *
   * @example
   * ```ts
   * import { Mutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Mutex().waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Wait for the lock. Rejects with `WaitTimeoutError` after
   * `options.timeout` ms, or `WaitAbortedError` when `options.signal`
   * aborts (at once when it already has, even if the lock is free). A
   * timeout of 0 takes the lock only if it is free now.
   *
   * @example
   * ```ts
   * import { Mutex, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new Mutex();
   * await m.acquire();
   * await assert.rejects(m.acquire({ timeout: 1 }), WaitTimeoutError);
   * m.release();
   * ```
   */
  acquire(options?: WaitOptions): Promise<void> {
    if (options !== undefined) {
      const refused = refuse("Mutex.acquire", options);
      if (refused !== undefined) return refused;
    }
    if (!this.#locked) {
      this.#locked = true;
      return RESOLVED;
    }
    return this.#waiters.wait("Mutex.acquire", options);
  }

  /**
   * Take the lock if it is free now; true when taken.
   *
   * @example
   * ```ts
   * import { Mutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new Mutex();
   * assert.ok(m.tryAcquire());
   * assert.ok(!m.tryAcquire());
   * ```
   */
  tryAcquire(): boolean {
    if (this.#locked) return false;
    this.#locked = true;
    return true;
  }

  /**
   * Release the lock, handing it to the first waiter if there is one.
   * Throws `NotHeldError` when the lock is free.
   *
   * @example
   * ```ts
   * import { Mutex, NotHeldError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new Mutex();
   * assert.throws(() => m.release(), NotHeldError);
   * ```
   */
  release(): void {
    if (!this.#locked) throw new NotHeldError("Mutex.release");
    if (!this.#waiters.wakeOne(undefined)) this.#locked = false;
  }

  /**
   * Wait for the lock and return a guard that releases it (`using`).
   *
   * @example
   * ```ts
   * import { Mutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new Mutex();
   * {
   *   using _held = await m.lock({ timeout: 1_000 });
   *   assert.ok(m.locked);
   * }
   * assert.ok(!m.locked);
   * ```
   */
  async lock(options?: WaitOptions): Promise<Guard> {
    await this.acquire(options);
    return new Held(() => this.release());
  }

  /**
   * Run `fn` holding the lock; release it however `fn` ends.
   *
   * @example
   * ```ts
   * import { Mutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new Mutex();
   * assert.equal(await m.runExclusive(() => 42), 42);
   * assert.ok(!m.locked);
   * ```
   */
  async runExclusive<R>(
    fn: () => R | PromiseLike<R>,
    options?: WaitOptions,
  ): Promise<R> {
    await this.acquire(options);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
