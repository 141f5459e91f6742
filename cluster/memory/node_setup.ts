/**
 * A cluster node's memory: its limit (given, or a fair share of the
 * machine: its threads' share of the cores, as Dask's `memory_limit="auto"`),
 * its thresholds and spill directory, set for the graph workers the
 * scheduler starts on it; spill spaces of dead processes there are removed
 * when it starts.
 *
 * @module
 */

import { resolveFractions } from "./fractions.ts";
import type { MemoryOptions } from "./engine_memory.ts";
import { parseMemoryLimit, systemMemory } from "./memory_limit.ts";
import { cleanStaleSpaces, defaultLocalDirectory } from "./spill_space.ts";
import { setNodeMemory } from "./worker_memory.ts";

/**
 * A node's limit in bytes for each of its `threads` (each thread holds its
 * own results): the given limit split among them, or by default the
 * machine's memory times the node's share of the cores.
 *
 * @example
 * ```ts
 * import { nodeThreadLimit } from "./node_setup.ts";
 * console.log(nodeThreadLimit("2GiB", 2)); // 1073741824
 * ```
 */
export function nodeThreadLimit(
  limit: number | string | undefined,
  threads: number,
): number {
  if (limit !== undefined) {
    return Math.floor(parseMemoryLimit(limit) / threads);
  }
  const total = systemMemory();
  if (total === undefined) return 0;
  const cores = navigator.hardwareConcurrency || 1;
  return Math.floor(total * Math.min(1, threads / cores) / threads);
}

/**
 * Set the memory of the graph workers of a node thread named `name` (its
 * limit already its own share); returns what clears it.
 *
 * @example
 * ```ts
 * import { startNodeMemory } from "./node_setup.ts";
 * const stop = startNodeMemory({ memoryLimit: 0 }, "n1", true, () => {});
 * stop();
 * ```
 */
export function startNodeMemory(
  options: MemoryOptions,
  name: string,
  ownProcess: boolean,
  terminate: (reason: string) => void,
  log?: (message: string) => void,
): () => void {
  const limit = parseMemoryLimit(options.memoryLimit ?? 0);
  const fractions = resolveFractions(options.memoryFractions);
  if (limit === 0) return () => {};
  const localDirectory = options.localDirectory ?? defaultLocalDirectory();
  for (const path of cleanStaleSpaces(localDirectory)) {
    log?.(`removed the spill directory of a dead worker: ${path}`);
  }
  setNodeMemory({
    limit,
    fractions,
    localDirectory,
    name,
    process: ownProcess,
    terminate,
    log,
  });
  return () => setNodeMemory(undefined);
}
