/**
 * The dataframe's one door to troupe's task graphs: everything it uses of
 * the actors and cluster packages comes through here, so that a move of
 * those packages changes this file only.
 *
 * @module
 */

export {
  ActorSystem,
  defineTasks,
  type HostPermissions,
  type Task,
} from "../actors/mod.ts";
export {
  type Client,
  createScheduler,
  type Delayed,
  delayed,
  type Future,
  KEY,
  type Keyed,
  type Scheduler,
  TaskFailedError,
} from "../cluster/mod.ts";
export { hashText } from "../cluster/keys.ts";

import type { TaskRef } from "./_spec.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;
const found = new Map<string, Promise<AnyFn>>();

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
