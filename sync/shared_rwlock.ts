/**
 * `SharedRWLock`: a readers-writer lock in a `SharedArrayBuffer`, with
 * writer preference, shared by worker actors and the main isolate.
 *
 * @module
 */

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

const KIND = "SharedRWLock";
const LAYOUT = { cells: ["i32", 2 + CHANNEL] } as const;
/** Readers inside (>= 0), or -1 while a writer is. */
const STATE = 0;
/** Writers that want the lock (waiting or about to take it). */
const WRITERS = 1;
const WAIT = 2;

/**
 * Many readers or one writer, across every isolate attached to the buffer.
 *
 * Writer preference: while a writer waits, readers that arrive wait behind
 * it, so a stream of readers cannot starve a writer. (A stream of writers
 * can keep readers waiting.) Writers among themselves are not FIFO and,
 * unlike `SharedMutex`, have no starvation bound: a writer that releases
 * and writes again at once may keep the lock from another waiting writer
 * (bound such waits with `timeout`). A writer that times out or is aborted stops holding
 * readers back at once.
 *
 * Send `rw.handle` to a worker actor in a message and attach there with
 * `SharedRWLock.from(handle)`.
 *
 * @example
 * ```ts
 * import { SharedRWLock } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const rw = new SharedRWLock();
 * const there = SharedRWLock.from(rw.handle); // as a worker actor would
 * {
 *   using _a = await rw.read();
 *   using _b = await there.read();
 *   assert.equal(rw.readers, 2);
 * }
 * using _w = await there.write({ timeout: 1_000 });
 * assert.ok(rw.writing);
 * ```
 */
export class SharedRWLock {
  /** The buffer that holds the lock's state. */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  #cells: Int32Array;

  /**
   * A new, free lock in a buffer of its own.
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedRWLock().readers, 0);
   * ```
   */
  constructor() {
    const from = takeAttached<SharedHandle>();
    const s = from === undefined
      ? sharedStruct(LAYOUT, { name: KIND })
      : attachStruct(LAYOUT, from, { name: KIND });
    this.buffer = s.buffer;
    this.offset = s.offset;
    this.#cells = s.views.cells;
  }

  /**
   * Attach to a lock made elsewhere, from its `handle`.
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const rw = new SharedRWLock();
   * assert.equal(SharedRWLock.from(rw.handle).writing, false);
   * ```
   */
  static from(handle: SharedHandle): SharedRWLock {
    return attaching(handle, () => new SharedRWLock());
  }

  /**
   * Plain data to send to a worker actor; `SharedRWLock.from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedRWLock().handle.kind, "SharedRWLock");
   * ```
   */
  get handle(): SharedHandle {
    return { kind: KIND, buffer: this.buffer, offset: this.offset };
  }

  /**
   * Readers holding the lock now, in all isolates.
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const rw = new SharedRWLock();
   * using _r = await rw.read();
   * assert.equal(rw.readers, 1);
   * ```
   */
  get readers(): number {
    return Math.max(0, Atomics.load(this.#cells, STATE));
  }

  /**
   * Whether a writer holds the lock now.
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const rw = new SharedRWLock();
   * using _w = await rw.write();
   * assert.ok(rw.writing);
   * ```
   */
  get writing(): boolean {
    return Atomics.load(this.#cells, STATE) === -1;
  }

  /**
   * Writers waiting for the lock now (readers that arrive wait behind them).
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedRWLock().writersWaiting, 0);
   * ```
   */
  get writersWaiting(): number {
    return Atomics.load(this.#cells, WRITERS);
  }

  #tryRead(): boolean {
    const cells = this.#cells;
    const s = Atomics.load(cells, STATE);
    return s >= 0 && Atomics.load(cells, WRITERS) === 0 &&
      Atomics.compareExchange(cells, STATE, s, s + 1) === s;
  }

  #endRead(): void {
    if (Atomics.sub(this.#cells, STATE, 1) === 1) {
      wake(this.#cells, WAIT, Infinity);
    }
  }

  #tryWrite(): boolean {
    return Atomics.compareExchange(this.#cells, STATE, 0, -1) === 0;
  }

  #endWrite(): void {
    Atomics.store(this.#cells, STATE, 0);
    wake(this.#cells, WAIT, Infinity);
  }

  /**
   * Wait for shared access: with other readers, never with a writer, and
   * not before a writer that is waiting.
   *
   * @example
   * ```ts
   * import { SharedRWLock, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const rw = new SharedRWLock();
   * const w = await rw.write();
   * await assert.rejects(rw.read({ timeout: 5 }), WaitTimeoutError);
   * w.release();
   * using _r = await rw.read();
   * ```
   */
  async read(options?: WaitOptions): Promise<Guard> {
    if (!this.#tryRead()) {
      await waitUntil(
        this.#cells,
        WAIT,
        () => this.#tryRead(),
        new Deadline("SharedRWLock.read", options),
      );
    }
    return guard(() => this.#endRead());
  }

  /**
   * Wait for exclusive access. From the moment it is called until it gets
   * the lock (or gives up), readers that arrive wait behind it.
   *
   * @example
   * ```ts
   * import { SharedRWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const rw = new SharedRWLock();
   * const reader = await rw.read();
   * const writer = rw.write({ timeout: 1_000 });
   * assert.equal(rw.writersWaiting, 1);
   * reader.release();
   * using _w = await writer;
   * assert.ok(rw.writing);
   * ```
   */
  async write(options?: WaitOptions): Promise<Guard> {
    const cells = this.#cells;
    Atomics.add(cells, WRITERS, 1);
    try {
      if (!this.#tryWrite()) {
        await waitUntil(
          cells,
          WAIT,
          () => this.#tryWrite(),
          new Deadline("SharedRWLock.write", options),
        );
      }
    } finally {
      // Got it or gave up: either way, stop holding readers back for it.
      if (Atomics.sub(cells, WRITERS, 1) === 1 && !this.writing) {
        wake(cells, WAIT, Infinity);
      }
    }
    return guard(() => this.#endWrite());
  }
}
