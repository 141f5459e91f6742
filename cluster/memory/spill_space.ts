/**
 * Where held results are spilled: a directory per worker ("space") under a
 * local directory (default `<OS temp dir>/troupe-spill`), with a lock file
 * that names the process that owns it (its pid, and its start time where
 * the OS says it, so that a reused pid is not taken for the owner). A space
 * is removed when its worker closes; one left by a process that died (a
 * crash, a SIGKILL) is removed by the next worker that opens a space there.
 *
 * @module
 */

import { join } from "node:path";
import { granted } from "./granted.ts";

/** The lock file in each space. */
export const LOCK_FILE = "troupe.lock";

/** What the lock file says. */
interface Lock {
  pid: number;
  /** The process's start time, in clock ticks since boot (Linux). */
  start?: number;
}

/**
 * The default local directory: `troupe-spill` in the OS temp dir.
 *
 * @example
 * ```ts
 * import { defaultLocalDirectory } from "./spill_space.ts";
 * console.log(defaultLocalDirectory()); // "/tmp/troupe-spill", say
 * ```
 */
export function defaultLocalDirectory(): string {
  let tmp: string | undefined;
  for (const name of ["TMPDIR", "TMP", "TEMP"]) {
    // (without env permission: the platform's default, no prompt)
    if (!granted({ name: "env", variable: name })) continue;
    try {
      tmp = Deno.env.get(name);
    } catch { /* refused after all */ }
    if (tmp) break;
  }
  tmp ||= Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp";
  return join(tmp, "troupe-spill");
}

/** The start time of process `pid` (Linux), or undefined if unknown. */
function startTime(pid: number | "self"): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (in parentheses, which may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the process a lock names is alive: false only when the OS says
 * it is gone (or a different process has its pid); when it cannot be told
 * (no /proc, no read permission), it is taken as alive.
 */
function alive(lock: Lock): boolean {
  if (!granted({ name: "read", path: "/proc" })) return true;
  try {
    Deno.statSync("/proc/self/stat");
  } catch {
    return true; // no /proc to ask (or may not read it)
  }
  const start = startTime(lock.pid);
  if (start === undefined) {
    try {
      Deno.statSync(`/proc/${lock.pid}`);
      return true; // there, but its stat cannot be read
    } catch (e) {
      return !(e instanceof Deno.errors.NotFound);
    }
  }
  return lock.start === undefined || lock.start === start;
}

/**
 * Remove the spaces under `root` whose owner is dead; returns their paths.
 * A space without a readable lock is left alone (it may be being made).
 *
 * @example
 * ```ts
 * import { cleanStaleSpaces } from "./spill_space.ts";
 * const root = Deno.makeTempDirSync();
 * console.log(cleanStaleSpaces(root)); // []
 * Deno.removeSync(root);
 * ```
 */
export function cleanStaleSpaces(root: string): string[] {
  const removed: string[] = [];
  if (
    !granted({ name: "read", path: root }) ||
    !granted({ name: "write", path: root })
  ) return removed; // (not ours to look at: no prompt)
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch {
    return removed;
  }
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const path = join(root, e.name);
    let lock: Lock;
    try {
      lock = JSON.parse(Deno.readTextFileSync(join(path, LOCK_FILE)));
    } catch {
      continue;
    }
    if (typeof lock?.pid !== "number" || alive(lock)) continue;
    try {
      Deno.removeSync(path, { recursive: true });
      removed.push(path);
    } catch { /* another worker removed it first, or it is not ours */ }
  }
  return removed;
}

/**
 * A worker's spill directory, made and locked (see the module's comment).
 *
 * @example
 * ```ts
 * import { openSpillSpace } from "./spill_space.ts";
 * const root = Deno.makeTempDirSync();
 * const space = openSpillSpace(root);
 * space.close(); // removed
 * Deno.removeSync(root);
 * ```
 */
export interface SpillSpace {
  /** The directory. */
  readonly path: string;
  /** Spaces of dead processes removed when this one was opened. */
  readonly cleaned: readonly string[];
  /** Remove it and what is in it (idempotent). */
  close(): void;
}

/**
 * Open a space under `root` (made if missing): first remove the spaces of
 * dead processes there, then make a new one named `<name>-<pid>-<random>`
 * with a lock file naming this process.
 *
 * @example
 * ```ts
 * import { openSpillSpace } from "./spill_space.ts";
 * const root = Deno.makeTempDirSync();
 * const space = openSpillSpace(root, "worker");
 * Deno.writeFileSync(`${space.path}/x`, new Uint8Array(1));
 * space.close();
 * Deno.removeSync(root);
 * ```
 */
export function openSpillSpace(root: string, name = "worker"): SpillSpace {
  Deno.mkdirSync(root, { recursive: true });
  const cleaned = cleanStaleSpaces(root);
  const safe = name.replace(/[^\w.-]/g, "_").slice(0, 40);
  const path = join(
    root,
    `${safe}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
  );
  Deno.mkdirSync(path, { recursive: true });
  const lock: Lock = { pid: Deno.pid, start: startTime("self") };
  Deno.writeTextFileSync(join(path, LOCK_FILE), JSON.stringify(lock));
  let open = true;
  return {
    path,
    cleaned,
    close() {
      if (!open) return;
      open = false;
      try {
        Deno.removeSync(path, { recursive: true });
      } catch { /* gone already */ }
    },
  };
}
