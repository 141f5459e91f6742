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
