/**
 * Why a task is missing from a module that exports it: a host imports a
 * module once and keeps that copy, so after the file is edited (a task
 * added or renamed) the host still has the old one. The host notes when it
 * first imported each module; when a task is then not found in it and the
 * file is newer than that, the error says to restart the workers instead
 * of claiming the module does not export the task.
 *
 * @module
 */

const importedAt = new Map<string, number>();

/**
 * Note that this host is importing `module` (the first time counts).
 *
 * @example
 * ```ts
 * import { noteImport } from "./module_staleness.ts";
 * noteImport(import.meta.url);
 * ```
 */
export function noteImport(module: string): void {
  if (!importedAt.has(module)) importedAt.set(module, Date.now());
}

/**
 * The error for task `name` not found in `module`: when the module's file
 * changed after this host imported it, it says so and says to restart.
 *
 * @example
 * ```ts
 * import { missingTask } from "./module_staleness.ts";
 * const e = await missingTask("file:///nowhere/tasks.ts", "square");
 * console.log(e.message); // module file:///nowhere/tasks.ts exports no task "square" (...)
 * ```
 */
export async function missingTask(
  module: string,
  name: string,
): Promise<TypeError> {
  const at = importedAt.get(module);
  if (at !== undefined && module.startsWith("file:")) {
    try {
      const { mtime } = await Deno.stat(new URL(module));
      if (mtime !== null && mtime.getTime() > at) {
        return new TypeError(
          `module ${module} has no task "${name}" in the copy this worker loaded: the file changed on disk after it was loaded (at ${
            new Date(at).toISOString()
          }), and a worker keeps the first copy of a module: restart the workers to load the new one`,
        );
      }
    } catch {
      // (no stat: not readable here, or gone) the usual message
    }
  }
  return new TypeError(
    `module ${module} exports no task "${name}" (export the object defineTasks returns)`,
  );
}
