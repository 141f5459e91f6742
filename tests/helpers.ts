/**
 * Small helpers shared by the tests: waiting for a condition without
 * asserting on time, and a seeded random source for property-style tests.
 *
 * @module
 */

/** Resolve after one macrotask turn, so that timers and I/O may run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Wait until `predicate` holds, checking every millisecond; fail after
 * `limitMs` (a bound against hanging, not a timing assertion).
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  limitMs = 5_000,
): Promise<void> {
  const start = performance.now();
  while (!(await predicate())) {
    if (performance.now() - start > limitMs) {
      throw new Error(`gave up waiting for ${what}`);
    }
    await tick(1);
  }
}

/** A small seeded PRNG (mulberry32), so that random tests replay. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first line a stream gives (the stream stays open for the rest). */
export async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0];
}
