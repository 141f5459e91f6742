/**
 * What the worker engine shows of itself (for `status`, tests and the
 * dashboard): its live workers, its tasks counted by state, the values
 * moved, its computations, running or among the last finished, and the
 * graph of one of them.
 *
 * @module
 */

import {
  type Computation,
  type SchedulerStatus,
  STREAM_MS,
} from "./computation.ts";
import type { EngineCore } from "./engine_core.ts";
import { type TaskRecord, workerName } from "./engine_records.ts";
import type { TaskStream } from "./task_stream.ts";
import {
  type GraphOutline,
  graphSnapshot,
  type TaskGraph,
} from "./graph_snapshot.ts";

/** `tasks` counted by state. */
export function stateCounts(
  tasks: ReadonlyMap<string, TaskRecord>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of tasks.values()) {
    out[r.state] = (out[r.state] ?? 0) + 1;
  }
  return out;
}

/**
 * A snapshot of the engine's workers, task states and computations (the
 * running ones and `lastFinished`), with the recent runs of `stream`.
 */
export function engineStatus(
  core: EngineCore,
  lastFinished: readonly Computation[],
  stream: TaskStream,
): SchedulerStatus {
  return {
    workers: core.workers.filter((w) => w.alive).map((w) => ({
      name: workerName(w),
      inFlight: w.inFlight,
      queued: w.queue.size,
      held: w.has.size,
      ...(w.memory === undefined ? {} : { heldMemory: { ...w.memory } }),
      ...(w.retiring ? { retiring: true } : {}),
    })),
    tasks: stateCounts(core.tasks),
    transfers: { ...core.transferred },
    computations: [...lastFinished, ...core.running]
      .sort((a, b) => a.id - b.id)
      .map((c) => ({ ...c })),
    stream: stream.since(Date.now() - STREAM_MS, 500),
  };
}

/**
 * The graph of computation `id` (running, or among `lastFinished`, whose
 * `outlines` are kept) now, grouped by task name past `max` tasks;
 * undefined when it is not kept.
 */
export function computationGraph(
  core: EngineCore,
  lastFinished: readonly Computation[],
  outlines: ReadonlyMap<number, GraphOutline>,
  id: number,
  max: number,
): TaskGraph | undefined {
  const outline = outlines.get(id);
  const c = [...core.running, ...lastFinished].find((c) => c.id === id);
  if (outline === undefined || c === undefined) return undefined;
  return graphSnapshot(c, outline, (key) => core.tasks.get(key)?.state, max);
}
