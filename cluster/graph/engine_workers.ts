/**
 * The worker engine's workers come and go: each is spawned on a host of its
 * own (or the caller's event loop, or an attached node), the hosts deferred
 * while the caller's workers keep up; and each is lost, with what it held:
 * a death (its host crashed, its connection dropped), a node that broke the
 * protocol (dropped as a bad peer), or one copy of a value that was not
 * where it was thought to be. What is lost and still needed is recomputed.
 *
 * @module
 */

import { ActorDeadError, describeReason } from "../../actors/errors.ts";
import type { Placement } from "../../actors/hosts/hosts.ts";
import { KilledWorkerError } from "./errors.ts";
import { GraphWorker } from "./graph_worker.ts";
import { ReadyQueue } from "./ready_queue.ts";
import {
  removeWorkerSpaces,
  workerMemory,
  workerPermissions,
} from "../memory/engine_memory.ts";
import type { EngineCore } from "./engine_core.ts";
import {
  current,
  HeldSet,
  needed,
  type TaskRecord,
  workerName,
  type WorkerRecord,
} from "./engine_records.ts";
import { takeQueued } from "./task_placement.ts";
import { randomId, REASON_CHARS } from "./engine_reports.ts";
import { WorkerGone } from "./value_transfers.ts";

/**
 * How long a worker host takes to be of use (ms): creating it, loading its
 * modules, its first tasks cold. Deferred hosts start only for more work.
 */
const HOST_START_MS = 200;

/**
 * Work was submitted: if hosts are still to start, look again once it
 * has been outstanding `hostsAfterMs`, and start them if what is left
 * would keep the caller's workers busy longer than a host takes to start
 * (a graph done by then, or nearly, never pays for one).
 */
export function armHosts(core: EngineCore): void {
  if (core.deferredHosts === 0 || core.hostsTimer !== undefined) return;
  core.hostsTimer = setTimeout(() => {
    core.hostsTimer = undefined;
    if (core.closed || core.running.size === 0) return;
    if (callerMsLeft(core) < HOST_START_MS) {
      armHosts(core);
      return;
    }
    const n = core.deferredHosts;
    core.deferredHosts = 0;
    for (let i = 0; i < n; i++) spawnWorker(core);
  }, core.options.hostsAfterMs);
}

/**
 * About how long the caller's workers would take for the tasks left: as
 * many tasks as the running computations have left, each as long as the
 * kinds measured so far on average (none measured: as long as it gets).
 */
function callerMsLeft(core: EngineCore): number {
  if (core.durations.size === 0) return Infinity;
  let sum = 0;
  for (const ms of core.durations.values()) sum += ms;
  let left = 0;
  for (const c of core.running) left += c.total - c.done;
  const here = core.workers.filter((w) => w.alive).length;
  return left * (sum / core.durations.size) / Math.max(1, here);
}

/** `w`'s host is up: it takes tasks (and steals) from now on. */
function started(core: EngineCore, w: WorkerRecord): void {
  w.starting = false;
  if (core.closed || !w.alive) return;
  const waiting = core.unplaced;
  core.unplaced = [];
  for (const r of waiting) if (r.state === "ready") core.makeReady(r);
  core.pump();
}

/**
 * Start a worker where `where` says (or on the attached node `node`, a
 * cluster member with `resources`) and put it on the engine's books.
 */
export function spawnWorker(
  core: EngineCore,
  node?: string,
  resources: Record<string, number> = {},
  where: Placement = core.options.placement,
): WorkerRecord {
  const placement = node === undefined ? where : "node";
  // Each worker on a host of its own: a task that crashes its host takes
  // only that worker down, and the replacement gets a fresh host.
  const host = node ??
    (placement === "local"
      ? undefined
      : `troupe-graph-${core.id}-${++core.workerSeq}`);
  const id = ++core.workerSeq;
  // Reports name their worker by a number no other worker can guess: a
  // node cannot pass its reports off as another's.
  const reportId = randomId();
  const memory = node === undefined
    ? workerMemory(core.options.memory, placement, host ?? `local-${id}`)
    : undefined; // (a node has its own)
  const ref = core.system.spawn(GraphWorker, {
    id: reportId,
    reports: core.reports,
    memory,
  }, {
    placement,
    host,
    permissions: placement === "local" ? undefined : workerPermissions(
      core.options.permissions,
      core.options.memory,
      placement,
    ),
    mailbox: { capacity: Infinity },
  });
  const w: WorkerRecord = {
    id,
    reportId,
    ref,
    inFlight: 0,
    alive: true,
    has: new HeldSet(),
    running: new Map(),
    incoming: new Set(),
    runs: 0,
    queue: new ReadyQueue(),
    host,
    node,
    resources,
    placement,
  };
  if (
    node === undefined && placement !== "local" &&
    (core.options.callerWorkers ?? 0) > 0
  ) {
    // Tasks stay with the caller's worker until this host is up.
    w.starting = true;
    core.system.whenStarted(ref).then(
      () => started(core, w),
      () => {}, // (its death is reported by the watch below)
    );
  }
  core.workers.push(w);
  core.byId.set(reportId, w);
  core.system.watch(
    ref,
    (t) => workerDied(core, w, describeReason(t.reason)),
  );
  return w;
}

/**
 * `w` does not hold `r`'s value after all (it answered a fetch with an
 * error): drop that copy, and recompute the value if it was the last.
 */
export function lostCopy(
  core: EngineCore,
  r: TaskRecord,
  w: WorkerRecord,
): void {
  if (!r.holders.includes(w)) return;
  r.holders = r.holders.filter((h) => h !== w);
  w.has.delete(r);
  if (r.holders.length > 0 || r.state !== "memory") return;
  r.state = "released";
  for (const d of r.dependents) {
    if (d.state === "waiting") d.waitingOn++;
    else if (d.state === "ready") {
      d.state = "waiting";
      d.waitingOn = 1;
    }
  }
  if (needed(r)) core.need(r);
}

/**
 * A worker is gone: what it held is lost, what it ran is redone. A death
 * (a lost connection, a crash) `counts` toward each running task's
 * `allowedFailures`; a node that left in good order does not.
 */
export function workerDied(
  core: EngineCore,
  w: WorkerRecord,
  reason: string,
  counts = true,
): void {
  if (!w.alive) return;
  w.alive = false;
  core.workers.splice(core.workers.indexOf(w), 1);
  core.byId.delete(w.reportId);
  core.releases.delete(w);
  if (w.host !== undefined && w.node === undefined) {
    void core.system.stopHost(w.host, { timeout: 0 })
      .finally(() => removeWorkerSpaces(core.options.memory, w.host!));
  }
  // Pulls to it, or from it, end now (a silent holder would never answer;
  // its peers close their connections to it).
  for (const [req, pull] of core.pulls) {
    if (pull.from !== w && pull.to !== w) continue;
    core.pulls.delete(req);
    if (pull.from === w && pull.to.alive && w.data !== undefined) {
      pull.to.ref.tell("drop-peer", w.data);
    }
    pull.reject(
      new ActorDeadError(workerName(w), "pull", {
        type: "host-down",
        host: workerName(w),
        detail: reason,
      }),
    );
  }
  if (core.closed) return;
  if (w.node === undefined) spawnWorker(core, undefined, {}, w.placement);
  const lost: TaskRecord[] = [];
  for (const r of w.has) {
    r.holders = r.holders.filter((h) => h !== w);
    if (r.holders.length === 0 && r.state === "memory") {
      r.state = "released";
      lost.push(r);
    }
  }
  w.has.clear();
  for (const r of lost) {
    for (const d of r.dependents) {
      if (d.state === "waiting") d.waitingOn++;
      else if (d.state === "ready") {
        d.state = "waiting";
        d.waitingOn = 1;
      }
    }
  }
  for (const [seq, r] of w.running) {
    if (!current(r, w, seq)) continue;
    r.worker = undefined;
    r.attempts--; // a death is not an attempt; it is counted apart
    // (a node that said goodbye and then went before it was done)
    const death = counts && !w.retiring;
    if (death && ++r.deaths >= core.options.allowedFailures) {
      core.fail(r, new KilledWorkerError(r.key, r.deaths, reason), false);
    } else r.state = "released";
  }
  w.running.clear();
  w.inFlight = 0;
  // Tasks whose inputs were on their way there never started.
  for (const r of w.incoming) {
    if (r.state === "processing" && r.worker === w) {
      r.worker = undefined;
      r.state = "released";
    }
  }
  w.incoming.clear();
  // What was queued for it goes to the others.
  for (let r = takeQueued(w); r !== undefined; r = takeQueued(w)) {
    core.makeReady(r);
  }
  // Recompute what is still needed, lost values and interrupted tasks alike.
  for (const r of [...core.tasks.values()]) {
    if (r.state === "released" && needed(r)) core.need(r);
  }
  for (const r of [...core.tasks.values()]) {
    if (r.state === "waiting") {
      let missing = 0;
      for (const d of r.deps) if (d.state !== "memory") missing++;
      r.waitingOn = missing;
      if (missing === 0) core.makeReady(r);
    }
  }
  core.pump();
}

/**
 * `w` broke the protocol (a node sent what no worker sends): it is
 * dropped as a bad peer, with a reason in the log, and its work goes
 * elsewhere. The scheduler goes on.
 */
export function badPeer(
  core: EngineCore,
  w: WorkerRecord,
  reason: string,
): void {
  if (!w.alive) return;
  const why = `graph worker ${workerName(w)} sent ${
    reason.slice(0, REASON_CHARS)
  }: dropped`;
  core.logger(why);
  if (w.node !== undefined) core.onBadNode?.(w.node, why);
  else if (w.host === undefined) void core.system.stop(w.ref);
  workerDied(core, w, why);
}

/**
 * The engine closed: stop its workers and the hosts of its own (a node's
 * stays), end the pulls under way and the reports actor, and remove the
 * workers' spill spaces.
 */
export async function stopWorkers(core: EngineCore): Promise<void> {
  const workers = [...core.workers];
  await Promise.all(workers.map((w) => core.system.stop(w.ref)));
  for (const w of workers) w.alive = false;
  for (const pull of core.pulls.values()) {
    pull.reject(new WorkerGone("the scheduler closed"));
  }
  core.pulls.clear();
  await core.system.stop(core.reports);
  await Promise.all(
    workers.map((w) =>
      w.host === undefined || w.node !== undefined
        ? undefined
        : core.system.stopHost(w.host)
    ),
  );
  for (const w of workers) {
    if (w.host !== undefined) {
      removeWorkerSpaces(core.options.memory, w.host);
    }
  }
}
