/**
 * A local scheduler's side of memory: it resolves `memoryLimit`,
 * `memoryFractions` and `localDirectory` once, hands each worker it spawns
 * its settings (a fair share of the machine by default), lets process hosts
 * write their spill spaces, and removes a worker's space when its host is
 * gone (a host that was killed did not remove it itself).
 *
 * @module
 */

import type { HostPermissions, Placement } from "../../actors/hosts/hosts.ts";
import { type MemoryFractions, resolveFractions } from "./fractions.ts";
import type { Fractions } from "./fractions.ts";
import { fairShare, parseMemoryLimit } from "./memory_limit.ts";
import { cleanStaleSpaces, defaultLocalDirectory } from "./spill_space.ts";
import { joinPath } from "./spill_codec.ts";
import type { WorkerMemory } from "./worker_memory.ts";

/**
 * The memory options of a scheduler, a node and a local cluster.
 *
 * @example
 * ```ts
 * import type { MemoryOptions } from "./engine_memory.ts";
 * const o: MemoryOptions = { memoryLimit: "2GiB", localDirectory: "/scratch" };
 * ```
 */
export interface MemoryOptions {
  /**
   * Each worker's memory limit: bytes, or a size such as `"2GiB"`; 0 for
   * none (default: a fair share of the machine's memory).
   */
  memoryLimit?: number | string;
  /**
   * Thresholds as fractions of the limit (default `{ target: 0.6, spill:
   * 0.7, pause: 0.8, terminate: 0.95 }`; `false` turns one off).
   */
  memoryFractions?: MemoryFractions;
  /**
   * Where workers spill held results: each in a directory of its own
   * under this one, removed when it ends (default: `troupe-spill` in the
   * OS temp dir).
   */
  localDirectory?: string;
}

/** A scheduler's resolved memory settings. */
export interface EngineMemory {
  limit: number;
  fractions: Fractions;
  localDirectory: string;
}

/**
 * Resolve `options` for `shares` workers on this machine (undefined: no
 * limit); spill spaces of dead processes under the directory are removed.
 *
 * @example
 * ```ts
 * import { engineMemory } from "./engine_memory.ts";
 * console.log(engineMemory({ memoryLimit: "1GiB" }, 2)?.limit); // 1073741824
 * ```
 */
export function engineMemory(
  options: MemoryOptions,
  shares: number,
): EngineMemory | undefined {
  const limit = options.memoryLimit === undefined
    ? fairShare(shares)
    : parseMemoryLimit(options.memoryLimit);
  const fractions = resolveFractions(options.memoryFractions);
  if (limit === 0) return undefined;
  const localDirectory = options.localDirectory ?? defaultLocalDirectory();
  cleanStaleSpaces(localDirectory);
  return { limit, fractions, localDirectory };
}

/** The start of the spill space names of a worker on `host`. */
function spacePrefix(host: string): string {
  return `g${Deno.pid}.${host}.`;
}

/**
 * The settings a worker on `host` is spawned with (null: no limit).
 *
 * @example
 * ```ts
 * import { workerMemory } from "./engine_memory.ts";
 * console.log(workerMemory(undefined, "worker", "h1")); // null
 * ```
 */
export function workerMemory(
  memory: EngineMemory | undefined,
  placement: Placement,
  host: string,
): WorkerMemory | null {
  if (memory === undefined) return null;
  return {
    limit: memory.limit,
    fractions: memory.fractions,
    localDirectory: memory.localDirectory,
    name: spacePrefix(host),
    process: placement === "process",
    exitOnTerminate: placement === "process",
  };
}

/**
 * The permissions of a worker's host: a process host also reads and writes
 * its spill directory (it has only what it is given).
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./engine_memory.ts";
 * console.log(workerPermissions(undefined, undefined, "worker")); // undefined
 * ```
 */
export function workerPermissions(
  permissions: HostPermissions | undefined,
  memory: EngineMemory | undefined,
  placement: Placement,
): HostPermissions | undefined {
  if (memory === undefined || placement !== "process") return permissions;
  const add = (given: boolean | string[] | undefined) =>
    given === true ? true : [...(given || []), memory.localDirectory];
  return {
    ...permissions,
    read: add(permissions?.read),
    write: add(permissions?.write),
  };
}

/**
 * Remove the spill spaces of the worker on `host` (its host is gone).
 *
 * @example
 * ```ts
 * import { removeWorkerSpaces } from "./engine_memory.ts";
 * removeWorkerSpaces(undefined, "h1"); // nothing to do
 * ```
 */
export function removeWorkerSpaces(
  memory: EngineMemory | undefined,
  host: string,
): void {
  if (memory === undefined) return;
  const prefix = spacePrefix(host).replace(/[^\w.-]/g, "_");
  try {
    for (const e of Deno.readDirSync(memory.localDirectory)) {
      if (!e.name.startsWith(`${prefix}-`)) continue;
      try {
        Deno.removeSync(joinPath(memory.localDirectory, e.name), {
          recursive: true,
        });
      } catch { /* removed by its worker meanwhile */ }
    }
  } catch { /* no directory: nothing was spilled */ }
}
