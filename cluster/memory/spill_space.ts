/**
 * Where held results are spilled: a directory per worker ("space") under a
 * local directory (default `<OS temp dir>/troupe-spill`), holding a lock
 * file that its worker keeps locked (an exclusive `flock`) while it lives.
 * A space is removed when its worker closes; one left by a process that
 * died (a crash, a SIGKILL: the kernel drops its locks) is removed by the
 * next worker that opens a space there. A lock, unlike a pid, needs no
 * permission to read /proc and cannot be fooled by a reused pid.
 *
 * @module
 */

import { granted } from "./granted.ts";
import { joinPath } from "./spill_codec.ts";

/** The lock file in each space. */
export const LOCK_FILE = "troupe.lock";

/** A space being made: cleaners skip it until it is renamed, locked. */
const MAKING = ".making-";

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
  return joinPath(tmp, "troupe-spill");
}

/**
 * Remove the spaces under `root` whose owner is dead; returns their paths.
 * A space without a lock file, or one still being made, is left alone.
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
    const path = joinPath(root, e.name);
    if (e.name.startsWith(MAKING)) continue;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(joinPath(path, LOCK_FILE), {
        read: true,
        write: true,
      });
    } catch {
      continue; // no lock file: not a space of ours
    }
    try {
      // Free only when the process that held it is gone.
      if (!file.tryLockSync(true)) continue;
      Deno.removeSync(path, { recursive: true });
      removed.push(path);
    } catch {
      /* another worker removed it first, or it is not ours */
    } finally {
      file.close();
    }
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
 * whose lock file this worker holds until it closes.
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
  const base = `${safe}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  // Made under a name cleaners skip, locked, then renamed: a cleaner never
  // sees it unlocked.
  const making = joinPath(root, MAKING + base);
  const path = joinPath(root, base);
  Deno.mkdirSync(making);
  const lock = Deno.openSync(joinPath(making, LOCK_FILE), {
    create: true,
    read: true,
    write: true,
  });
  lock.lockSync(true);
  // (the pid, for a person looking at the directory)
  lock.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
  Deno.renameSync(making, path);
  let open = true;
  return {
    path,
    cleaned,
    close() {
      if (!open) return;
      open = false;
      try {
        lock.close(); // (drops the lock)
      } catch { /* closed already */ }
      try {
        Deno.removeSync(path, { recursive: true });
      } catch { /* gone already */ }
    },
  };
}
