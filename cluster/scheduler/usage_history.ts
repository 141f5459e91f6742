/**
 * Each node's memory and CPU over the last minutes, as its heartbeats said
 * them (one sample a second at most), so the dashboard's charts open with
 * history instead of starting empty.
 *
 * @module
 */

/**
 * One sample of a node: when (ms since the epoch), its RSS in bytes, its
 * CPU in percent of one core.
 *
 * @example
 * ```ts
 * import type { UsageSample } from "./usage_history.ts";
 * const s: UsageSample = { t: Date.now(), rss: 64 << 20, cpu: 12 };
 * ```
 */
export interface UsageSample {
  t: number;
  rss?: number;
  cpu?: number;
}

/** How far back samples are kept, in ms, and how far apart at least. */
const KEPT_MS = 300_000;
const EVERY_MS = 1_000;

const histories = new WeakMap<object, Map<string, UsageSample[]>>();

/**
 * Note a heartbeat of node `name` of `owner` (a cluster).
 *
 * @example
 * ```ts
 * import { recordUsage, usageHistory } from "./usage_history.ts";
 * const owner = {};
 * recordUsage(owner, "n1", { t: 1_000, rss: 10, cpu: 5 });
 * console.log(usageHistory(owner, 1_000).n1.length); // 1
 * ```
 */
export function recordUsage(
  owner: object,
  name: string,
  sample: UsageSample,
): void {
  let byNode = histories.get(owner);
  if (byNode === undefined) histories.set(owner, byNode = new Map());
  let samples = byNode.get(name);
  if (samples === undefined) byNode.set(name, samples = []);
  const last = samples.at(-1);
  if (last !== undefined && sample.t - last.t < EVERY_MS) return;
  samples.push(sample);
  while (samples.length > 0 && samples[0].t < sample.t - KEPT_MS) {
    samples.shift();
  }
}

/**
 * The samples of the last 5 minutes before `now`, by node (nodes gone
 * longer ago are forgotten).
 *
 * @example
 * ```ts
 * import { usageHistory } from "./usage_history.ts";
 * console.log(usageHistory({})); // {}
 * ```
 */
export function usageHistory(
  owner: object,
  now: number = Date.now(),
): Record<string, UsageSample[]> {
  const out: Record<string, UsageSample[]> = {};
  const byNode = histories.get(owner);
  if (byNode === undefined) return out;
  for (const [name, samples] of byNode) {
    const kept = samples.filter((s) => s.t >= now - KEPT_MS);
    if (kept.length === 0) byNode.delete(name);
    else out[name] = kept;
  }
  return out;
}
