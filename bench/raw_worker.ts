/**
 * The bare Web Worker of the host benchmarks' baselines: no troupe, only
 * `postMessage`. It posts `"ready"` once loaded, then:
 *
 * - `["add", n]`: counts it and adds `n` (one-way, no answer);
 * - `"end"`: answers `{ count, sum }` of the adds so far, and resets them;
 * - a number: answers the same number (ping-pong);
 * - `{ crunch: rounds }`: runs the CPU task of `bench/fixtures.ts` (imported
 *   on first use, so that it does not slow the worker's start) and answers
 *   its checksum.
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
  } else if (typeof d?.crunch === "number") {
    fixtures ??= import("./fixtures.ts");
    fixtures.then((f) => self.postMessage(f.crunch(d.crunch)));
  }
};

self.postMessage("ready");
