/**
 * The ready tasks of a scheduler, best first: higher user priority, then
 * earlier submission, then earlier in the graph's order. A binary heap.
 *
 * @module
 */

/** What the queue orders by. */
export interface Ranked {
  /** User priority: higher first. */
  priority: number;
  /** Submission (computation) number: lower first. */
  generation: number;
  /** Position in the graph's order: lower first. */
  order: number;
}

function before(a: Ranked, b: Ranked): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.generation !== b.generation) return a.generation < b.generation;
  return a.order < b.order;
}

/** A priority queue of ranked items. */
export class ReadyQueue<T extends Ranked> {
  readonly #heap: T[] = [];

  /** How many are queued. */
  get size(): number {
    return this.#heap.length;
  }

  /** The best, without taking it. */
  peek(): T | undefined {
    return this.#heap[0];
  }

  /** Queue `item`. */
  push(item: T): void {
    const h = this.#heap;
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = item;
  }

  /** Take the best. */
  pop(): T | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      const n = h.length;
      while (true) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r], h[l]) ? r : l;
        if (!before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
