/**
 * `Barrier`: a rendezvous point for a fixed number of async tasks.
 *
 * @module
 */

import { BrokenBarrierError, WaitTimeoutError } from "./errors.ts";
import type { WaitOptions } from "./types.ts";
import { refuse, WaiterList } from "./waiters.ts";

/** Options of a {@linkcode Barrier}. */
export interface BarrierOptions {
  /**
   * Runs once per generation, when the last party arrives and before any
   * is released. If it throws, the barrier breaks: the last party rejects
   * with the error, the others with `BrokenBarrierError`.
   */
  action?: () => void;
  /** The default timeout (ms) of every `wait` that gives none. */
  timeout?: number;
}

/**
 * A barrier for `parties` tasks, like Python's `threading.Barrier`: each
 * `wait()` blocks until all parties have arrived, then all go on together;
 * `wait()` resolves with the arrival index, 0 for the first to arrive up to
 * `parties - 1` for the last. The barrier is then ready for the next
 * generation.
 *
 * When one waiting party times out or is aborted, the barrier **breaks**:
 * that party and every other waiting party reject with `BrokenBarrierError`
 * (the timeout or abort error as its `cause`), and so does every later
 * `wait()` until `reset()`. `abort()` breaks it on purpose.
 *
 * @example
 * ```ts
 * import { Barrier } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * let generations = 0;
 * const b = new Barrier(3, { action: () => generations++ });
 * for (let round = 0; round < 2; round++) {
 *   const arrivals = await Promise.all([b.wait(), b.wait(), b.wait()]);
 *   assert.deepEqual(arrivals, [0, 1, 2]);
 * }
 * assert.equal(generations, 2);
 * ```
 */
export class Barrier {
  /** How many parties must arrive. */
  readonly parties: number;
  #action: (() => void) | undefined;
  #timeout: number | undefined;
  #waiters: WaiterList<number, number>;
  #broken = false;

  /**
   * A barrier for `parties` (an integer >= 1).
   *
   * @example
   * ```ts
   * import { Barrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Barrier(4, { timeout: 1_000 }).parties, 4);
   * ```
   */
  constructor(parties: number, options: {
    /**
     * Runs once per generation, when the last party arrives and before any
     * is released. If it throws, the barrier breaks: the last party rejects
     * with the error, the others with `BrokenBarrierError`.
     */
    action?: () => void;
    /** The default timeout (ms) of every `wait` that gives none. */
    timeout?: number;
  } = {}) {
    if (!(Number.isSafeInteger(parties) && parties >= 1)) {
      throw new RangeError(`Barrier: parties must be an integer >= 1`);
    }
    this.parties = parties;
    this.#action = options.action;
    this.#timeout = options.timeout;
    this.#waiters = new WaiterList<number, number>(() => {
      this.#break("a party's wait timed out or was aborted");
    });
  }

  /**
   * How many parties wait now.
   *
   * @example
   * ```ts
   * import { Barrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const b = new Barrier(2);
   * const first = b.wait();
   * assert.equal(b.waiting, 1);
   * await Promise.all([first, b.wait()]);
   * ```
   */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Whether the barrier is broken (until `reset()`).
   *
   * @example
   * ```ts
   * import { Barrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const b = new Barrier(2);
   * b.abort();
   * assert.ok(b.broken);
   * ```
   */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Arrive and wait for the others; resolves with this arrival's index.
   * Rejects with `BrokenBarrierError` when the barrier is or becomes broken
   * (its own timeout or abort breaks it).
   *
   * @example
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const b = new Barrier(2);
   * await assert.rejects(b.wait({ timeout: 1 }), BrokenBarrierError);
   * assert.ok(b.broken);
   * ```
   */
  async wait(options?: WaitOptions): Promise<number> {
    if (this.#timeout !== undefined && options?.timeout === undefined) {
      options = { ...options, timeout: this.#timeout };
    }
    if (options !== undefined) {
      const refused = refuse("Barrier.wait", options);
      if (refused !== undefined) {
        return await refused.catch((e) => {
          if (e instanceof RangeError) throw e;
          this.#break("a party arrived with an aborted signal");
          throw this.#brokenBy(e);
        });
      }
    }
    if (this.#broken) throw new BrokenBarrierError("it was broken before");
    const index = this.#waiters.length;
    if (index + 1 < this.parties) {
      const timeout = options?.timeout;
      if (timeout !== undefined && timeout <= 0) {
        this.#break("a party's wait timed out");
        throw this.#brokenBy(new WaitTimeoutError("Barrier.wait", timeout));
      }
      try {
        return await this.#waiters.wait("Barrier.wait", options, index);
      } catch (e) {
        // Our own timeout or abort broke the barrier already (onCancel).
        if (e instanceof BrokenBarrierError) throw e;
        throw this.#brokenBy(e);
      }
    }
    // The last party: run the action, then release the generation.
    try {
      this.#action?.();
    } catch (e) {
      this.#break("the action threw", e);
      throw e;
    }
    this.#waiters.drain((node) => node.resolve(node.data));
    return index;
  }

  #brokenBy(e: unknown): BrokenBarrierError {
    const why = e instanceof WaitTimeoutError
      ? "this party's wait timed out"
      : "this party's wait was aborted";
    return new BrokenBarrierError(why, { cause: e });
  }

  #break(why: string, cause?: unknown): void {
    this.#broken = true;
    const error = new BrokenBarrierError(
      why,
      cause === undefined ? undefined : { cause },
    );
    this.#waiters.rejectAll(error);
  }

  /**
   * Break the barrier: waiting parties and later `wait()` calls reject
   * with `BrokenBarrierError` until `reset()`.
   *
   * @example
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const b = new Barrier(2);
   * const waiting = b.wait();
   * b.abort();
   * await assert.rejects(waiting, BrokenBarrierError);
   * ```
   */
  abort(): void {
    this.#break("abort() was called");
  }

  /**
   * Mend the barrier for a new generation; parties waiting now reject with
   * `BrokenBarrierError`.
   *
   * @example
   * ```ts
   * import { Barrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const b = new Barrier(2);
   * b.abort();
   * b.reset();
   * assert.ok(!b.broken);
   * assert.deepEqual(await Promise.all([b.wait(), b.wait()]), [0, 1]);
   * ```
   */
  reset(): void {
    if (this.#waiters.length > 0) this.#break("reset() was called");
    this.#broken = false;
  }
}
