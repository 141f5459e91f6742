/**
 * A graph worker's held store with its memory settings applied: the ones
 * its scheduler gave (a local scheduler), else the ones of the node it runs
 * on (`setNodeMemory`), else no limit. Its counters go to the scheduler as
 * `memory` reports: at once when it pauses, resumes, fills or empties,
 * else at most every `REPORT_MS`.
 *
 * @module
 */

import { resolveFractions } from "./fractions.ts";
import { HeldStore } from "./held_store.ts";
import {
  type MemoryReport,
  nodeMemorySettings,
  type WorkerMemory,
} from "./worker_memory.ts";

/** The most often a worker reports counters that changed, in ms. */
export const REPORT_MS = 250;

/**
 * A store and the means to close it (its timers and spill files go).
 *
 * @example
 * ```ts
 * import { openWorkerStore } from "./worker_store.ts";
 * const held = openWorkerStore(undefined, () => {});
 * held.store.set("k", 1);
 * held.close();
 * ```
 */
export interface WorkerStore {
  /** The values held. */
  readonly store: HeldStore;
  /** Stop reporting and drop everything (the spill space is removed). */
  close(): void;
}

/**
 * Open the store of a graph worker whose spawn argument said `given`
 * (undefined: its node's settings; null: no limit);
 * `report` carries its counters to the scheduler.
 *
 * @example
 * ```ts
 * import { openWorkerStore } from "./worker_store.ts";
 * import { DEFAULT_FRACTIONS } from "./fractions.ts";
 * const dir = Deno.makeTempDirSync();
 * const held = openWorkerStore({
 *   limit: 2 ** 20, fractions: DEFAULT_FRACTIONS, localDirectory: dir, name: "w",
 * }, (r) => console.log(r));
 * held.close();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function openWorkerStore(
  given: WorkerMemory | null | undefined,
  report: (counters: MemoryReport) => void,
): WorkerStore {
  const node = given === undefined ? nodeMemorySettings() : undefined;
  const memory = given ?? node; // (null: no limit, whatever the node says)
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = "";
  let closed = false;
  const send = () => {
    timer = undefined;
    if (closed) return;
    const c = store.counters();
    const r: MemoryReport = [
      c.limit,
      c.memory,
      c.spilled,
      c.spilledCount,
      c.process,
      c.paused ? 1 : 0,
      c.full ? 1 : 0,
      c.spills,
      c.spillBytes,
      c.unspills,
      c.unspillBytes,
      c.target,
    ];
    const now = r.join(",");
    if (now === last) return;
    last = now;
    report(r);
  };
  let flags = "";
  const changed = () => {
    // (A worker without a limit has nothing to say.)
    if (closed || store.counters().limit === 0) return;
    const c = store.counters();
    const f = `${c.paused} ${c.full} ${c.memory === 0 && c.spilled === 0}`;
    if (f !== flags) {
      flags = f;
      clearTimeout(timer);
      timer = undefined;
      queueMicrotask(send); // (after the change that caused it is done)
    } else if (timer === undefined) timer = setTimeout(send, REPORT_MS);
  };
  const store = new HeldStore(
    memory === undefined ? { limit: 0, fractions: resolveFractions() } : {
      limit: memory.limit,
      fractions: memory.fractions,
      localDirectory: memory.localDirectory,
      spaceName: memory.name,
      process: memory.process,
    },
    {
      changed,
      log: node?.log ?? ((m) => console.warn(m)),
      terminate: (reason) => {
        if (node !== undefined) return node.terminate(reason);
        if (memory?.exitOnTerminate) {
          console.error(`troupe: ${reason}: this host ends`);
          Deno.exit(1);
        }
      },
    },
  );
  return {
    store,
    close() {
      closed = true;
      clearTimeout(timer);
      store.close();
    },
  };
}
