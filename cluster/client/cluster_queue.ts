/**
 * `ClusterQueue`: a FIFO queue shared by the whole cluster, by name, at its
 * scheduler (see `cluster_sync.ts`).
 *
 * @module
 */

import { ClosedError } from "../../sync/errors.ts";
import type { WaitOptions } from "../../sync/types.ts";
import { Remote, type SyncLink } from "./cluster_sync.ts";

/**
 * A FIFO queue shared by the whole cluster, by name, of values MessagePack
 * can carry, optionally bounded: the first user of the name sets its
 * `maxSize`; a user that gives another is refused, one that gives none
 * takes the queue as it is. `close()` ends it: puts reject with `ClosedError`, gets drain
 * what is left, then reject, and iteration ends. Make one with
 * `client.queue(name, { maxSize })`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { connect, startCluster } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using producer = await connect(cluster.address);
 * await using consumer = await connect(cluster.address);
 * const jobs = producer.queue<number>("jobs", { maxSize: 10 });
 * for (const n of [1, 2, 3]) await jobs.put(n);
 * await jobs.close();
 * const seen: number[] = [];
 * for await (const n of consumer.queue<number>("jobs", { maxSize: 10 })) {
 *   seen.push(n);
 * }
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export class ClusterQueue<T> {
  readonly #r: Remote;
  /** Its name in the cluster. */
  readonly name: string;
  /**
   * The bound asked for (`undefined`: the queue's own, as `inspect()`
   * tells; a new queue is then unbounded).
   */
  readonly maxSize: number | undefined;

  /**
   * Use `client.queue(name, options)`.
   *
   * @example
   * ```ts
   * import { ClusterQueue } from "@troupe/troupe/cluster";
   * console.log(typeof ClusterQueue); // "function"
   * ```
   */
  constructor(link: SyncLink, name: string, maxSize?: number) {
    if (
      maxSize !== undefined &&
      (!(maxSize >= 1) || (maxSize !== Infinity && !Number.isInteger(maxSize)))
    ) {
      throw new RangeError(
        `ClusterQueue("${name}"): maxSize must be an integer >= 1, got ${maxSize}`,
      );
    }
    this.#r = new Remote(
      link,
      "queue",
      name,
      maxSize === undefined ? {} : { maxSize },
    );
    this.name = name;
    this.maxSize = maxSize;
  }

  /**
   * Add an item, waiting for room while the queue is full.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await client.queue<string>("q").put("hello", { timeout: 1_000 });
   * ```
   */
  async put(item: T, options?: WaitOptions): Promise<void> {
    await this.#r.call("put", options, { item });
  }

  /**
   * Add an item if there is room now; true when added.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * const q = client.queue<number>("q", { maxSize: 1 });
   * console.log(await q.tryPut(1), await q.tryPut(2)); // true false
   * ```
   */
  async tryPut(item: T): Promise<boolean> {
    return await this.#r.call("tryPut", undefined, { item }) as boolean;
  }

  /**
   * Take the next item, waiting for one.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * const q = client.queue<number>("q");
   * await q.put(7);
   * console.log(await q.get({ timeout: 1_000 })); // 7
   * ```
   */
  async get(options?: WaitOptions): Promise<T> {
    return await this.#r.call("get", options) as T;
  }

  /**
   * Take the next item if there is one now.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.queue("q").tryGet()); // { ok: false }
   * ```
   */
  async tryGet(): Promise<{ ok: true; value: T } | { ok: false }> {
    return await this.#r.call("tryGet") as { ok: true; value: T } | {
      ok: false;
    };
  }

  /**
   * Refuse further puts; getters drain what is left. Settles when the
   * scheduler has closed it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await client.queue("q").close();
   * console.log((await client.queue("q").inspect()).closed); // true
   * ```
   */
  close(): Promise<void> {
    return this.#r.call("close") as Promise<void>;
  }

  /**
   * Size, bound, whether closed, and waiters, as the scheduler saw them.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log((await client.queue("q").inspect()).size); // 0
   * ```
   */
  async inspect(): Promise<{
    size: number;
    maxSize: number;
    closed: boolean;
    waiting: { getters: number; putters: number };
  }> {
    const s = await this.#r.call("inspect") as {
      size: number;
      maxSize: number | null;
      closed: boolean;
      waiting: { getters: number; putters: number };
    };
    return { ...s, maxSize: s.maxSize ?? Infinity };
  }

  /**
   * Take items until the queue is closed and drained.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * const q = client.queue<number>("q");
   * await q.put(1);
   * await q.close();
   * for await (const x of q) console.log(x); // 1
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      try {
        yield await this.get();
      } catch (e) {
        if (e instanceof ClosedError) return;
        throw e;
      }
    }
  }
}
