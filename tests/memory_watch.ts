/**
 * What the out-of-core tests watch: the spill files under a local
 * directory, and a process's peak resident memory (VmHWM).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";

/** The spill files (`*.bin`) under `dir` now. */
export function spillFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return; // (a space removed while we looked)
    }
    for (const e of entries) {
      if (e.isDirectory) walk(join(d, e.name));
      else if (e.name.endsWith(".bin")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** A process's peak resident memory (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  // (through cat: Deno asks --allow-all to read another process's /proc)
  const status = new TextDecoder().decode(
    new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" })
      .outputSync().stdout,
  );
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  assert.ok(m !== null, "VmHWM in /proc/<pid>/status");
  return Number(m[1]) * 1024;
}

/** Bytes as MiB, for the figures a test prints. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
