/**
 * A node's connections to the cluster's scheduler: its session, from its
 * join to its close (its host attached to the actor system, its worker
 * added to the graph scheduler, its heartbeats and silence, its goodbye or
 * retirement, its loss), and its heartbeat thread's connection (see
 * `cluster.ts` for the protocol). The `Cluster` class hands each one the
 * `ClusterCore` it shares its books with.
 *
 * @module
 */

import type { ActorSystem, AttachedHost } from "../../actors/system.ts";
import { attachHost } from "../../actors/hosts/attach_host.ts";
import { hostPort, parseAddress } from "../wire/endpoint.ts";
import { validResources } from "../graph/delayed.ts";
import type { FramedConnection } from "../wire/framing.ts";
import {
  addNodeWorker,
  retireNodeWorkers,
  type Scheduler,
} from "../graph/scheduler.ts";
import { recordUsage } from "./usage_history.ts";
import { type ActorReport, checkActorReport } from "../wire/actor_report.ts";
import { type NodeRequests, nodeRequests } from "./node_requests.ts";
import type { MemberFigures } from "./cluster_status.ts";

/** Where a node's heartbeat thread reports, and its connection once it does. */
export interface Beat {
  heard: () => void;
  conn?: FramedConnection;
}

/** A node that joined: its connection, its requests, how to retire it. */
export interface Member extends MemberFigures {
  conn: FramedConnection;
  /** Its logs and reloads (see `node_requests.ts`). */
  requests: NodeRequests;
  /** Retire it (once): see `Cluster.retireWorkers`. */
  retire: () => Promise<void>;
}

/**
 * What a node's session shares with its cluster: the same maps the
 * `Cluster` class holds, its settings, and where it reports.
 */
export interface ClusterCore {
  /** Whose usage history the heartbeats go to (the cluster). */
  readonly owner: object;
  readonly system: ActorSystem;
  readonly scheduler: Scheduler;
  /** The members, by name. */
  readonly members: Map<string, Member>;
  /** Checks run when a node joins (see `Cluster.waitForNodes`). */
  readonly joined: Set<() => void>;
  /** The nodes' heartbeat threads' connections, by the token each was given. */
  readonly beats: Map<string, Beat>;
  readonly heartbeatMs: number;
  readonly silenceMs: number;
  /** How long a retirement may take (see `ClusterOptions.retireTimeoutMs`). */
  readonly retireMs: number | undefined;
  readonly logger: (message: string) => void;
  /** Told of joins, leaves and losses (see `ClusterOptions.onEvent`). */
  readonly onEvent: (
    kind: "join" | "leave" | "lost",
    message: string,
    fields: Record<string, unknown>,
  ) => void;
  /** Whether the cluster is closing (a node lost then is no loss). */
  readonly isClosed: () => boolean;
}

/**
 * A node's first message, `{ t: "join", resources, data? }`, checked: then
 * its session until its connection closes.
 */
export async function serveNode(
  core: ClusterCore,
  conn: FramedConnection,
  first: { resources?: unknown; data?: unknown },
): Promise<void> {
  const peer = conn.peer!;
  const resources = first.resources ?? {};
  if (!validResources(resources)) {
    core.logger(`node ${peer.nodeId} joined with bad resources: dropped`);
    return void conn.close();
  }
  const data = first.data;
  if (data !== undefined && data !== null && !dataAddress(data)) {
    // The other nodes would dial it: it must be an address.
    core.logger(
      `node ${peer.nodeId} joined with a data address that is not host:port: dropped`,
    );
    return void conn.close();
  }
  await nodeSession(
    core,
    conn,
    resources,
    typeof data === "string" ? data : undefined,
  );
}

/**
 * A node's heartbeat thread, `{ t: "beat", token }`: it only keeps its node
 * from looking silent, until its connection closes.
 */
export async function serveBeat(
  core: ClusterCore,
  conn: FramedConnection,
  first: { token?: unknown },
): Promise<void> {
  const token = first.token;
  const beat = typeof token === "string" ? core.beats.get(token) : undefined;
  if (beat === undefined) {
    core.logger(`${conn.peer!.nodeId} sent heartbeats for no node: dropped`);
    return void conn.close();
  }
  void beat.conn?.close(); // (one at a time)
  beat.conn = conn;
  beat.heard();
  conn.onMessage(() => beat.heard());
  await conn.closed;
  if (beat.conn === conn) beat.conn = undefined;
}

/** A node's connection, from its join to its close. */
async function nodeSession(
  core: ClusterCore,
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
    if (core.members.has(name)) {
      name = `${peer.nodeId}-${i}`;
      continue;
    }
    try {
      tried = attachHost(core.system, name, {
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
      core.logger(`node ${name} from ${address} refused: ${e}`);
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
      if (core.members.get(name) === member) {
        await retireNodeWorkers(core.scheduler, name, core.retireMs);
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
  core.beats.set(token, beat);
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
          core.logger(
            `node ${name} sent an actors report refused: ${report} (further ones are not logged)`,
          );
        }
      }
      if (measure(cpu)) member.cpu = cpu;
      if (measure(rss) && measure(heap)) {
        member.memory = { rss, heapUsed: heap };
      }
      recordUsage(core.owner, name, {
        t: Date.now(),
        rss: member.memory?.rss,
        cpu: member.cpu,
      });
    } else if (member.requests.answered(value)) {
      // (an answer to a request of ours: handled)
    } else {
      core.logger(`node ${name} sent a message of no known kind: dropped`);
      void conn.close();
    }
  });
  conn.send({
    t: "init",
    host: attached.id,
    parent: attached.parent,
    heartbeatMs: core.heartbeatMs,
    name, // (another node may have had the name it asked for)
    beat: token,
  });
  // A node that goes silent is dropped, as one whose connection drops.
  const watchdog = setInterval(() => {
    if (performance.now() - lastHeard > core.silenceMs) {
      core.logger(
        `node ${name} silent for more than ${core.silenceMs} ms: dropped`,
      );
      void conn.close();
    }
  }, Math.min(core.silenceMs / 2, 1_000));
  try {
    await attached.ready;
    if (!left && !conn.isClosed) {
      core.members.set(name, member);
      addNodeWorker(core.scheduler, name, resources, data);
      core.onEvent("join", `node ${name} joined from ${address}`, {
        node: name,
        address,
        resources,
      });
      for (const check of [...core.joined]) check();
    }
  } catch {
    // It went down before it was ready: nothing was added.
  }
  const reason = await conn.closed;
  member.requests.close();
  clearInterval(watchdog);
  core.beats.delete(token);
  void beat.conn?.close();
  const wasMember = core.members.get(name) === member;
  if (wasMember) core.members.delete(name);
  if (!wasMember) return; // (never joined: no leave, no loss)
  if (left) core.onEvent("leave", `node ${name} left`, { node: name });
  else if (!core.isClosed()) {
    const why = reason.kind === "error"
      ? reason.error?.message
      : reason.kind === "eof"
      ? "its connection closed without a goodbye"
      : "dropped by the scheduler";
    core.onEvent("lost", `node ${name} lost: ${why}`, {
      node: name,
      reason: why,
      closed: reason.kind,
    });
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
