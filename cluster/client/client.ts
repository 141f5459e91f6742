/**
 * A cluster client: compute graphs and run futures on a cluster's scheduler
 * from another process, with the same calls as a local `Scheduler`.
 *
 * This file is what a user calls (`connect` and the `Client`'s calls); the
 * connection under it (requests in flight, answers, reconnection) is in
 * `client_connection.ts`.
 *
 * @module
 */

import type { Task } from "../../actors/pool/tasks.ts";
import { type Delayed, delayed, type Lazy } from "../graph/delayed.ts";
import { connectTransport, reconnecting } from "../wire/endpoint.ts";
import type { FramedConnection } from "../wire/framing.ts";
import {
  Future,
  type FutureOwner,
  type FutureStatus,
} from "../graph/future.ts";
import { collectGraph } from "../graph/graph.ts";
import {
  checkPersistable,
  fillOutputs,
  mapCalls,
  outputSites,
} from "../graph/outputs.ts";
import { KEY, type Keyed } from "../graph/keys.ts";
import type { Computed, Persisted } from "../graph/scheduler.ts";
import type { Cluster, ClusterStatus } from "../scheduler/cluster.ts";
import type { RestartResult, WorkerLogLine } from "../scheduler/worker_ops.ts";
import { graphToWire } from "../graph/wire_graph.ts";
import { knownSecret } from "../wire/secrets.ts";
import type { Computation } from "../graph/computation.ts";
import type { SyncLink } from "./cluster_sync.ts";
import {
  type ClusterLock,
  ClusterMutex,
  ClusterSemaphore,
} from "./cluster_lock.ts";
import { ClusterEvent } from "./cluster_event.ts";
import { ClusterQueue } from "./cluster_queue.ts";
import { ClientConnection } from "./client_connection.ts";

/** Options of `connect` (the signature spells them out). */
export type ClientOptions = NonNullable<Parameters<typeof connect>[1]>;

/**
 * A connection to a cluster's scheduler: `compute`, `persist`, `submit` and
 * `map` as on a local scheduler; futures work with `gather`, `wait` and
 * `asCompleted`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { connect, startCluster } from "@troupe/troupe/cluster";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using client = await connect(cluster.address);
 * console.log(await client.compute(1, "two")); // [1, "two"]: nothing to run
 * ```
 */
export class Client implements AsyncDisposable {
  /** Its requests, their answers, its futures' statuses, reconnection. */
  readonly #link: ClientConnection;
  /** The name its computations carry, if any. */
  readonly #jobName: string | undefined;
  readonly #status: Map<string, FutureStatus>;
  readonly #settled: Map<string, PromiseWithResolvers<void>>;
  readonly #owner: FutureOwner;
  readonly #sync: SyncLink;

  /**
   * Use `connect`.
   *
   * @example
   * ```ts
   * import { Client, connect } from "@troupe/troupe/cluster";
   * const isClient = (x: unknown) => x instanceof Client;
   * console.log(typeof connect, isClient(null)); // "function" false
   * ```
   */
  constructor(
    conn: FramedConnection,
    id: string,
    redial?: (signal: AbortSignal) => AsyncGenerator<FramedConnection>,
    jobName?: string,
  ) {
    this.#link = new ClientConnection(conn, id, redial);
    this.#jobName = jobName;
    this.#status = this.#link.status;
    this.#settled = this.#link.settled;
    this.#owner = {
      statusOf: (key) => this.#status.get(key) ?? "cancelled",
      settled: (key) => {
        if (this.#status.get(key) !== "pending") return Promise.resolve();
        let s = this.#settled.get(key);
        if (s === undefined) {
          this.#settled.set(key, s = Promise.withResolvers<void>());
        }
        return s.promise;
      },
      resultOf: async (key) =>
        ((await this.#link.request({ t: "gather", keys: [key] })) as unknown[])[
          0
        ],
      resultsOf: (keys) =>
        this.#link.request({ t: "gather", keys }) as Promise<unknown[]>,
      cancel: (key) => this.#link.tell({ t: "cancel", keys: [key] }),
      release: (key) => this.#link.tell({ t: "release", keys: [key] }),
    };
    this.#sync = {
      request: (message, signal) => this.#link.syncRequest(message, signal),
      held: new Map(),
    };
  }

  /**
   * The cluster's status as its scheduler sees it now: nodes with their
   * work, CPU and memory, tasks by state, computations, the task stream,
   * transfers, sync primitives and actor counts (what its dashboard shows).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log((await client.status()).nodes); // []
   * ```
   */
  async status(): Promise<ClusterStatus> {
    return await this.#link.request({ t: "status" }) as ClusterStatus;
  }

  /**
   * Retire the nodes called `names` in good order (see
   * `Cluster.retireWorkers`): no new tasks, their running ones finish,
   * their results go to the other nodes, then they leave for good; nothing
   * is recomputed. Resolves to the names that were members, once gone.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.retireWorkers(["nobody"])); // []
   * ```
   */
  async retireWorkers(names: readonly string[]): Promise<string[]> {
    return await this.#link.request({
      t: "retire-workers",
      names: [...names],
    }) as string[];
  }

  /**
   * The last `lines` lines (default 100, at most 500) of the log of the
   * node `name` (see `Cluster.workerLogs`), fetched from it now; rejects
   * with a `WorkerRequestError` (`unknown-worker`, `timeout` past
   * `timeoutMs`, default 5,000, or `malformed`).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await client.workerLogs("nobody").catch((e) => console.log(e.code)); // "unknown-worker"
   * ```
   */
  async workerLogs(
    name: string,
    options: { lines?: number; timeoutMs?: number } = {},
  ): ReturnType<Cluster["workerLogs"]> {
    return await this.#link.request({
      t: "worker-logs",
      name,
      lines: options.lines,
      timeoutMs: options.timeoutMs,
    }) as WorkerLogLine[];
  }

  /**
   * Every node reloads its task modules (see `Cluster.restartWorkers`):
   * resolves to those that did and those that did not answer in time.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.restartWorkers()); // { reloaded: [], failed: [] }
   * ```
   */
  async restartWorkers(
    options: { timeoutMs?: number } = {},
  ): ReturnType<Cluster["restartWorkers"]> {
    return await this.#link.request({
      t: "restart-workers",
      timeoutMs: options.timeoutMs,
    }) as RestartResult;
  }

  /**
   * Cancel the running computations whose id or name (`jobName`) is
   * `which`, whoever submitted them: their tasks not done are cancelled
   * (also in other computations that share them), and their clients'
   * results reject with `CancelledError`. Resolves to the computations
   * cancelled (none when no running one matched).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.cancelComputations("nightly")); // []
   * ```
   */
  async cancelComputations(which: string | number): Promise<Computation[]> {
    return await this.#link.request({
      t: "cancel-computation",
      name: String(which),
    }) as Computation[];
  }

  /**
   * The cluster-wide mutex called `name`: every client and every task on
   * every node that asks for this name gets the same lock.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * {
   *   using _held = await client.mutex("db").lock({ timeout: 1_000 });
   *   // one holder in the whole cluster here
   * }
   * ```
   */
  mutex(name: string): ClusterLock<{ locked: boolean; waiting: number }> {
    return new ClusterMutex(this.#sync, name);
  }

  /**
   * The cluster-wide semaphore called `name`, with `permits` permits (the
   * same number wherever the name is used).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * using _permit = await client.semaphore("gpu", 2).lock();
   * ```
   */
  semaphore(
    name: string,
    permits: number,
  ): ClusterLock<{ value: number; permits: number; waiting: number }> & {
    /** How many permits the semaphore has. */
    readonly permits: number;
  } {
    return new ClusterSemaphore(this.#sync, name, permits);
  }

  /**
   * The cluster-wide event called `name`.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * await client.event("ready").set();
   * await client.event("ready").wait();
   * ```
   */
  event(name: string): ClusterEvent {
    return new ClusterEvent(this.#sync, name);
  }

  /**
   * The cluster-wide queue called `name`. Its first user sets its bound
   * (`maxSize`; default unbounded); later users give the same one, or none
   * to take it as it is.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * const q = client.queue<string>("work", { maxSize: 100 });
   * await q.put("a");
   * console.log(await q.get()); // "a"
   * ```
   */
  queue<T>(name: string, options: { maxSize?: number } = {}): ClusterQueue<T> {
    return new ClusterQueue<T>(this.#sync, name, options.maxSize);
  }

  /** The graph behind `roots`, checking its futures are this client's. */
  #graph(roots: readonly Keyed[]) {
    const graph = collectGraph(roots);
    for (const [key, ref] of graph.external) {
      if (!(ref instanceof Future) || !this.#status.has(key)) {
        throw new TypeError(
          `future ${key} is not known to this client (released, or from another scheduler)`,
        );
      }
    }
    return graphToWire(graph);
  }

  /**
   * Compute lazy values on the cluster; resolves to their values, as
   * `Scheduler.compute` does.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(await client.compute([1, 2])); // [[1, 2]]
   * ```
   */
  async compute<T extends readonly unknown[]>(
    ...outputs: T
  ): Promise<Computed<T>> {
    const { sites, keys } = outputSites(outputs);
    if (sites.length === 0) return outputs.slice() as Computed<T>;
    const nodes = this.#graph(sites.map((s) => s.ref));
    const values = await this.#link.request({
      t: "compute",
      nodes,
      outputs: keys,
      ...(this.#jobName === undefined ? {} : { name: this.#jobName }),
    }) as unknown[];
    return fillOutputs(outputs, sites, keys, values) as Computed<T>;
  }

  /**
   * Start computing delayed values on the cluster and keep their results
   * there; a future for each.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(client.persist().length); // 0
   * ```
   */
  persist<T extends readonly (Delayed<unknown> | Future<unknown>)[]>(
    ...outputs: T
  ): {
    -readonly [K in keyof T]: T[K] extends Delayed<infer R> ? Future<R>
      : T[K] extends Future<infer R> ? Future<R>
      : never;
  } {
    checkPersistable(outputs);
    const keys = outputs.map((o) => o[KEY]);
    if (keys.length === 0) return [] as unknown as Persisted<T>;
    const nodes = this.#graph(outputs as readonly Keyed[]);
    for (const k of keys) {
      if (this.#status.get(k) !== "finished") this.#status.set(k, "pending");
    }
    const sent = this.#link.request({ t: "persist", nodes, outputs: keys });
    sent.catch(() => {
      // Refused as a whole (a malformed graph): its futures end with it.
      for (const k of keys) {
        this.#status.set(k, "error");
        this.#settled.get(k)?.resolve();
      }
    });
    return keys.map((k) => new Future(k, this.#owner)) as Persisted<T>;
  }

  /**
   * Run `task(...args)` on the cluster now; a future for its result.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(typeof client.submit); // "function"
   * ```
   */
  submit<A extends unknown[], R>(
    task: Task<A, R>,
    ...args: { [K in keyof A]: Lazy<A[K]> }
  ): Future<Awaited<R>> {
    return this.persist(delayed(task)(...args))[0];
  }

  /**
   * `submit(task, item)` for each item; the futures in order.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await using client = await connect(cluster.address);
   * console.log(typeof client.map); // "function"
   * ```
   */
  map<T, R>(
    task: Task<[T], R>,
    items: Iterable<Lazy<T>>,
  ): Future<Awaited<R>>[] {
    return this.persist(...mapCalls(task, items)) as Future<Awaited<R>>[];
  }

  /**
   * Close the connection; the cluster drops this client's futures.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await (await connect(cluster.address)).close();
   * ```
   */
  async close(): Promise<void> {
    await this.#link.close();
  }

  /**
   * `await using client = await connect(...)` closes it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { connect, startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * {
   *   await using _client = await connect(cluster.address);
   * }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connect to the cluster at `address` as a client.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { connect, startCluster } from "@troupe/troupe/cluster";
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using client = await connect(cluster.address);
 * console.log(await client.compute("nothing lazy")); // ["nothing lazy"]
 * ```
 */
export async function connect(
  address: string,
  options: {
    /**
     * The cluster's shared secret (default: the one of the cluster at that
     * address when it was started in this process).
     */
    secret?: string | Uint8Array;
    /** Connect with TLS: extra CA certificates (PEM), the name to verify. */
    tls?: { caCerts?: string[]; hostname?: string };
    /** Its name, for the cluster's logs (default: a random id). */
    name?: string;
    /**
     * The name its computations carry on the dashboard (default: `name`,
     * when given); several clients may share one.
     */
    jobName?: string;
    /**
     * Dial again, with backoff, when the connection is lost (default true);
     * the cluster keeps the client's futures for a while (its
     * `clientLingerMs`), so they stay valid.
     */
    reconnect?: boolean;
  } = {},
): Promise<Client> {
  const name = options.name ?? `client-${crypto.randomUUID().slice(0, 8)}`;
  const dial = {
    // (a cluster started in this process: its secret, unless one is given)
    secret: options.secret ?? knownSecret(address),
    tls: options.tls,
    nodeId: name,
  };
  const conn = await connectTransport(address, dial);
  conn.send({ t: "client", id: name });
  const redial = options.reconnect === false
    ? undefined
    : (signal: AbortSignal) => reconnecting(address, { ...dial, signal });
  return new Client(conn, name, redial, options.jobName ?? options.name);
}
