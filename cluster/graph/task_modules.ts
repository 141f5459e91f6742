/**
 * Which copy of a task module a worker runs. Deno keeps one instance of a
 * module per URL, so a worker that imported `tasks.ts` keeps that copy
 * after the file is edited; importing it again under another URL (a query,
 * `tasks.ts?troupe-v=2`) gives a fresh instance, read from disk now. Here
 * each module has a version: it changes when its file's modification time
 * does (checked when a task of it is looked up, with one `stat`, at most
 * every `CHECK_EVERY_MS`), and
 * for every module on `reloadTaskModules` (`troupe restart`). The modules
 * a task module imports keep their first copy (their URL is the same):
 * only the task module itself is read again.
 *
 * A compiled binary's modules are compiled in: nothing reloads there.
 *
 * @module
 */

interface Loaded {
  version: number;
  /** Its file's path (undefined: not a file here: not checked). */
  path: string | undefined;
  /**
   * Its file's modification time when this version was taken (undefined:
   * not readable here: not checked again).
   */
  mtime: number | undefined;
  /** When its file was last looked at (`performance.now()`). */
  checked: number;
}

/**
 * How often a module's file is looked at, at most, in ms: a `stat` costs
 * about 5 us, as much as a small task's whole run on a worker thread.
 */
export const CHECK_EVERY_MS = 100;

const modules = new Map<string, Loaded>();
/** The last version handed out. */
let stamp = 0;
/** The version of the last restart: every module older reloads. */
let restartedAt = 0;

/** The path of `module`'s file, if it is one (a compiled one is not). */
function pathOf(module: string): string | undefined {
  if (!module.startsWith("file:") || Deno.build.standalone) return undefined;
  try {
    return decodeURIComponent(new URL(module).pathname);
  } catch {
    return undefined;
  }
}

/** The modification time of the file at `path`, if this isolate may stat it. */
function mtimeOf(path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  try {
    // (a path, not a URL: about 5 us a call)
    return Deno.statSync(path).mtime?.getTime();
  } catch {
    return undefined; // (gone, or not readable here: the copy loaded stays)
  }
}

/**
 * The version of `module` to run now (0: the first copy): a new one when
 * its file changed on disk since the version in use was taken (seen when
 * its last look is `CHECK_EVERY_MS` old), or when the modules were
 * reloaded since.
 *
 * @example
 * ```ts
 * import { taskModuleVersion } from "./task_modules.ts";
 * console.log(taskModuleVersion(import.meta.url)); // 0, until the file changes
 * ```
 */
export function taskModuleVersion(module: string): number {
  let m = modules.get(module);
  if (m === undefined) {
    const path = pathOf(module);
    const checked = performance.now();
    m = { version: restartedAt, path, mtime: mtimeOf(path), checked };
    modules.set(module, m);
  } else if (m.version < restartedAt) {
    m.version = restartedAt;
    m.mtime = mtimeOf(m.path);
    m.checked = performance.now();
  } else if (
    m.mtime !== undefined && performance.now() - m.checked >= CHECK_EVERY_MS
  ) {
    m.checked = performance.now();
    const now = mtimeOf(m.path);
    if (now !== undefined && now !== m.mtime) {
      m.version = ++stamp;
      m.mtime = now;
    }
  }
  return m.version;
}

/**
 * The URL that imports version `version` of `module` (itself for 0).
 *
 * @example
 * ```ts
 * import { versionedUrl } from "./task_modules.ts";
 * console.log(versionedUrl("file:///jobs/tasks.ts", 2)); // "file:///jobs/tasks.ts?troupe-v=2"
 * ```
 */
export function versionedUrl(module: string, version: number): string {
  if (version === 0) return module;
  const url = new URL(module);
  url.searchParams.set("troupe-v", String(version));
  return url.href;
}

/**
 * Every task module is imported again, fresh, when a task of it is next
 * looked up (`troupe restart`); tasks running go on with the copy they
 * have. Returns how many modules this isolate had loaded.
 *
 * @example
 * ```ts
 * import { reloadTaskModules } from "./task_modules.ts";
 * console.log(reloadTaskModules() >= 0); // true
 * ```
 */
export function reloadTaskModules(): number {
  if (Deno.build.standalone) return 0; // (compiled in: nothing to read again)
  restartedAt = ++stamp;
  return modules.size;
}
