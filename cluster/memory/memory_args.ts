/**
 * The memory flags of `troupe worker` (and `node_main.ts`), for
 * `node:util`'s `parseArgs`: `--memory-limit 2GiB`, `--local-directory
 * DIR`, and the thresholds `--memory-target`, `--memory-spill`,
 * `--memory-pause`, `--memory-terminate` (a fraction, or `false`).
 *
 * @module
 */

import type { MemoryOptions } from "./engine_memory.ts";
import { type MemoryFractions, resolveFractions } from "./fractions.ts";
import { parseMemoryLimit } from "./memory_limit.ts";

/** The flags, as `parseArgs` options. */
export const MEMORY_FLAGS = {
  "memory-limit": { type: "string" },
  "local-directory": { type: "string" },
  "memory-target": { type: "string" },
  "memory-spill": { type: "string" },
  "memory-pause": { type: "string" },
  "memory-terminate": { type: "string" },
} as const;

/** Their help lines. */
export const MEMORY_HELP =
  `  --memory-limit SIZE  the memory its held results may take, as bytes or
                       2GiB, 512MB...; 0 for none (default: its share of
                       the machine's memory)
  --local-directory D  where it spills results past the target (default:
                       troupe-spill in the OS temp dir)
  --memory-target F --memory-spill F --memory-pause F --memory-terminate F
                       thresholds as fractions of the limit, or false
                       (default 0.6, 0.7, 0.8, 0.95)`;

/**
 * The memory options the flags say; throws a `RangeError` that names the
 * flag at fault.
 *
 * @example
 * ```ts
 * import { memoryFromFlags } from "./memory_args.ts";
 * console.log(memoryFromFlags({ "memory-limit": "2GiB" }).memoryLimit); // 2147483648
 * ```
 */
export function memoryFromFlags(
  values: Partial<Record<keyof typeof MEMORY_FLAGS, string>>,
): MemoryOptions {
  const out: MemoryOptions = {};
  const limit = values["memory-limit"];
  if (limit !== undefined) {
    try {
      out.memoryLimit = parseMemoryLimit(limit);
    } catch (e) {
      throw new RangeError(`--memory-limit: ${(e as Error).message}`);
    }
  }
  if (values["local-directory"] !== undefined) {
    out.localDirectory = values["local-directory"];
  }
  const fractions: MemoryFractions = {};
  for (const name of ["target", "spill", "pause", "terminate"] as const) {
    const v = values[`memory-${name}`];
    if (v === undefined) continue;
    const f = v === "false" ? false : Number(v);
    try {
      resolveFractions({ [name]: f });
    } catch {
      throw new RangeError(
        `--memory-${name}: a fraction in (0, 1] or false, got ${v}`,
      );
    }
    fractions[name] = f;
  }
  if (Object.keys(fractions).length > 0) out.memoryFractions = fractions;
  return out;
}
