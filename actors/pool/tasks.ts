/**
 * Tasks: plain functions exported from a module, named so that a worker or
 * process host can import and run them.
 *
 * @module
 */

/**
 * A function that a pool can run anywhere: still callable as itself, and
 * carrying the module URL and name it is found by.
 *
 * @example
 * ```ts
 * import { defineTasks, type Task } from "@troupe/troupe";
 * export const tasks = defineTasks(import.meta.url, { double: (x: number) => 2 * x });
 * const t: Task<[number], number> = tasks.double;
 * console.log(t(21)); // 42
 * ```
 */
export type Task<A extends unknown[] = never[], R = unknown> =
  & ((...args: A) => R)
  & {
    /** The URL of the module that exports it. */
    readonly taskModule: string;
    /** Its name among that module's tasks. */
    readonly taskName: string;
  };

/**
 * Turn a map of functions into tasks. Export the result, so that hosts can
 * find the tasks by module URL and name.
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 *
 * export const tasks = defineTasks(import.meta.url, {
 *   double: (x: number) => 2 * x,
 *   add: (a: number, b: number) => a + b,
 * });
 * console.log(tasks.add(1, 2)); // 3
 * ```
 */
export function defineTasks<
  // deno-lint-ignore no-explicit-any
  T extends Record<string, (...args: any[]) => unknown>,
>(
  module: string,
  functions: T,
): { readonly [K in keyof T]: Task<Parameters<T[K]>, ReturnType<T[K]>> } {
  if (typeof module !== "string" || !URL.canParse(module)) {
    throw new TypeError(
      "defineTasks: the first argument must be the module's URL (import.meta.url)",
    );
  }
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== "function") {
      throw new TypeError(`defineTasks: "${name}" is not a function`);
    }
    const task = (...args: unknown[]) => fn(...args);
    Object.defineProperties(task, {
      taskModule: { value: module },
      taskName: { value: name },
      name: { value: name },
    });
    out[name] = task;
  }
  return Object.freeze(out) as {
    readonly [K in keyof T]: Task<Parameters<T[K]>, ReturnType<T[K]>>;
  };
}

/** Whether `v` is a task made by `defineTasks`. */
export function isTask(v: unknown): v is Task {
  return typeof v === "function" &&
    typeof (v as Partial<Task>).taskModule === "string" &&
    typeof (v as Partial<Task>).taskName === "string";
}

/** Find task `name` among a module's exports (one level deep). */
export function findTask(
  exports: Record<string, unknown>,
  module: string,
  name: string,
): Task | undefined {
  for (const value of Object.values(exports)) {
    const candidates = isTask(value)
      ? [value]
      : typeof value === "object" && value !== null
      ? Object.values(value)
      : [];
    for (const c of candidates) {
      if (isTask(c) && c.taskModule === module && c.taskName === name) {
        return c;
      }
    }
  }
  return undefined;
}
