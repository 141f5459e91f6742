/**
 * Host mode for compiled binaries: make `import "@troupe/troupe/host";` the
 * first import of a program's main module.
 *
 * A process host of a `deno compile`d program is the binary itself,
 * re-executed with `--troupe-host=...`. In that copy, this module becomes the
 * host and never finishes evaluating, so the main module (which waits for its
 * imports) never runs its own code there, while the modules that define
 * behaviours load as usual. In a normal run it does nothing.
 *
 * @example
 * ```ts
 * import "@troupe/troupe/host"; // first import of main.ts
 * import { ActorSystem } from "@troupe/troupe";
 * ```
 *
 * @module
 */

import { isHostArgs, runProcessHost } from "./process_host_side.ts";

if (isHostArgs(Deno.args)) await runProcessHost(Deno.args);
