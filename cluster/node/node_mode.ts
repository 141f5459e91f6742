/**
 * Node mode for compiled binaries: make `import "@troupe/troupe/node";` the
 * first import of a program's main module, and `localCluster` can start its
 * worker nodes by re-executing the binary.
 *
 * A node of a `deno compile`d program is the binary itself, started with
 * `--troupe-node <host:port> ...`. In that copy this module runs the node
 * and ends the process, so the main module's own code never runs there. In
 * a normal run it does nothing.
 *
 * @example
 * ```ts
 * import "@troupe/troupe/node"; // first import of main.ts
 * import { ActorSystem } from "@troupe/troupe";
 * ```
 *
 * @module
 */

import { nodeMain } from "./node_main.ts";

/**
 * The flag that makes a copy of the program a cluster node.
 *
 * @example
 * ```ts
 * import { NODE_FLAG } from "@troupe/troupe/node";
 * console.log(NODE_FLAG); // "--troupe-node"
 * ```
 */
export const NODE_FLAG: string = "--troupe-node";

const at = Deno.args.indexOf(NODE_FLAG);
if (at >= 0) Deno.exit(await nodeMain(Deno.args.slice(at + 1)));
