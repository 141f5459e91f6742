/**
 * Where the worker engine runs a task, as rules over its records: which
 * workers may run it (node names, resources), which queue a ready task
 * joins (most of its input bytes there, then the least load), how root
 * tasks are spread in blocks, how many runs a worker gets at once, when a
 * worker's memory takes no new root task, and when an idle worker steals a
 * queued one. Plain functions: the engine owns the records and the
 * measurements they read.
 *
 * @module
 */

import type { EngineMemory } from "../memory/engine_memory.ts";
import { load, type TaskRecord, type WorkerRecord } from "./engine_records.ts";

/** Whether `w` may run `r` (its node and resources, when restricted). */
export function allowed(r: TaskRecord, w: WorkerRecord): boolean {
  if (w.starting) return false;
  const { workers, resources } = r.node.options;
  if (workers !== undefined && !workers.some((n) => onNode(w, n))) {
    return false;
  }
  if (resources !== undefined) {
    for (const [name, amount] of Object.entries(resources)) {
      if ((w.resources[name] ?? 0) < amount) return false;
    }
  }
  return true;
}

/** Whether `w` is the node `name`, or one of its threads (`name.i`). */
export function onNode(w: WorkerRecord, name: string): boolean {
  return w.node !== undefined && isNodeNamed(w.node, name);
}

/**
 * Whether the member called `member` is the node `name` or one of its
 * threads: a node of several threads joins as `name.0`, `name.1`, ...
 * (`name.0-2` when that was taken). `delayed(task, { workers })` and
 * `retireWorkers` read names so.
 *
 * @example
 * ```ts
 * import { isNodeNamed } from "./task_placement.ts";
 * console.log(isNodeNamed("alpha.1", "alpha"), isNodeNamed("alphabet", "alpha")); // true false
 * ```
 */
export function isNodeNamed(member: string, name: string): boolean {
  return member === name ||
    (member.length > name.length + 1 && member.startsWith(name) &&
      member[name.length] === "." &&
      /^\d+(-\d+)?$/.test(member.slice(name.length + 1)));
}

/**
 * The worker a ready `r` should queue on: the one its block of the graph
 * was given (see `spreadRoots`), else the one holding the most bytes of
 * its inputs, then the least loaded; undefined when none may run it.
 */
export function placeReady(
  r: TaskRecord,
  workers: readonly WorkerRecord[],
): WorkerRecord | undefined {
  let w = r.home !== undefined && r.home.alive && !r.home.retiring &&
      allowed(r, r.home)
    ? r.home
    : undefined;
  if (w === undefined) {
    let bestHeld = -1;
    for (const x of workers) {
      if (!x.alive || x.retiring || !allowed(r, x)) continue;
      // The bytes of its inputs already there (a count when sizes are
      // not known): moving the least data.
      let held = 0;
      for (const d of r.deps) if (d.holders.includes(x)) held += d.bytes;
      if (held > bestHeld || (held === bestHeld && load(x) < load(w))) {
        w = x;
        bestHeld = held;
      }
    }
  }
  return w;
}

/**
 * The best of the first few tasks queued on `victim` that `thief` may run
 * and that is worth moving there (see `worthStealing`), taken off the
 * victim's queue (the others stay on it).
 */
export function stealFrom(
  victim: WorkerRecord,
  thief: WorkerRecord,
  bandwidth: number,
  durations: ReadonlyMap<string, number>,
): TaskRecord | undefined {
  const kept: TaskRecord[] = [];
  let found: TaskRecord | undefined;
  for (let i = 0; i < 4 && found === undefined; i++) {
    const r = takeQueued(victim);
    if (r === undefined) break;
    if (
      allowed(r, thief) &&
      worthStealing(r, victim, thief, bandwidth, durations)
    ) found = r;
    else kept.push(r);
  }
  for (const r of kept) victim.queue.push(r);
  return found;
}

/**
 * Whether moving `r` from `victim`'s queue to the idle `thief` saves more
 * time than copying its inputs there costs, as Dask's work stealing
 * weighs it. What it saves is its wait behind the victim's other work
 * (taken as tasks as long as `r`'s kind, measured per task name in
 * `durations`); what it costs is the bytes of its inputs the thief lacks
 * over the `bandwidth` measured between workers (bytes per ms). A task of
 * a kind not measured yet moves only when that costs next to nothing
 * (under 1 ms): copying a big input on a guess is how a node ends up
 * copying 32 MB for an instant task.
 */
export function worthStealing(
  r: TaskRecord,
  victim: WorkerRecord,
  thief: WorkerRecord,
  bandwidth: number,
  durations: ReadonlyMap<string, number>,
): boolean {
  let bytes = 0;
  for (const d of r.deps) if (!d.holders.includes(thief)) bytes += d.bytes;
  if (bytes === 0) return true;
  const copyMs = bytes / bandwidth;
  const ms = durations.get(r.node.task.taskName);
  if (ms === undefined) return copyMs < 1;
  return copyMs < (victim.inFlight + victim.queue.size + 1) * ms;
}

/**
 * Whether `root`'s result would take `w` past its memory target,
 * counting what it holds and the results of the root tasks it runs (each
 * as big as its kind's were, `rootBytes`): then it gets no new root task
 * until it has room (reports lag; this does not). `rootBytesMax`, a bound
 * on every kind's root bytes, lets the check skip the walk when even that
 * bound leaves room.
 */
export function rootsPastTarget(
  w: WorkerRecord,
  root: TaskRecord,
  memory: EngineMemory | undefined,
  rootBytes: ReadonlyMap<string, number>,
  rootBytesMax = Infinity,
): boolean {
  const target = w.node !== undefined
    ? w.memory?.target
    : memory !== undefined && memory.fractions.target !== false
    ? memory.limit * memory.fractions.target
    : undefined;
  if (!target) return false;
  if (w.memory?.full) return true;
  // Far below the target (the usual case): no walk over what it runs.
  if (w.has.bytes + rootBytesMax * (w.running.size + 1) <= target) {
    return false;
  }
  // (the new root's result too: room for it, not past the target)
  let bytes = rootBytes.get(root.node.task.taskName) ?? 0;
  bytes += w.has.bytes;
  for (const r of w.running.values()) {
    if (r.deps.length === 0) {
      bytes += rootBytes.get(r.node.task.taskName) ?? 0;
    }
  }
  return bytes > target;
}

/** The next live task queued on `w`, taken off its queue. */
export function takeQueued(w: WorkerRecord): TaskRecord | undefined {
  while (w.queue.size > 0) {
    const r = w.queue.pop()!;
    if (r.state === "ready" && r.queuedOn === w) return r;
  }
  return undefined;
}

/**
 * Give the graph's tasks without inputs to the workers in contiguous
 * blocks, in graph order: neighbours (which later meet in one task) share
 * a worker, and each worker has an even share (as Dask co-assigns root
 * tasks).
 */
export function spreadRoots(
  roots: readonly TaskRecord[],
  workers: readonly WorkerRecord[],
): void {
  const live = workers.filter((w) => w.alive && !w.retiring && !w.starting);
  // A few tasks go to the least loaded workers instead (see placeReady).
  if (live.length === 0 || roots.length < 2 * live.length) return;
  for (let i = 0; i < roots.length; i++) {
    roots[i].home = live[Math.floor(i * live.length / roots.length)];
  }
}

/**
 * Tasks in flight per worker: enough queued to cover about 2 ms of work
 * of `r`'s kind, so that tiny tasks are not held up by round trips (up to
 * the configured window `max`) and long ones are not committed to a
 * worker early (down to 2: one running, one queued behind it so that the
 * worker never waits for a round trip), which would leave another idle at
 * the end. A task not measured yet counts as long.
 */
export function runWindow(
  r: TaskRecord,
  durations: ReadonlyMap<string, number>,
  max: number,
): number {
  const ms = durations.get(r.node.task.taskName);
  const min = Math.min(2, max);
  if (ms === undefined) return min;
  return Math.max(min, Math.min(max, Math.ceil(2 / ms)));
}
