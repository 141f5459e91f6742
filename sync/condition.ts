/**
 * `Condition`: a condition variable over an isolate-scope lock.
 *
 * @module
 */

import { NotHeldError, WaitTimeoutError } from "./errors.ts";
import { Mutex } from "./mutex.ts";
import type { ReentrantMutex } from "./reentrant_mutex.ts";
import type { SharedMutex } from "./shared_mutex.ts";
import type { WaitOptions } from "./types.ts";
import { refuse, WaiterList } from "./waiters.ts";

/**
 * A condition variable (asyncio's `Condition`): tasks holding `lock` wait
 * for a notify; `wait` releases the lock while it waits and takes it back
 * before it returns, **also when it rejects** (timeout or abort), as
 * Python does, so the caller's `using` guard or `finally` stays right.
 *
 * `wait`, `waitFor`, `notify` and `notifyAll` need the lock held; without
 * it they throw (or reject with) `NotHeldError`. A `Mutex` cannot tell who
 * holds it, so "held" means held by someone. Give it a `Mutex` (the
 * default), or another mutex whose `release` frees it at once: a
 * `ReentrantMutex` taken twice would stay held while `wait` waits.
 * Waiters are notified in FIFO order.
 *
 * @example
 * ```ts
 * import { Condition, Mutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const lock = new Mutex();
 * const ready = new Condition(lock);
 * const items: number[] = [];
 * const consumer = (async () => {
 *   using _held = await lock.lock();
 *   await ready.waitFor(() => items.length > 0, { timeout: 1_000 });
 *   return items.shift();
 * })();
 * {
 *   using _held = await lock.lock();
 *   items.push(7);
 *   ready.notify();
 * }
 * assert.equal(await consumer, 7);
 * ```
 */
export class Condition {
  /** The lock this condition waits with. */
  readonly lock: Mutex | ReentrantMutex | SharedMutex;
  #waiters = new WaiterList<void>();

  /**
   * A condition over `lock` (a new `Mutex` when omitted).
   *
   * @example
   * ```ts
   * import { Condition, Mutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new Mutex();
   * assert.equal(new Condition(m).lock, m);
   * ```
   */
  constructor(lock: Mutex | ReentrantMutex | SharedMutex = new Mutex()) {
    this.lock = lock;
  }

  /**
   * How many wait for a notify now.
   *
   * @example
   * ```ts
   * import { Condition } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Condition().waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Release the lock, wait for a notify, take the lock again. On timeout
   * or abort, the lock is taken again, then the wait rejects.
   *
   * @example
   * ```ts
   * import { Condition, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const c = new Condition();
   * await c.lock.acquire();
   * await assert.rejects(c.wait({ timeout: 1 }), WaitTimeoutError);
   * assert.ok(c.lock.locked); // held again
   * c.lock.release();
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    if (!this.lock.locked) throw new NotHeldError("Condition.wait");
    if (options !== undefined) {
      const refused = refuse("Condition.wait", options);
      if (refused !== undefined) await refused;
    }
    const woken = this.#waiters.wait("Condition.wait", options);
    this.lock.release();
    let failure: unknown = undefined;
    let failed = false;
    try {
      await woken;
    } catch (e) {
      failed = true;
      failure = e;
    }
    await this.lock.acquire();
    if (failed) throw failure;
  }

  /**
   * Wait until `predicate()` holds; it is checked with the lock held, first
   * before waiting. `options.timeout` bounds the whole wait.
   *
   * @example
   * ```ts
   * import { Condition } from "@troupe/troupe/sync";
   * const c = new Condition();
   * await c.lock.acquire();
   * await c.waitFor(() => true); // holds already: no wait
   * c.lock.release();
   * ```
   */
  async waitFor(
    predicate: () => boolean,
    options?: WaitOptions,
  ): Promise<void> {
    if (!this.lock.locked) throw new NotHeldError("Condition.waitFor");
    const timeout = options?.timeout;
    const deadline = timeout === undefined
      ? Infinity
      : performance.now() + timeout;
    while (!predicate()) {
      if (timeout === undefined) {
        await this.wait(options);
        continue;
      }
      const left = deadline - performance.now();
      try {
        if (left <= 0) throw new WaitTimeoutError("Condition.wait", left);
        await this.wait({ timeout: left, signal: options?.signal });
      } catch (e) {
        if (!(e instanceof WaitTimeoutError)) throw e;
        throw new WaitTimeoutError("Condition.waitFor", timeout);
      }
    }
  }

  /**
   * Wake up to `n` waiters (default 1), first come first woken. Throws
   * `NotHeldError` when the lock is not held.
   *
   * @example
   * ```ts
   * import { Condition, NotHeldError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.throws(() => new Condition().notify(), NotHeldError);
   * ```
   */
  notify(n = 1): void {
    if (!this.lock.locked) throw new NotHeldError("Condition.notify");
    for (let i = 0; i < n && this.#waiters.wakeOne(undefined); i++);
  }

  /**
   * Wake every waiter. Throws `NotHeldError` when the lock is not held.
   *
   * @example
   * ```ts
   * import { Condition } from "@troupe/troupe/sync";
   * const c = new Condition();
   * await c.lock.acquire();
   * c.notifyAll();
   * c.lock.release();
   * ```
   */
  notifyAll(): void {
    if (!this.lock.locked) throw new NotHeldError("Condition.notifyAll");
    this.#waiters.drain((node) => node.resolve(undefined));
  }
}
