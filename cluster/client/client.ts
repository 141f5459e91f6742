/**
 * A cluster client: compute graphs and run futures on a cluster's scheduler
 * from another process, with the same calls as a local `Scheduler`.
 *
 * @module
 */

import type { Task } from "../../actors/pool/tasks.ts";
import { type Delayed, delayed, type Lazy } from "../graph/delayed.ts";
import { connectTransport, reconnecting } from "../wire/endpoint.ts";
import {
  CancelledError,
  KilledWorkerError,
  TaskFailedError,
} from "../graph/errors.ts";
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
import { workerRequestErrorFromWire } from "../wire/worker_request_error.ts";
import type { WireError } from "../scheduler/client_session.ts";
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

/** Options of `connect` (the signature spells them out). */
export type ClientOptions = NonNullable<Parameters<typeof connect>[1]>;

/** What a future's status may be. */
const STATUSES: ReadonlySet<unknown> = new Set([
  "pending",
  "finished",
  "error",
  "cancelled",
]);

/** Rebuild an error the scheduler sent, keeping what names the task. */
function errorFromWire(sent: unknown): Error {
  const valid = sent !== null && typeof sent === "object" &&
    typeof (sent as WireError).name === "string" &&
    typeof (sent as WireError).message === "string";
  if (!valid) {
    return new Error("the scheduler answered with an error of no known shape");
  }
  const w = sent as WireError;
  if (
    w.cause !== undefined && (w.cause === null || typeof w.cause !== "object")
  ) {
    w.cause = undefined;
  }
  let e: Error;
  if (w.name === "TaskFailedError" && w.key !== undefined) {
    const cause = new Error(w.cause?.message ?? w.message);
    cause.name = w.cause?.name ?? "Error";
    if (w.cause?.stack !== undefined) cause.stack = w.cause.stack;
    e = new TaskFailedError(w.key, w.task ?? "", cause, w.attempts ?? 1);
  } else if (w.name === "KilledWorkerError" && w.key !== undefined) {
    e = new KilledWorkerError(w.key, w.deaths ?? 0, w.message);
    e.message = w.message;
  } else if (w.name === "CancelledError" && w.key !== undefined) {
    e = new CancelledError(w.key);
  } else if (w.name === "WorkerRequestError") {
    e = workerRequestErrorFromWire(w);
  } else {
    e = new Error(w.message);
    e.name = w.name;
  }
  if (typeof w.stack === "string") e.stack = w.stack;
  return e;
}

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
  #conn: FramedConnection;
  /** Dials again after a loss (undefined: the client ends with its connection). */
  readonly #redial:
    | ((signal: AbortSignal) => AsyncGenerator<FramedConnection>)
    | undefined;
  readonly #stop = new AbortController();
  /** Its id at the cluster (the same on every connection). */
  readonly #id: string;
  /** The name its computations carry, if any. */
  readonly #jobName: string | undefined;
  /** While the connection is being made again: resolves when it is. */
  #back: PromiseWithResolvers<void> | undefined;
  #closing = false;
  readonly #pending = new Map<
    number,
    {
      message: Record<string, unknown>;
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
    }
  >();
  readonly #status = new Map<string, FutureStatus>();
  readonly #settled = new Map<string, PromiseWithResolvers<void>>();
  readonly #owner: FutureOwner;
  readonly #sync: SyncLink;
  /** Sync answers received, to acknowledge with the next sync request. */
  #answered: number[] = [];
  #seq = 0;

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
    this.#conn = conn;
    this.#id = id;
    this.#jobName = jobName;
    this.#redial = redial;
    this.#attach(conn);
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
        ((await this.#request({ t: "gather", keys: [key] })) as unknown[])[0],
      resultsOf: (keys) =>
        this.#request({ t: "gather", keys }) as Promise<unknown[]>,
      cancel: (key) => this.#tell({ t: "cancel", keys: [key] }),
      release: (key) => this.#tell({ t: "release", keys: [key] }),
    };
    this.#sync = {
      request: (message, signal) => this.#syncRequest(message, signal),
      held: new Map(),
    };
  }

  #attach(conn: FramedConnection): void {
    conn.onMessage((m) => this.#receive(m as Record<string, unknown>));
    conn.closed.then(() => this.#lost(conn));
  }

  /**
   * The connection is gone. Unless the client was closed, it dials again;
   * the cluster, which keeps its futures for a while, tells it where they
   * are, and the requests that were in flight are sent again (the cluster
   * applies each `persist` once, by its id).
   */
  #lost(conn: FramedConnection): void {
    if (conn !== this.#conn) return;
    if (this.#closing || this.#redial === undefined) return this.#end();
    this.#back = Promise.withResolvers<void>();
    void (async () => {
      try {
        for await (const next of this.#redial!(this.#stop.signal)) {
          next.send({ t: "client", id: this.#id });
          this.#conn = next;
          this.#attach(next);
          for (const p of this.#pending.values()) next.send(p.message);
          this.#back?.resolve();
          this.#back = undefined;
          return;
        }
      } catch { /* a refusal (auth): this client is done */ }
      this.#end();
    })();
  }

  /** The client is done: waiters end, futures still pending are cancelled. */
  #end(): void {
    const gone = new Error("the connection to the cluster closed");
    for (const p of this.#pending.values()) p.reject(gone);
    this.#pending.clear();
    this.#back?.reject(new Error("the connection to the cluster closed"));
    this.#back?.promise.catch(() => {});
    this.#back = undefined;
    for (const [key, s] of this.#settled) {
      if (this.#status.get(key) === "pending") {
        this.#status.set(key, "cancelled");
      }
      s.resolve();
    }
    this.#settled.clear();
  }

  /** Send a message that has no answer (dropped while disconnected). */
  #tell(message: Record<string, unknown>): void {
    if (!this.#conn.isClosed) this.#conn.send(message);
  }

  #receive(m: Record<string, unknown>): void {
    // (What the scheduler sends is checked: a wrong shape is dropped, not
    // taken for a status or thrown on.)
    if (m === null || typeof m !== "object") return;
    if (m.t === "settled") {
      const key = m.key;
      if (typeof key !== "string" || !STATUSES.has(m.status)) return;
      this.#status.set(key, m.status as FutureStatus);
      this.#settled.get(key)?.resolve();
      this.#settled.delete(key);
      return;
    }
    const p = this.#pending.get(m.id as number);
    if (p === undefined) return;
    this.#pending.delete(m.id as number);
    if (p.message.t === "sync") this.#answered.push(m.id as number);
    if (m.t === "ok") p.resolve(m.values);
    else p.reject(errorFromWire(m.error));
  }

  async #request(message: Record<string, unknown>): Promise<unknown> {
    if (this.#back !== undefined) await this.#back.promise; // reconnecting
    if (this.#conn.isClosed) {
      throw new Error("the connection to the cluster closed");
    }
    const id = ++this.#seq;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const sent = { ...message, id };
    this.#pending.set(id, { message: sent, resolve, reject });
    this.#conn.send(sent);
    return promise;
  }

  /**
   * A sync request: it carries the lowest id still unanswered and the ids
   * answered since the last one, so the scheduler can forget those answers
   * (it keeps each until then, for a resend after a reconnect). An abort turns the message
   * into a cancel (sent now, and again after a reconnect); the answer
   * that comes back settles the call, so a grant that crossed the cancel
   * on the wire is kept, not lost.
   */
  async #syncRequest(
    message: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (this.#back !== undefined) await this.#back.promise; // reconnecting
    if (this.#conn.isClosed) {
      throw new Error("the connection to the cluster closed");
    }
    const id = ++this.#seq;
    const low = this.#pending.keys().next().value ?? id;
    const { promise, ...resolvers } = Promise.withResolvers<unknown>();
    const acks = this.#answered;
    this.#answered = [];
    const entry: { message: Record<string, unknown> } & typeof resolvers = {
      message: {
        ...message,
        id,
        low,
        acks: acks.length > 0 ? acks : undefined,
      },
      ...resolvers,
    };
    this.#pending.set(id, entry);
    this.#conn.send(entry.message);
    if (signal === undefined) return promise;
    const cancel = () => {
      entry.message = { t: "sync", id, op: "cancel" };
      if (this.#back === undefined && !this.#conn.isClosed) {
        this.#conn.send(entry.message);
      }
    };
    signal.addEventListener("abort", cancel, { once: true });
    try {
      return await promise;
    } finally {
      signal.removeEventListener("abort", cancel);
    }
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
    return await this.#request({ t: "status" }) as ClusterStatus;
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
    return await this.#request({
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
    return await this.#request({
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
    return await this.#request({
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
    return await this.#request({
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
    const values = await this.#request({
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
    const sent = this.#request({ t: "persist", nodes, outputs: keys });
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
    this.#closing = true;
    this.#stop.abort();
    if (!this.#conn.isClosed) this.#conn.send({ t: "bye" });
    await this.#conn.close();
    this.#end();
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
