/**
 * Tasks that `deno task bench:pool` runs on troupe pools. Exported through
 * `defineTasks`, so that a worker host can import them by URL.
 *
 * @module
 */

import { defineTasks } from "@troupe/troupe";

/** `fib(n)`, naively recursive: pure CPU work. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** `fib(27)`: what one CPU task returns. */
export const FIB_27 = 196_418;

/** The pool benchmark's tasks. */
export const tasks = defineTasks(import.meta.url, {
  /** The tiny task: as little work as a task can be. */
  double: (x: number) => 2 * x,
  /** The CPU task (`fib(27)`, a few ms). */
  fib: (n: number) => fib(n),
});
