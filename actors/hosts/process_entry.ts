/**
 * Entry of a process host: frames from the parent on stdin, frames to the
 * parent on stdout. `console` output goes to stderr so that it cannot corrupt
 * the frame stream. Stdin closing means the parent is gone: the host exits.
 *
 * Run as `deno run <permissions> process_entry.ts --troupe-host=<id>
 * --troupe-parent=<id>`, or, in a compiled binary, re-executed with the same
 * flags (see `host_mode.ts`).
 *
 * @module
 */

import { runProcessHost } from "./process_host_side.ts";

await runProcessHost(Deno.args);
