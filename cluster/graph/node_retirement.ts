/**
 * A node's retirement from the worker engine: it leaves in good order (it
 * said goodbye, or it was retired), its running tasks finish, the results
 * only it holds are copied to the others, and then it is dropped, all
 * within a bound.
 *
 * @module
 */

import type { EngineCore } from "./engine_core.ts";
import type { WorkerRecord } from "./engine_records.ts";
import { workerDied } from "./engine_workers.ts";
import { transfer, undispatch } from "./engine_transfers.ts";
import { takeQueued } from "./task_placement.ts";
import { deadline } from "./value_transfers.ts";

/**
 * How long a node's retirement may take, in ms (as long as a node waits for
 * it: `LEAVE_MS`): its running tasks have two thirds of it to finish, the
 * copies of its results the rest; then it is dropped all the same, what
 * was not copied lost (and recomputed where needed), no death counted.
 */
export const RETIRE_MS = 30_000;

/**
 * The attached node `node` is leaving in good order (it said goodbye, or
 * it was retired): it takes no more work (its queue goes to the others);
 * the tasks it runs finish there; each result only it holds is copied to
 * the live worker holding the fewest bytes (node to node where both serve
 * their values); then it is dropped. All within `ms` (see `RETIRE_MS`).
 * Nothing it held is recomputed unless a copy failed or was too late,
 * and nothing counts toward any task's `allowedFailures`. Resolves once
 * it is out.
 */
export async function retireNode(
  core: EngineCore,
  node: string,
  ms: number = RETIRE_MS,
): Promise<void> {
  const start = performance.now();
  const mine = core.workers.filter((w) => w.node === node && w.alive);
  for (const w of mine) {
    w.retiring = true;
    for (let r = takeQueued(w); r !== undefined; r = takeQueued(w)) {
      core.makeReady(r);
    }
    for (const r of [...w.incoming]) undispatch(core, r, w);
  }
  core.pump();
  for (const w of mine) await drained(w, start + ms * 2 / 3);
  const heirs = new Map<WorkerRecord, number>();
  for (const x of core.workers) {
    if (!x.alive || x.retiring) continue;
    let bytes = 0;
    for (const r of x.has) bytes += r.bytes;
    heirs.set(x, bytes);
  }
  for (const w of mine) {
    if (!w.alive) continue;
    const copies: Promise<unknown>[] = [];
    for (const r of [...w.has]) {
      if (r.state !== "memory") continue;
      if (r.holders.some((h) => h.alive && !h.retiring)) continue;
      let to: WorkerRecord | undefined;
      for (const [x, bytes] of heirs) {
        if (x.alive && (to === undefined || bytes < heirs.get(to)!)) to = x;
      }
      if (to === undefined) break; // nowhere to go: lost, as before
      heirs.set(to, heirs.get(to)! + r.bytes);
      copies.push(transfer(core, r, to).catch(() => {}));
    }
    await deadline(Promise.all(copies), start + ms - performance.now());
    workerDied(core, w, `${node} left`, false);
  }
}

/** Wait until `w` runs nothing, or is gone, or `until` passes. */
async function drained(w: WorkerRecord, until: number): Promise<void> {
  while (w.alive && w.running.size > 0 && performance.now() < until) {
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, until - performance.now());
    w.onRunEnded = resolve;
    await promise;
    clearTimeout(timer);
    w.onRunEnded = undefined;
  }
}
