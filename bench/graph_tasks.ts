/**
 * The tasks of the graph benchmark, importable by worker hosts.
 *
 * @module
 */

import { defineTasks } from "@troupe/troupe";
import { type Delayed, delayed, treeReduce } from "@troupe/troupe";

/** `square` and `add` for the tree reduction; `busySquare` spins first. */
export const gt = defineTasks(import.meta.url, {
  square: (x: number) => x * x,
  add: (a: number, b: number) => a + b,
  busySquare: (x: number, ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* a CPU-bound task */ }
    return x * x;
  },
});

/** `square(i)` for i < n (or `leaf(i)`), then pairwise `add` down to one. */
export function tree(
  n: number,
  leaf: (i: number) => Delayed<number> = (i: number) => delayed(gt.square)(i),
): Delayed<number> {
  return treeReduce(gt.add, Array.from({ length: n }, (_, i) => leaf(i)));
}

/** The sum of `i * i` for i < n: what `tree(n)` computes. */
export function sumOfSquares(n: number): number {
  return ((n - 1) * n * (2 * n - 1)) / 6;
}

/** Stop the benchmark when a run computed the wrong thing. */
export function check(value: unknown, expect: unknown, what: string): void {
  if (value !== expect) {
    throw new Error(`${what}: got ${value}, want ${expect}`);
  }
}
