/**
 * The dataframe's one door to troupe's task graphs: everything it uses of
 * the actors and cluster packages comes through here, so that a move of
 * those packages changes this file only. It imports the few graph modules
 * a task needs (a worker host that runs a partition task loads no more);
 * the scheduler is loaded when a computation makes one.
 *
 * @module
 */

export { ActorSystem } from "../actors/system.ts";
export { preview } from "../actors/preview.ts";
export { defineTasks, type Task } from "../actors/pool/tasks.ts";
export type { HostPermissions } from "../actors/hosts/hosts.ts";
export { type Delayed, delayed } from "../cluster/graph/delayed.ts";
export { TaskFailedError } from "../cluster/graph/errors.ts";
export { KEY, type Keyed, tokenize } from "../cluster/graph/keys.ts";
export type { Future } from "../cluster/graph/future.ts";
export type {
  Scheduler,
  SchedulerOptions,
} from "../cluster/graph/scheduler.ts";

import type { Task } from "../actors/pool/tasks.ts";
import type { TaskRef } from "./_spec.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;
const found = new Map<string, Promise<AnyFn>>();

/**
 * A task's reference for a step; the task itself is remembered in this
 * isolate, so that a step run here (inline, local) needs no import (and a
 * task from a module that cannot be imported again, a doc test's, runs).
 */
export function taskRef(task: Task): TaskRef {
  const ref = { module: task.taskModule, name: task.taskName };
  const id = `${ref.module}#${ref.name}`;
  if (!found.has(id)) found.set(id, Promise.resolve(task as AnyFn));
  return ref;
}

/** The task function `ref` names, imported by its module URL (once per isolate). */
export function resolveTask(ref: TaskRef): Promise<AnyFn> {
  const id = `${ref.module}#${ref.name}`;
  let fn = found.get(id);
  if (fn === undefined) {
    fn = (import(ref.module) as Promise<Record<string, unknown>>).then(
      (exports) => {
        for (const value of Object.values(exports)) {
          const candidates = typeof value === "function"
            ? [value]
            : typeof value === "object" && value !== null
            ? Object.values(value)
            : [];
          for (const c of candidates) {
            const t = c as { taskModule?: string; taskName?: string };
            if (
              typeof c === "function" && t.taskModule === ref.module &&
              t.taskName === ref.name
            ) {
              return c as AnyFn;
            }
          }
        }
        throw new TypeError(
          `module ${ref.module} exports no task "${ref.name}" (export the object defineTasks returns)`,
        );
      },
    );
    fn.catch(() => found.delete(id));
    found.set(id, fn);
  }
  return fn;
}
