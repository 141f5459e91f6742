/**
 * `ReentrantMutex`: a lock its holder may take again (Python's `RLock`),
 * where "the holder" is an async context.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { NotHeldError } from "./errors.ts";
import { Held } from "./guard.ts";
import type { Guard, WaitOptions } from "./types.ts";
import { refuse, RESOLVED, WaiterList } from "./waiters.ts";

/** Who holds a `ReentrantMutex`: one `runExclusive` scope, or a bare acquire. */
interface Owner {
  readonly scoped: boolean;
}

/** The mutexes the current async context holds, innermost first. */
interface Held1 {
  readonly mutex: ReentrantMutex;
  readonly owner: Owner;
  readonly outer: Held1 | undefined;
}

const context = new AsyncLocalStorage<Held1>();
const BARE: Owner = Object.freeze({ scoped: false });

function ownerIn(mutex: ReentrantMutex): Owner | undefined {
  for (let h = context.getStore(); h !== undefined; h = h.outer) {
    if (h.mutex === mutex) return h.owner;
  }
  return undefined;
}

/**
 * A mutex that the async context holding it may acquire again; it is free
 * once released as many times as it was acquired.
 *
 * **What "the holder" means.** JavaScript has no threads to own a lock, so
 * the owner is an *async context* (tracked with `node:async_hooks`'
 * `AsyncLocalStorage`): `runExclusive(fn)` takes the lock and runs `fn` in a
 * context that owns it. Code in that context — `fn`, whatever it awaits, and
 * tasks or timers it starts while it runs — re-enters at once through
 * `runExclusive`, `acquire` or `lock`, each adding one to the hold count.
 * Any other code waits, FIFO, as on a {@linkcode Mutex}. Note that a task
 * started inside `fn` shares the ownership while `fn` holds the lock: start
 * concurrent work that must exclude `fn` outside of it.
 *
 * A bare `acquire()` or `lock()` outside any owning context takes the lock
 * for no context (the rest of an async function cannot be marked as owner
 * without leaking the mark to its caller): it is then an ordinary,
 * non-reentrant hold that any code may release. Use `runExclusive` for
 * reentrancy. `release()` from a context other than the one that owns a
 * scoped hold throws `NotHeldError`.
 *
 * @example
 * ```ts
 * import { ReentrantMutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const m = new ReentrantMutex();
 * async function transfer(): Promise<string> {
 *   return await m.runExclusive(async () => {
 *     await audit(); // takes the same lock again: no deadlock
 *     return "done";
 *   });
 * }
 * async function audit(): Promise<void> {
 *   using _held = await m.lock();
 *   assert.equal(m.depth, 2);
 * }
 * assert.equal(await transfer(), "done");
 * assert.ok(!m.locked);
 * ```
 */
export class ReentrantMutex {
  #owner: Owner | null = null;
  #depth = 0;
  #waiters = new WaiterList<void, Owner>();

  /**
   * Whether someone holds the lock.
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new ReentrantMutex().locked, false);
   * ```
   */
  get locked(): boolean {
    return this.#owner !== null;
  }

  /**
   * How many times the holder has acquired the lock (0 when free).
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new ReentrantMutex();
   * await m.runExclusive(() => assert.equal(m.depth, 1));
   * ```
   */
  get depth(): number {
    return this.#depth;
  }

  /**
   * Whether the current async context holds the lock.
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new ReentrantMutex();
   * assert.ok(!m.heldHere);
   * await m.runExclusive(() => assert.ok(m.heldHere));
   * ```
   */
  get heldHere(): boolean {
    return this.#owner !== null && this.#owner.scoped &&
      ownerIn(this) === this.#owner;
  }

  /**
   * Wait for the lock (at once, one level deeper, when this context holds
   * it). Rejects with `WaitTimeoutError` / `WaitAbortedError` per `options`.
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new ReentrantMutex();
   * await m.runExclusive(async () => {
   *   await m.acquire();
   *   assert.equal(m.depth, 2);
   *   m.release();
   * });
   * ```
   */
  acquire(options?: WaitOptions): Promise<void> {
    return this.#acquire(options, BARE);
  }

  #acquire(options: WaitOptions | undefined, owner: Owner): Promise<void> {
    if (options !== undefined) {
      const refused = refuse("ReentrantMutex.acquire", options);
      if (refused !== undefined) return refused;
    }
    if (this.#owner === null) {
      this.#owner = owner;
      this.#depth = 1;
      return RESOLVED;
    }
    if (this.heldHere) {
      this.#depth++;
      return RESOLVED;
    }
    return this.#waiters.wait("ReentrantMutex.acquire", options, owner);
  }

  /**
   * Take the lock if it is free, or held by this context; true when taken.
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new ReentrantMutex();
   * await m.runExclusive(() => {
   *   assert.ok(m.tryAcquire());
   *   m.release();
   * });
   * ```
   */
  tryAcquire(): boolean {
    if (this.#owner === null) {
      this.#owner = BARE;
      this.#depth = 1;
      return true;
    }
    if (this.heldHere) {
      this.#depth++;
      return true;
    }
    return false;
  }

  /**
   * Release one level; the lock is free (or handed to the first waiter)
   * when the depth reaches 0. `NotHeldError` when it is free, or held by
   * another context's `runExclusive`.
   *
   * @example
   * ```ts
   * import { NotHeldError, ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.throws(() => new ReentrantMutex().release(), NotHeldError);
   * ```
   */
  release(): void {
    const owner = this.#owner;
    if (owner === null || (owner.scoped && ownerIn(this) !== owner)) {
      throw new NotHeldError("ReentrantMutex.release");
    }
    this.#releaseOne();
  }

  #releaseOne(): void {
    if (--this.#depth > 0) return;
    const next = this.#waiters.shift();
    if (next === null) {
      this.#owner = null;
      return;
    }
    this.#owner = next.data;
    this.#depth = 1;
    next.resolve(undefined);
  }

  /**
   * Wait for the lock and return a guard that releases one level.
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new ReentrantMutex();
   * {
   *   using _held = await m.lock();
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
   * Run `fn` holding the lock, in a context that owns it (so `fn` may take
   * it again); release however `fn` ends.
   *
   * @example
   * ```ts
   * import { ReentrantMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const m = new ReentrantMutex();
   * const n = await m.runExclusive(() => m.runExclusive(() => m.depth));
   * assert.equal(n, 2);
   * ```
   */
  async runExclusive<R>(
    fn: () => R | PromiseLike<R>,
    options?: WaitOptions,
  ): Promise<R> {
    if (this.heldHere) {
      this.#depth++;
      try {
        return await fn();
      } finally {
        this.#releaseOne();
      }
    }
    const owner: Owner = { scoped: true };
    await this.#acquire(options, owner);
    try {
      return await context.run(
        { mutex: this, owner, outer: context.getStore() },
        fn,
      );
    } finally {
      this.#releaseOne();
    }
  }
}
