/**
 * The scheduler's side of a client connection. Requests (each with an `id`
 * its answer carries):
 *
 * - `{ t: "compute", id, nodes, outputs }`: compute a graph (see
 *   `wire_graph.ts`); answered `{ t: "ok", id, values }` or
 *   `{ t: "err", id, error }`;
 * - `{ t: "persist", id, nodes, outputs }`: start it and hold its outputs
 *   for the client (one hold per output); answered `{ t: "ok", id }`, then
 *   `{ t: "settled", key, status }` as each output settles;
 * - `{ t: "gather", id, keys }`: the values of held keys;
 * - `{ t: "release", keys }` and `{ t: "cancel", keys }`: no answer;
 * - `{ t: "status", id }`: the cluster's status (`ClusterStatus`);
 * - `{ t: "retire-workers", id, names }`: retire those nodes (see
 *   `Cluster.retireWorkers`); answered with the names retired;
 * - `{ t: "worker-logs", id, name, lines?, timeoutMs? }`: the last lines
 *   of a node's log (see `Cluster.workerLogs`);
 * - `{ t: "restart-workers", id, timeoutMs? }`: every node reloads its
 *   task modules (see `Cluster.restartWorkers`);
 * - `{ t: "bye" }`: the client is closing; its holds go with the
 *   connection instead of being kept for its return;
 * - `{ t: "sync", id, ... }`: an operation on a cluster-wide primitive
 *   (see `sync_service.ts`), answered as the others.
 *
 * A request that is malformed is answered with an error; a message that is
 * not a request closes the connection. When the client goes, its holds go.
 *
 * @module
 */

import { errorInfo } from "../../actors/errors.ts";
import {
  CancelledError,
  KilledWorkerError,
  TaskFailedError,
} from "../graph/errors.ts";
import type { Delayed } from "../graph/delayed.ts";
import type { FramedConnection } from "../wire/framing.ts";
import type { Future } from "../graph/future.ts";
import { gather } from "../graph/future.ts";
import {
  cancelComputations,
  computeUntil,
  type Scheduler,
} from "../graph/scheduler.ts";
import { graphFromWire } from "../graph/wire_graph.ts";
import { clip, preview } from "../../actors/preview.ts";
import {
  type SyncRequest,
  type SyncService,
  type SyncSession,
  syncSession,
} from "./sync_service.ts";

/** An error as the client rebuilds it. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  key?: string;
  task?: string;
  attempts?: number;
  deaths?: number;
  cause?: { name: string; message: string; stack?: string };
}

/** `e` as plain data, keeping what names the failing task. */
export function errorToWire(e: unknown): WireError {
  const info: WireError = { ...errorInfo(e) };
  if (e instanceof TaskFailedError) {
    info.key = e.key;
    info.task = e.task;
    info.attempts = e.attempts;
    info.cause = errorInfo(e.cause);
  } else if (e instanceof KilledWorkerError) {
    info.key = e.key;
    info.deaths = e.deaths;
  } else if (e instanceof CancelledError) info.key = e.key;
  return info;
}

interface Request {
  t: string;
  id?: number;
  nodes?: unknown;
  outputs?: unknown;
  keys?: unknown;
  /** Nodes to retire. */
  names?: unknown;
  /** A compute's name, for the dashboard; a worker's, for its logs. */
  name?: unknown;
  /** How many log lines. */
  lines?: unknown;
  /** A deadline for the nodes, in ms. */
  timeoutMs?: unknown;
}

function keyList(x: unknown, what: string): string[] {
  if (!Array.isArray(x) || !x.every((k) => typeof k === "string")) {
    throw new TypeError(`${what} must be a list of keys`);
  }
  return x;
}

/** A list of node names, checked (a client may send anything). */
function nodeNames(x: unknown): string[] {
  if (
    !Array.isArray(x) || x.length > 10_000 ||
    !x.every((n) => typeof n === "string" && n.length <= 300)
  ) {
    throw new TypeError(
      `names must be a list of node names (strings of up to 300 characters), not ${
        preview(x)
      }`,
    );
  }
  return x;
}

/**
 * What the cluster holds for one client, by its id: its futures, and the
 * connection it has now. It outlives a dropped connection for a while, so
 * that a client that reconnects keeps its futures.
 */
export interface ClientHolds {
  held: Map<string, Future<unknown>[]>;
  /** Ids of the persists applied (a client resends after a reconnect). */
  applied: Set<number>;
  conn: FramedConnection | undefined;
  /** Set while the client is away: its holds go when it fires. */
  timer?: ReturnType<typeof setTimeout>;
  /** Its locks, permits and sync operations. */
  sync: SyncSession;
  /** It said it is closing: its holds go with the connection. */
  leaving?: boolean;
  /** Aborted when its holds go: its computations stop with them. */
  computing: AbortController;
}

/**
 * Drop everything `holds` holds: futures, locks and permits, and the
 * computations it started (work not started is dropped, as nobody will
 * read its results).
 */
export function releaseHolds(holds: ClientHolds, sync: SyncService): void {
  clearTimeout(holds.timer);
  holds.computing.abort(new Error("the client is gone"));
  for (const list of holds.held.values()) for (const f of list) f.release();
  holds.held.clear();
  sync.end(holds.sync);
}

/** What the cluster lends each client session. */
export interface ClientServices {
  scheduler: Scheduler;
  logger: (message: string) => void;
  /** Every client's holds, by id (kept a while after it leaves). */
  clients: Map<string, ClientHolds>;
  /** How long a client's holds outlive its connection, in ms. */
  lingerMs: number;
  sync: SyncService;
  /** The cluster's status, for `{ t: "status" }`. */
  status: () => unknown;
  /** Retire nodes, for `{ t: "retire-workers" }`: the names retired. */
  retire: (names: string[]) => Promise<string[]>;
  /** A node's last log lines, for `{ t: "worker-logs" }`. */
  logs: (
    name: string,
    options: { lines?: number; timeoutMs?: number },
  ) => Promise<unknown>;
  /** Every node reloads its task modules, for `{ t: "restart-workers" }`. */
  restart: (options: { timeoutMs?: number }) => Promise<unknown>;
}

/**
 * Serve the client `id` on `conn` until the connection closes; its holds
 * (in `clients`) are kept `lingerMs` after that for it to come back.
 */
export async function serveClient(
  conn: FramedConnection,
  clientId: string,
  services: ClientServices,
): Promise<void> {
  const { scheduler, logger, clients, lingerMs, sync } = services;
  let holds = clients.get(clientId);
  const back = holds !== undefined;
  if (holds === undefined) {
    clients.set(
      clientId,
      holds = {
        held: new Map(),
        applied: new Set(),
        conn,
        sync: syncSession(),
        computing: new AbortController(),
      },
    );
  }
  clearTimeout(holds.timer);
  holds.timer = undefined;
  if (holds.conn !== conn) void holds.conn?.close(); // an older one
  holds.conn = conn;
  const { held } = holds;
  const session = holds;
  const heldFuture = (key: string) => held.get(key)?.[0];
  // Answers go to the client's connection of the moment; a client that
  // left gets none (sending on a closed connection throws).
  const reply = (m: unknown) => {
    const c = session.conn;
    if (c !== undefined && !c.isClosed) c.send(m);
  };
  if (back) {
    // Tell it where its futures are now.
    for (const [key, list] of held) {
      const f = list[0];
      if (f !== undefined && f.status !== "pending") {
        reply({ t: "settled", key, status: f.status });
      }
    }
  }
  const answer = (id: number, work: () => Promise<unknown>) => {
    work().then(
      (values) => {
        try {
          reply({ t: "ok", id, values });
        } catch (e) {
          // A result that cannot cross: the client hears why.
          reply({ t: "err", id, error: errorToWire(e) });
        }
      },
      (e) => reply({ t: "err", id, error: errorToWire(e) }),
    );
  };
  const handle = (m: Request) => {
    // (an id is echoed in the answer: nothing but a number goes back)
    if (m.id !== undefined && !(Number.isSafeInteger(m.id) && m.id >= 0)) {
      throw new TypeError(
        `a request's id is a whole number, not ${preview(m.id)}`,
      );
    }
    const id = m.id ?? 0;
    switch (m.t) {
      case "compute":
        return answer(id, async () => {
          const outputs = keyList(m.outputs, "outputs");
          const nodes = graphFromWire(m.nodes, heldFuture);
          const byKey = new Map<string, unknown>(nodes.map((n) => [n.key, n]));
          const roots = outputs.map((k) => {
            const r = byKey.get(k) ?? heldFuture(k);
            if (r === undefined) {
              throw new TypeError(`unknown output ${clip(k)}`);
            }
            return r;
          });
          // Tied to the client: when it is gone for good, so is this.
          // (a name is for people to read: a string, cut short)
          const name = typeof m.name === "string" && m.name !== ""
            ? m.name.slice(0, 120)
            : undefined;
          return await computeUntil(
            scheduler,
            session.computing.signal,
            roots,
            name,
          );
        });
      case "persist":
        if (session.applied.has(id)) return reply({ t: "ok", id });
        session.applied.add(id);
        return answer(id, () => {
          const outputs = keyList(m.outputs, "outputs");
          const nodes = graphFromWire(m.nodes, heldFuture);
          const byKey = new Map(nodes.map((n) => [n.key, n]));
          const roots = outputs.map((k) => {
            const r = byKey.get(k) ?? heldFuture(k);
            if (r === undefined) {
              throw new TypeError(`unknown output ${clip(k)}`);
            }
            return r;
          });
          const futures = scheduler.persist(
            ...(roots as (Delayed | Future<unknown>)[]),
          ) as Future<unknown>[];
          futures.forEach((f) => {
            let list = held.get(f.key);
            if (list === undefined) held.set(f.key, list = []);
            list.push(f);
            f.settled().then(() => {
              reply({ t: "settled", key: f.key, status: f.status });
            });
          });
          return Promise.resolve(undefined);
        });
      case "gather":
        return answer(id, () => {
          const keys = keyList(m.keys, "keys");
          const futures = keys.map((k) => {
            const f = heldFuture(k);
            if (f === undefined) throw new CancelledError(k);
            return f;
          });
          return gather(futures);
        });
      case "release":
        for (const k of keyList(m.keys, "keys")) held.get(k)?.pop()?.release();
        return;
      case "cancel":
        for (const k of keyList(m.keys, "keys")) heldFuture(k)?.cancel();
        return;
      case "status":
        return answer(id, () => Promise.resolve(services.status()));
      case "retire-workers": {
        const names = nodeNames(m.names);
        return answer(id, () => services.retire(names));
      }
      case "worker-logs": {
        // (checked there: a name, a count of lines, a deadline)
        const { lines, timeoutMs } = m;
        if (typeof m.name !== "string" || m.name.length > 300) {
          throw new TypeError(
            `worker-logs needs a worker's name (up to 300 characters), not ${
              preview(m.name)
            }`,
          );
        }
        const name = m.name;
        return answer(id, () =>
          services.logs(name, {
            lines: lines as number | undefined,
            timeoutMs: timeoutMs as number | undefined,
          }));
      }
      case "restart-workers": {
        const { timeoutMs } = m;
        return answer(
          id,
          () =>
            services.restart({ timeoutMs: timeoutMs as number | undefined }),
        );
      }
      case "cancel-computation": {
        const which = typeof m.name === "string" ? m.name.slice(0, 120) : "";
        return answer(
          id,
          () => Promise.resolve(cancelComputations(scheduler, which)),
        );
      }
      case "bye": // a clean close: nothing to keep for a return
        session.leaving = true;
        return;
      case "sync":
        return answer(
          id,
          () => sync.handle(session.sync, m as unknown as SyncRequest),
        );
      default:
        throw new TypeError(`no request ${preview(m.t)}`);
    }
  };
  conn.onMessage((value) => {
    try {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new TypeError(`a request is a record, not ${preview(value)}`);
      }
      handle(value as Request);
    } catch (e) {
      const id = (value as Request)?.id;
      if (Number.isSafeInteger(id)) {
        reply({ t: "err", id, error: errorToWire(e) });
      } else {
        logger(
          `client ${clip(conn.peer?.nodeId ?? "?")}: ${
            clip((e as Error).message, 300)
          }: closed`,
        );
        void conn.close();
      }
    }
  });
  await conn.closed;
  if (session.conn !== conn) return; // it came back on another connection
  session.conn = undefined;
  if (session.leaving) clients.delete(clientId);
  if (clients.get(clientId) !== session) {
    return releaseHolds(session, sync); // the cluster is closing
  }
  session.timer = setTimeout(() => {
    clients.delete(clientId);
    releaseHolds(session, sync);
  }, lingerMs);
}
