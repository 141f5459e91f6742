/**
 * The interfaces every scope of a primitive implements: the isolate scope
 * (`Mutex`, `Semaphore`, ...: plain async code and local actors), the shared
 * scope (`SharedMutex`, `SharedSemaphore`, ...: a `SharedArrayBuffer` that
 * worker actors and the main isolate contend on) and, later, the cluster
 * scope. Code written against these types runs unchanged on any scope.
 *
 * The cluster scope (`ClusterMutex`, ... in `@troupe/troupe/cluster`) lives
 * at a scheduler on another host, so it cannot answer a synchronous
 * question (`locked`, `tryAcquire()`, `size`) truthfully. Its primitives
 * implement the `*Core` interfaces: the waiting part that every scope has.
 * Only `WaitOptions` and `Guard` are public (every wait takes the one,
 * every lock gives the other). The rest are internal: each says what the
 * scopes of a primitive have in common, and tests/sync/scopes_test.ts (and
 * the cluster's sync tests) hold every scope to them (the classes do not
 * say `implements`: a public class naming an internal interface fails
 * `deno doc --lint`), so a user's code that names the class, or picks the members it
 * needs (`Pick<Mutex, "lock">`), works on any scope.
 *
 * @module
 */

/**
 * How long a wait may last. Every wait in `sync/` takes these: `timeout` in
 * milliseconds rejects with `WaitTimeoutError`, `signal` rejects with
 * `WaitAbortedError` (its reason as the cause). Without either, a wait waits
 * as long as it takes.
 *
 * @example
 * ```ts
 * import { Mutex, type WaitOptions } from "@troupe/troupe/sync";
 *
 * const options: WaitOptions = { timeout: 1_000 };
 * const m = new Mutex();
 * await m.acquire(options);
 * m.release();
 * ```
 */
export interface WaitOptions {
  /** Give up after this many milliseconds. */
  timeout?: number;
  /** Give up when this signal aborts. */
  signal?: AbortSignal;
}

/**
 * A held lock (or permit) that releases itself at the end of a `using`
 * block, or by `release()`; releasing twice is a no-op.
 *
 * @example
 * ```ts
 * import { Mutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const m = new Mutex();
 * {
 *   using _held = await m.lock();
 *   assert.ok(m.locked);
 * }
 * assert.ok(!m.locked);
 * ```
 */
export interface Guard extends Disposable, AsyncDisposable {
  /** Release what this guard holds (once; later calls do nothing). */
  release(): void;
}

/**
 * The waiting part of a lock or semaphore, which every scope implements,
 * the cluster scope included: wait for it, give it back, or hold it for a
 * `using` block. A cluster primitive's `release` returns a promise that
 * settles when the scheduler has applied it (awaiting it is optional).
 *
 * @example
 * ```ts
 * import { Mutex } from "@troupe/troupe/sync";
 * import type { LockCore } from "./types.ts";
 *
 * async function once(lock: LockCore, work: () => void): Promise<void> {
 *   using _held = await lock.lock({ timeout: 1_000 });
 *   work();
 * }
 * await once(new Mutex(), () => {});
 * ```
 */
export interface LockCore {
  /** Wait for the lock (or a permit). */
  acquire(options?: WaitOptions): Promise<void>;
  /** Give it back; `NotHeldError` when it is not held. */
  release(): void;
  /** Wait for it and return a guard that gives it back. */
  lock(options?: WaitOptions): Promise<Guard>;
}

/**
 * A mutual-exclusion lock: at most one holder at a time, waiters served in
 * arrival order.
 *
 * @example
 * ```ts
 * import { Mutex } from "@troupe/troupe/sync";
 * import type { MutexLike } from "./types.ts";
 *
 * async function critical(m: MutexLike): Promise<void> {
 *   using _held = await m.lock({ timeout: 1_000 });
 *   // one caller at a time here
 * }
 * await critical(new Mutex());
 * ```
 */
export interface MutexLike extends LockCore {
  /** Whether someone holds the lock. */
  readonly locked: boolean;
  /** Wait for the lock. */
  acquire(options?: WaitOptions): Promise<void>;
  /** Take the lock if it is free now; true when taken. */
  tryAcquire(): boolean;
  /** Release the lock; `NotHeldError` when it is not held. */
  release(): void;
  /** Wait for the lock and return a guard that releases it. */
  lock(options?: WaitOptions): Promise<Guard>;
}

/**
 * A counting semaphore: `acquire` takes a permit, waiting while there are
 * none; `release` gives one back.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@troupe/troupe/sync";
 * import type { SemaphoreLike } from "./types.ts";
 *
 * const s: SemaphoreLike = new Semaphore(2);
 * using _permit = await s.lock();
 * ```
 */
export interface SemaphoreLike extends LockCore {
  /** Permits available now. */
  readonly value: number;
  /** Wait for a permit. */
  acquire(options?: WaitOptions): Promise<void>;
  /** Take a permit if one is free now; true when taken. */
  tryAcquire(): boolean;
  /** Give back a permit (a bounded semaphore refuses to exceed its bound). */
  release(): void;
  /** Wait for a permit and return a guard that gives it back. */
  lock(options?: WaitOptions): Promise<Guard>;
}

/**
 * A readers-writer lock: many readers or one writer. A waiting writer goes
 * before readers that arrive after it, so writers never starve.
 *
 * @example
 * ```ts
 * import { RWLock } from "@troupe/troupe/sync";
 * import type { RWLockLike } from "./types.ts";
 *
 * const rw: RWLockLike = new RWLock();
 * {
 *   using _r = await rw.read();
 * }
 * using _w = await rw.write();
 * ```
 */
export interface RWLockLike {
  /** Readers holding the lock now. */
  readonly readers: number;
  /** Whether a writer holds the lock now. */
  readonly writing: boolean;
  /** Wait for shared (read) access. */
  read(options?: WaitOptions): Promise<Guard>;
  /** Wait for exclusive (write) access. */
  write(options?: WaitOptions): Promise<Guard>;
}

/**
 * A condition variable bound to a lock: `wait` releases the lock, waits for
 * a notify, and takes the lock again before it returns.
 *
 * @example
 * ```ts
 * import { Condition, Mutex } from "@troupe/troupe/sync";
 *
 * const m = new Mutex();
 * const c = new Condition(m);
 * let ready = false;
 * const waiter = (async () => {
 *   using _held = await m.lock();
 *   await c.waitFor(() => ready, { timeout: 1_000 });
 * })();
 * {
 *   using _held = await m.lock();
 *   ready = true;
 *   c.notifyAll();
 * }
 * await waiter;
 * ```
 */
export interface ConditionLike {
  /** Release the lock, wait for a notify, take the lock again. */
  wait(options?: WaitOptions): Promise<void>;
  /** Wait until `predicate()` holds (checked with the lock held). */
  waitFor(predicate: () => boolean, options?: WaitOptions): Promise<void>;
  /** Wake up to `n` waiters (default 1). */
  notify(n?: number): void;
  /** Wake every waiter. */
  notifyAll(): void;
}

/**
 * The waiting part of an event, which every scope implements, the cluster
 * scope included. A cluster event's `set` and `clear` return promises that
 * settle when the scheduler has applied them.
 *
 * @example
 * ```ts
 * import { Event } from "@troupe/troupe/sync";
 * import type { EventCore } from "./types.ts";
 *
 * async function ready(e: EventCore): Promise<void> {
 *   await e.wait({ timeout: 1_000 });
 * }
 * const e = new Event();
 * e.set();
 * await ready(e);
 * ```
 */
export interface EventCore {
  /** Set the flag and wake every waiter. */
  set(): void;
  /** Clear the flag. */
  clear(): void;
  /** Wait until the flag is set (at once when it is). */
  wait(options?: WaitOptions): Promise<void>;
}

/**
 * A flag that tasks wait on until it is set.
 *
 * @example
 * ```ts
 * import { Event } from "@troupe/troupe/sync";
 * import type { EventLike } from "./types.ts";
 *
 * const e: EventLike = new Event();
 * setTimeout(() => e.set(), 1);
 * await e.wait({ timeout: 1_000 });
 * ```
 */
export interface EventLike extends EventCore {
  /** Whether the flag is set. */
  readonly isSet: boolean;
  /** Set the flag and wake every waiter. */
  set(): void;
  /** Clear the flag. */
  clear(): void;
  /** Wait until the flag is set (at once when it is). */
  wait(options?: WaitOptions): Promise<void>;
}

/**
 * A barrier for a fixed number of parties: each `wait` blocks until all
 * parties have arrived, then all go on together. A timeout or abort of one
 * party breaks the barrier for all (`BrokenBarrierError`), as in Python.
 *
 * @example
 * ```ts
 * import { Barrier } from "@troupe/troupe/sync";
 * import type { BarrierLike } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const b: BarrierLike = new Barrier(2);
 * const arrivals = await Promise.all([b.wait(), b.wait()]);
 * assert.deepEqual(arrivals.sort(), [0, 1]);
 * ```
 */
export interface BarrierLike {
  /** How many parties must arrive. */
  readonly parties: number;
  /** How many are waiting now. */
  readonly waiting: number;
  /** Whether the barrier is broken (until `reset`). */
  readonly broken: boolean;
  /** Arrive and wait for the others; resolves with this arrival's index. */
  wait(options?: WaitOptions): Promise<number>;
  /** Break the barrier: current and later waiters reject. */
  abort(): void;
  /** Mend the barrier; parties waiting now reject as broken. */
  reset(): void;
}

/**
 * The waiting part of a queue, which every scope implements, the cluster
 * scope included: put, get, close, and iterate until closed and drained.
 *
 * @example
 * ```ts
 * import { Queue } from "@troupe/troupe/sync";
 * import type { QueueCore } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * async function drain(q: QueueCore<number>): Promise<number> {
 *   let total = 0;
 *   for await (const x of q) total += x;
 *   return total;
 * }
 * const q = new Queue<number>();
 * await q.put(1);
 * await q.put(2);
 * q.close();
 * assert.equal(await drain(q), 3);
 * ```
 */
export interface QueueCore<T> extends AsyncIterable<T> {
  /** Add an item, waiting for room. */
  put(item: T, options?: WaitOptions): Promise<void>;
  /** Take the next item, waiting for one. */
  get(options?: WaitOptions): Promise<T>;
  /** Refuse further puts; getters drain what is left. */
  close(): void;
}

/**
 * A bounded queue of items with waiting `put` and `get`. `close()` ends it:
 * `put` rejects with `ClosedError`; `get` drains what is left, then rejects;
 * async iteration ends.
 *
 * @example
 * ```ts
 * import { Queue } from "@troupe/troupe/sync";
 * import type { QueueLike } from "./types.ts";
 * import assert from "node:assert/strict";
 *
 * const q: QueueLike<number> = new Queue<number>({ maxSize: 2 });
 * await q.put(1);
 * await q.put(2);
 * q.close();
 * const seen: number[] = [];
 * for await (const x of q) seen.push(x);
 * assert.deepEqual(seen, [1, 2]);
 * ```
 */
export interface QueueLike<T> extends QueueCore<T> {
  /** Items queued now. */
  readonly size: number;
  /** The bound (`Infinity` when unbounded). */
  readonly maxSize: number;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Add an item, waiting for room. */
  put(item: T, options?: WaitOptions): Promise<void>;
  /** Add an item if there is room now; true when added. */
  tryPut(item: T): boolean;
  /** Take the next item, waiting for one. */
  get(options?: WaitOptions): Promise<T>;
  /** Take the next item if there is one now. */
  tryGet(): { ok: true; value: T } | { ok: false };
  /** Refuse further puts; getters drain what is left. */
  close(): void;
}
