/**
 * A cluster on this machine in one call, as Dask's `LocalCluster`: the
 * scheduler side in this system, and worker nodes as subprocesses that
 * connect to it over loopback TCP. For tests, notebooks and the demo.
 *
 * @module
 */

import type { ActorSystem } from "../../actors/system.ts";
import { Cluster, type ClusterOptions, type ClusterStatus } from "./cluster.ts";
import type { Scheduler } from "../graph/scheduler.ts";
import type { SchedulerOptions } from "../graph/scheduler.ts";
import { nodeMemoryArgs } from "../memory/cluster_args.ts";
import { cleanStaleSpaces } from "../memory/spill_space.ts";

const NODE_MAIN = new URL("../node/node_main.ts", import.meta.url);
const TROUPE_ROOT = new URL("../../", import.meta.url);

/** Options of `localCluster` (the signature spells them out). */
export type LocalClusterOptions = NonNullable<
  Parameters<typeof localCluster>[1]
>;

interface Child {
  name: string;
  process: Deno.ChildProcess;
}

/** The environment variable that hands a node its TLS CA certificates. */
const TLS_CA_ENV = "TROUPE_TLS_CA";

/**
 * A scheduler and worker node processes on this machine.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { localCluster } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = await localCluster(system, { nodes: 1 });
 * // Graphs run on it with `cluster.scheduler.compute(...)`, their tasks
 * // imported by the nodes from their module files.
 * assert.equal(cluster.nodes().length, 1);
 * ```
 */
export class LocalCluster implements AsyncDisposable {
  readonly #cluster: Cluster;
  readonly #children = new Map<string, Child>();
  readonly #command: string;
  readonly #args: string[];
  readonly #env: Record<string, string>;
  readonly #respawn: boolean;
  readonly #stdins: WritableStreamDefaultWriter<Uint8Array>[] = [];
  #closing = false;
  /** Where the nodes spill (their crashed spaces are removed here). */
  readonly #spillDirectory?: string;
  /** While `localCluster` waits for the nodes: a node that exits fails it. */
  #starting = false;
  readonly #startFailed = Promise.withResolvers<never>();

  /**
   * Use `localCluster`, which also waits for the nodes to join.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { LocalCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using _cluster = new LocalCluster(system, { nodes: 0 });
   * ```
   */
  constructor(
    system: ActorSystem,
    options: NonNullable<Parameters<typeof localCluster>[1]> = {},
  ) {
    const nodes = options.nodes ?? (navigator.hardwareConcurrency || 1);
    if (!(Number.isInteger(nodes) && nodes >= 0)) {
      throw new RangeError(`nodes must be an integer >= 0, got ${nodes}`);
    }
    // (a bad limit fails here, before anything is started)
    const memory = nodeMemoryArgs(options, nodes);
    this.#spillDirectory = memory.directory;
    const tls = options.tls;
    if (
      tls !== undefined &&
      !(Array.isArray(tls.caCerts) && tls.caCerts.length > 0)
    ) {
      throw new TypeError(
        "localCluster({ tls }) needs tls.caCerts: the CA certificates (PEM) its nodes verify the scheduler's certificate with (for a self-signed certificate, the certificate itself)",
      );
    }
    this.#cluster = new Cluster(system, options);
    this.#startFailed.promise.catch(() => {});
    this.#respawn = options.respawn ?? true;
    const read = [
      decodeURIComponent(TROUPE_ROOT.pathname),
      ...(options.read ?? [Deno.cwd()]),
      ...(memory.directory === undefined ? [] : [memory.directory]),
    ];
    const exec = options.exec ??
      (Deno.build.standalone
        ? { command: Deno.execPath(), args: [] }
        : undefined);
    this.#command = exec?.command ?? Deno.execPath();
    this.#args = exec !== undefined
      ? [
        ...exec.args,
        "--troupe-node",
        this.#cluster.address,
        "--exit-with-parent",
        ...memory.args,
      ]
      : [
        "run",
        "--no-prompt",
        // Its cluster, and the other nodes (which serve their values on
        // the same interface, any port).
        `--allow-net=${this.#cluster.address.split(":")[0]}`,
        `--allow-read=${read.join(",")}`,
        ...(options.write?.length
          ? [`--allow-write=${options.write.join(",")}`]
          : []),
        `--allow-env=TROUPE_SECRET,${TLS_CA_ENV}`,
        ...(memory.directory === undefined
          ? []
          : [`--allow-write=${memory.directory}`]),
        NODE_MAIN.href,
        this.#cluster.address,
        "--exit-with-parent",
        ...memory.args,
      ];
    // The cluster's secret (generated when none was given) and its CA go
    // to the nodes in their environment, not on their command line.
    this.#env = {};
    const secret = this.#cluster.secret;
    if (secret !== undefined) {
      this.#env.TROUPE_SECRET = typeof secret === "string"
        ? secret
        : new TextDecoder().decode(secret);
    }
    if (tls !== undefined) this.#env[TLS_CA_ENV] = tls.caCerts!.join("\n");
    for (let i = 1; i <= nodes; i++) this.#start(`local-${i}`);
  }

  /** Where nodes connect, as `host:port`. */
  get address(): string {
    return this.#cluster.address;
  }

  /** Computes graphs and futures on the nodes. */
  get scheduler(): Scheduler {
    return this.#cluster.scheduler;
  }

  /**
   * The nodes that are members now.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1 });
   * console.log(cluster.nodes()[0].name); // "local-1"
   * ```
   */
  nodes(): ReturnType<Cluster["nodes"]> {
    return this.#cluster.nodes();
  }

  /**
   * A snapshot of the cluster: its nodes and their work, tasks, transfers.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1 });
   * console.log(cluster.status().nodes.length); // 1
   * ```
   */
  status(): ClusterStatus {
    return this.#cluster.status();
  }

  /**
   * The last lines of a node's log (see `Cluster.workerLogs`).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1 });
   * console.log((await cluster.workerLogs("local-1")).length > 0); // true: it joined
   * ```
   */
  workerLogs(
    name: string,
    options: { lines?: number; timeoutMs?: number } = {},
  ): ReturnType<Cluster["workerLogs"]> {
    return this.#cluster.workerLogs(name, options);
  }

  /**
   * Every node reloads its task modules (see `Cluster.restartWorkers`).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1 });
   * console.log((await cluster.restartWorkers()).reloaded); // ["local-1"]
   * ```
   */
  restartWorkers(
    options: { timeoutMs?: number } = {},
  ): ReturnType<Cluster["restartWorkers"]> {
    return this.#cluster.restartWorkers(options);
  }

  /**
   * The process id of each node process, by node name.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1 });
   * console.log(Object.keys(cluster.pids())); // ["local-1"]
   * ```
   */
  pids(): Record<string, number> {
    return Object.fromEntries(
      [...this.#children].map(([name, c]) => [name, c.process.pid]),
    );
  }

  /**
   * Send `signal` to a node's process (a test's `kill -9`); with `respawn`
   * a fresh process takes its name.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1, respawn: false });
   * cluster.kill("local-1");
   * ```
   */
  kill(name: string, signal: Deno.Signal = "SIGKILL"): void {
    const child = this.#children.get(name);
    if (child === undefined) throw new TypeError(`no node process "${name}"`);
    try {
      child.process.kill(signal);
    } catch { /* already gone */ }
  }

  /**
   * Resolves once at least `count` nodes are members.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 1 });
   * await cluster.waitForNodes(1);
   * ```
   */
  waitForNodes(
    count: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.#cluster.waitForNodes(count, options);
  }

  /**
   * The secret its nodes and clients prove (generated when none was
   * given); undefined with `secret: false`. A client in this process finds
   * it by the cluster's address.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await using cluster = await localCluster(system, { nodes: 0 });
   * console.log(typeof cluster.secret); // "string"
   * ```
   */
  get secret(): string | Uint8Array | undefined {
    return this.#cluster.secret;
  }

  /** @internal Every node joined once, or one exited first (rejects). */
  async started(count: number, signal: AbortSignal): Promise<void> {
    this.#starting = true;
    try {
      await Promise.race([
        this.waitForNodes(count, { signal }),
        this.#startFailed.promise,
      ]);
    } finally {
      this.#starting = false;
    }
  }

  #start(name: string): void {
    const process = new Deno.Command(this.#command, {
      args: [...this.#args, "--name", name],
      env: this.#env,
      // The node reads its stdin to know when this process is gone: no
      // orphan keeps knocking at a closed port.
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const child = { name, process };
    const writer = process.stdin.getWriter();
    this.#stdins.push(writer);
    this.#children.set(name, child);
    process.status.then((status) => {
      if (this.#children.get(name) !== child) return;
      this.#children.delete(name);
      if (this.#closing) return;
      if (this.#starting) {
        // (refused, or unable to start: starting it again would not help)
        return this.#startFailed.reject(
          new Error(
            `node ${name} exited with code ${status.code} before the cluster started (its reason is on stderr)`,
          ),
        );
      }
      // (a node that crashed left its spill space: nodes may not tell)
      if (this.#spillDirectory) cleanStaleSpaces(this.#spillDirectory);
      if (this.#respawn) this.#start(name);
    });
  }

  /**
   * Stop the scheduler, the listener and every node process.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * await (await localCluster(system, { nodes: 1 })).close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#cluster.close();
    const children = [...this.#children.values()];
    for (const c of children) {
      try {
        c.process.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    // A node that does not leave within a few seconds is killed.
    const timer = setTimeout(() => {
      for (const c of children) {
        try {
          c.process.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }, 3_000);
    await Promise.all(children.map((c) => c.process.status));
    clearTimeout(timer);
    if (this.#spillDirectory) cleanStaleSpaces(this.#spillDirectory);
    await Promise.all(this.#stdins.map((w) => w.close().catch(() => {})));
    this.#children.clear();
  }

  /**
   * `await using cluster = await localCluster(...)` closes it.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * import { localCluster } from "@troupe/troupe/cluster";
   * await using system = new ActorSystem();
   * {
   *   await using _cluster = await localCluster(system, { nodes: 1 });
   * }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Start a cluster on this machine: the scheduler side here, `nodes` worker
 * processes connected over loopback; resolves once they have all joined.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { localCluster } from "@troupe/troupe/cluster";
 * await using system = new ActorSystem();
 * await using cluster = await localCluster(system, { nodes: 2 });
 * console.log(cluster.nodes().length); // 2
 * ```
 */
export async function localCluster(
  system: ActorSystem,
  options: ClusterOptions & {
    /**
     * Listen with TLS: certificate and key (PEM), and the CA certificates
     * (PEM) the nodes verify the certificate with (for a self-signed one,
     * the certificate itself).
     */
    tls?: { cert: string; key: string; caCerts?: string[] };
    /** Node processes to start (default: one per core). */
    nodes?: number;
    /** Start a fresh node when one exits, as a nanny does (default true). */
    respawn?: boolean;
    /**
     * Paths the nodes may read besides troupe itself: the folders of the
     * task modules they run (the current directory when not given).
     */
    read?: string[];
    /**
     * Paths the nodes may write (none when not given): where their tasks
     * write files, such as a dataframe's `toCsv` and `toParquet`.
     */
    write?: string[];
    /** Ms to wait for every node to join (default 30,000). */
    startTimeout?: number;
    /**
     * How to start a node: `command` with `args`, then `--troupe-node
     * <address> --name <name>`. The default in a `deno compile`d program is
     * the binary itself (its main module must import `@troupe/troupe/node`
     * first); otherwise `deno run` of troupe's node program.
     */
    exec?: { command: string; args: string[] };
    /**
     * Each node's memory limit: bytes, or a size such as `"2GiB"`; 0 for
     * none (default: the machine's memory over the nodes).
     */
    memoryLimit?: number | string;
    /** The nodes' thresholds, as fractions of `memoryLimit` (see `runNode`). */
    memoryFractions?: SchedulerOptions["memoryFractions"];
    /**
     * Where the nodes spill (each in a directory of its own under this one;
     * default `troupe-spill` in the OS temp dir); they may write there.
     */
    localDirectory?: string;
  } = {},
): Promise<LocalCluster> {
  const cluster = new LocalCluster(system, options);
  const nodes = options.nodes ?? (navigator.hardwareConcurrency || 1);
  const limit = new AbortController();
  const timer = setTimeout(
    () => limit.abort(),
    options.startTimeout ?? 30_000,
  );
  try {
    await cluster.started(nodes, limit.signal);
  } catch (e) {
    await cluster.close();
    if (!limit.signal.aborted) {
      throw new Error(
        `the local cluster did not start: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    throw new Error(
      `the local cluster's ${nodes} nodes did not all join within ${
        options.startTimeout ?? 30_000
      } ms`,
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  return cluster;
}
