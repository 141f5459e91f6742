/**
 * `Queue`: a bounded async queue for one isolate, FIFO, LIFO or by
 * priority (its `order`: one class where Python has three).
 *
 * @module
 */

import { ClosedError, SyncError } from "./errors.ts";
import { Heap, Ring, Stack, type Store } from "./ring.ts";
import type { WaitOptions } from "./types.ts";
import { refuse, RESOLVED, WaiterList } from "./waiters.ts";

/**
 * A queue for async tasks (asyncio's `Queue`), optionally bounded: FIFO by
 * default, LIFO with `order: "lifo"` (asyncio's `LifoQueue`), or lowest
 * first with `order: "priority"` (asyncio's `PriorityQueue`; items of equal
 * priority come out in the order they were put).
 *
 * - `put` waits while the queue holds `maxSize` items; `get` waits while it
 *   is empty. Both take a timeout and a signal (`WaitTimeoutError`,
 *   `WaitAbortedError`), and both serve their waiters FIFO. An item put
 *   while a getter waits goes straight to that getter.
 * - `tryPut` / `tryGet` never wait.
 * - `close()` refuses further puts (`ClosedError`, also for puts waiting for
 *   room, whose items are not added); `get` and async iteration drain what
 *   is left, then `get` rejects with `ClosedError` and iteration ends.
 * - `join()` waits until every item put has been matched by a `taskDone()`
 *   (Python's `Queue.join`).
 *
 * A `put` that does not wait returns a shared resolved promise (no
 * allocation); the items live in a growable ring buffer.
 *
 * @example
 * ```ts
 * import { Queue } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number>({ maxSize: 10 });
 * const producer = (async () => {
 *   for (let i = 0; i < 100; i++) await q.put(i);
 *   q.close();
 * })();
 * let sum = 0;
 * for await (const x of q) sum += x;
 * await producer;
 * assert.equal(sum, 4950);
 * ```
 */
export class Queue<T> {
  #store: Store<T>;
  #maxSize: number;
  #closed = false;
  #getters = new WaiterList<T>();
  #putters = new WaiterList<void, T>();
  #unfinished = 0;
  #joiners = new WaiterList<void>();
  #name: string;

  /**
   * An empty queue; `maxSize` (an integer >= 1, or `Infinity`) bounds it,
   * `order` says which item `get` takes.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Queue({ maxSize: 4 }).maxSize, 4);
   * assert.equal(new Queue().maxSize, Infinity);
   *
   * const stack = new Queue<number>({ order: "lifo" });
   * for (const x of [1, 2, 3]) await stack.put(x);
   * assert.deepEqual([await stack.get(), await stack.get()], [3, 2]);
   *
   * const jobs = new Queue<{ job: string; urgency: number }>({
   *   priority: (t) => t.urgency,
   * });
   * await jobs.put({ job: "later", urgency: 5 });
   * await jobs.put({ job: "now", urgency: 1 });
   * await jobs.put({ job: "also later", urgency: 5 });
   * const order = [];
   * for (let i = 0; i < 3; i++) order.push((await jobs.get()).job);
   * assert.deepEqual(order, ["now", "later", "also later"]);
   * ```
   */
  constructor(options: {
    /** The most items it holds; `put` waits for room beyond (default `Infinity`). */
    maxSize?: number;
    /**
     * Which item `get` takes: `"fifo"` (the oldest; the default), `"lifo"`
     * (the newest) or `"priority"` (the lowest by `compare` or `priority`,
     * else by `<` on the items; equal ones oldest first). Giving `compare`
     * or `priority` means `"priority"`.
     */
    order?: "fifo" | "lifo" | "priority";
    /** For priority order: negative when `a` comes out before `b`. */
    compare?: (a: T, b: T) => number;
    /** For priority order: a number per item; the lowest comes out first. */
    priority?: (item: T) => number;
  } = {}) {
    const maxSize = options.maxSize ?? Infinity;
    if (
      !(maxSize === Infinity || (Number.isSafeInteger(maxSize) && maxSize >= 1))
    ) {
      throw new RangeError(
        `${new.target.name}: maxSize must be an integer >= 1 or Infinity, got ${maxSize}`,
      );
    }
    this.#maxSize = maxSize;
    this.#store = storeOf(options, maxSize);
    this.#name = new.target.name;
  }

  /**
   * Items queued now.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<string>();
   * q.tryPut("a");
   * assert.equal(q.size, 1);
   * ```
   */
  get size(): number {
    return this.#store.length;
  }

  /**
   * The bound (`Infinity` when unbounded).
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Queue({ maxSize: 2 }).maxSize, 2);
   * ```
   */
  get maxSize(): number {
    return this.#maxSize;
  }

  /**
   * Whether `close()` was called.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue();
   * q.close();
   * assert.ok(q.closed);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Callers waiting now: getters for an item, putters for room.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.deepEqual(new Queue().waiting, { getters: 0, putters: 0 });
   * ```
   */
  get waiting(): { getters: number; putters: number } {
    return { getters: this.#getters.length, putters: this.#putters.length };
  }

  /**
   * Items put and not yet marked done by `taskDone()`.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>();
   * q.tryPut(1);
   * assert.equal(q.unfinished, 1);
   * ```
   */
  get unfinished(): number {
    return this.#unfinished;
  }

  /**
   * Add an item, waiting for room while the queue is full. Rejects with
   * `ClosedError` after `close()`, `WaitTimeoutError` / `WaitAbortedError`
   * per `options` (the item is then not added).
   *
   * @example
   * ```ts
   * import { Queue, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>({ maxSize: 1 });
   * await q.put(1);
   * await assert.rejects(q.put(2, { timeout: 1 }), WaitTimeoutError);
   * assert.equal(q.size, 1);
   * ```
   */
  put(item: T, options?: WaitOptions): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ClosedError(`${this.#name}.put`));
    }
    if (options !== undefined) {
      const refused = refuse(`${this.#name}.put`, options);
      if (refused !== undefined) return refused;
    }
    if (this.#getters.length > 0) {
      this.#unfinished++;
      this.#getters.wakeOne(item);
      return RESOLVED;
    }
    if (this.#store.length < this.#maxSize) {
      this.#store.push(item);
      this.#unfinished++;
      return RESOLVED;
    }
    return this.#putters.wait(`${this.#name}.put`, options, item);
  }

  /**
   * Add an item if there is room now; true when added, false when full.
   * Throws `ClosedError` after `close()`.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>({ maxSize: 1 });
   * assert.ok(q.tryPut(1));
   * assert.ok(!q.tryPut(2));
   * ```
   */
  tryPut(item: T): boolean {
    if (this.#closed) throw new ClosedError(`${this.#name}.tryPut`);
    if (this.#getters.length > 0) {
      this.#unfinished++;
      this.#getters.wakeOne(item);
      return true;
    }
    if (this.#store.length < this.#maxSize) {
      this.#store.push(item);
      this.#unfinished++;
      return true;
    }
    return false;
  }

  /** Take the next item (the store is not empty) and let a putter in. */
  #take(): T {
    const item = this.#store.take();
    const putter = this.#putters.shift();
    if (putter !== null) {
      this.#store.push(putter.data);
      this.#unfinished++;
      putter.resolve(undefined);
    }
    return item;
  }

  /**
   * Take the next item, waiting while the queue is empty. Rejects with
   * `ClosedError` once it is closed and empty, `WaitTimeoutError` /
   * `WaitAbortedError` per `options`.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<string>();
   * const next = q.get({ timeout: 1_000 });
   * await q.put("hello");
   * assert.equal(await next, "hello");
   * ```
   */
  get(options?: WaitOptions): Promise<T> {
    if (options !== undefined) {
      const refused = refuse(`${this.#name}.get`, options);
      if (refused !== undefined) return refused;
    }
    if (this.#store.length > 0) return Promise.resolve(this.#take());
    if (this.#closed) {
      return Promise.reject(new ClosedError(`${this.#name}.get`));
    }
    return this.#getters.wait(`${this.#name}.get`, options);
  }

  /**
   * Take the next item if there is one now.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>();
   * assert.deepEqual(q.tryGet(), { ok: false });
   * q.tryPut(3);
   * assert.deepEqual(q.tryGet(), { ok: true, value: 3 });
   * ```
   */
  tryGet(): { ok: true; value: T } | { ok: false } {
    if (this.#store.length === 0) return { ok: false };
    return { ok: true, value: this.#take() };
  }

  /**
   * Refuse further puts; waiting putters and getters reject with
   * `ClosedError`; items already queued can still be taken. Idempotent.
   *
   * @example
   * ```ts
   * import { ClosedError, Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>();
   * q.tryPut(1);
   * q.close();
   * await assert.rejects(q.put(2), ClosedError);
   * assert.equal(await q.get(), 1);
   * await assert.rejects(q.get(), ClosedError);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#putters.rejectAll(new ClosedError(`${this.#name}.put`));
    this.#getters.rejectAll(new ClosedError(`${this.#name}.get`));
  }

  /**
   * Mark one item taken earlier as processed (Python's `task_done`); throws
   * `SyncError` when called more times than items were put.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>();
   * await q.put(1);
   * await q.get();
   * q.taskDone();
   * assert.throws(() => q.taskDone(), /more times than items were put/);
   * ```
   */
  taskDone(): void {
    if (this.#unfinished === 0) {
      throw new SyncError(
        `${this.#name}.taskDone: called more times than items were put`,
      );
    }
    if (--this.#unfinished === 0) {
      this.#joiners.drain((node) => node.resolve(undefined));
    }
  }

  /**
   * Wait until every item put has been marked done with `taskDone()`.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * const q = new Queue<number>();
   * await q.put(1);
   * const worker = (async () => {
   *   await q.get();
   *   q.taskDone();
   * })();
   * await q.join({ timeout: 1_000 });
   * await worker;
   * ```
   */
  join(options?: WaitOptions): Promise<void> {
    if (options !== undefined) {
      const refused = refuse(`${this.#name}.join`, options);
      if (refused !== undefined) return refused;
    }
    if (this.#unfinished === 0) return RESOLVED;
    return this.#joiners.wait(`${this.#name}.join`, options);
  }

  /**
   * Take items as they come until the queue is closed and drained.
   *
   * @example
   * ```ts
   * import { Queue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const q = new Queue<number>();
   * q.tryPut(1);
   * q.tryPut(2);
   * q.close();
   * assert.deepEqual(await Array.fromAsync(q), [1, 2]);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      if (this.#store.length > 0) {
        yield this.#take();
        continue;
      }
      if (this.#closed) return;
      let item: T;
      try {
        item = await this.#getters.wait(`${this.#name}.get`, undefined);
      } catch (e) {
        if (e instanceof ClosedError && this.#closed) return;
        throw e;
      }
      yield item;
    }
  }
}

/** The item store for a queue's `order`; contradicting options are refused. */
function storeOf<T>(
  options: {
    order?: "fifo" | "lifo" | "priority";
    compare?: (a: T, b: T) => number;
    priority?: (item: T) => number;
  },
  maxSize: number,
): Store<T> {
  const { compare, priority } = options;
  const ordered = compare !== undefined || priority !== undefined;
  const order = options.order ?? (ordered ? "priority" : "fifo");
  if (ordered && order !== "priority") {
    throw new TypeError(
      `Queue: compare and priority order items by priority, not "${order}"`,
    );
  }
  switch (order) {
    case "fifo":
      return new Ring<T>(Math.min(maxSize, 1024));
    case "lifo":
      return new Stack<T>();
    case "priority":
      return new Heap<T>(
        compare ??
          (priority !== undefined
            ? (a: T, b: T) => priority(a) - priority(b)
            : (a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0)),
      );
  }
  throw new TypeError(
    `Queue: order must be "fifo", "lifo" or "priority", got ${
      JSON.stringify(order)
    }`,
  );
}
