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
 * This file is what every primitive shares: how it reaches the scheduler
 * (`SyncLink`, `Remote`) and how the scheduler's errors are named again
 * here. Each primitive has a file of its own: `cluster_lock.ts` (mutex and
 * semaphore), `cluster_event.ts`, `cluster_queue.ts`.
 *
 * @module
 */

import {
  ClosedError,
  NotHeldError,
  WaitAbortedError,
  WaitTimeoutError,
} from "../../sync/errors.ts";
import type { WaitOptions } from "../../sync/types.ts";

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
export class Remote {
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

  /** How an operation is named in errors: `ClusterMutex("db").acquire`. */
  op(method: string): string {
    const type = `Cluster${this.#kind[0].toUpperCase()}${this.#kind.slice(1)}`;
    return `${type}("${this.name}").${method}`;
  }

  /** Ask the scheduler for `op`; its errors come back named after `op`. */
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

  /** How many times this client holds it (locks and permits). */
  get held(): number {
    return this.#link.held.get(`${this.#kind}:${this.name}`) ?? 0;
  }

  set held(n: number) {
    const key = `${this.#kind}:${this.name}`;
    if (n === 0) this.#link.held.delete(key);
    else this.#link.held.set(key, n);
  }
}
