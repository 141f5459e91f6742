/**
 * `Semaphore`: a counting semaphore for one isolate, bounded or not.
 *
 * @module
 */

import { OverReleaseError } from "./errors.ts";
import { Held } from "./guard.ts";
import type { Guard, WaitOptions } from "./types.ts";
import { refuse, RESOLVED, WaiterList } from "./waiters.ts";

function checkValue(what: string, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`${what}: an integer >= 0, got ${value}`);
  }
}

/**
 * A counting semaphore (asyncio's `Semaphore`): `acquire` takes one of
 * `value` permits, waiting while there are none; `release` gives one back.
 *
 * Waiters are served FIFO, and a released permit goes straight to the first
 * waiter, so a later `acquire` never overtakes one that waits. `release`
 * without a matching `acquire` raises the value (as in Python), unless the
 * semaphore is `bounded` (Python's `BoundedSemaphore`): then a release
 * above the initial value throws `OverReleaseError`, which catches a
 * release without its acquire.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const s = new Semaphore(2);
 * let running = 0;
 * let most = 0;
 * await Promise.all([1, 2, 3, 4, 5].map(async () => {
 *   using _permit = await s.lock();
 *   most = Math.max(most, ++running);
 *   await new Promise((r) => setTimeout(r, 1));
 *   running--;
 * }));
 * assert.equal(most, 2);
 * ```
 */
export class Semaphore {
  #value: number;
  #waiters = new WaiterList<void>();
  #op: string;
  /** The initial value, which `release` may not exceed, when `bounded`. */
  readonly bound: number | undefined;

  /**
   * A semaphore with `value` permits (default 1).
   *
   * @example
   * ```ts
   * import { OverReleaseError, Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Semaphore(3).value, 3);
   *
   * const bounded = new Semaphore(1, { bounded: true });
   * await bounded.acquire();
   * bounded.release();
   * assert.throws(() => bounded.release(), OverReleaseError);
   * assert.equal(bounded.bound, 1);
   * ```
   */
  constructor(value = 1, options: {
    /**
     * Refuse a `release` that would raise the value above `value`
     * (`OverReleaseError`), as Python's `BoundedSemaphore` does.
     */
    bounded?: boolean;
  } = {}) {
    checkValue(`${new.target.name}: value`, value);
    this.#value = value;
    this.#op = `${new.target.name}.acquire`;
    this.bound = options.bounded === true ? value : undefined;
  }

  /**
   * Permits available now.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const s = new Semaphore(1);
   * s.tryAcquire();
   * assert.equal(s.value, 0);
   * ```
   */
  get value(): number {
    return this.#value;
  }

  /**
   * How many callers wait for a permit now.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Semaphore(0).waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Wait for a permit; `WaitTimeoutError` / `WaitAbortedError` per
   * `options` (a timeout of 0 takes a permit only if one is free now).
   *
   * @example
   * ```ts
   * import { Semaphore, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const s = new Semaphore(1);
   * await s.acquire();
   * await assert.rejects(s.acquire({ timeout: 1 }), WaitTimeoutError);
   * ```
   */
  acquire(options?: WaitOptions): Promise<void> {
    if (options !== undefined) {
      const refused = refuse(this.#op, options);
      if (refused !== undefined) return refused;
    }
    if (this.#value > 0) {
      this.#value--;
      return RESOLVED;
    }
    return this.#waiters.wait(this.#op, options);
  }

  /**
   * Take a permit if one is free now; true when taken.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const s = new Semaphore(1);
   * assert.ok(s.tryAcquire());
   * assert.ok(!s.tryAcquire());
   * ```
   */
  tryAcquire(): boolean {
    if (this.#value === 0) return false;
    this.#value--;
    return true;
  }

  /**
   * Give back a permit: to the first waiter if there is one.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const s = new Semaphore(0);
   * s.release();
   * assert.equal(s.value, 1);
   * ```
   */
  release(): void {
    if (!this.#waiters.wakeOne(undefined)) {
      this.#check(this.#value + 1);
      this.#value++;
    }
  }

  /**
   * Checks a value about to be set (a bounded semaphore refuses to exceed
   * its bound).
   */
  #check(next: number): void {
    if (this.bound !== undefined && next > this.bound) {
      throw new OverReleaseError(this.bound);
    }
  }

  /**
   * Wait for a permit and return a guard that gives it back (`using`).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const s = new Semaphore(1);
   * {
   *   using _permit = await s.lock();
   *   assert.equal(s.value, 0);
   * }
   * assert.equal(s.value, 1);
   * ```
   */
  async lock(options?: WaitOptions): Promise<Guard> {
    await this.acquire(options);
    return new Held(() => this.release());
  }

  /**
   * Run `fn` holding a permit; give it back however `fn` ends.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const s = new Semaphore(2);
   * assert.equal(await s.runExclusive(() => s.value), 1);
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
