/**
 * Behaviours that the host benchmarks run on worker hosts. Each names its
 * module, so that a host can load it by URL.
 *
 * @module
 */

import { defineActor } from "@troupe/troupe";

/**
 * Rounds of `fib(30)` in one CPU task: about 200 ms on the 2-core machine
 * the figures in bench/README.md come from (5.1 ms per `fib(30)` there,
 * calibrated once; kept fixed so that runs compare).
 */
export const CRUNCH_ROUNDS = 39;

/** `fib(30)`: what one round computes. */
export const FIB_30 = 832_040;

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/**
 * Pure CPU work: `rounds` times `fib(30)`, naively recursive; returns the
 * sum (`rounds * 832040`), so that the caller can check the work was done.
 */
export function crunch(rounds: number): number {
  let sum = 0;
  for (let i = 0; i < rounds; i++) sum += fib(30);
  return sum;
}

/** An actor that runs one CPU task per `crunch` message. */
export const Cruncher = defineActor({
  name: "cruncher",
  module: import.meta.url,
  init: () => ({}),
  handlers: {
    crunch: (_s, rounds: number) => crunch(rounds),
  },
});
