/**
 * What a local cluster hands its node processes about memory: each node's
 * limit (given, or the machine's memory over the nodes, as Dask's
 * `LocalCluster`), its thresholds and spill directory, as `troupe worker`
 * flags, and the permission to write that directory. Spill spaces of dead
 * processes there are removed first.
 *
 * @module
 */

import type { MemoryOptions } from "./engine_memory.ts";
import { resolveFractions } from "./fractions.ts";
import { fairShare, parseMemoryLimit } from "./memory_limit.ts";
import { cleanStaleSpaces, defaultLocalDirectory } from "./spill_space.ts";

/**
 * The node flags and the directory the nodes spill to (undefined: no
 * limit, nothing to write).
 *
 * @example
 * ```ts
 * import { nodeMemoryArgs } from "./cluster_args.ts";
 * console.log(nodeMemoryArgs({ memoryLimit: 0 }, 2)); // { args: ["--memory-limit", "0"] }
 * ```
 */
export function nodeMemoryArgs(
  options: MemoryOptions,
  nodes: number,
): { args: string[]; directory?: string } {
  const limit = options.memoryLimit === undefined
    ? fairShare(nodes)
    : parseMemoryLimit(options.memoryLimit);
  const fractions = resolveFractions(options.memoryFractions);
  if (limit === 0) return { args: ["--memory-limit", "0"] };
  const directory = options.localDirectory ?? defaultLocalDirectory();
  Deno.mkdirSync(directory, { recursive: true });
  cleanStaleSpaces(directory);
  const args = [
    "--memory-limit",
    String(limit),
    "--local-directory",
    directory,
  ];
  for (const name of ["target", "spill", "pause", "terminate"] as const) {
    if (options.memoryFractions?.[name] !== undefined) {
      args.push(`--memory-${name}`, String(fractions[name]));
    }
  }
  return { args, directory };
}
