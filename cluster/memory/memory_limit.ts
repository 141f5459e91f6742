/**
 * Memory limits as their users write them: a number of bytes, or a string
 * such as `"2GiB"`, `"512 MB"` or `"1.5e9"`; and the default limit, a fair
 * share of the machine's memory (as Dask's `memory_limit="auto"`).
 *
 * @module
 */

import { granted } from "./granted.ts";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * A memory limit that is not one (a negative number, an unknown unit).
 *
 * @example
 * ```ts
 * import { MemoryLimitError, parseMemoryLimit } from "./memory_limit.ts";
 * try {
 *   parseMemoryLimit("2 parsecs");
 * } catch (e) {
 *   console.log(e instanceof MemoryLimitError); // true
 * }
 * ```
 */
export class MemoryLimitError extends RangeError {
  /** Names the value at fault. */
  constructor(message: string) {
    super(message);
    this.name = "MemoryLimitError";
  }
}

/**
 * Bytes of a limit given as a number of bytes or a string with a unit
 * (`B`, `kB`, `MB`, `GB`, `TB` decimal; `KiB`, `MiB`, `GiB`, `TiB`
 * binary; case does not matter). 0 means no limit.
 *
 * @example
 * ```ts
 * import { parseMemoryLimit } from "./memory_limit.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseMemoryLimit("2GiB"), 2 * 2 ** 30);
 * assert.equal(parseMemoryLimit("512 MB"), 512e6);
 * assert.equal(parseMemoryLimit(1024), 1024);
 * ```
 */
export function parseMemoryLimit(limit: number | string): number {
  if (typeof limit === "number") {
    if (!(Number.isFinite(limit) && limit >= 0)) {
      throw new MemoryLimitError(
        `memoryLimit must be a number of bytes >= 0 or a size such as "2GiB", got ${limit}`,
      );
    }
    return Math.floor(limit);
  }
  if (typeof limit !== "string") {
    throw new MemoryLimitError(
      `memoryLimit must be a number of bytes or a size such as "2GiB", got ${typeof limit}`,
    );
  }
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(limit);
  const unit = m === null ? undefined : UNITS[m[2].toLowerCase()];
  if (m === null || unit === undefined) {
    throw new MemoryLimitError(
      `memoryLimit ${
        JSON.stringify(limit.slice(0, 40))
      } is not a size: write bytes, or a number with B, kB, MB, GB, TB, KiB, MiB, GiB or TiB`,
    );
  }
  return Math.floor(Number(m[1]) * unit);
}

/**
 * The machine's memory in bytes, or undefined when it cannot be read
 * (`Deno.systemMemoryInfo` needs `--allow-sys`; Linux's `/proc/meminfo`
 * needs read access).
 *
 * @example
 * ```ts
 * import { systemMemory } from "./memory_limit.ts";
 * console.log(systemMemory()); // 8_000_000_000, say
 * ```
 */
export function systemMemory(): number | undefined {
  if (granted({ name: "sys", kind: "systemMemoryInfo" })) {
    try {
      return Deno.systemMemoryInfo().total;
    } catch { /* not on this platform: try /proc */ }
  }
  if (!granted({ name: "read", path: "/proc/meminfo" })) return undefined;
  try {
    const text = Deno.readTextFileSync("/proc/meminfo");
    const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(text);
    if (m !== null) return Number(m[1]) * 1024;
  } catch { /* not Linux, or no read permission */ }
  return undefined;
}

/**
 * A fair share of the machine's memory for one of `shares` workers on it
 * (0, no limit, when the machine's memory cannot be read).
 *
 * @example
 * ```ts
 * import { fairShare } from "./memory_limit.ts";
 * console.log(fairShare(4)); // a quarter of the machine's memory
 * ```
 */
export function fairShare(shares: number): number {
  const total = systemMemory();
  if (total === undefined) return 0;
  return Math.floor(total / Math.max(1, shares));
}
