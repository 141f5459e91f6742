/**
 * A cluster's scheduler side: listen for worker nodes over TCP (with the
 * shared-secret handshake, and TLS on request), attach each as a host of
 * this actor system, and compute task graphs on them. A node that drops its
 * connection, or goes silent past `silenceMs`, is gone at once: its actors
 * die with `host-down`, and the graph scheduler recomputes what it held.
 *
 * On each connection, after the handshake, the peer says what it is. A node
 * sends `{ t: "join", resources }`; the scheduler answers `{ t: "init", host, parent,
 * heartbeatMs, name }` (`name`: the one it has in the cluster), then both send batches of the actor runtime's wire items
 * (arrays), and the node `{ t: "hb" }` every `heartbeatMs`. A node that
 * stops in good order (SIGTERM, its signal) says `{ t: "leave" }`: it is
 * retired (`retireWorkers` does the same from here): it gets no new task,
 * finishes those it runs, its results only it holds are copied to other
 * nodes, then the scheduler says `{ t: "retired" }` (the node does not come
 * back) and closes the connection. None of it counts as a death toward a
 * task's `allowedFailures` (only a lost connection or silence counts). A
 * client sends
 * `{ t: "client", id }` and then requests (see `client_session.ts`). A
 * node's heartbeat thread opens a connection of its own with `{ t: "beat",
 * token }` (the token its node got in `init`, as `beat`) and then sends
 * `{ t: "beat" }` every `heartbeatMs`: a task that holds the node's main
 * thread for minutes does not make it silent, while a paused or dead
 * process stops both.
 *
 * This file is the `Cluster` class (its options, its calls, the first
 * message of each connection); a node's session is in `node_session.ts`,
 * the snapshot it shows in `cluster_status.ts`.
 *
 * @module
 */

import type { ActorSystem } from "../../actors/system.ts";
import {
  hostPort,
  listenTransport,
  type TransportListener,
} from "../wire/endpoint.ts";
import {
  type ClientHolds,
  releaseHolds,
  serveClient,
} from "./client_session.ts";
import { SyncService } from "./sync_service.ts";
import { generateSecret, rememberSecret } from "../wire/secrets.ts";
import type { FramedConnection } from "../wire/framing.ts";
import {
  onBadNode,
  Scheduler,
  type SchedulerOptions,
  taskFailures,
} from "../graph/scheduler.ts";
import { isNodeNamed } from "../graph/task_placement.ts";
import { restartWorkers, workerLogs } from "./worker_ops.ts";
import { type ClusterStatus, clusterStatus } from "./cluster_status.ts";
import {
  type Beat,
  type ClusterCore,
  type Member,
  serveBeat,
  serveNode,
} from "./node_session.ts";

// (named here too: where the cluster entry, the dashboard and the CLI find them)
export type { ClusterStatus, NodeInfo, NodeStatus } from "./cluster_status.ts";

/**
 * Where a cluster listens and how it treats its nodes.
 *
 * @example
 * ```ts
 * import type { ClusterOptions } from "@troupe/troupe/cluster";
 * const options: ClusterOptions = { port: 8786, secret: "change me", silenceMs: 5_000 };
 * ```
 */
export interface ClusterOptions {
  /** The address to listen on (default `127.0.0.1`; others need `secret`). */
  hostname?: string;
  /** The port (default 0: any free port; see `address`). */
  port?: number;
  /**
   * The shared secret nodes and clients must prove. When none is given one
   * is generated (see `secret` on the cluster): nodes and clients started
   * in this process find it by the cluster's address. `false` runs without
   * one, which only a loopback `hostname` allows: any process of this
   * machine may then join, and run code on the nodes.
   */
  secret?: string | Uint8Array | false;
  /** Listen with TLS: certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /**
   * Ms a peer has from its connection to its authentication, TLS
   * handshake included (default 10,000).
   */
  handshakeTimeout?: number;
  /** Connections in their handshake at most; more are closed (default 128). */
  maxPending?: number;
  /** Connections at most, nodes and clients included (default 8192). */
  maxConnections?: number;
  /** How often nodes say they are alive, in ms (default 1,000). */
  heartbeatMs?: number;
  /** A node silent this long is dropped, in ms (default 5,000). */
  silenceMs?: number;
  /** Settings of the graph scheduler on the nodes. */
  scheduler?: Pick<SchedulerOptions, "window" | "allowedFailures">;
  /** Where dropped nodes and refused peers are reported (default `console.warn`). */
  logger?: (message: string) => void;
  /**
   * Told when a node joins, leaves in good order or is lost, and when a
   * task fails for good, with a line saying so and its details (without
   * it, leaves and losses go to `logger`).
   */
  onEvent?: (
    kind: "join" | "leave" | "lost" | "task-failed",
    message: string,
    fields: Record<string, unknown>,
  ) => void;
  /**
   * How long a client that lost its connection keeps its futures, in ms,
   * for it to reconnect (default 10,000).
   */
  clientLingerMs?: number;
  /**
   * How long a node's retirement may take, in ms (default 30,000, as long
   * as a node waits for it): its running tasks have two thirds of it to
   * finish, the copies of its results the rest; then it is dropped all the
   * same (what was not copied is recomputed where needed; no death).
   */
  retireTimeoutMs?: number;
}

/**
 * A running cluster: nodes join at `address`; `scheduler` computes graphs
 * on them.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { startCluster } from "@troupe/troupe/cluster";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system, { port: 0 });
 * console.log(cluster.address); // 127.0.0.1:<port>: start nodes with runNode(address)
 * ```
 */
export class Cluster implements AsyncDisposable {
  /** Where nodes connect, as `host:port`. */
  readonly address: string;
  /** Computes graphs and futures on the nodes. */
  readonly scheduler: Scheduler;
  /**
   * The secret nodes and clients prove (the one given, or the one
   * generated when none was); undefined when it runs with `secret: false`.
   */
  readonly secret: string | Uint8Array | undefined;
  readonly #forgetSecret: () => void;
  readonly #system: ActorSystem;
  readonly #listener: TransportListener;
  readonly #members = new Map<string, Member>();
  readonly #joined = new Set<() => void>();
  readonly #heartbeatMs: number;
  readonly #silenceMs: number;
  readonly #logger: (message: string) => void;
  /** What each client holds, by client id (kept a while after it leaves). */
  readonly #clients = new Map<string, ClientHolds>();
  /** Cluster-wide locks, semaphores, events and queues, by name. */
  readonly #sync = new SyncService();
  /** The nodes' heartbeat threads' connections, by the token each was given. */
  readonly #beats = new Map<string, Beat>();
  readonly #lingerMs: number;
  readonly #retireMs: number | undefined;
  readonly #onEvent: NonNullable<ClusterOptions["onEvent"]>;
  /** What the nodes' sessions share of it (see `node_session.ts`). */
  readonly #core: ClusterCore;
  #closed = false;

  /**
   * Use `startCluster`.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { Cluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using _cluster = new Cluster(system, {});
   * ```
   */
  constructor(system: ActorSystem, options: ClusterOptions = {}) {
    this.#system = system;
    this.#heartbeatMs = options.heartbeatMs ?? 1_000;
    this.#silenceMs = options.silenceMs ?? 5_000;
    if (!(this.#heartbeatMs > 0 && this.#silenceMs > this.#heartbeatMs)) {
      throw new RangeError(
        `silenceMs (${this.#silenceMs}) must exceed heartbeatMs (${this.#heartbeatMs}) > 0`,
      );
    }
    this.#logger = options.logger ?? ((m) => console.warn(m));
    this.#lingerMs = options.clientLingerMs ?? 10_000;
    this.#retireMs = options.retireTimeoutMs;
    const retireMs = this.#retireMs;
    if (retireMs !== undefined && !(retireMs >= 0 && retireMs < Infinity)) {
      throw new RangeError(
        `retireTimeoutMs must be a number of ms >= 0, got ${retireMs}`,
      );
    }
    // (without onEvent: what was logged before it came)
    this.#onEvent = options.onEvent ??
      ((kind, m, fields) =>
        kind === "leave" || (kind === "lost" && fields.closed === "error")
          ? this.#logger(m)
          : 0);
    this.scheduler = new Scheduler(system, {
      ...options.scheduler,
      placement: "node",
    });
    // A node that broke the graph protocol is dropped (its work is redone).
    onBadNode(this.scheduler, (name) => {
      void this.#members.get(name)?.conn.close();
    }, this.#logger);
    taskFailures(this.scheduler).subscribe((f) =>
      this.#onEvent(
        "task-failed",
        `task ${f.key} failed on ${f.worker}: ${f.error}`,
        { ...f },
      )
    );
    this.#core = {
      owner: this,
      system,
      scheduler: this.scheduler,
      members: this.#members,
      joined: this.#joined,
      beats: this.#beats,
      heartbeatMs: this.#heartbeatMs,
      silenceMs: this.#silenceMs,
      retireMs: this.#retireMs,
      logger: this.#logger,
      onEvent: this.#onEvent,
      isClosed: () => this.#closed,
    };
    this.secret = options.secret === false
      ? undefined
      : options.secret ?? generateSecret();
    this.#listener = listenTransport({
      hostname: options.hostname,
      port: options.port,
      secret: this.secret,
      tls: options.tls,
      handshakeTimeout: options.handshakeTimeout,
      maxPending: options.maxPending,
      maxConnections: options.maxConnections,
      logger: this.#logger,
      onConnection: (conn) => this.#session(conn),
    });
    const { hostname, port } = this.#listener.addr;
    this.address = hostPort({ hostname, port });
    this.#forgetSecret = this.secret === undefined
      ? () => {}
      : rememberSecret(this.address, this.secret);
  }

  /**
   * The nodes in the cluster now.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * console.log(cluster.nodes()); // []
   * ```
   */
  nodes(): Pick<
    ClusterStatus["nodes"][number],
    "name" | "address" | "joined" | "resources"
  >[] {
    return [...this.#members.values()].map((
      { name, address, joined, resources },
    ) => ({ name, address, joined, resources }));
  }

  /**
   * A snapshot of the cluster as plain data: its nodes with their tasks in
   * flight, queued and results held, tasks by state, computations in
   * progress (and the last few finished), and the actor system's counts.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * console.log(cluster.status().nodes); // []
   * ```
   */
  status(): ClusterStatus {
    return clusterStatus(
      this.address,
      this.#members.values(),
      this.scheduler,
      this.#system,
      this.#sync,
    );
  }

  /**
   * Retire the nodes called `names` in good order (a node of several
   * threads by its own name: all its threads): each takes no new task,
   * finishes the tasks it runs, hands the results only it holds to the
   * other nodes, and leaves (its process ends: it is told not to come
   * back). Nothing it held is recomputed, and nothing counts as a failure.
   * Resolves to the names that were members, once they are gone.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * console.log(await cluster.retireWorkers(["nobody"])); // []
   * ```
   */
  async retireWorkers(names: readonly string[]): Promise<string[]> {
    // (a node of several threads by its own name: all its threads)
    const members = [...this.#members.values()].filter((m) =>
      names.some((n) => isNodeNamed(m.name, n))
    );
    await Promise.all(members.map(async (m) => {
      await m.retire();
      await m.conn.closed;
    }));
    return members.map((m) => m.name);
  }

  /**
   * The last `lines` lines (default 100, at most 500) of the log of the
   * node `name` (its threads' merged, by time): what its logger wrote and
   * the errors of tasks that failed there, fetched from it now. Rejects
   * with a `WorkerRequestError`: `unknown-worker`, or `timeout` when it
   * does not answer within `timeoutMs` (default 5,000), or `malformed`.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster, WorkerRequestError } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await cluster.workerLogs("nobody").catch((e: WorkerRequestError) =>
   *   console.log(e.code) // "unknown-worker"
   * );
   * ```
   */
  workerLogs(
    name: string,
    options: { lines?: number; timeoutMs?: number } = {},
  ): Promise<
    {
      /** The member it came from. */
      readonly worker: string;
      /** When it was written, in ms since the epoch. */
      readonly time: number;
      /** `info` (the node's logger) or `error` (a task that failed there). */
      readonly level: "info" | "error";
      /** What was written, at most 1,000 characters. */
      readonly text: string;
    }[]
  > {
    return workerLogs(this.#members.values(), name, options);
  }

  /**
   * Every node re-imports its task modules, fresh: tasks started from now
   * on run the code on disk now, tasks running finish on the old copy.
   * Modules a task module imports are not imported again (see the
   * operations guide). Resolves to the nodes that did, and those that did
   * not answer within `timeoutMs` (default 5,000).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * console.log(await cluster.restartWorkers()); // { reloaded: [], failed: [] }
   * ```
   */
  restartWorkers(options: { timeoutMs?: number } = {}): Promise<{
    /** The workers that reloaded. */
    readonly reloaded: string[];
    /** The workers that did not, and why. */
    readonly failed: { readonly worker: string; readonly error: string }[];
  }> {
    return restartWorkers(this.#members.values(), options);
  }

  /**
   * Resolves once at least `count` nodes are members.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = startCluster(system);
   * await cluster.waitForNodes(0); // at once
   * ```
   */
  waitForNodes(
    count: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const check = () => {
      if (this.#members.size < count) return;
      this.#joined.delete(check);
      options.signal?.removeEventListener("abort", abort);
      resolve();
    };
    const abort = () => {
      this.#joined.delete(check);
      reject(options.signal!.reason);
    };
    options.signal?.addEventListener("abort", abort, { once: true });
    this.#joined.add(check);
    check();
    return promise;
  }

  /** A connection: a node joining, its heartbeat thread, or a client. */
  async #session(conn: FramedConnection): Promise<void> {
    if (this.#closed) return void conn.close();
    const peer = conn.peer!;
    // Its first message says what it is.
    const timer = setTimeout(() => {
      this.#logger(
        `${peer.nodeId} silent for more than ${this.#silenceMs} ms before saying whether it is a node or a client: dropped`,
      );
      void conn.close();
    }, this.#silenceMs);
    let first: unknown;
    try {
      first = await conn.receive();
    } catch {
      return; // closed before it said anything
    } finally {
      clearTimeout(timer);
    }
    const kind = (first as { t?: unknown })?.t;
    if (kind === "join") return serveNode(this.#core, conn, first as object);
    if (kind === "beat") return serveBeat(this.#core, conn, first as object);
    if (kind === "client") {
      const id = (first as { id?: unknown }).id;
      if (typeof id !== "string" || id === "") {
        this.#logger(
          `${peer.nodeId} opened as a client without an id: dropped`,
        );
        return void conn.close();
      }
      return serveClient(conn, id, {
        scheduler: this.scheduler,
        logger: this.#logger,
        clients: this.#clients,
        lingerMs: this.#lingerMs,
        sync: this.#sync,
        status: () => this.status(),
        retire: (names) => this.retireWorkers(names),
        logs: (name, options) => this.workerLogs(name, options),
        restart: (options) => this.restartWorkers(options),
      });
    }
    this.#logger(
      `${peer.nodeId} opened with a message of no known kind: dropped`,
    );
    await conn.close();
  }

  /**
   * Stop the scheduler and the listener; nodes see their connection close
   * (and try again, until they are stopped themselves).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await startCluster(system).close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#forgetSecret();
    for (const holds of this.#clients.values()) releaseHolds(holds, this.#sync);
    this.#clients.clear();
    await this.scheduler.close();
    await this.#listener.close();
  }

  /**
   * `await using cluster = startCluster(...)` closes it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { startCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * {
   *   await using _cluster = startCluster(system);
   * }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Start a cluster's scheduler side in this system: listen for nodes
 * (`runNode`, or `troupe worker <address>`) and compute graphs on them with
 * `cluster.scheduler`.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { startCluster } from "@troupe/troupe/cluster";
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system, { port: 0 });
 * console.log(cluster.nodes().length); // 0 until nodes join
 * ```
 */
export function startCluster(
  system: ActorSystem,
  options: ClusterOptions = {},
): Cluster {
  return new Cluster(system, options);
}
