/**
 * The internals of a system, for troupe's own host code: not part of the
 * public API (mod.ts does not export this module).
 *
 * @module
 */

import type { Links } from "./hosts/link.ts";
import type { CellRuntime } from "./cell.ts";
import type { HostPool } from "./hosts/host_pool.ts";

/** What troupe's own code reaches of a system. */
interface Internals {
  rt: CellRuntime;
  links: Links;
  hosts: HostPool;
}

const registry = new WeakMap<object, Internals>();

/** Record the internals of `system` (called by its constructor). */
export function register(system: object, internals: Internals): void {
  registry.set(system, internals);
}

/** The runtime, links and hosts of `system`. */
export function internals(system: object): Internals {
  const found = registry.get(system);
  if (found === undefined) throw new TypeError("not an ActorSystem");
  return found;
}
