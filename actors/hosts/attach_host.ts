/**
 * Attaching a host that runs elsewhere (a cluster node) to a system: how
 * troupe's cluster puts a node's actors under the client's system. Not
 * exported from any entry.
 *
 * @module
 */

import { internals } from "../internals.ts";
import type { AttachedHost } from "../system_types.ts";
import type { HostLink } from "./hosts.ts";

/**
 * Attach a host that runs elsewhere (a cluster node, say) to `system` under
 * `name`, reached through `link`. Actors spawn there with `placement:
 * "node"` and `host: name`, and work as on any host: their deaths, and the
 * link's closing (reason `host-down`), reach watchers and supervisors. Tell
 * the other side the returned `id` and `parent` (its `serveHost` needs
 * them), and hand every batch that arrives on the link to `receive`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { attachHost } from "./attach_host.ts";
 * import { serveHost } from "./serve_host.ts";
 * import assert from "node:assert/strict";
 *
 * // Two systems in one isolate, linked by hand (a cluster links them by TCP).
 * await using system = new ActorSystem();
 * let node: ReturnType<typeof serveHost> | undefined;
 * const closed = Promise.withResolvers<void>();
 * const attached = attachHost(system, "n1", {
 *   send: (batch) => queueMicrotask(() => node?.receive(batch)),
 *   close: () => closed.resolve(),
 *   closed: closed.promise,
 * });
 * node = serveHost({ host: attached.id, parent: attached.parent }, {
 *   send: (batch) => queueMicrotask(() => attached.receive(batch)),
 *   close: () => closed.resolve(),
 * });
 * await attached.ready;
 * assert.equal(system.hosts()[0].kind, "node");
 * ```
 */
export function attachHost(
  system: object,
  name: string,
  link: HostLink,
): AttachedHost {
  if (typeof name !== "string" || name === "" || name.includes("/")) {
    throw new TypeError(`a host name must be a non-empty string without "/"`);
  }
  const { rt, hosts } = internals(system);
  const h = hosts.attach(name, link);
  return {
    id: h.id,
    parent: rt.host,
    ready: h.ready,
    receive: (batch) => h.receive(batch as never),
  };
}
