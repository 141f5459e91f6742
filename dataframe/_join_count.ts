/**
 * A count of a join (`merge(...).count()`): when an inner or left join is
 * a partition task's last step and its sink counts rows, the task counts
 * each left row's matches and builds no joined row (and reads only the left
 * side's keys: see `neededColumns`), as a database does for `count(*)`.
 *
 * @module
 */

import { joinTable, probeCount } from "./_join.ts";
import { columnOf, type Part } from "./_part.ts";
import type { PartTask, Step } from "./_spec.ts";

/** A join step. */
export type JoinStep = Extract<Step, { op: "join" }>;

/** Whether a join step may be counted without building its rows. */
export function countable(step: Step): step is JoinStep {
  return step.op === "join" &&
    (step.spec.how === "inner" || step.spec.how === "left");
}

/** The task's join step to count instead of run, if it has one. */
export function joinCounted(t: PartTask): JoinStep | undefined {
  const last = t.steps[t.steps.length - 1];
  return t.sink.kind === "count" && last !== undefined && countable(last)
    ? last
    : undefined;
}

/** The rows joining `left` with the step's right side makes. */
export function countJoin(step: JoinStep, left: Part): number {
  const table = joinTable(
    step.right,
    step.spec,
    step.spec.leftOn.map((n) => columnOf(left, n).type),
  );
  return probeCount(left, table, step.spec);
}
