/**
 * Exponential backoff with jitter, for restarts.
 *
 * @module
 */

/**
 * How long to wait before restarting a child that keeps failing. The n-th
 * consecutive restart waits `min(maxMs, minMs * factor^n)`, spread by
 * ±`jitter` (a fraction) so that many children do not restart in lockstep.
 * After `resetAfterMs` without a failure the count starts again from zero.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from "./backoff.ts";
 * const backoff: BackoffOptions = { minMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 };
 * ```
 */
export interface BackoffOptions {
  /** First delay in ms. */
  minMs: number;
  /** Largest delay in ms. */
  maxMs: number;
  /** Growth per consecutive restart (default 2). */
  factor?: number;
  /** Random spread as a fraction of the delay, 0 to 1 (default 0.2). */
  jitter?: number;
  /** Quiet ms after which the count resets (default `maxMs`). */
  resetAfterMs?: number;
  /** Source of randomness in [0, 1) (default `Math.random`; seed it in tests). */
  random?: () => number;
}

/**
 * The delay before restart number `attempt` (0-based) under `options`.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * import assert from "node:assert/strict";
 *
 * const opts = { minMs: 100, maxMs: 1000, jitter: 0 };
 * assert.deepEqual([0, 1, 2, 3, 4].map((n) => backoffDelay(opts, n)), [100, 200, 400, 800, 1000]);
 * ```
 */
export function backoffDelay(options: BackoffOptions, attempt: number): number {
  const { minMs, maxMs, factor = 2, jitter = 0.2 } = options;
  const base = Math.min(maxMs, minMs * factor ** attempt);
  const spread = jitter * (2 * (options.random ?? Math.random)() - 1);
  return Math.max(0, Math.round(base * (1 + spread)));
}

/** Check backoff options; a bad one is a `RangeError` naming it. */
/** @internal */
export function checkBackoff(options: BackoffOptions): void {
  const { minMs, maxMs, factor = 2, jitter = 0.2 } = options;
  if (!(minMs >= 0 && maxMs >= minMs && maxMs < Infinity)) {
    throw new RangeError(
      `backoff needs 0 <= minMs <= maxMs < Infinity, got ${minMs} and ${maxMs}`,
    );
  }
  if (!(factor >= 1)) throw new RangeError(`backoff factor must be >= 1`);
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`backoff jitter must be within 0..1`);
  }
}
