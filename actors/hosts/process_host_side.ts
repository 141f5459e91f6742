/**
 * The child side of a process host: stdin/stdout framing around `startHost`.
 *
 * @module
 */

import { encodeFrame, FrameReader } from "./frames.ts";
import { startHost } from "./host_main.ts";
import { MAIN_FLAG, setProgramMain } from "../main_guard.ts";

/** The flag that makes a process (or a compiled binary) a troupe host. */
export const HOST_FLAG = "--troupe-host=";
const PARENT_FLAG = "--troupe-parent=";

let running = false;

/**
 * Whether `args` ask this process to be a troupe host that is not running
 * yet (a behaviour module imported by a running host must not start another).
 */
export function isHostArgs(args: readonly string[]): boolean {
  return !running && args.some((a) => a.startsWith(HOST_FLAG));
}

/** Run a process host until the parent says bye or goes away. */
export async function runProcessHost(args: readonly string[]): Promise<never> {
  running = true;
  const host = args.find((a) => a.startsWith(HOST_FLAG))?.slice(
    HOST_FLAG.length,
  );
  const parent = args.find((a) => a.startsWith(PARENT_FLAG))?.slice(
    PARENT_FLAG.length,
  );
  if (!host || !parent) {
    console.error("troupe host: missing --troupe-host= or --troupe-parent=");
    Deno.exit(2);
  }
  setProgramMain(
    args.find((a) => a.startsWith(MAIN_FLAG))?.slice(MAIN_FLAG.length),
  );
  // Frames own stdout; anything an actor prints goes to stderr.
  for (const m of ["log", "info", "debug", "table", "dir"] as const) {
    // deno-lint-ignore no-explicit-any
    (console as any)[m] = console.error;
  }
  const stdout = Deno.stdout;
  let writing = Promise.resolve();
  const runtime = startHost(host, parent, {
    send(batch) {
      const frame = encodeFrame(batch);
      // Writes are chained so that frames never interleave.
      writing = writing.then(async () => {
        let off = 0;
        while (off < frame.length) {
          off += await stdout.write(frame.subarray(off));
        }
      });
    },
    close() {
      writing.then(() => Deno.exit(0), () => Deno.exit(0));
    },
  }, true);
  const reader = new FrameReader();
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    let n: number | null;
    try {
      n = await Deno.stdin.read(buf);
    } catch {
      n = null;
    }
    if (n === null) break; // the parent is gone
    let batches;
    try {
      batches = reader.push(buf.subarray(0, n));
    } catch (e) {
      console.error(`troupe host ${host}: ${(e as Error).message}`);
      Deno.exit(3);
    }
    for (const b of batches) runtime.receive(b);
  }
  await runtime.orphaned();
  Deno.exit(0);
}
