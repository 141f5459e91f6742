/**
 * `SharedBarrier`: a barrier in a `SharedArrayBuffer` for parties in worker
 * actors and the main isolate, with Python's `threading.Barrier` semantics.
 *
 * @module
 */

import { BrokenBarrierError } from "./errors.ts";
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

const KIND = "SharedBarrier";
/** Generations whose outcome is remembered (for parties slow to look). */
const OUTCOMES = 32;
const LAYOUT = { cells: ["i32", 2 + CHANNEL + OUTCOMES] } as const;
/**
 * One word: arrivals in this generation (bits 0-15), the generation
 * (bits 16-30, wrapping) and broken (bit 31).
 */
const WORD = 0;
const PARTIES = 1;
const WAIT = 2;
const OUTCOME = 2 + CHANNEL;
/** How a generation ended: still open, all released, reset, broken. */
const OPEN = 0;
const RELEASED = 1;
const RESET = 2;
const BROKE = 3;
const BROKEN = 0x80000000 | 0;
const GENERATIONS = 0x8000;

const countOf = (w: number): number => w & 0xffff;
const genOf = (w: number): number => (w >>> 16) & 0x7fff;
const isBroken = (w: number): boolean => (w & BROKEN) !== 0;
const pack = (gen: number, count: number): number =>
  ((gen % GENERATIONS) << 16) | count;

/** Options of a `SharedBarrier`. */
export interface SharedBarrierOptions {
  /**
   * Run once per generation, by the party that arrives last, before any
   * party goes on; if it throws, that party rejects with its error and the
   * barrier breaks. (Functions do not cross isolates: each attached
   * instance has its own, and the last arrival runs its instance's.)
   */
  action?: () => void;
}

/**
 * A barrier for `parties` parties in any isolates attached to its buffer:
 * each `wait` waits until all have arrived, then all go on together.
 *
 * As in Python: `wait` resolves with the arrival index (0 for the first,
 * `parties - 1` for the last); the last arrival runs the `action`, once per
 * generation; when a party's wait times out or is aborted, the barrier
 * breaks, and that party and every other waiter reject with
 * `BrokenBarrierError` (the timeout's or abort's error as the cause), as do
 * later waits until `reset()`. `abort()` breaks it; `reset()` mends it,
 * failing the parties that were waiting. The barrier is reused generation
 * after generation.
 *
 * Send `barrier.handle` to worker actors in messages and attach there with
 * `SharedBarrier.from(handle, { action })`.
 *
 * @example
 * ```ts
 * import { SharedBarrier } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const b = new SharedBarrier(2);
 * const there = SharedBarrier.from(b.handle); // as a worker actor would
 * const indexes = await Promise.all([b.wait(), there.wait()]);
 * assert.deepEqual(indexes.sort(), [0, 1]);
 * assert.equal(b.generation, 1);
 * ```
 */
export class SharedBarrier {
  /** The buffer that holds the barrier's state. */
  readonly buffer: SharedArrayBuffer;
  /** Where the state starts in `buffer`, in bytes. */
  readonly offset: number;
  #cells: Int32Array;
  #action: (() => void) | undefined;

  /**
   * A barrier for `parties` parties (1 to 65535).
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * let runs = 0;
   * const b = new SharedBarrier(1, { action: () => runs++ });
   * assert.equal(await b.wait(), 0);
   * assert.equal(runs, 1);
   * ```
   */
  constructor(parties: number, options: {
    /**
     * Run once per generation, by the party that arrives last, before any
     * party goes on; if it throws, that party rejects with its error and the
     * barrier breaks. (Functions do not cross isolates: each attached
     * instance has its own, and the last arrival runs its instance's.)
     */
    action?: () => void;
  } = {}) {
    const from = takeAttached<SharedHandle>();
    if (from === undefined) {
      if (!Number.isInteger(parties) || parties < 1 || parties > 0xffff) {
        throw new RangeError(
          `SharedBarrier: parties must be an integer from 1 to 65535, got ${parties}`,
        );
      }
      const s = sharedStruct(LAYOUT, { name: KIND });
      this.#cells = s.views.cells;
      Atomics.store(this.#cells, PARTIES, parties);
      this.buffer = s.buffer;
      this.offset = s.offset;
    } else {
      const s = attachStruct(LAYOUT, from, { name: KIND });
      this.#cells = s.views.cells;
      this.buffer = s.buffer;
      this.offset = s.offset;
    }
    this.#action = options.action;
  }

  /**
   * Attach to a barrier made elsewhere, from its `handle`, with this
   * isolate's `action` if any.
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(3);
   * assert.equal(SharedBarrier.from(b.handle).parties, 3);
   * ```
   */
  static from(
    handle: SharedHandle,
    options: {
      /**
       * Run once per generation, by the party that arrives last, before any
       * party goes on; if it throws, that party rejects with its error and the
       * barrier breaks. (Functions do not cross isolates: each attached
       * instance has its own, and the last arrival runs its instance's.)
       */
      action?: () => void;
    } = {},
  ): SharedBarrier {
    return attaching(handle, () => new SharedBarrier(1, options));
  }

  /**
   * Plain data to send to a worker actor; `SharedBarrier.from` attaches it.
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedBarrier(2).handle.kind, "SharedBarrier");
   * ```
   */
  get handle(): SharedHandle {
    return { kind: KIND, buffer: this.buffer, offset: this.offset };
  }

  /**
   * How many parties must arrive.
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedBarrier(4).parties, 4);
   * ```
   */
  get parties(): number {
    return Atomics.load(this.#cells, PARTIES);
  }

  /**
   * How many parties are waiting now (0 while broken).
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(2);
   * const first = b.wait();
   * assert.equal(b.waiting, 1);
   * await Promise.all([first, b.wait()]);
   * ```
   */
  get waiting(): number {
    const w = Atomics.load(this.#cells, WORD);
    return isBroken(w) ? 0 : countOf(w);
  }

  /**
   * Whether the barrier is broken (until `reset`).
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(2);
   * b.abort();
   * assert.ok(b.broken);
   * ```
   */
  get broken(): boolean {
    return isBroken(Atomics.load(this.#cells, WORD));
  }

  /**
   * How many generations have passed (wrapping at 32768); a party that
   * records it after `wait` sees the same number as every other party of
   * its generation.
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(1);
   * await b.wait();
   * await b.wait();
   * assert.equal(b.generation, 2);
   * ```
   */
  get generation(): number {
    return genOf(Atomics.load(this.#cells, WORD));
  }

  /**
   * Arrive and wait for the other parties; resolves with this arrival's
   * index. `BrokenBarrierError` when the barrier is or becomes broken,
   * including by this wait's own timeout or abort.
   *
   * @example
   * ```ts
   * import { BrokenBarrierError, SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(2);
   * await assert.rejects(b.wait({ timeout: 5 }), BrokenBarrierError);
   * assert.ok(b.broken);
   * ```
   */
  async wait(options?: WaitOptions): Promise<number> {
    const deadline = new Deadline("SharedBarrier.wait", options);
    const cells = this.#cells;
    const parties = this.parties;
    let gen: number;
    let index: number;
    for (;;) {
      const w = Atomics.load(cells, WORD);
      if (isBroken(w)) throw new BrokenBarrierError("it was broken before");
      const count = countOf(w);
      gen = genOf(w);
      if (count >= parties) {
        // The last party of this generation runs the action: wait for it.
        await this.#waitFor(() => Atomics.load(cells, WORD) !== w, deadline);
        continue;
      }
      if (Atomics.compareExchange(cells, WORD, w, pack(gen, count + 1)) !== w) {
        continue;
      }
      index = count;
      break;
    }
    if (index === parties - 1) {
      try {
        this.#action?.();
      } catch (e) {
        this.#break(gen);
        throw e;
      }
      if (this.#close(gen, OPEN, RELEASED)) return index;
      throw this.#why(gen);
    }
    try {
      await waitUntil(cells, WAIT, () => {
        const w = Atomics.load(cells, WORD);
        return genOf(w) !== gen || isBroken(w);
      }, deadline);
    } catch (e) {
      if (!this.#break(gen) && this.#outcome(gen) === RELEASED) return index;
      throw new BrokenBarrierError(
        `a party's wait ended: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (this.#outcome(gen) === RELEASED) return index;
    throw this.#why(gen);
  }

  #outcome(gen: number): number {
    return Atomics.load(this.#cells, OUTCOME + gen % OUTCOMES);
  }

  #why(gen: number): BrokenBarrierError {
    return new BrokenBarrierError(
      this.#outcome(gen) === RESET ? "it was reset" : "a party broke it",
    );
  }

  /** Wait with the barrier's deadline, breaking it when the wait ends. */
  async #waitFor(attempt: () => boolean, deadline: Deadline): Promise<void> {
    try {
      await waitUntil(this.#cells, WAIT, attempt, deadline);
    } catch (e) {
      this.abort();
      throw new BrokenBarrierError(
        `a party's wait ended: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /**
   * Break generation `gen`: true when this call broke it or it was broken
   * already, false when it ended otherwise (released or reset). The outcome
   * slot of the generation decides, then the word says so to arrivals.
   */
  #break(gen: number): boolean {
    const cells = this.#cells;
    const prev = Atomics.compareExchange(
      cells,
      OUTCOME + gen % OUTCOMES,
      OPEN,
      BROKE,
    );
    if (prev !== OPEN && prev !== BROKE) return false;
    for (;;) {
      const w = Atomics.load(cells, WORD);
      if (genOf(w) !== gen || isBroken(w)) break;
      if (Atomics.compareExchange(cells, WORD, w, w | BROKEN) === w) break;
    }
    wake(cells, WAIT, Infinity);
    return true;
  }

  /**
   * End generation `gen`, whose outcome is `from`, with `outcome`, and start
   * the next one; false when its outcome was something else.
   */
  #close(gen: number, from: number, outcome: number): boolean {
    const cells = this.#cells;
    const slot = OUTCOME + gen % OUTCOMES;
    if (Atomics.compareExchange(cells, slot, from, outcome) !== from) {
      return false;
    }
    Atomics.store(cells, OUTCOME + (gen + 1) % OUTCOMES, OPEN);
    for (;;) {
      const w = Atomics.load(cells, WORD);
      if (Atomics.compareExchange(cells, WORD, w, pack(gen + 1, 0)) === w) {
        break;
      }
    }
    wake(cells, WAIT, Infinity);
    return true;
  }

  /**
   * Break the barrier: parties waiting now and later reject with
   * `BrokenBarrierError` until `reset()`.
   *
   * @example
   * ```ts
   * import { BrokenBarrierError, SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(2);
   * const waiting = b.wait();
   * b.abort();
   * await assert.rejects(waiting, BrokenBarrierError);
   * ```
   */
  abort(): void {
    // A generation being released right now: break the next one.
    while (!this.#break(genOf(Atomics.load(this.#cells, WORD)))) {
      // the release is between its outcome and its word: a few instructions
    }
  }

  /**
   * Mend the barrier and start a fresh generation; parties waiting now
   * reject with `BrokenBarrierError`.
   *
   * @example
   * ```ts
   * import { SharedBarrier } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * const b = new SharedBarrier(1);
   * b.abort();
   * b.reset();
   * assert.equal(b.broken, false);
   * assert.equal(await b.wait(), 0);
   * ```
   */
  reset(): void {
    for (;;) {
      const gen = genOf(Atomics.load(this.#cells, WORD));
      if (this.#close(gen, OPEN, RESET) || this.#close(gen, BROKE, RESET)) {
        return;
      }
    }
  }
}
