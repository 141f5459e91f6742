/**
 * The hosts of one system: worker and process hosts pooled by kind and
 * permissions, named (pinned) hosts, and attached cluster nodes; where a
 * placed actor goes, and the snapshot `system.hosts()` reports.
 *
 * @module
 */

import type { CellLike, Runtime } from "../runtime.ts";
import type { Links } from "./link.ts";
import { HostHandle } from "./hosts.ts";
import {
  type HostDefaults,
  HostError,
  type HostLink,
  WorkerOptionsError,
} from "./host_types.ts";
import { type HostSpec, TROUPE_FILES } from "./host_transports.ts";

/**
 * One host as `ActorSystem.hosts()` reports it.
 *
 * @example
 * ```ts
 * import type { HostInfo } from "./host_pool.ts";
 * const line = (h: HostInfo) => `${h.id} (${h.kind}): ${h.actors} actors, ${h.state}`;
 * ```
 */
export interface HostInfo {
  /** The host id (the `host` of its actors' addresses there). */
  readonly id: string;
  /** `worker` or `process`. */
  readonly kind: "worker" | "process" | "node";
  /** Its name, for a pinned host. */
  readonly name: string | undefined;
  /** `starting`, `up` or `down`. */
  readonly state: "starting" | "up" | "down";
  /** Actors placed there. */
  readonly actors: number;
}

/** The hosts of one system: a pool per kind, plus named (pinned) hosts. */
export class HostPool {
  readonly #rt: Runtime;
  readonly #links: Links;
  readonly #size: { worker: number; process: number };
  readonly #defaults: HostDefaults;
  readonly #hosts = new Set<HostHandle>();
  readonly #named = new Map<string, HostHandle>();
  /** Where the next tie among nodes for `#anyNode` starts. */
  #nodeTurn = 0;
  #closed = false;

  constructor(
    rt: Runtime,
    links: Links,
    size: { worker: number; process: number },
    defaults: HostDefaults,
  ) {
    for (const [k, n] of Object.entries(size)) {
      if (!(Number.isInteger(n) && n >= 1)) {
        throw new RangeError(`${k}s must be an integer >= 1, got ${n}`);
      }
    }
    this.#rt = rt;
    this.#links = links;
    this.#size = size;
    this.#defaults = defaults;
  }

  /**
   * Refuse, at spawn, what no host could take: permissions for a worker
   * host without worker-options.
   */
  checkPermissions(placement: string, permissions: unknown): void {
    if (
      placement === "worker" && permissions !== undefined &&
      !this.#defaults.workerPermissions
    ) throw new WorkerOptionsError();
  }

  /** Choose (or start) the host for a worker, process or node actor. */
  place(cell: CellLike): HostHandle {
    if (this.#closed) throw new HostError("the system is shutting down");
    const remote = cell.remote!;
    const kind = remote.placement;
    if (kind === "node") {
      if (remote.pin === undefined) return this.#anyNode();
      const node = this.#named.get(remote.pin);
      if (node === undefined || node.kind !== "node" || node.state === "down") {
        throw new HostError(`no node named "${remote.pin}" is attached`);
      }
      return node;
    }
    const module = cell.behavior.module!;
    // A host with permissions reads only the module's folder (its dynamic
    // import needs it) and troupe's files, plus what it was granted.
    const readRoots = kind === "process" || remote.permissions !== undefined
      ? [new URL(".", module).href, ...TROUPE_FILES]
      : [];
    const heapLimitMb = kind === "process" ? remote.heapLimitMb : undefined;
    const key = JSON.stringify([
      kind,
      remote.permissions ?? {},
      readRoots,
      heapLimitMb,
    ]);
    const spec: HostSpec = {
      kind,
      name: remote.pin,
      permissions: remote.permissions,
      readRoots,
      preload: [module],
      heapLimitMb,
      key,
    };
    if (remote.pin !== undefined) {
      const named = this.#named.get(remote.pin);
      if (named !== undefined && named.state !== "down") {
        if (named.kind !== kind) {
          throw new HostError(
            `host "${remote.pin}" is a ${named.kind} host, not a ${kind} host`,
          );
        }
        return named;
      }
      const h = this.#start(spec);
      this.#named.set(remote.pin, h);
      return h;
    }
    let best: HostHandle | undefined;
    let count = 0;
    for (const h of this.#hosts) {
      if (h.name !== undefined || h.key !== key || h.state === "down") continue;
      count++;
      if (best === undefined || h.load < best.load) best = h;
    }
    if (best === undefined || (count < this.#size[kind] && best.load > 0)) {
      return this.#start(spec);
    }
    return best;
  }

  /**
   * The attached node with the fewest actors placed on it; among equals,
   * each in turn (round robin), so that a burst of spawns spreads evenly.
   */
  #anyNode(): HostHandle {
    const nodes: HostHandle[] = [];
    for (const h of this.#hosts) {
      if (h.kind === "node" && h.state !== "down") nodes.push(h);
    }
    if (nodes.length === 0) {
      throw new HostError(
        'no node is attached to place the actor on (placement "node" without `host` picks one)',
      );
    }
    const start = this.#nodeTurn++ % nodes.length;
    let best = nodes[start];
    for (let i = 1; i < nodes.length; i++) {
      const h = nodes[(start + i) % nodes.length];
      if (h.load < best.load) best = h;
    }
    return best;
  }

  #start(spec: HostSpec): HostHandle {
    const { name } = spec;
    const h = new HostHandle(
      this.#rt,
      this.#links,
      spec,
      this.#defaults,
      (gone) => {
        if (name !== undefined && this.#named.get(name) === gone) {
          this.#named.delete(name);
        }
      },
    );
    this.#hosts.add(h);
    h.closed.then(() => this.#hosts.delete(h));
    return h;
  }

  /**
   * Attach a host that runs elsewhere under `name`, reached through `link`
   * (see `ActorSystem.attachHost`).
   */
  attach(name: string, link: HostLink): HostHandle {
    if (this.#closed) throw new HostError("the system is shutting down");
    const existing = this.#named.get(name);
    if (existing !== undefined && existing.state !== "down") {
      throw new HostError(`a host named "${name}" is already attached`);
    }
    const h = this.#start({
      kind: "node",
      name,
      permissions: undefined,
      readRoots: [],
      preload: [],
      heapLimitMb: undefined,
      key: `node:${name}`,
      link,
    });
    this.#named.set(name, h);
    return h;
  }

  list(): HostInfo[] {
    return [...this.#hosts].map((h) => ({
      id: h.id,
      kind: h.kind,
      name: h.name,
      state: h.state,
      actors: h.load,
    }));
  }

  /**
   * Stop the named host: its actors stop (their supervisors or watchers hear
   * of it), then the isolate ends; hard after `timeoutMs`.
   */
  async stopNamed(name: string, timeoutMs: number): Promise<void> {
    const h = this.#named.get(name);
    if (h === undefined) return;
    this.#named.delete(name);
    await h.shutdown(timeoutMs);
  }

  /** Stop every host: gracefully within `timeoutMs`, then hard. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#hosts].map((h) => h.shutdown(timeoutMs)));
  }
}
