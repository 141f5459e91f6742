/**
 * `SharedCondition`: a condition variable in a `SharedArrayBuffer`, bound to
 * a `SharedMutex`, for waiting on shared state that other isolates change.
 *
 * @module
 */

import { LayoutError, NotHeldError } from "./errors.ts";
import {
  attachStruct,
  type SharedHandle,
  sharedStruct,
} from "./shared_layout.ts";
import { SharedMutex } from "./shared_mutex.ts";
import {
  attaching,
  CHANNEL,
  Deadline,
  takeAttached,
  waitUntil,
} from "./shared_wait.ts";
import type { WaitOptions } from "./types.ts";

const KIND = "SharedCondition";
const LAYOUT = { cells: ["i32", 1 + CHANNEL] } as const;
/** The uid of the mutex it is bound to. */
const MUTEX = 0;
const WAIT = 1;

/**
 * A condition variable shared by every isolate attached to its buffer, bound
 * to one `SharedMutex`: `wait` releases the mutex, waits for a `notify` from
 * any isolate, and takes the mutex again before it returns (also when it
 * rejects with `WaitTimeoutError` or `WaitAbortedError`). `wait`, `notify`
 * and `notifyAll` need the mutex held by this condition's mutex instance
 * (`NotHeldError` otherwise).
 *
 * A `wait` may return without a notify meant for it (a notify that crossed
 * its release of the mutex, or a waiter elsewhere that gave up and woke all
 * sleepers to hand on a wake it may have swallowed): check the state you
 * wait for in a loop, or use `waitFor`, which does.
 *
 * Send `condition.handle` (it carries the mutex's handle too) to a worker
 * actor and attach there with `SharedCondition.from(handle)`; use the
 * condition's `mutex` there.
 *
 * @example
 * ```ts
 * import { SharedCondition, SharedMutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const mutex = new SharedMutex();
 * const cond = new SharedCondition(mutex);
 * const box = new Int32Array(new SharedArrayBuffer(4));
 *
 * const there = SharedCondition.from(cond.handle); // as a worker actor would
 * const consumer = (async () => {
 *   using _held = await there.mutex.lock();
 *   await there.waitFor(() => Atomics.load(box, 0) === 42, { timeout: 1_000 });
 * })();
 * {
 *   using _held = await mutex.lock();
 *   Atomics.store(box, 0, 42);
 *   cond.notifyAll();
 * }
 * await consumer;
 * assert.equal(box[0], 42);
 * ```
 */
export class SharedCondition {
  /** The buffer that holds the condition's state. */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  /** The mutex it is bound to (this isolate's instance of it). */
  readonly mutex: SharedMutex;
  #cells: Int32Array;

  /**
   * A new condition bound to `mutex`.
   *
   * @example
   * ```ts
   * import { SharedCondition, SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const m = new SharedMutex();
   * assert.equal(new SharedCondition(m).mutex, m);
   * ```
   */
  constructor(mutex: SharedMutex) {
    const from = takeAttached<SharedHandle>();
    if (from === undefined) {
      const s = sharedStruct(LAYOUT, { name: KIND });
      this.#cells = s.views.cells;
      Atomics.store(this.#cells, MUTEX, mutex.uid);
      this.buffer = s.buffer;
      this.offset = s.offset;
    } else {
      const s = attachStruct(LAYOUT, from, { name: KIND });
      this.#cells = s.views.cells;
      if (Atomics.load(this.#cells, MUTEX) !== mutex.uid) {
        throw new LayoutError(
          KIND,
          "the mutex given is not the one the condition is bound to",
        );
      }
      this.buffer = s.buffer;
      this.offset = s.offset;
    }
    this.mutex = mutex;
  }

  /**
   * Attach to a condition made elsewhere, from its `handle`. Its mutex is
   * attached from the handle too, unless you pass this isolate's instance of
   * it (`LayoutError` when that is another mutex).
   *
   * @example
   * ```ts
   * import { SharedCondition, SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const c = new SharedCondition(new SharedMutex());
   * const there = SharedCondition.from(c.handle);
   * assert.equal(there.mutex.uid, c.mutex.uid);
   * ```
   */
  static from(
    handle: SharedHandle,
    mutex?: SharedMutex,
  ): SharedCondition {
    if (mutex === undefined && handle.mutex === undefined) {
      throw new LayoutError(
        KIND,
        "expected a handle with its mutex's handle (`mutex`), found none",
      );
    }
    const m = mutex ?? SharedMutex.from(handle.mutex!);
    return attaching(handle, () => new SharedCondition(m));
  }

  /**
   * Plain data to send to a worker actor (with the mutex's handle inside);
   * `SharedCondition.from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedCondition, SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const h = new SharedCondition(new SharedMutex()).handle;
   * assert.equal(h.mutex.kind, "SharedMutex");
   * ```
   */
  get handle(): SharedHandle & { mutex: SharedHandle } {
    return {
      kind: KIND,
      buffer: this.buffer,
      offset: this.offset,
      mutex: this.mutex.handle,
    };
  }

  /**
   * Release the mutex, wait for a notify, take the mutex again. On timeout
   * or abort it still takes the mutex again before rejecting.
   *
   * @example
   * ```ts
   * import { SharedCondition, SharedMutex, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const c = new SharedCondition(new SharedMutex());
   * using _held = await c.mutex.lock();
   * await assert.rejects(c.wait({ timeout: 5 }), WaitTimeoutError);
   * assert.ok(c.mutex.heldHere);
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    if (!this.mutex.heldHere) throw new NotHeldError("SharedCondition.wait");
    const deadline = new Deadline("SharedCondition.wait", options);
    const cells = this.#cells;
    const seq = Atomics.load(cells, WAIT);
    this.mutex.release();
    let failure: unknown;
    try {
      await waitUntil(
        cells,
        WAIT,
        () => Atomics.load(cells, WAIT) !== seq,
        deadline,
      );
    } catch (e) {
      failure = e;
    }
    await this.mutex.acquire();
    if (failure !== undefined) throw failure;
  }

  /**
   * Wait until `predicate()` holds, checking it with the mutex held; the
   * timeout counts for the whole wait.
   *
   * @example
   * ```ts
   * import { SharedCondition, SharedMutex } from "@troupe/troupe/sync";
   *
   * const c = new SharedCondition(new SharedMutex());
   * using _held = await c.mutex.lock();
   * await c.waitFor(() => true); // holds already: returns at once
   * ```
   */
  async waitFor(
    predicate: () => boolean,
    options?: WaitOptions,
  ): Promise<void> {
    const deadline = new Deadline("SharedCondition.waitFor", options);
    while (!predicate()) {
      await this.wait(deadline.rest()).catch((e) => {
        throw e instanceof Error && e.name === "WaitTimeoutError"
          ? deadline.timedOut()
          : e;
      });
    }
  }

  /**
   * Wake up to `n` waiters (default 1), in any isolate. Needs the mutex.
   *
   * @example
   * ```ts
   * import { NotHeldError, SharedCondition, SharedMutex } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const c = new SharedCondition(new SharedMutex());
   * assert.throws(() => c.notify(), NotHeldError);
   * using _held = await c.mutex.lock();
   * c.notify();
   * ```
   */
  notify(n = 1): void {
    if (!this.mutex.heldHere) throw new NotHeldError("SharedCondition.notify");
    this.#wake(n);
  }

  /**
   * Wake every waiter, in every isolate. Needs the mutex.
   *
   * @example
   * ```ts
   * import { SharedCondition, SharedMutex } from "@troupe/troupe/sync";
   *
   * const c = new SharedCondition(new SharedMutex());
   * using _held = await c.mutex.lock();
   * c.notifyAll();
   * ```
   */
  notifyAll(): void {
    if (!this.mutex.heldHere) {
      throw new NotHeldError("SharedCondition.notifyAll");
    }
    this.#wake(Infinity);
  }

  #wake(n: number): void {
    Atomics.add(this.#cells, WAIT, 1);
    if (n > 0 && Atomics.load(this.#cells, WAIT + 1) > 0) {
      Atomics.notify(this.#cells, WAIT, n);
    }
  }
}
