/**
 * Host mode for compiled binaries. A process host in a `deno compile`d
 * program is the binary itself, re-executed with `--troupe-host=...`. Its
 * main module imports troupe like any module; this check, evaluated during
 * that import, turns the process into a host before the program's own code
 * runs (top-level await holds back every module that imports troupe).
 *
 * @module
 */

import { isHostArgs, runProcessHost } from "./process_host_side.ts";

if (isHostArgs(Deno.args)) await runProcessHost(Deno.args);
