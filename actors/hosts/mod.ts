/**
 * actors/hosts/: placement and the transports under it: worker and process
 * hosts, the link between two systems, the lane and frames that carry
 * envelopes, the checks of what may cross, the envelope codec, msgpack,
 * and the entry points a host isolate starts from (worker_entry,
 * process_entry, host_mode, serve_host). This module is the folder's face: the names the
 * root entry exports from it.
 *
 * May import: actors/ (the core) and sync/; nothing of pool/, cluster/,
 * array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor, type Placement } from "@troupe/troupe";
 *
 * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, x: number) => x } });
 * const placement: Placement = "local";
 * await using system = new ActorSystem();
 * console.log(await system.spawn(Echo, undefined, { placement }).ask("echo", 1)); // 1
 * ```
 *
 * @module
 */

export { CrossingError } from "./crossing.ts";
export {
  type ExecSpec,
  HostError,
  type HostPermissions,
  type Placement,
  WorkerOptionsError,
} from "./host_types.ts";
export type { HostInfo } from "./host_pool.ts";
