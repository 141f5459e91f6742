/**
 * `ClusterEvent`: a flag shared by the whole cluster, by name, at its
 * scheduler (see `cluster_sync.ts`).
 *
 * @module
 */

import type { WaitOptions } from "../../sync/types.ts";
import { Remote, type SyncLink } from "./cluster_sync.ts";

/**
 * A flag shared by the whole cluster, by name: `wait` blocks until some
 * client or task sets it. Make one with `client.event(name)`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { connect, startCluster } from "@troupe/troupe/cluster";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using a = await connect(cluster.address);
 * await using b = await connect(cluster.address);
 * const waiting = b.event("go").wait({ timeout: 5_000 });
 * await a.event("go").set();
 * await waiting;
 * ```
 */
export class ClusterEvent {
  readonly #r: Remote;
  /** Its name in the cluster. */
  readonly name: string;

  /**
   * Use `client.event(name)`.
   *
   * @example
   * ```ts
   * import { ClusterEvent } from "@troupe/troupe/cluster";
   * console.log(typeof ClusterEvent); // "function"
   * ```
   */
  constructor(link: SyncLink, name: string) {
    this.#r = new Remote(link, "event", name, {});
    this.name = name;
  }

  /**
   * Set the flag and wake every waiter; settles when the scheduler has.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await client.event("e").set();
   * console.log((await client.event("e").inspect()).isSet); // true
   * ```
   */
  set(): Promise<void> {
    return this.#r.call("set") as Promise<void>;
  }

  /**
   * Clear the flag; settles when the scheduler has.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await client.event("e").set();
   * await client.event("e").clear();
   * ```
   */
  clear(): Promise<void> {
    return this.#r.call("clear") as Promise<void>;
  }

  /**
   * Wait until the flag is set (at once when it is).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * import { WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await assert.rejects(client.event("e").wait({ timeout: 5 }), WaitTimeoutError);
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    await this.#r.call("wait", options);
  }

  /**
   * Whether it is set and how many wait, as the scheduler saw it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.event("e").inspect()); // { isSet: false, waiting: 0 }
   * ```
   */
  async inspect(): Promise<{ isSet: boolean; waiting: number }> {
    return await this.#r.call("inspect") as { isSet: boolean; waiting: number };
  }
}
