/**
 * troupe's version, as `deno.json` says it. The JSON module is part of the
 * module graph, so `deno compile` embeds it in the binary: a compiled
 * troupe knows its version without reading any file at run time.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/**
 * The version of this troupe (`deno.json`'s `version`).
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`troupe ${VERSION}`); // troupe 0.1.0
 * ```
 */
export const VERSION: string = config.version;
