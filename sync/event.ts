/**
 * `Event`: a flag that async tasks in one isolate wait on.
 *
 * @module
 */

import type { WaitOptions } from "./types.ts";
import { refuse, RESOLVED, WaiterList } from "./waiters.ts";

/**
 * A flag that tasks wait on until it is set (asyncio's `Event`). `set()`
 * wakes every waiter; waits after it return at once until `clear()`.
 *
 * @example
 * ```ts
 * import { Event } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const started = new Event();
 * const log: string[] = [];
 * const waiter = started.wait({ timeout: 1_000 }).then(() => log.push("go"));
 * log.push("setting");
 * started.set();
 * await waiter;
 * assert.deepEqual(log, ["setting", "go"]);
 * ```
 */
export class Event {
  #set = false;
  #waiters = new WaiterList<void>();

  /**
   * Whether the flag is set.
   *
   * @example
   * ```ts
   * import { Event } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const e = new Event();
   * e.set();
   * assert.ok(e.isSet);
   * ```
   */
  get isSet(): boolean {
    return this.#set;
  }

  /**
   * How many wait now.
   *
   * @example
   * ```ts
   * import { Event } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Event().waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Set the flag and wake every waiter.
   *
   * @example
   * ```ts
   * import { Event } from "@troupe/troupe/sync";
   * const e = new Event();
   * e.set();
   * await e.wait();
   * ```
   */
  set(): void {
    this.#set = true;
    this.#waiters.drain((node) => node.resolve(undefined));
  }

  /**
   * Clear the flag: later waits wait again.
   *
   * @example
   * ```ts
   * import { Event } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const e = new Event();
   * e.set();
   * e.clear();
   * assert.ok(!e.isSet);
   * ```
   */
  clear(): void {
    this.#set = false;
  }

  /**
   * Wait until the flag is set (at once when it is); `WaitTimeoutError` /
   * `WaitAbortedError` per `options`.
   *
   * @example
   * ```ts
   * import { Event, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * await assert.rejects(new Event().wait({ timeout: 1 }), WaitTimeoutError);
   * ```
   */
  wait(options?: WaitOptions): Promise<void> {
    if (options !== undefined) {
      const refused = refuse("Event.wait", options);
      if (refused !== undefined) return refused;
    }
    if (this.#set) return RESOLVED;
    return this.#waiters.wait("Event.wait", options);
  }
}
