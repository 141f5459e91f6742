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
 * @module
 */

import type { ActorSystem, AttachedHost } from "../../actors/system.ts";
import {
  hostPort,
  listenTransport,
  parseAddress,
  type TransportListener,
} from "../wire/endpoint.ts";
import {
  type ClientHolds,
  releaseHolds,
  serveClient,
} from "./client_session.ts";
import { SyncService } from "./sync_service.ts";
import { generateSecret, rememberSecret } from "../wire/secrets.ts";
import { validResources } from "../graph/delayed.ts";
import type { FramedConnection } from "../wire/framing.ts";
import {
  addNodeWorker,
  engineMetrics,
  onBadNode,
  retireNodeWorkers,
  Scheduler,
  type SchedulerOptions,
  taskFailures,
} from "../graph/scheduler.ts";
import type { Computation, SchedulerStatus } from "../graph/computation.ts";
import type { MemoryStatus } from "../memory/worker_memory.ts";
import { recordUsage } from "./usage_history.ts";
import { type ActorReport, checkActorReport } from "../wire/actor_report.ts";
import { isNodeNamed } from "../graph/task_placement.ts";
import { type NodeRequests, nodeRequests } from "./node_requests.ts";
import { restartWorkers, workerLogs } from "./worker_ops.ts";

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

/** A member of a cluster: what `nodes()` answers (see `ClusterStatus`). */
export type NodeInfo = Pick<
  ClusterStatus["nodes"][number],
  "name" | "address" | "joined" | "resources"
>;

/** A member of a cluster and what its worker is doing now. */
export type NodeStatus = ClusterStatus["nodes"][number];

/**
 * A snapshot of a cluster, as plain data (what the dashboard shows).
 *
 * @example
 * ```ts
 * import type { ClusterStatus } from "@troupe/troupe/cluster";
 * const line = (s: ClusterStatus) =>
 *   `${s.nodes.length} nodes, ${s.computations.length} computations`;
 * ```
 */
export interface ClusterStatus {
  /** Where nodes connect, as `host:port`. */
  readonly address: string;
  /** When the snapshot was taken (ms since the epoch). */
  readonly time: number;
  /** The members, with their work. */
  readonly nodes: {
    /** The name it joined with (unique in the cluster). */
    readonly name: string;
    /** Where it connected from, as `host:port`. */
    readonly address: string;
    /** When it joined (ms since the epoch). */
    readonly joined: number;
    /** What it said it has (as `{ GPU: 2 }`). */
    readonly resources: Readonly<Record<string, number>>;
    /** Tasks sent to it and not finished. */
    readonly inFlight: number;
    /** Ready tasks waiting for it to have room. */
    readonly queued: number;
    /** Results it holds. */
    readonly held: number;
    /**
     * Its process's CPU use over its last heartbeat, in percent of one core
     * (undefined before its first heartbeat).
     */
    readonly cpu?: number;
    /** Its process's memory at its last heartbeat, in bytes. */
    readonly memory?: { readonly rss: number; readonly heapUsed: number };
    /**
     * Its held results' memory against its limit, what it spilled to disk
     * and read back, and whether it is paused (a node with a memory limit,
     * once it has reported).
     */
    readonly heldMemory?: SchedulerStatus["workers"][number]["heldMemory"];
    /**
     * Being retired (SIGTERM, or `retireWorkers`): it takes no new task, and
     * its results move to other nodes before it leaves.
     */
    readonly retiring?: boolean;
    /**
     * Its actor system, as its last heartbeat said: actors, messages
     * waiting, restarts, dead letters by reason, its deepest mailboxes.
     */
    readonly actors?: {
      /** Living actors. */
      readonly count: number;
      /** Messages waiting in all their mailboxes. */
      readonly mailboxes: number;
      /** Restarts by supervisors since the node joined. */
      readonly restarts: number;
      /** Messages that went nowhere, by reason, since the node joined. */
      readonly deadLetters: Readonly<Record<string, number>>;
      /** The deepest mailboxes (actors with messages waiting), deepest first. */
      readonly deepest: readonly {
        /** The actor's path. */
        readonly actor: string;
        /** Messages waiting. */
        readonly depth: number;
        /** Its mailbox's capacity (Infinity: unbounded). */
        readonly capacity: number;
      }[];
    };
  }[];
  /** Tasks the scheduler knows, by state. */
  readonly tasks: Record<string, number>;
  /** Computations in progress and the last few finished, by id. */
  readonly computations: Computation[];
  /** Values moved between nodes so far: node to node, or through it. */
  readonly transfers: { readonly direct: number; readonly relayed: number };
  /**
   * The task stream: runs that ended in the last 10 s (at most 500), as
   * the scheduler saw them.
   */
  readonly stream: Readonly<SchedulerStatus["stream"]>;
  /** The actor system: living actors, messages in mailboxes, dead letters. */
  readonly actors: {
    readonly count: number;
    readonly mailboxes: number;
    readonly deadLetters: number;
    /** The deepest mailboxes now (up to 5 actors with messages waiting). */
    readonly busiest: readonly {
      readonly actor: string;
      readonly mailbox: number;
      readonly capacity: number;
    }[];
  };
  /**
   * Cluster-wide locks, semaphores, events and queues in use, with their
   * state (idle locks are not listed).
   */
  readonly sync: {
    readonly kind: string;
    readonly name: string;
    readonly state: unknown;
  }[];
  /**
   * The last tasks that failed for good (up to 50), oldest first: key,
   * task name, worker, `Name: message`, stack, when (ms since the epoch),
   * and the computations they belonged to.
   */
  readonly failures?: readonly {
    readonly key: string;
    readonly task: string;
    readonly worker: string;
    readonly error: string;
    readonly stack?: string;
    readonly time: number;
    readonly computations: readonly number[];
  }[];
  /**
   * How long task runs took since the scheduler started, in seconds: the
   * buckets' upper bounds and the runs in each (one more, past the last
   * bound), their sum and count.
   */
  readonly taskDurations?: {
    readonly bounds: readonly number[];
    readonly counts: readonly number[];
    readonly sum: number;
    readonly count: number;
  };
  /** Bytes of values moved between nodes since it started (their reported sizes). */
  readonly bytesMoved?: number;
}

/** Where a node's heartbeat thread reports, and its connection once it does. */
interface Beat {
  heard: () => void;
  conn?: FramedConnection;
}

interface Member extends NodeInfo {
  conn: FramedConnection;
  /** Its logs and reloads (see `node_requests.ts`). */
  requests: NodeRequests;
  /** Retire it (once): see `Cluster.retireWorkers`. */
  retire: () => Promise<void>;
  /** What its last heartbeat said. */
  cpu?: number;
  memory?: { rss: number; heapUsed: number };
  actors?: ActorReport;
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
    const work = this.scheduler.status();
    const nodes = [...this.#members.values()].map((m) => {
      const { name, address, joined, resources, cpu, memory, actors } = m;
      const n = { name, address, joined, resources, cpu, memory, actors };
      let inFlight = 0, queued = 0, held = 0;
      let heldMemory: MemoryStatus | undefined;
      let retiring = false;
      for (const w of work.workers) {
        if (w.name !== n.name) continue;
        retiring ||= w.retiring === true;
        inFlight += w.inFlight;
        queued += w.queued;
        held += w.held;
        heldMemory = w.heldMemory ?? heldMemory;
      }
      return {
        ...n,
        inFlight,
        queued,
        held,
        ...(heldMemory === undefined ? {} : { heldMemory }),
        ...(retiring ? { retiring } : {}),
      };
    });
    const actors = this.#system.actors();
    return {
      address: this.address,
      time: Date.now(),
      nodes,
      tasks: work.tasks,
      computations: work.computations,
      transfers: work.transfers,
      stream: work.stream,
      actors: {
        count: actors.length,
        mailboxes: actors.reduce((sum, a) => sum + a.mailboxSize, 0),
        deadLetters: this.#system.deadLetters.count,
        busiest: actors.filter((a) => a.mailboxSize > 0)
          .sort((a, b) => b.mailboxSize - a.mailboxSize)
          .slice(0, 5)
          .map((a) => ({
            actor: `${a.behavior}#${a.address.id}`,
            mailbox: a.mailboxSize,
            capacity: a.mailboxCapacity,
          })),
      },
      sync: this.#sync.snapshot(),
      failures: taskFailures(this.scheduler).list(),
      taskDurations: engineMetrics(this.scheduler).durations(),
      bytesMoved: engineMetrics(this.scheduler).bytesMoved,
    };
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

  /** One node's connection, from handshake to close. */
  /** A connection: a node joining, or a client with graphs to compute. */
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
    if (kind === "join") {
      const resources = (first as { resources?: unknown }).resources ?? {};
      if (!validResources(resources)) {
        this.#logger(`node ${peer.nodeId} joined with bad resources: dropped`);
        return void conn.close();
      }
      const data = (first as { data?: unknown }).data;
      if (data !== undefined && data !== null && !dataAddress(data)) {
        // The other nodes would dial it: it must be an address.
        this.#logger(
          `node ${peer.nodeId} joined with a data address that is not host:port: dropped`,
        );
        return void conn.close();
      }
      return this.#nodeSession(
        conn,
        resources,
        typeof data === "string" ? data : undefined,
      );
    }
    if (kind === "beat") {
      // A node's heartbeat thread: it only keeps its node from looking silent.
      const token = (first as { token?: unknown }).token;
      const beat = typeof token === "string"
        ? this.#beats.get(token)
        : undefined;
      if (beat === undefined) {
        this.#logger(`${peer.nodeId} sent heartbeats for no node: dropped`);
        return void conn.close();
      }
      void beat.conn?.close(); // (one at a time)
      beat.conn = conn;
      beat.heard();
      conn.onMessage(() => beat.heard());
      await conn.closed;
      if (beat.conn === conn) beat.conn = undefined;
      return;
    }
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

  /** A node's connection, from its join to its close. */
  async #nodeSession(
    conn: FramedConnection,
    resources: Record<string, number>,
    data: string | undefined,
  ): Promise<void> {
    const peer = conn.peer!;
    let name = peer.nodeId;
    const address = hostPort(peer.address);
    let tried: AttachedHost | undefined;
    // A name already taken (by a member, or by a host of this system that
    // is not one: another cluster's) gets a suffix.
    for (let i = 2; tried === undefined; i++) {
      if (this.#members.has(name)) {
        name = `${peer.nodeId}-${i}`;
        continue;
      }
      try {
        tried = this.#system.attachHost(name, {
          send: (batch) => {
            if (!conn.isClosed) conn.send(batch); // (closing: it is gone)
          },
          close: () => void conn.close(),
          closed: conn.closed,
        });
      } catch (e) {
        if (i < 100 && /already attached/.test(String(e))) {
          name = `${peer.nodeId}-${i}`;
          continue;
        }
        this.#logger(`node ${name} from ${address} refused: ${e}`);
        return void conn.close();
      }
    }
    const attached = tried;
    let lastHeard = performance.now();
    let left = false;
    let retiring: Promise<void> | undefined;
    // A goodbye, or a retirement asked here: its work goes elsewhere and
    // what it holds to the others, then it is told it is out; no death.
    const retire = () =>
      retiring ??= (async () => {
        left = true;
        if (this.#members.get(name) === member) {
          await retireNodeWorkers(this.scheduler, name, this.#retireMs);
        }
        if (!conn.isClosed) conn.send({ t: "retired" });
        await conn.close();
      })();
    const member: Member = {
      name,
      address,
      joined: Date.now(),
      resources,
      conn,
      retire,
      requests: nodeRequests(conn, name),
    };
    // Its heartbeat thread (if it has one) says it is alive while a task
    // holds its main thread.
    const token = crypto.randomUUID();
    let refused = 0; // its bad actors reports
    const beat: Beat = { heard: () => lastHeard = performance.now() };
    this.#beats.set(token, beat);
    conn.onMessage((value) => {
      lastHeard = performance.now();
      // (a leaving node still reports its last runs and serves its values)
      if (Array.isArray(value)) attached.receive(value);
      else if ((value as { t?: unknown })?.t === "leave") void retire();
      else if ((value as { t?: unknown })?.t === "hb") {
        const { cpu, rss, heap, actors } = value as Record<string, unknown>;
        if (actors !== undefined) {
          // (refused: it keeps its place without one; the first is logged)
          const report = takeReport(actors);
          member.actors = report instanceof Error ? undefined : report;
          if (report instanceof Error && refused++ === 0) {
            this.#logger(
              `node ${name} sent an actors report refused: ${report} (further ones are not logged)`,
            );
          }
        }
        if (measure(cpu)) member.cpu = cpu;
        if (measure(rss) && measure(heap)) {
          member.memory = { rss, heapUsed: heap };
        }
        recordUsage(this, name, {
          t: Date.now(),
          rss: member.memory?.rss,
          cpu: member.cpu,
        });
      } else if (member.requests.answered(value)) {
        // (an answer to a request of ours: handled)
      } else {
        this.#logger(`node ${name} sent a message of no known kind: dropped`);
        void conn.close();
      }
    });
    conn.send({
      t: "init",
      host: attached.id,
      parent: attached.parent,
      heartbeatMs: this.#heartbeatMs,
      name, // (another node may have had the name it asked for)
      beat: token,
    });
    // A node that goes silent is dropped, as one whose connection drops.
    const watchdog = setInterval(() => {
      if (performance.now() - lastHeard > this.#silenceMs) {
        this.#logger(
          `node ${name} silent for more than ${this.#silenceMs} ms: dropped`,
        );
        void conn.close();
      }
    }, Math.min(this.#silenceMs / 2, 1_000));
    try {
      await attached.ready;
      if (!left && !conn.isClosed) {
        this.#members.set(name, member);
        addNodeWorker(this.scheduler, name, resources, data);
        this.#onEvent("join", `node ${name} joined from ${address}`, {
          node: name,
          address,
          resources,
        });
        for (const check of [...this.#joined]) check();
      }
    } catch {
      // It went down before it was ready: nothing was added.
    }
    const reason = await conn.closed;
    member.requests.close();
    clearInterval(watchdog);
    this.#beats.delete(token);
    void beat.conn?.close();
    const wasMember = this.#members.get(name) === member;
    if (wasMember) this.#members.delete(name);
    if (!wasMember) return; // (never joined: no leave, no loss)
    if (left) this.#onEvent("leave", `node ${name} left`, { node: name });
    else if (!this.#closed) {
      const why = reason.kind === "error"
        ? reason.error?.message
        : reason.kind === "eof"
        ? "its connection closed without a goodbye"
        : "dropped by the scheduler";
      this.#onEvent("lost", `node ${name} lost: ${why}`, {
        node: name,
        reason: why,
        closed: reason.kind,
      });
    }
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

/** A node's actors report, checked, or the error that refuses it. */
function takeReport(x: unknown): ActorReport | Error {
  try {
    return checkActorReport(x);
  } catch (e) {
    return e as Error;
  }
}

/** Whether a node's heartbeat figure is one (a finite number, not negative). */
function measure(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0;
}

/** Whether `x` is a `host:port` the other nodes may dial for data. */
function dataAddress(x: unknown): x is string {
  if (typeof x !== "string" || x.length > 300) return false;
  try {
    parseAddress(x);
    return true;
  } catch {
    return false;
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
