/**
 * `SharedQueue`: a bounded FIFO queue of numbers in a `SharedArrayBuffer`,
 * with producers and consumers in any worker actors and the main isolate.
 *
 * @module
 */

import { ClosedError, LayoutError } from "./errors.ts";
import {
  attachStruct,
  HEADER_BYTES,
  type SharedHandle,
  sharedStruct,
} from "./shared_layout.ts";
import {
  attaching,
  CHANNEL,
  Deadline,
  takeAttached,
  waitUntil,
  wake,
} from "./shared_wait.ts";
import type { WaitOptions } from "./types.ts";

const KIND = "SharedQueue";
/** Control cells: capacity, head, tail, closed, then two wait channels. */
const CAP = 0;
const HEAD = 1;
const TAIL = 2;
const CLOSED = 3;
const ITEMS = 4;
const ROOM = 4 + CHANNEL;
const CONTROL = 4 + 2 * CHANNEL;

/**
 * The ring's slots: a power of two (so that positions wrap cleanly at
 * 2^32) of at least 2 (so that a slot's turns for the next put and the
 * next get differ) and at least the capacity.
 */
const ringSize = (capacity: number): number =>
  Math.max(2, 2 ** Math.ceil(Math.log2(capacity)));

const layout = (capacity: number) =>
  ({
    cells: ["i32", CONTROL],
    turns: ["i32", ringSize(capacity)],
    items: ["f64", ringSize(capacity)],
  }) as const;

/** Options of a `SharedQueue`. */
export interface SharedQueueOptions {
  /** How many numbers it holds at most (1 to 2^24; default 1024). */
  maxSize?: number;
}

/**
 * A bounded FIFO queue of numbers (float64) shared by every isolate
 * attached to its buffer: `put` waits for room, `get` for an item, both
 * with timeouts and signals; `close()` refuses further puts and lets
 * getters drain what is left, then reject with `ClosedError` (async
 * iteration ends).
 *
 * The ring is lock-free (each slot has a turn number: a producer claims a
 * position by compare-and-swap on the tail, writes the number, then hands
 * the slot to consumers by its turn; consumers do the same on the head), so
 * items keep FIFO order and none is lost or duplicated with any number of
 * producers and consumers in any isolates. Waiting callers are not served
 * in FIFO order (see `SharedMutex`).
 *
 * Send `queue.handle` to worker actors and attach there with
 * `SharedQueue.from(handle)`.
 *
 * @example
 * ```ts
 * import { SharedQueue } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const q = new SharedQueue({ maxSize: 4 });
 * const there = SharedQueue.from(q.handle); // as a worker actor would
 * await there.put(1);
 * await there.put(2.5);
 * there.close();
 * const seen: number[] = [];
 * for await (const x of q) seen.push(x);
 * assert.deepEqual(seen, [1, 2.5]);
 * ```
 */
export class SharedQueue {
  /** The buffer that holds the queue. */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  #cells: Int32Array;
  #turns: Int32Array;
  #items: Float64Array;
  #cap: number;
  #ring: number;

  /**
   * A new, empty queue in a buffer of its own.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedQueue({ maxSize: 8 }).maxSize, 8);
   * ```
   */
  constructor(options: {
    /** How many numbers it holds at most (1 to 2^24; default 1024). */
    maxSize?: number;
  } = {}) {
    const from = takeAttached<SharedHandle>();
    let cap: number;
    if (from === undefined) {
      cap = options.maxSize ?? 1024;
      if (!Number.isInteger(cap) || cap < 1 || cap > 1 << 24) {
        throw new RangeError(
          `SharedQueue: maxSize must be an integer from 1 to 2^24, got ${cap}`,
        );
      }
    } else {
      // The capacity is the first cell after the header; the attach below
      // checks the header (name and layout, which includes the capacity).
      const at = (from.offset ?? 0) + HEADER_BYTES;
      if (
        !(from.buffer instanceof SharedArrayBuffer) ||
        from.buffer.byteLength < at + 4
      ) {
        throw new LayoutError(KIND, "the buffer cannot hold a SharedQueue");
      }
      cap = new Int32Array(from.buffer, at, 1)[0];
      if (!(cap >= 1 && cap <= 1 << 24)) cap = 1;
    }
    const s = from === undefined
      ? sharedStruct(layout(cap), { name: KIND })
      : attachStruct(layout(cap), from, { name: KIND });
    this.buffer = s.buffer;
    this.offset = s.offset;
    this.#cells = s.views.cells;
    this.#turns = s.views.turns;
    this.#items = s.views.items;
    this.#cap = cap;
    this.#ring = ringSize(cap);
    if (from === undefined) {
      this.#cells[CAP] = cap;
      for (let i = 0; i < this.#ring; i++) this.#turns[i] = i;
    }
  }

  /**
   * Attach to a queue made elsewhere, from its `handle`.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue();
   * q.tryPut(7);
   * assert.deepEqual(SharedQueue.from(q.handle).tryGet(), { ok: true, value: 7 });
   * ```
   */
  static from(handle: SharedHandle): SharedQueue {
    return attaching(handle, () => new SharedQueue());
  }

  /**
   * Plain data to send to a worker actor; `SharedQueue.from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedQueue().handle.kind, "SharedQueue");
   * ```
   */
  get handle(): SharedHandle {
    return { kind: KIND, buffer: this.buffer, offset: this.offset };
  }

  /**
   * Items queued now (a snapshot: other isolates may change it at once).
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue();
   * q.tryPut(1);
   * assert.equal(q.size, 1);
   * ```
   */
  get size(): number {
    const head = Atomics.load(this.#cells, HEAD);
    const n = (Atomics.load(this.#cells, TAIL) - head) | 0;
    return Math.max(0, Math.min(n, this.#cap));
  }

  /**
   * The bound.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedQueue().maxSize, 1024);
   * ```
   */
  get maxSize(): number {
    return this.#cap;
  }

  /**
   * Whether `close()` was called (in any isolate).
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue();
   * q.close();
   * assert.ok(q.closed);
   * ```
   */
  get closed(): boolean {
    return Atomics.load(this.#cells, CLOSED) === 1;
  }

  #offer(item: number): boolean {
    const cells = this.#cells;
    const turns = this.#turns;
    const ring = this.#ring;
    let pos = Atomics.load(cells, TAIL);
    for (;;) {
      const slot = pos & (ring - 1);
      const turn = Atomics.load(turns, slot);
      const dif = (turn - pos) | 0;
      if (dif === 0) {
        // The bound: the head read here can only be behind the real one.
        if (((pos - Atomics.load(cells, HEAD)) | 0) >= this.#cap) {
          return false;
        }
        const seen = Atomics.compareExchange(cells, TAIL, pos, (pos + 1) | 0);
        if (seen === pos) {
          this.#items[slot] = item;
          Atomics.store(turns, slot, (pos + 1) | 0);
          wake(cells, ITEMS, 1);
          return true;
        }
        pos = seen;
      } else if (dif < 0) {
        return false; // full
      } else {
        pos = Atomics.load(cells, TAIL);
      }
    }
  }

  #poll(): { ok: true; value: number } | { ok: false } {
    const cells = this.#cells;
    const turns = this.#turns;
    const ring = this.#ring;
    let pos = Atomics.load(cells, HEAD);
    for (;;) {
      const slot = pos & (ring - 1);
      const turn = Atomics.load(turns, slot);
      const dif = (turn - ((pos + 1) | 0)) | 0;
      if (dif === 0) {
        const seen = Atomics.compareExchange(cells, HEAD, pos, (pos + 1) | 0);
        if (seen === pos) {
          const value = this.#items[slot];
          Atomics.store(turns, slot, (pos + ring) | 0);
          wake(cells, ROOM, 1);
          return { ok: true, value };
        }
        pos = seen;
      } else if (dif < 0) {
        return { ok: false }; // empty
      } else {
        pos = Atomics.load(cells, HEAD);
      }
    }
  }

  /**
   * Add a number if there is room now; `ClosedError` after `close()`.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue({ maxSize: 1 });
   * assert.deepEqual([q.tryPut(1), q.tryPut(2)], [true, false]);
   * ```
   */
  tryPut(item: number): boolean {
    if (this.closed) throw new ClosedError("SharedQueue.put");
    return this.#offer(item);
  }

  /**
   * Add a number, waiting for room; `ClosedError` when the queue is or gets
   * closed, `WaitTimeoutError` / `WaitAbortedError` when the wait ends.
   *
   * @example
   * ```ts
   * import { SharedQueue, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue({ maxSize: 1 });
   * await q.put(1);
   * await assert.rejects(q.put(2, { timeout: 5 }), WaitTimeoutError);
   * ```
   */
  async put(item: number, options?: WaitOptions): Promise<void> {
    if (this.tryPut(item)) return;
    let closed = false;
    await waitUntil(this.#cells, ROOM, () => {
      if (this.closed) return closed = true;
      return this.#offer(item);
    }, new Deadline("SharedQueue.put", options));
    if (closed) throw new ClosedError("SharedQueue.put");
  }

  /**
   * Take the next number if there is one now.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new SharedQueue().tryGet(), { ok: false });
   * ```
   */
  tryGet(): { ok: true; value: number } | { ok: false } {
    return this.#poll();
  }

  /**
   * Take the next number, waiting for one; after `close()`, what is left,
   * then `ClosedError`.
   *
   * @example
   * ```ts
   * import { ClosedError, SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue();
   * await q.put(3);
   * q.close();
   * assert.equal(await q.get(), 3);
   * await assert.rejects(q.get(), ClosedError);
   * ```
   */
  async get(options?: WaitOptions): Promise<number> {
    const first = this.#poll();
    if (first.ok) return first.value;
    let got: { ok: true; value: number } | { ok: false } = first;
    let closed = false;
    await waitUntil(this.#cells, ITEMS, () => {
      got = this.#poll();
      if (got.ok) return true;
      // Closed and still empty after the close was seen: nothing will come.
      if (this.closed) {
        got = this.#poll();
        return got.ok || (closed = true);
      }
      return false;
    }, new Deadline("SharedQueue.get", options));
    if (closed) throw new ClosedError("SharedQueue.get");
    return (got as unknown as { value: number }).value;
  }

  /**
   * Refuse further puts, in every isolate; getters drain what is left.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue();
   * q.close();
   * assert.throws(() => q.tryPut(1), /closed/);
   * ```
   */
  close(): void {
    Atomics.store(this.#cells, CLOSED, 1);
    wake(this.#cells, ITEMS, Infinity);
    wake(this.#cells, ROOM, Infinity);
  }

  /**
   * The numbers as they come, until the queue is closed and drained.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const q = new SharedQueue();
   * await q.put(1);
   * q.close();
   * assert.deepEqual(await Array.fromAsync(q), [1]);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<number> {
    for (;;) {
      try {
        yield await this.get();
      } catch (e) {
        if (e instanceof ClosedError) return;
        throw e;
      }
    }
  }
}
