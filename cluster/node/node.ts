/**
 * A cluster's worker side: connect to a cluster (with the shared secret,
 * and TLS on request), serve a host there, say it is alive, and connect
 * again with backoff when the connection drops, until stopped.
 *
 * @module
 */

import process from "node:process";
import { serveHost } from "../../actors/hosts/serve_host.ts";
import {
  hostPort,
  reconnecting,
  type TransportListener,
} from "../wire/endpoint.ts";
import { closePeers, serveData, setPeerConfig } from "../wire/peer_data.ts";
import type { FramedConnection } from "../wire/framing.ts";
import { closeHere, setHere } from "../client/here.ts";
import { knownSecret } from "../wire/secrets.ts";
import { actorReporter } from "../wire/actor_report.ts";
import type { SchedulerOptions } from "../graph/scheduler.ts";
import { nodeThreadLimit, startNodeMemory } from "../memory/node_setup.ts";
import { logLine } from "../graph/worker_log.ts";
import { answerRequest } from "./node_requests.ts";

/** Options of `runNode` (the signature spells them out). */
export type NodeOptions = NonNullable<Parameters<typeof runNode>[1]>;

/**
 * Join the cluster at `address` as a worker node and serve it until
 * `signal` aborts; a lost connection is retried with backoff (a wrong
 * secret or protocol is not: it rejects). Actors the cluster spawns here
 * load their modules by URL, so this process must be able to import them.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { runNode, startCluster } from "@troupe/troupe/cluster";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * const stop = new AbortController();
 * const node = runNode(cluster.address, { name: "n1", signal: stop.signal });
 * await cluster.waitForNodes(1);
 * console.log(cluster.nodes()[0].name); // "n1"
 * stop.abort();
 * await node;
 * ```
 */
export async function runNode(
  address: string,
  options: {
    /** Its name in the cluster (default: a random id). */
    name?: string;
    /**
     * The cluster's shared secret (default: the one of the cluster at that
     * address when it was started in this process).
     */
    secret?: string | Uint8Array;
    /**
     * Connect with TLS: extra CA certificates (PEM) and the name to verify.
     * With `cert` and `key` (PEM) too, this node serves its values to the
     * other nodes over TLS with them, and fetches theirs over TLS, verified
     * with `caCerts`; without them, values between nodes go through the
     * scheduler's connection.
     */
    tls?: {
      caCerts?: string[];
      hostname?: string;
      cert?: string;
      key?: string;
    };
    /** Stop: leave the cluster and resolve `runNode`. */
    signal?: AbortSignal;
    /** Told of each (re)connection and loss. */
    log?: (message: string) => void;
    /**
     * What this node has, for tasks that ask for resources (as
     * `{ GPU: 2 }`); default none. With `threads`, its first thread has
     * them (so a GPU task still runs one at a time per GPU).
     */
    resources?: Record<string, number>;
    /**
     * Run this many tasks at once, each on a thread of its own (default 1).
     * Each thread joins as `<name>.<i>` (`i` from 0), the first in this
     * isolate and the others in Web Workers; `delayed(task, { workers:
     * [name] })` allows all of them.
     */
    threads?: number;
    /**
     * The memory its held results may take: bytes, or a size such as
     * `"2GiB"`; 0 for none (default: its share of the machine's memory, by
     * its threads' share of the cores). Split evenly among its threads.
     */
    memoryLimit?: number | string;
    /**
     * Thresholds as fractions of `memoryLimit` (default `{ target: 0.6,
     * spill: 0.7, pause: 0.8, terminate: 0.95 }`; `false` turns one off):
     * past `target` it spills its least recently used results to
     * `localDirectory`; past `pause` it takes no new tasks; past `terminate`
     * (of its process's memory) it ends (see `memoryTerminate`).
     */
    memoryFractions?: SchedulerOptions["memoryFractions"];
    /**
     * Where it spills (a directory of its own under this one, removed when
     * it stops; default `troupe-spill` in the OS temp dir).
     */
    localDirectory?: string;
    /**
     * Past the terminate fraction: `"rejoin"` (default) drops what it holds
     * and its connection, so that the scheduler redoes its work, and joins
     * again; `"exit"` ends the process (exit code 1), for a program that
     * starts a fresh one, as a nanny does (`troupe worker`). With `"exit"`
     * (and one thread) the process is taken to be the node's own: its
     * resident memory counts against `spill` and `terminate`; otherwise only
     * the results it holds do.
     */
    memoryTerminate?: "rejoin" | "exit";
    /** Told when it has joined, with the name it has in the cluster. */
    onJoin?: (name: string) => void;
    /** Told when it has left its cluster or lost its connection. */
    onLeave?: () => void;
  } = {},
): Promise<void> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
  }
  // (a cluster started in this process: its secret, unless one is given)
  options = { ...options, secret: options.secret ?? knownSecret(address) };
  if (threads > 1) return await runThreads(address, options, threads);
  const name = options.name ?? `node-${crypto.randomUUID().slice(0, 8)}`;
  // Every line is kept for `troupe logs` too, told or not.
  const log = (message: string) => {
    logLine("info", message);
    options.log?.(message);
  };
  let current: FramedConnection | undefined;
  const stopMemory = startNodeMemory(
    { ...options, memoryLimit: nodeThreadLimit(options.memoryLimit, 1) },
    name,
    // Its process's resident memory is its own only in a process started
    // for it (`troupe worker`: it exits past terminate), of one thread.
    options.memoryTerminate === "exit" && !sharedProcess &&
      !("WorkerGlobalScope" in globalThis),
    (reason) => {
      if (options.memoryTerminate === "exit") {
        console.error(`troupe node ${name}: ${reason}: it exits`);
        Deno.exit(1);
      }
      log(`${reason}: dropping what it holds, and joining again`);
      void current?.close();
    },
    (m) => log(m),
  );
  // Other nodes fetch the values held here directly; in a TLS cluster, only
  // when this node has a certificate to serve them with (else they go
  // through the scheduler).
  const tls = options.tls;
  const dataTls = tls?.cert !== undefined && tls.key !== undefined
    ? { cert: tls.cert, key: tls.key }
    : undefined;
  let data: TransportListener | undefined;
  setPeerConfig({
    secret: options.secret,
    tls: tls === undefined ? undefined : { caCerts: tls.caCerts },
  });
  setHere(address, {
    secret: options.secret,
    tls: options.tls,
    name: `${name}/tasks`,
  });
  // Dialing stops with the signal, but a connection being served is left in
  // good order first (see `serve`): the dialer does not close it under us.
  const dial = new AbortController();
  let serving = false;
  const stop = () => {
    if (!serving) dial.abort();
  };
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) dial.abort();
  try {
    for await (
      const conn of reconnecting(address, {
        secret: options.secret,
        nodeId: name,
        tls: options.tls,
        signal: dial.signal,
        onRetry: ({ attempt, delay, error }) =>
          log(
            `cannot reach ${address} (${
              (error as Error)?.message ?? error
            }); trying again in ${Math.round(delay)} ms (attempt ${attempt})`,
          ),
      })
    ) {
      if (data === undefined && (tls === undefined || dataTls !== undefined)) {
        try {
          data = serveData(conn.localAddr.hostname, options.secret, dataTls);
        } catch (e) {
          log(`serving data to peers: ${(e as Error).message}`);
        }
      }
      const dataAddress = data === undefined ? undefined : hostPort(data.addr);
      serving = true;
      current = conn;
      let retired = false;
      try {
        retired = await serve(
          conn,
          options.signal,
          options.resources ?? {},
          dataAddress,
          (given) => {
            log(`joined ${address} as ${given ?? name}`);
            options.onJoin?.(given ?? name);
          },
          (token, everyMs) =>
            startBeat({
              t: "start",
              address,
              secret: options.secret,
              tls: tls === undefined
                ? undefined
                : { caCerts: tls.caCerts, hostname: tls.hostname },
              nodeId: `${name}/beat`,
              token,
              everyMs,
            }),
        );
      } finally {
        serving = false;
      }
      log(retired ? `retired from ${address}` : `left ${address}`);
      options.onLeave?.();
      // (retired: the cluster has taken its work; it does not come back)
      if (options.signal?.aborted || retired) return void dial.abort();
    }
  } finally {
    options.signal?.removeEventListener("abort", stop);
    dial.abort();
    stopMemory();
    setHere(undefined);
    await closeHere();
    await data?.close();
    await closePeers();
  }
}

/**
 * A node of `threads` threads: this isolate joins as `<name>.0`, and each
 * Web Worker as `<name>.<i>`; it ends when all have left.
 */
async function runThreads(
  address: string,
  options: NodeOptions,
  threads: number,
): Promise<void> {
  const name = options.name ?? `node-${crypto.randomUUID().slice(0, 8)}`;
  // (functions cannot cross to a Web Worker: the first thread, in this
  // isolate, is the one told of joins and leaves)
  const { signal, log, onJoin, onLeave, threads: _, ...given } = options;
  // (each thread holds its own results: the limit is shared out)
  const shared = {
    ...given,
    memoryLimit: nodeThreadLimit(options.memoryLimit, threads),
  };
  const workers = Array.from({ length: threads - 1 }, (_, i) => {
    const worker = new Worker(new URL("./node_thread.ts", import.meta.url), {
      type: "module",
    });
    const done = new Promise<string | undefined>((resolve) => {
      worker.onmessage = (e) => {
        if (e.data?.t === "done") resolve(e.data.error);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        resolve(e.message);
      };
    });
    worker.postMessage({
      t: "start",
      address,
      options: { ...shared, name: `${name}.${i + 1}`, resources: {} },
    });
    return { worker, done };
  });
  const stopAll = () => {
    for (const w of workers) w.worker.postMessage({ t: "stop" });
  };
  signal?.addEventListener("abort", stopAll, { once: true });
  try {
    sharedProcess = true; // (thread 0 is this isolate: the process is shared)
    await runNode(address, {
      ...shared,
      signal,
      log,
      onJoin,
      onLeave,
      name: `${name}.0`,
    });
  } finally {
    sharedProcess = false;
    stopAll(); // the first left (stopped, or refused): the others go too
    signal?.removeEventListener("abort", stopAll);
    const errors = await Promise.all(workers.map((w) => w.done));
    for (const w of workers) w.worker.terminate();
    for (const e of errors) {
      if (e === undefined) continue;
      logLine("info", `a thread: ${e}`);
      log?.(`a thread: ${e}`);
    }
  }
}

/** This isolate runs thread 0 of a node of many threads (see `runThreads`). */
let sharedProcess = false;

/**
 * Start a heartbeat thread (see `beat_thread.ts`) with `start`; the
 * function it returns stops it and resolves once it has ended.
 */
function startBeat(start: Record<string, unknown>): () => Promise<void> {
  const worker = new Worker(new URL("./beat_thread.ts", import.meta.url), {
    type: "module",
  });
  const ended = Promise.withResolvers<void>();
  worker.onmessage = (e) => {
    if (e.data?.t === "stopped") ended.resolve();
  };
  worker.onerror = (e) => {
    e.preventDefault();
    ended.resolve();
  };
  worker.postMessage(start);
  return async () => {
    worker.postMessage({ t: "stop" });
    // A thread that does not answer within a second is ended anyway.
    const timer = setTimeout(() => ended.resolve(), 1_000);
    await ended.promise;
    clearTimeout(timer);
    worker.terminate();
  };
}

/**
 * This process's CPU use since the last call, in percent of one core (200
 * is two cores busy).
 */
function cpuMeter(): () => number {
  let last = process.cpuUsage();
  let at = performance.now();
  return () => {
    const now = performance.now();
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    const wallUs = (now - at) * 1_000;
    at = now;
    return wallUs <= 0
      ? 0
      : Math.round((100 * (used.user + used.system)) / wallUs);
  };
}

/**
 * How long a leaving node waits for the scheduler to retire it (its running
 * tasks finish, its results are copied to other nodes) and close the
 * connection, in ms, before it closes it itself.
 */
const LEAVE_MS = 30_000;

/**
 * Serve one connection until it closes, or the signal aborts: then the node
 * says goodbye (`{ t: "leave" }`), so that it is retired (no new task, its
 * results go to other nodes, no death counted), and waits (up to
 * `LEAVE_MS`) for the scheduler to close the connection. Resolves to
 * whether the scheduler said it is retired (`{ t: "retired" }`, also when
 * retired from there): then it is not to join again.
 */
async function serve(
  conn: FramedConnection,
  signal: AbortSignal | undefined,
  resources: Record<string, number>,
  data: string | undefined,
  joined: (name: string | undefined) => void,
  beat: (token: string, everyMs: number) => () => Promise<void>,
): Promise<boolean> {
  let member = false;
  let retired = false;
  let stopBeat: (() => Promise<void>) | undefined;
  let leaving: ReturnType<typeof setTimeout> | undefined;
  const abort = () => {
    if (!member || conn.isClosed) return void conn.close();
    conn.send({ t: "leave" });
    leaving = setTimeout(() => void conn.close(), LEAVE_MS);
  };
  signal?.addEventListener("abort", abort, { once: true });
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let actors: ReturnType<typeof actorReporter> | undefined;
  try {
    conn.send({ t: "join", resources, data });
    const init = await conn.receive() as {
      t: string;
      host: string;
      parent: string;
      heartbeatMs: number;
      name?: unknown;
      beat?: unknown;
    };
    if (
      init?.t !== "init" || typeof init.host !== "string" ||
      typeof init.parent !== "string" ||
      !(typeof init.heartbeatMs === "number" && init.heartbeatMs >= 1 &&
        init.heartbeatMs <= 3_600_000)
    ) {
      throw new Error("the cluster did not start with a valid init");
    }
    joined(typeof init.name === "string" ? init.name : undefined);
    const host = serveHost({ host: init.host, parent: init.parent }, {
      send: (batch) => {
        if (!conn.isClosed) conn.send(batch); // (closing: it is gone)
      },
      close: () => void conn.close(),
    });
    conn.onMessage((value) => {
      if (Array.isArray(value)) host.receive(value);
      else if ((value as { t?: unknown })?.t === "retired") retired = true;
      else {
        answerRequest(value, (m) => {
          if (!conn.isClosed) conn.send(m);
        });
      }
    });
    member = true;
    // Heartbeats from a thread of their own too, when the scheduler takes
    // them: a task that holds this thread is then a slow node, not a lost one.
    if (typeof init.beat === "string" && init.beat.length <= 64) {
      stopBeat = beat(init.beat, init.heartbeatMs);
    }
    const usage = cpuMeter();
    actors = actorReporter(host.system);
    heartbeat = setInterval(() => {
      if (conn.isClosed) return;
      const memory = Deno.memoryUsage();
      conn.send({
        t: "hb",
        cpu: usage(),
        rss: memory.rss,
        heap: memory.heapUsed,
        actors: actors?.report(),
      });
    }, init.heartbeatMs);
    await conn.closed;
    clearInterval(heartbeat);
    await host.orphaned(); // the actors here end with the connection
  } catch {
    // Closed before (or while) starting: try again, or stop.
  } finally {
    clearInterval(heartbeat);
    actors?.stop();
    clearTimeout(leaving);
    await stopBeat?.();
    signal?.removeEventListener("abort", abort);
    await conn.close();
  }
  return retired;
}
