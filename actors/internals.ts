/**
 * The internals of a system, for troupe's own host code: not part of the
 * public API (mod.ts does not export this module).
 *
 * @module
 */

import type { Links } from "./hosts/link.ts";
import type { CellRuntime } from "./cell.ts";

const registry = new WeakMap<object, { rt: CellRuntime; links: Links }>();

/** Record the internals of `system` (called by its constructor). */
export function register(system: object, rt: CellRuntime, links: Links): void {
  registry.set(system, { rt, links });
}

/** The runtime and links of `system`. */
export function internals(system: object): { rt: CellRuntime; links: Links } {
  const found = registry.get(system);
  if (found === undefined) throw new TypeError("not an ActorSystem");
  return found;
}
