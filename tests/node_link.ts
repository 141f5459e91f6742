/**
 * A node host served in this isolate, attached over a link that passes
 * every batch through troupe's MessagePack (as a network link would), for tests of
 * node hosts without a network.
 *
 * @module
 */

import { pack, unpack } from "../actors/hosts/msgpack.ts";
import type { ActorSystem } from "@troupe/troupe";
import type { AttachedHost } from "../actors/system.ts";
import { serveHost } from "../actors/hosts/serve_host.ts";
import { attachHost } from "../actors/hosts/attach_host.ts";

/** Attach a node named `name` to `system`; `cut()` drops the link. */
export function attachLocalNode(
  system: ActorSystem,
  name: string,
): { attached: AttachedHost; cut: () => void } {
  const closed = Promise.withResolvers<void>();
  let open = true;
  const box: { node?: ReturnType<typeof serveHost> } = {};
  const cut = () => {
    if (!open) return;
    open = false;
    closed.resolve();
    void box.node?.orphaned(); // the node side stops its actors, as a node would
  };
  const wire = (batch: unknown[]) => unpack(pack(batch)) as unknown[];
  const attached = attachHost(system, name, {
    send: (batch) => {
      const copy = wire(batch);
      queueMicrotask(() => open && box.node?.receive(copy));
    },
    close: cut,
    closed: closed.promise,
  });
  box.node = serveHost({ host: attached.id, parent: attached.parent }, {
    send: (batch) => {
      const copy = wire(batch);
      queueMicrotask(() => open && attached.receive(copy));
    },
    close: cut,
  });
  return { attached, cut };
}
