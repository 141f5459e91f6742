/**
 * The bare Web Worker of the host benchmarks' baselines: no troupe, only
 * `postMessage`. It posts `"ready"` once loaded, then:
 *
 * - `["add", n]`: counts it and adds `n` (one-way, no answer);
 * - `"end"`: answers `{ count, sum }` of the adds so far, and resets them;
 * - a number: answers the same number (ping-pong);
 * - `{ crunch: rounds }`: runs the CPU task of `bench/fixtures.ts` (imported
 *   on first use, so that it does not slow the worker's start) and answers
 *   its checksum;
 * - `{ fib: [n, times] }`: computes `fib(n)` with `bench/pool_tasks.ts`'s
 *   own function `times` times and answers the sum.
 *
 * @module
 */

declare const self: {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(data: unknown): void;
};

let count = 0;
let sum = 0;
let fixtures: Promise<typeof import("./fixtures.ts")> | undefined;
// The pool benchmark's own `fib` (an exported function runs about 10%
// slower than a local one, so the bound must use the very same code).
let poolTasks: Promise<typeof import("./pool_tasks.ts")> | undefined;

self.onmessage = (e: MessageEvent) => {
  const d = e.data;
  if (typeof d === "number") {
    self.postMessage(d);
  } else if (Array.isArray(d)) {
    count++;
    sum += d[1] as number;
  } else if (d === "end") {
    self.postMessage({ count, sum });
    count = sum = 0;
  } else if (Array.isArray(d?.fib)) {
    const [n, times] = d.fib as [number, number];
    poolTasks ??= import("./pool_tasks.ts");
    poolTasks.then(({ fib }) => {
      let s = 0;
      for (let i = 0; i < times; i++) s += fib(n);
      self.postMessage(s);
    });
  } else if (typeof d?.crunch === "number") {
    fixtures ??= import("./fixtures.ts");
    fixtures.then((f) => self.postMessage(f.crunch(d.crunch)));
  }
};

self.postMessage("ready");
