/**
 * Cluster-wide sync: a `Mutex`, `Semaphore`, `Event` and `Queue` that live
 * at the cluster's scheduler, by name, and that every client and every task
 * or actor on any node shares. Get them from a client
 * (`client.mutex("db")`), or, inside a task running on a node, from
 * `await clusterClient()`.
 *
 * They have the waiting members of the `sync/` primitives (sync/'s internal
 * `LockCore`, `EventCore`, `QueueCore`; tests/cluster/cluster_sync_test.ts
 * holds them to those), so code written for those members runs on them too.
 * What the in-process primitives answer synchronously (`locked`, `size`,
 * `tryAcquire()`) needs a round trip here: `inspect()`, `tryAcquire()` and
 * `tryGet()` return promises.
 *
 * What a client holds is its own: a client (or node) that leaves gives back
 * its locks and permits, once the cluster stops waiting for it to come back
 * (`clientLingerMs`). A client that reconnects keeps them, and its waits go
 * on.
 *
 * @module
 */

import {
  ClosedError,
  NotHeldError,
  WaitAbortedError,
  WaitTimeoutError,
} from "../../sync/errors.ts";
import type { Guard, WaitOptions } from "../../sync/types.ts";

/**
 * How a cluster primitive reaches the scheduler; a `Client` makes one.
 *
 * @example
 * ```ts
 * import type { SyncLink } from "./cluster_sync.ts";
 * const seen: unknown[] = [];
 * const link: SyncLink = {
 *   request: (m) => (seen.push(m), Promise.resolve(undefined)),
 *   held: new Map(),
 * };
 * ```
 */
export interface SyncLink {
  /** Send a sync request; `signal` cancels it at the scheduler. */
  request(
    message: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown>;
  /** Locks and permits this client holds, by `kind:name`. */
  held: Map<string, number>;
}

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

/** Refuse a wait before it starts: an aborted signal, a bad timeout. */
function refuse(
  operation: string,
  options: WaitOptions,
): Promise<never> | undefined {
  if (options.signal?.aborted) {
    return Promise.reject(
      new WaitAbortedError(operation, options.signal.reason),
    );
  }
  const t = options.timeout;
  if (t !== undefined && !(typeof t === "number" && t >= 0)) {
    return Promise.reject(
      new RangeError(`${operation}: timeout must be a number >= 0, got ${t}`),
    );
  }
  return undefined;
}

/** The error the scheduler sent, named after the operation called here. */
function rebuild(e: unknown, operation: string, options?: WaitOptions): never {
  switch ((e as Error)?.name) {
    case "WaitTimeoutError":
      throw new WaitTimeoutError(operation, options?.timeout ?? 0);
    case "WaitAbortedError":
      throw new WaitAbortedError(
        operation,
        options?.signal?.aborted ? options.signal.reason : "the client left",
      );
    case "NotHeldError":
      throw new NotHeldError(operation);
    case "ClosedError":
      throw new ClosedError(operation);
  }
  throw e;
}

/** How a primitive reaches the scheduler: its name, link and requests. */
class Remote {
  readonly #link: SyncLink;
  readonly #kind: string;
  readonly #extra: Record<string, unknown>;
  /** Its name in the cluster. */
  readonly name: string;

  constructor(
    link: SyncLink,
    kind: string,
    name: string,
    extra: Record<string, unknown>,
  ) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`a cluster ${kind} needs a non-empty name`);
    }
    this.#link = link;
    this.#kind = kind;
    this.name = name;
    this.#extra = extra;
  }

  op(method: string): string {
    const type = `Cluster${this.#kind[0].toUpperCase()}${this.#kind.slice(1)}`;
    return `${type}("${this.name}").${method}`;
  }

  async call(
    op: string,
    options?: WaitOptions,
    more?: Record<string, unknown>,
  ): Promise<unknown> {
    if (options !== undefined) {
      const refused = refuse(this.op(op), options);
      if (refused !== undefined) return refused;
    }
    try {
      return await this.#link.request({
        t: "sync",
        kind: this.#kind,
        name: this.name,
        op,
        timeout: options?.timeout,
        ...this.#extra,
        ...more,
      }, options?.signal);
    } catch (e) {
      rebuild(e, this.op(op), options);
    }
  }

  get held(): number {
    return this.#link.held.get(`${this.#kind}:${this.name}`) ?? 0;
  }

  set held(n: number) {
    const key = `${this.#kind}:${this.name}`;
    if (n === 0) this.#link.held.delete(key);
    else this.#link.held.set(key, n);
  }
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
   * import { ClusterMutex } from "./cluster_sync.ts";
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
   * import { ClusterSemaphore } from "./cluster_sync.ts";
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
