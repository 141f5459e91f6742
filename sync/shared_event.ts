/**
 * `SharedEvent`: a flag in a `SharedArrayBuffer` that worker actors and the
 * main isolate wait on until someone, anywhere, sets it.
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
  takeAttached,
  waitUntil,
  wake,
} from "./shared_wait.ts";
import type { WaitOptions } from "./types.ts";

const KIND = "SharedEvent";
const LAYOUT = { cells: ["i32", 1 + CHANNEL] } as const;
const FLAG = 0;
const WAIT = 1;

/**
 * A flag shared by every isolate that attaches to its buffer: `wait` waits
 * until it is set; `set` wakes every waiter in every isolate.
 *
 * Send `event.handle` to a worker actor in a message and attach there with
 * `SharedEvent.from(handle)`.
 *
 * @example
 * ```ts
 * import { SharedEvent } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const ready = new SharedEvent();
 * const there = SharedEvent.from(ready.handle); // as a worker actor would
 * setTimeout(() => there.set(), 1);
 * await ready.wait({ timeout: 1_000 });
 * assert.ok(ready.isSet);
 * ```
 */
export class SharedEvent {
  /** The buffer that holds the flag. */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  #cells: Int32Array;

  /**
   * A new, clear event in a buffer of its own.
   *
   * @example
   * ```ts
   * import { SharedEvent } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedEvent().isSet, false);
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
   * Attach to an event made elsewhere, from its `handle`.
   *
   * @example
   * ```ts
   * import { SharedEvent } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const e = new SharedEvent();
   * e.set();
   * assert.ok(SharedEvent.from(e.handle).isSet);
   * ```
   */
  static from(handle: SharedHandle): SharedEvent {
    return attaching(handle, () => new SharedEvent());
  }

  /**
   * Plain data to send to a worker actor; `SharedEvent.from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedEvent } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedEvent().handle.kind, "SharedEvent");
   * ```
   */
  get handle(): SharedHandle {
    return { kind: KIND, buffer: this.buffer, offset: this.offset };
  }

  /**
   * Whether the flag is set.
   *
   * @example
   * ```ts
   * import { SharedEvent } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const e = new SharedEvent();
   * e.set();
   * assert.ok(e.isSet);
   * ```
   */
  get isSet(): boolean {
    return Atomics.load(this.#cells, FLAG) === 1;
  }

  /**
   * Set the flag and wake every waiter, in every isolate.
   *
   * @example
   * ```ts
   * import { SharedEvent } from "@troupe/troupe/sync";
   *
   * const e = new SharedEvent();
   * const waiting = e.wait();
   * e.set();
   * await waiting;
   * ```
   */
  set(): void {
    Atomics.store(this.#cells, FLAG, 1);
    wake(this.#cells, WAIT, Infinity);
  }

  /**
   * Clear the flag.
   *
   * @example
   * ```ts
   * import { SharedEvent } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const e = new SharedEvent();
   * e.set();
   * e.clear();
   * assert.equal(e.isSet, false);
   * ```
   */
  clear(): void {
    Atomics.store(this.#cells, FLAG, 0);
  }

  /**
   * Wait until the flag is set (at once when it is); `WaitTimeoutError` /
   * `WaitAbortedError` otherwise.
   *
   * @example
   * ```ts
   * import { SharedEvent, WaitAbortedError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const e = new SharedEvent();
   * const c = new AbortController();
   * const waiting = e.wait({ signal: c.signal });
   * c.abort("no longer needed");
   * await assert.rejects(waiting, WaitAbortedError);
   * ```
   */
  wait(options?: WaitOptions): Promise<void> {
    if (this.isSet) return Promise.resolve();
    return waitUntil(
      this.#cells,
      WAIT,
      () => this.isSet,
      new Deadline("SharedEvent.wait", options),
    );
  }
}
