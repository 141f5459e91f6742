/**
 * The far side of `ActorSystem.attachHost`: run a host over any link that
 * carries batches both ways (a cluster node's TCP connection, say).
 *
 * @module
 */

import type { WireItem } from "./codec.ts";
import { startHost } from "./host_main.ts";
import type { ActorSystem } from "../system.ts";

/**
 * A host served over a link: feed it the batches that arrive.
 *
 * @example
 * ```ts
 * import type { ServedHost } from "./serve_host.ts";
 * const feed = (h: ServedHost, batch: unknown[]) => h.receive(batch);
 * ```
 */
export interface ServedHost {
  /** Handle one batch from the parent. */
  receive(batch: unknown[]): void;
  /** The link is gone: stop every actor here (resolves when done). */
  orphaned(): Promise<void>;
  /** The host's actor system (a node reports its actors' counts). */
  readonly system: ActorSystem;
}

/**
 * Run a host with id `host` for the system `parent` (both from that system's
 * `attachHost`), sending batches with `link.send`; `link.close` is called
 * when the parent shuts the host down. Behaviours are loaded by module URL,
 * so this isolate must be able to import the modules its parent spawns.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { attachHost } from "./attach_host.ts";
 * import { serveHost } from "./serve_host.ts";
 * await using system = new ActorSystem();
 * const closed = Promise.withResolvers<void>();
 * let node: ReturnType<typeof serveHost> | undefined;
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
 * ```
 */
export function serveHost(
  ids: { host: string; parent: string },
  link: { send(batch: unknown[]): void; close(): void },
): ServedHost {
  if (typeof ids?.host !== "string" || typeof ids?.parent !== "string") {
    throw new TypeError("serveHost needs the host and parent ids");
  }
  const runtime = startHost(ids.host, ids.parent, {
    send: (batch) => link.send(batch),
    close: () => link.close(),
  }, true);
  return {
    receive: (batch) => runtime.receive(batch as WireItem[]),
    orphaned: () => runtime.orphaned(),
    system: runtime.system,
  };
}
