/**
 * Cluster-wide locks: `ClusterLock`, with its two kinds, `ClusterMutex` (one
 * holder) and `ClusterSemaphore` (up to a fixed number of permits), held by
 * name at the cluster's scheduler (see `cluster_sync.ts`).
 *
 * @module
 */

import { NotHeldError } from "../../sync/errors.ts";
import type { Guard, WaitOptions } from "../../sync/types.ts";
import { Remote, type SyncLink } from "./cluster_sync.ts";

/** A guard that gives back once, at `release()` or the end of `using`. */
function guard(release: () => void): Guard {
  let held = true;
  const once = (): void => {
    if (!held) return;
    held = false;
    release();
  };
  return {
    release: once,
    [Symbol.dispose]: once,
    [Symbol.asyncDispose]: () => Promise.resolve(once()),
  };
}

/**
 * A cluster-wide lock, by name: what `client.mutex(name)` (at most one
 * holder; `inspect()` answers `{ locked, waiting }`) and
 * `client.semaphore(name, permits)` (up to `permits` holders; `inspect()`
 * answers `{ value, permits, waiting }`) return. It has the calls of
 * `LockCore`, counted per client (a client gives back only what it took),
 * and `inspect()` for the state `S` the scheduler sees. Waiters are served
 * in arrival order at the scheduler.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { type ClusterLock, connect, startCluster } from "@troupe/troupe/cluster";
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using client = await connect(cluster.address);
 * const locks: ClusterLock<unknown>[] = [client.mutex("a"), client.semaphore("b", 2)];
 * for (const l of locks) await l.acquire();
 * for (const l of locks) await l.release();
 * ```
 */
export class ClusterLock<S> {
  readonly #r: Remote;
  /** Its name in the cluster. */
  readonly name: string;

  /**
   * Use `client.mutex(name)` or `client.semaphore(name, permits)`.
   *
   * @example
   * ```ts
   * import { ClusterLock } from "@troupe/troupe/cluster";
   * console.log(typeof ClusterLock); // "function"
   * ```
   */
  constructor(
    link: SyncLink,
    kind: "mutex" | "semaphore",
    name: string,
    extra: Record<string, unknown> = {},
  ) {
    this.#r = new Remote(link, kind, name, extra);
    this.name = name;
  }

  /**
   * Wait for it. Rejects with `WaitTimeoutError` after `options.timeout`
   * ms, `WaitAbortedError` when `options.signal` aborts (the scheduler
   * drops the wait; a grant that crossed the abort on the wire is kept, and
   * the call resolves).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * const m = client.mutex("m");
   * await m.acquire({ timeout: 1_000 });
   * await m.release();
   * ```
   */
  async acquire(options?: WaitOptions): Promise<void> {
    await this.#r.call("acquire", options);
    this.#r.held++;
  }

  /**
   * Take it if it is free now; true when taken.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * const m = client.mutex("m");
   * console.log(await m.tryAcquire(), await m.tryAcquire()); // true false
   * await m.release();
   * ```
   */
  async tryAcquire(): Promise<boolean> {
    const taken = await this.#r.call("tryAcquire") as boolean;
    if (taken) this.#r.held++;
    return taken;
  }

  /**
   * Give it back. Throws `NotHeldError` at once when this client does not
   * hold it; the promise settles when the scheduler has applied it (the
   * next waiter, on any host, gets it then). Await it only when you must
   * know that: this client's next request goes after it anyway, so a loop
   * of `acquire` and an unawaited `release` costs one round trip a turn,
   * not two.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * import { NotHeldError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * assert.throws(() => client.mutex("m").release(), NotHeldError);
   * ```
   */
  release(): Promise<void> {
    const r = this.#r;
    if (r.held === 0) throw new NotHeldError(r.op("release"));
    r.held--;
    const done = r.call("release") as Promise<void>;
    done.catch(() => {}); // awaiting it is optional: a lost answer is no crash
    return done;
  }

  /**
   * Wait for it and return a guard that gives it back at the end of a
   * `using` block.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * {
   *   using _held = await client.mutex("m").lock({ timeout: 1_000 });
   * }
   * ```
   */
  async lock(options?: WaitOptions): Promise<Guard> {
    await this.acquire(options);
    return guard(() => void this.release());
  }

  /**
   * Its state as the scheduler saw it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.mutex("m").inspect()); // { locked: false, waiting: 0 }
   * console.log((await client.semaphore("s", 3).inspect()).value); // 3
   * ```
   */
  async inspect(): Promise<S> {
    return await this.#r.call("inspect") as S;
  }
}

/**
 * A mutual-exclusion lock shared by the whole cluster, by name: at most one
 * holder (a client, or a node's tasks) at a time, waiters served in arrival
 * order at the scheduler. Make one with `client.mutex(name)`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { connect, startCluster } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using a = await connect(cluster.address);
 * await using b = await connect(cluster.address);
 * await a.mutex("db").acquire();
 * assert.equal(await b.mutex("db").tryAcquire(), false);
 * await a.mutex("db").release();
 * assert.equal(await b.mutex("db").tryAcquire(), true);
 * await b.mutex("db").release();
 * ```
 */
export class ClusterMutex
  extends ClusterLock<{ locked: boolean; waiting: number }> {
  /**
   * Use `client.mutex(name)`.
   *
   * @example
   * ```ts
   * import { ClusterMutex } from "./cluster_lock.ts";
   * console.log(typeof ClusterMutex); // "function"
   * ```
   */
  constructor(link: SyncLink, name: string) {
    super(link, "mutex", name);
  }
}

/**
 * A counting semaphore shared by the whole cluster, by name, with a fixed
 * number of permits (every user of the name must give the same number). A
 * client gives back only the permits it took. Make one with
 * `client.semaphore(name, permits)`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { connect, startCluster } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using client = await connect(cluster.address);
 * const gpus = client.semaphore("gpu", 2);
 * await gpus.acquire();
 * assert.equal((await gpus.inspect()).value, 1);
 * await gpus.release();
 * ```
 */
export class ClusterSemaphore
  extends ClusterLock<{ value: number; permits: number; waiting: number }> {
  /** How many permits the semaphore has. */
  readonly permits: number;

  /**
   * Use `client.semaphore(name, permits)`.
   *
   * @example
   * ```ts
   * import { ClusterSemaphore } from "./cluster_lock.ts";
   * console.log(typeof ClusterSemaphore); // "function"
   * ```
   */
  constructor(link: SyncLink, name: string, permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(
        `ClusterSemaphore("${name}"): permits must be an integer >= 1, got ${permits}`,
      );
    }
    super(link, "semaphore", name, { permits });
    this.permits = permits;
  }
}
