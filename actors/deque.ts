/**
 * A double-ended queue on a growable power-of-two ring buffer.
 *
 * `Array.prototype.shift` is O(n) once an array leaves V8's fast path, which
 * turns a busy mailbox quadratic; a ring keeps push and shift O(1) and never
 * moves elements. The ring starts small so that a million idle actors cost
 * almost nothing, and doubles when full.
 *
 * @module
 */

const INITIAL = 8;

/**
 * A FIFO/LIFO queue with O(1) `push`, `shift`, `pop` and `unshift`.
 *
 * @example Use as a FIFO queue
 * ```ts
 * import { Deque } from "./deque.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Deque<number>();
 * q.push(1);
 * q.push(2);
 * assert.equal(q.shift(), 1);
 * assert.equal(q.length, 1);
 * ```
 */
export class Deque<T> {
  #buf: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  /**
   * Create an empty deque.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * const q = new Deque<string>();
   * ```
   */
  constructor() {
    this.#buf = new Array(INITIAL);
    this.#mask = INITIAL - 1;
  }

  /**
   * Number of items held.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<number>();
   * q.push(7);
   * assert.equal(q.length, 1);
   * ```
   */
  get length(): number {
    return this.#size;
  }

  /**
   * Append an item at the back.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * const q = new Deque<number>();
   * q.push(1);
   * ```
   */
  push(item: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /**
   * Insert an item at the front.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<number>();
   * q.push(2);
   * q.unshift(1);
   * assert.equal(q.shift(), 1);
   * ```
   */
  unshift(item: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#buf[this.#head] = item;
    this.#size++;
  }

  /**
   * Remove and return the front item, or `undefined` when empty.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<number>();
   * assert.equal(q.shift(), undefined);
   * ```
   */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const i = this.#head;
    const item = this.#buf[i];
    this.#buf[i] = undefined; // let the item be collected
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return item;
  }

  /**
   * Remove and return the back item, or `undefined` when empty.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<number>();
   * q.push(1);
   * q.push(2);
   * assert.equal(q.pop(), 2);
   * ```
   */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    this.#size--;
    const i = (this.#head + this.#size) & this.#mask;
    const item = this.#buf[i];
    this.#buf[i] = undefined;
    return item;
  }

  /**
   * The item at position `index` from the front, without removing it.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<string>();
   * q.push("a");
   * q.push("b");
   * assert.equal(q.at(1), "b");
   * ```
   */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    return this.#buf[(this.#head + index) & this.#mask];
  }

  /**
   * Remove every item and shrink back to the initial size.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<number>();
   * q.push(1);
   * q.clear();
   * assert.equal(q.length, 0);
   * ```
   */
  clear(): void {
    this.#buf = new Array(INITIAL);
    this.#mask = INITIAL - 1;
    this.#head = 0;
    this.#size = 0;
  }

  /**
   * Iterate from front to back without removing.
   *
   * @example
   * ```ts
   * import { Deque } from "./deque.ts";
   * import assert from "node:assert/strict";
   * const q = new Deque<number>();
   * q.push(1);
   * q.push(2);
   * assert.deepEqual([...q], [1, 2]);
   * ```
   */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) {
      yield this.#buf[(this.#head + i) & this.#mask] as T;
    }
  }

  #grow(): void {
    const old = this.#buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) {
      next[i] = old[(this.#head + i) & this.#mask];
    }
    this.#buf = next;
    this.#mask = next.length - 1;
    this.#head = 0;
  }
}
