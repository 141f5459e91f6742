/**
 * `RWLock`: a readers-writer lock for one isolate.
 *
 * @module
 */

import { Held } from "./guard.ts";
import type { Guard, WaitOptions } from "./types.ts";
import { refuse, WaiterList } from "./waiters.ts";

/**
 * A readers-writer lock: many readers at once, or one writer.
 *
 * The policy, exactly:
 *
 * - `read()` is granted at once when no writer holds the lock **and no
 *   writer waits**; otherwise the reader queues. So a waiting writer holds
 *   back readers that arrive after it, and it gets the lock as soon as the
 *   readers already in leave: writers never starve.
 * - `write()` is granted at once when the lock is free and no writer waits;
 *   otherwise the writer queues. Writers are served FIFO among themselves.
 * - When a writer releases, **every reader queued at that moment** is let
 *   in together, before the next writer, even if writers wait; when no
 *   reader waits, the next writer goes. So readers never starve either:
 *   writers and batches of readers alternate while both kinds wait.
 * - When the last reader leaves, the first waiting writer goes.
 * - A waiting writer that times out or is aborted stops holding readers
 *   back: when no other writer waits, the queued readers are let in.
 *
 * @example
 * ```ts
 * import { RWLock } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const rw = new RWLock();
 * const r1 = await rw.read();
 * const r2 = await rw.read(); // readers share
 * assert.equal(rw.readers, 2);
 * const w = rw.write(); // waits for both readers
 * r1.release();
 * r2.release();
 * using _w = await w;
 * assert.ok(rw.writing);
 * ```
 */
export class RWLock {
  #readers = 0;
  #writing = false;
  #readQ = new WaiterList<void>();
  #writeQ = new WaiterList<void>(() => this.#afterCancel());

  /**
   * Readers holding the lock now.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new RWLock().readers, 0);
   * ```
   */
  get readers(): number {
    return this.#readers;
  }

  /**
   * Whether a writer holds the lock now.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new RWLock().writing, false);
   * ```
   */
  get writing(): boolean {
    return this.#writing;
  }

  /**
   * Readers and writers queued now.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.deepEqual(new RWLock().waiting, { readers: 0, writers: 0 });
   * ```
   */
  get waiting(): { readers: number; writers: number } {
    return { readers: this.#readQ.length, writers: this.#writeQ.length };
  }

  /**
   * Wait for shared access; the guard gives it back.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * const rw = new RWLock();
   * using _r = await rw.read({ timeout: 1_000 });
   * ```
   */
  async read(options?: WaitOptions): Promise<Guard> {
    if (options !== undefined) {
      const refused = refuse("RWLock.read", options);
      if (refused !== undefined) await refused;
    }
    if (!this.#tryReadNow()) await this.#readQ.wait("RWLock.read", options);
    return new Held(() => this.#releaseRead());
  }

  /**
   * Wait for exclusive access; the guard gives it back.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * const rw = new RWLock();
   * using _w = await rw.write({ timeout: 1_000 });
   * ```
   */
  async write(options?: WaitOptions): Promise<Guard> {
    if (options !== undefined) {
      const refused = refuse("RWLock.write", options);
      if (refused !== undefined) await refused;
    }
    if (!this.#tryWriteNow()) await this.#writeQ.wait("RWLock.write", options);
    return new Held(() => this.#releaseWrite());
  }

  /**
   * Take shared access if the policy grants it now; a guard, or undefined.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const rw = new RWLock();
   * const g = rw.tryRead();
   * assert.ok(g !== undefined);
   * g.release();
   * ```
   */
  tryRead(): Guard | undefined {
    return this.#tryReadNow() ? new Held(() => this.#releaseRead()) : undefined;
  }

  /**
   * Take exclusive access if the lock is free now; a guard, or undefined.
   *
   * @example
   * ```ts
   * import { RWLock } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const rw = new RWLock();
   * using _r = rw.tryRead();
   * assert.equal(rw.tryWrite(), undefined);
   * ```
   */
  tryWrite(): Guard | undefined {
    return this.#tryWriteNow()
      ? new Held(() => this.#releaseWrite())
      : undefined;
  }

  #tryReadNow(): boolean {
    if (this.#writing || this.#writeQ.length > 0) return false;
    this.#readers++;
    return true;
  }

  #tryWriteNow(): boolean {
    if (this.#writing || this.#readers > 0 || this.#writeQ.length > 0) {
      return false;
    }
    this.#writing = true;
    return true;
  }

  #admitReaders(): void {
    this.#readers += this.#readQ.length;
    this.#readQ.drain((node) => node.resolve(undefined));
  }

  #releaseRead(): void {
    if (--this.#readers === 0 && this.#writeQ.length > 0) {
      this.#writing = true;
      this.#writeQ.wakeOne(undefined);
    }
  }

  #releaseWrite(): void {
    this.#writing = false;
    if (this.#readQ.length > 0) {
      this.#admitReaders();
    } else if (this.#writeQ.length > 0) {
      this.#writing = true;
      this.#writeQ.wakeOne(undefined);
    }
  }

  #afterCancel(): void {
    if (!this.#writing && this.#writeQ.length === 0) this.#admitReaders();
  }
}
