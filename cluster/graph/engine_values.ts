/**
 * Gathering results from the worker engine's workers: the values of some
 * keys, fetched from where they live (one ask per worker), or taken when
 * this is the last time they are wanted; a key lost on the way is waited
 * for while it is recomputed.
 *
 * @module
 */

import { ActorDeadError } from "../../actors/errors.ts";
import { CrossingError } from "../../actors/hosts/codec.ts";
import { CancelledError } from "./errors.ts";
import type { EngineCore } from "./engine_core.ts";
import type { TaskRecord, WorkerRecord } from "./engine_records.ts";
import type { FutureStatus } from "./future.ts";
import { badPeer, lostCopy, workerDied } from "./engine_workers.ts";
import { cannotCross } from "./value_transfers.ts";

/** The status of a task's record (none: cancelled), as a future sees it. */
export function futureStatus(r: TaskRecord | undefined): FutureStatus {
  if (r === undefined) return "cancelled";
  switch (r.state) {
    case "memory":
      return "finished";
    case "erred":
      return "error";
    case "cancelled":
      return "cancelled";
    default:
      return "pending";
  }
}

/**
 * The values of `keys`, fetched from where they live (one ask per
 * worker); waits for keys still being (re)computed, and rejects with the
 * error of a key that failed.
 */
export async function values(
  core: EngineCore,
  keys: readonly string[],
  last = false,
): Promise<unknown[]> {
  const out = new Array<unknown>(keys.length);
  const have = new Array<boolean>(keys.length).fill(false);
  while (true) {
    const byWorker = new Map<WorkerRecord, number[]>();
    // Values wanted for the last time go by `take` (see takeable).
    const takes = new Set<WorkerRecord>();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (have[i]) continue;
      const r = core.tasks.get(keys[i]);
      if (r === undefined) throw new CancelledError(keys[i]);
      if (r.state === "erred" || r.state === "cancelled") throw r.error!;
      if (r.state !== "memory") {
        // Lost with a worker and being recomputed: wait for it.
        pending.push(core.settled(r.key));
        continue;
      }
      const w = r.holders[0];
      const take = last && takeable(r, keys);
      // A worker's keys go in one ask: all taken, or all fetched.
      if (take && !byWorker.has(w)) takes.add(w);
      else if (!take) takes.delete(w);
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, list = []);
      list.push(i);
    }
    if (byWorker.size === 0 && pending.length === 0) return out;
    await Promise.all([...byWorker].map(async ([w, idx]) => {
      try {
        // No deadline: values take as long as they take to come (behind
        // a task that holds the worker's thread, say); a worker that dies
        // ends the ask.
        const vs: unknown = await w.ref.ask(
          takes.has(w) ? "take" : "fetch",
          idx.map((i) => keys[i]),
          { timeout: Infinity },
        );
        if (!Array.isArray(vs) || vs.length !== idx.length) {
          return badPeer(core, w, "answered a fetch with something else");
        }
        idx.forEach((i, j) => {
          out[i] = vs[j];
          have[i] = true;
        });
      } catch (e) {
        const why = cannotCross(e);
        if (why !== undefined) {
          throw new CrossingError(
            `the value of ${
              idx.map((i) => keys[i]).join(", ")
            } cannot cross to this host: ${why}`,
          );
        }
        if (e instanceof ActorDeadError) workerDied(core, w, e.message);
        else {
          for (const i of idx) {
            const r = core.tasks.get(keys[i]);
            if (r !== undefined) lostCopy(core, r, w);
          }
        }
        // Recomputed (if needed), then fetched again.
      }
    }));
    await Promise.all(pending);
  }
}

/**
 * Whether `r`'s value may leave its worker with this fetch (`take`): only
 * on worker hosts (the only ones a buffer can move to), held by one
 * worker, wanted by this computation alone (asked for once, so the release
 * that follows drops it) and read by no task.
 */
function takeable(r: TaskRecord, keys: readonly string[]): boolean {
  return r.holders.length === 1 && r.holders[0].placement === "worker" &&
    r.wants === 1 && r.dependents.size === 0 &&
    keys.indexOf(r.key) === keys.lastIndexOf(r.key);
}
