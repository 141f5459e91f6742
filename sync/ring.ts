/**
 * The item stores under `Queue` (by its `order`) and `Channel`: a growable ring (FIFO), a stack (LIFO) and a binary heap
 * (priority, stable). Internal to `sync/`.
 *
 * @module
 */

/**
 * What a queue keeps its items in.
 *
 * @example
 * ```ts
 * import { Ring, type Store } from "./ring.ts";
 * const s: Store<number> = new Ring<number>();
 * s.push(1);
 * ```
 */
export interface Store<T> {
  /** Items held. */
  readonly length: number;
  /** Add an item. */
  push(item: T): void;
  /** Remove and return the next item (the store is not empty). */
  take(): T;
}

/**
 * A FIFO on a power-of-two ring that doubles when full: O(1) push and take,
 * no `Array.prototype.shift`.
 *
 * @example
 * ```ts
 * import { Ring } from "./ring.ts";
 * import assert from "node:assert/strict";
 * const r = new Ring<number>();
 * for (let i = 0; i < 100; i++) r.push(i);
 * assert.equal(r.take(), 0);
 * assert.equal(r.length, 99);
 * ```
 */
export class Ring<T> implements Store<T> {
  #buf: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  /**
   * An empty ring with room for `capacity` items before it grows (rounded
   * up to a power of two).
   *
   * @example
   * ```ts
   * import { Ring } from "./ring.ts";
   * new Ring<string>(1024);
   * ```
   */
  constructor(capacity = 16) {
    let n = 16;
    while (n < capacity && n < 1 << 20) n *= 2;
    this.#buf = new Array<T | undefined>(n).fill(undefined);
    this.#mask = n - 1;
  }

  /**
   * Items held.
   *
   * @example
   * ```ts
   * import { Ring } from "./ring.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new Ring().length, 0);
   * ```
   */
  get length(): number {
    return this.#size;
  }

  /**
   * Append at the back.
   *
   * @example
   * ```ts
   * import { Ring } from "./ring.ts";
   * new Ring<number>().push(1);
   * ```
   */
  push(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#buf[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /**
   * Remove and return the front item (the ring is not empty).
   *
   * @example
   * ```ts
   * import { Ring } from "./ring.ts";
   * import assert from "node:assert/strict";
   * const r = new Ring<number>();
   * r.push(5);
   * assert.equal(r.take(), 5);
   * ```
   */
  take(): T {
    const i = this.#head;
    const item = this.#buf[i] as T;
    this.#buf[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return item;
  }

  #grow(): void {
    const old = this.#buf;
    const n = old.length;
    const buf = new Array<T | undefined>(n * 2).fill(undefined);
    for (let i = 0; i < n; i++) buf[i] = old[(this.#head + i) & this.#mask];
    this.#buf = buf;
    this.#head = 0;
    this.#mask = n * 2 - 1;
  }
}

/**
 * A LIFO: `take` returns the item pushed last.
 *
 * @example
 * ```ts
 * import { Stack } from "./ring.ts";
 * import assert from "node:assert/strict";
 * const s = new Stack<number>();
 * s.push(1);
 * s.push(2);
 * assert.equal(s.take(), 2);
 * ```
 */
export class Stack<T> implements Store<T> {
  #items: T[] = [];

  /**
   * Items held.
   *
   * @example
   * ```ts
   * import { Stack } from "./ring.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new Stack().length, 0);
   * ```
   */
  get length(): number {
    return this.#items.length;
  }

  /**
   * Push on top.
   *
   * @example
   * ```ts
   * import { Stack } from "./ring.ts";
   * new Stack<number>().push(1);
   * ```
   */
  push(item: T): void {
    this.#items.push(item);
  }

  /**
   * Pop the top (the stack is not empty).
   *
   * @example
   * ```ts
   * import { Stack } from "./ring.ts";
   * import assert from "node:assert/strict";
   * const s = new Stack<number>();
   * s.push(3);
   * assert.equal(s.take(), 3);
   * ```
   */
  take(): T {
    return this.#items.pop() as T;
  }
}

/**
 * A binary min-heap by `compare`, stable: items that compare equal come out
 * in the order they went in (each carries its insertion number).
 *
 * @example
 * ```ts
 * import { Heap } from "./ring.ts";
 * import assert from "node:assert/strict";
 * const h = new Heap<number>((a, b) => a - b);
 * for (const x of [5, 1, 3]) h.push(x);
 * assert.deepEqual([h.take(), h.take(), h.take()], [1, 3, 5]);
 * ```
 */
export class Heap<T> implements Store<T> {
  #items: T[] = [];
  #seqs: number[] = [];
  #next = 0;
  #compare: (a: T, b: T) => number;

  /**
   * An empty heap ordered by `compare` (negative: `a` comes first).
   *
   * @example
   * ```ts
   * import { Heap } from "./ring.ts";
   * new Heap<string>((a, b) => a.localeCompare(b));
   * ```
   */
  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  /**
   * Items held.
   *
   * @example
   * ```ts
   * import { Heap } from "./ring.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new Heap<number>((a, b) => a - b).length, 0);
   * ```
   */
  get length(): number {
    return this.#items.length;
  }

  #before(i: number, j: number): boolean {
    const c = this.#compare(this.#items[i], this.#items[j]);
    return c < 0 || (c === 0 && this.#seqs[i] < this.#seqs[j]);
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const seqs = this.#seqs;
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
    const s = seqs[i];
    seqs[i] = seqs[j];
    seqs[j] = s;
  }

  /**
   * Add an item.
   *
   * @example
   * ```ts
   * import { Heap } from "./ring.ts";
   * new Heap<number>((a, b) => a - b).push(1);
   * ```
   */
  push(item: T): void {
    let i = this.#items.length;
    this.#items.push(item);
    this.#seqs.push(this.#next++);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /**
   * Remove and return the first item by order (the heap is not empty).
   *
   * @example
   * ```ts
   * import { Heap } from "./ring.ts";
   * import assert from "node:assert/strict";
   * const h = new Heap<number>((a, b) => a - b);
   * h.push(2);
   * h.push(1);
   * assert.equal(h.take(), 1);
   * ```
   */
  take(): T {
    const items = this.#items;
    const top = items[0];
    const lastItem = items.pop() as T;
    const lastSeq = this.#seqs.pop() as number;
    const n = items.length;
    if (n > 0) {
      items[0] = lastItem;
      this.#seqs[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.#before(r, l) ? r : l;
        if (!this.#before(c, i)) break;
        this.#swap(c, i);
        i = c;
      }
    }
    return top;
  }
}
