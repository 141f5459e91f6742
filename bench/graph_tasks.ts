/**
 * The tasks of the graph benchmark, importable by worker hosts.
 *
 * @module
 */

import { defineTasks } from "@troupe/troupe/actors";

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
