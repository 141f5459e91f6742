/**
 * The cluster's dashboard: a small HTTP server with one self-contained page
 * (inline CSS and script, no external assets) that shows the cluster live,
 * pushed by Server-Sent Events, and the JSON API under it:
 *
 * - `GET /`: the page;
 * - `GET /api/status`: a `ClusterStatus` snapshot as JSON;
 * - `GET /api/stream?since=MS`: the task stream's runs since then (up to
 *   5 min back), oldest first, 5,000 at a time (`more` says there are more);
 * - `GET /api/graph?computation=ID`: a computation's task graph now, or
 *   past a few hundred tasks its task names with their tasks by state
 *   (`graph_api.ts`);
 * - `GET /api/logs?worker=NAME&lines=N`: the last lines of a worker's log,
 *   asked of it now (see `logs_panel.ts`);
 * - `GET /metrics`: the cluster in Prometheus text (`metrics_text.ts`);
 * - `GET /healthz`, `GET /readyz`: probes, answered without a token;
 * - `GET /api/events`: Server-Sent Events, a snapshot on connecting, then
 *   one at most every 250 ms while something changes, and a comment every
 *   15 s to keep the connection open.
 *
 * @module
 */

import type { ClusterStatus } from "../scheduler/cluster.ts";
import {
  type EventSink,
  type HttpRequest,
  type HttpResponse,
  type HttpStream,
  serveHttp,
} from "./dashboard_http.ts";
import { isLoopback } from "../wire/endpoint.ts";
import { authorized, loopbackHost } from "./http_access.ts";
import { healthProbe, metricsResponse } from "./health.ts";
import { dashboardPage } from "./dashboard_page.ts";
import { Scheduler, taskRuns } from "../graph/scheduler.ts";
import type { TaskRun } from "../graph/task_stream.ts";
import { usageHistory } from "../scheduler/usage_history.ts";
import { renderMetrics } from "./metrics_text.ts";
import { graphAnswer, initialGraph } from "./graph_api.ts";
import { logsResponse } from "./logs_api.ts";

/** Options of `serveDashboard` (the signature spells them out). */
export type DashboardOptions = NonNullable<
  Parameters<typeof serveDashboard>[1]
>;

/** What `serveDashboard` returns (the signature spells it out). */
export type Dashboard = ReturnType<typeof serveDashboard>;

/**
 * What the dashboard shows: anything with a `status()`, as a `Cluster`;
 * with `workerLogs` (see `Cluster.workerLogs`) its logs panel can fetch a
 * worker's last lines.
 */
type DashboardSource = {
  status(): ClusterStatus;
  workerLogs?(
    name: string,
    options: { lines?: number; timeoutMs?: number },
  ): Promise<unknown[]>;
};

/** The task stream's runs of the last minutes (none for a source without a scheduler). */
function recentRuns(cluster: DashboardSource): TaskRun[] {
  const scheduler = (cluster as { scheduler?: unknown }).scheduler;
  return (scheduler instanceof Scheduler
    ? taskRuns(scheduler, Date.now() - STREAM_KEPT_MS, RUNS_PAGE)
    : undefined) ?? [];
}

/** How far back `/api/stream` goes, and how many runs one answer holds. */
const STREAM_KEPT_MS = 300_000;
const RUNS_PAGE = 5_000;

/** How often the event streams look for changes, in ms. */
const TICK_MS = 250;
/** How often an idle event stream says it is alive, in ms. */
const HEARTBEAT_MS = 15_000;

/**
 * Serve a cluster's dashboard (see the module's documentation for its
 * routes). Off loopback it refuses to start without a `token`. On
 * loopback it answers only requests addressed to loopback by their `Host`
 * header (`localhost`, `127.0.0.1`, `[::1]`, with its port), so that a web
 * page whose name was rebound to 127.0.0.1 cannot read it.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { serveDashboard, startCluster } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using dashboard = serveDashboard(cluster, { token: "s3cret" });
 * const api = new URL("api/status", dashboard.url);
 * const refused = await fetch(api);
 * await refused.body?.cancel();
 * assert.equal(refused.status, 401);
 * const ok = await fetch(api, { headers: { authorization: "Bearer s3cret" } });
 * assert.deepEqual((await ok.json()).nodes, []);
 * ```
 */
export function serveDashboard(
  cluster: {
    /** A snapshot of the cluster now. */
    status(): ClusterStatus;
    /**
     * The last lines of a worker's log, for the logs panel (without it,
     * the panel says there are none to fetch); see `Cluster.workerLogs`.
     */
    workerLogs?(
      name: string,
      options: { lines?: number; timeoutMs?: number },
    ): Promise<unknown[]>;
  },
  options: {
    /** The address to listen on (default `127.0.0.1`; others need `token`). */
    hostname?: string;
    /** The port (default 0: any free port; see `url`). */
    port?: number;
    /**
     * A token every request must carry, as `?token=` or
     * `Authorization: Bearer` (required off loopback).
     */
    token?: string;
    /** Ms a client has to send its request's head (default 5,000). */
    headerTimeout?: number;
    /**
     * Ms an event-stream client may leave what it was sent unread before it
     * is dropped (default 15,000; its browser reconnects when it reads again).
     */
    stallTimeout?: number;
    /** Connections held at most, event streams included (default 256). */
    maxConnections?: number;
    /** Where problems are reported (default `console.warn`). */
    logger?: (message: string) => void;
  } = {},
): {
  /**
   * The page's address (without the token); on every interface (`0.0.0.0`,
   * `::`), its loopback one.
   */
  readonly url: string;
  /** Stop serving: event streams end, the listener closes. Idempotent. */
  close(): Promise<void>;
} & AsyncDisposable {
  const hostname = options.hostname ?? "127.0.0.1";
  const token = options.token;
  if (token !== undefined && token === "") {
    throw new TypeError("the dashboard's token must not be empty");
  }
  if (token === undefined && !isLoopback(hostname)) {
    throw new TypeError(
      `the dashboard on ${hostname} (not loopback) needs a token: serveDashboard(cluster, { hostname, token })`,
    );
  }
  const events = eventStreams(cluster);
  let closed = false;
  let port = 0;
  const loopback = isLoopback(hostname);

  const handler = (
    request: HttpRequest,
  ): HttpResponse | HttpStream | Promise<HttpResponse> => {
    const url = request.url;
    if (loopback && !loopbackHost(request.headers.get("host"), port)) {
      return text(
        403,
        "this dashboard answers requests addressed to localhost, 127.0.0.1 or [::1] only\n",
      );
    }
    // (probes carry no token: they learn only whether it serves)
    const probe = healthProbe(url.pathname, () => !closed || "closing");
    if (probe !== undefined) return probe;
    if (token !== undefined && !authorized(request, url, token)) {
      return {
        ...text(401, "a token is required\n"),
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "www-authenticate": "Bearer",
        },
      };
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return {
        ...text(405, "method not allowed\n"),
        headers: {
          "content-type": "text/plain; charset=utf-8",
          allow: "GET, HEAD",
        },
      };
    }
    switch (url.pathname) {
      case "/": {
        const status = cluster.status();
        return {
          status: 200,
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
          },
          body: dashboardPage(
            status,
            recentRuns(cluster),
            usageHistory(cluster),
            initialGraph(
              cluster,
              status.computations,
              url.searchParams.get("graph"),
            ),
          ),
        };
      }
      case "/api/status":
        return {
          status: 200,
          headers: {
            "content-type": "application/json",
            "cache-control": "no-store",
          },
          body: JSON.stringify(cluster.status()),
        };
      case "/api/stream": {
        // The task stream's runs since ?since= (ms since the epoch, at most
        // 5 min back), oldest first, a page of RUNS_PAGE at a time.
        const now = Date.now();
        const asked = Number(url.searchParams.get("since") ?? 0);
        const since = Math.max(
          now - STREAM_KEPT_MS,
          Number.isFinite(asked) ? asked : 0,
        );
        const scheduler = (cluster as { scheduler?: unknown }).scheduler;
        const runs = scheduler instanceof Scheduler
          ? taskRuns(scheduler, since, RUNS_PAGE)
          : undefined;
        return {
          status: 200,
          headers: {
            "content-type": "application/json",
            "cache-control": "no-store",
          },
          body: JSON.stringify({
            time: now,
            runs: runs ?? cluster.status().stream.filter((r) => r.end >= since),
            more: runs !== undefined && runs.length === RUNS_PAGE,
          }),
        };
      }
      case "/api/graph":
        return graphAnswer(cluster, url);
      case "/api/logs":
        return logsResponse(cluster, url);
      case "/metrics":
        return metricsResponse(renderMetrics(cluster.status()));
      case "/api/events":
        if (closed) return text(503, "closing\n");
        return {
          status: 200,
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-store",
          },
          open: (sink) => events.add(sink),
        };
      default:
        return text(404, "not found\n");
    }
  };

  const server = serveHttp({
    hostname,
    port: options.port ?? 0,
    handler,
    log: options.logger ?? ((m) => console.warn(m)),
    headerTimeout: options.headerTimeout,
    stallTimeout: options.stallTimeout,
    maxConnections: options.maxConnections,
  });
  port = server.addr.port;
  // Listening on every interface: the URL names loopback, which opens
  // here (http://0.0.0.0/ is no address to browse to).
  const listening = server.addr.hostname;
  const host = listening === "0.0.0.0"
    ? "127.0.0.1"
    : listening === "::"
    ? "::1"
    : listening;
  const shown = host.includes(":") ? `[${host}]` : host;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      events.close();
    }
    await server.close();
  };
  return {
    url: `http://${shown}:${port}/`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function text(status: number, body: string): HttpResponse {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body,
  };
}

/** A status without its timestamp, to see whether anything changed. */
function fingerprint(status: ClusterStatus): string {
  const { time: _time, ...rest } = status;
  return JSON.stringify(rest);
}

/**
 * The event streams of one dashboard. One timer for all of them: every
 * `TICK_MS` the status is taken once and, when it changed, encoded once
 * and sent to every stream (each keeps at most the latest message waiting
 * behind the one it is being written, see `dashboard_http.ts`); a comment
 * every `HEARTBEAT_MS` keeps idle connections open. A new stream gets a
 * snapshot at once.
 */
function eventStreams(cluster: DashboardSource): {
  add: (sink: EventSink) => () => void;
  close: () => void;
} {
  const encoder = new TextEncoder();
  const sinks = new Set<EventSink>();
  let last = "";
  let tick: ReturnType<typeof setInterval> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const alive = encoder.encode(": alive\n\n");
  const snapshot = (): Uint8Array => {
    const status = cluster.status();
    last = fingerprint(status);
    return encoder.encode(`data: ${JSON.stringify(status)}\n\n`);
  };
  const stopTimers = (): void => {
    clearInterval(tick);
    clearInterval(heartbeat);
    tick = heartbeat = undefined;
  };
  return {
    add(sink) {
      sink.send(encoder.encode("retry: 1000\n\n"));
      sink.send(snapshot());
      sinks.add(sink);
      if (tick === undefined) {
        tick = setInterval(() => {
          const status = cluster.status();
          const seen = fingerprint(status);
          if (seen === last) return;
          last = seen;
          const bytes = encoder.encode(`data: ${JSON.stringify(status)}\n\n`);
          for (const s of sinks) s.send(bytes);
        }, TICK_MS);
        heartbeat = setInterval(() => {
          for (const s of sinks) s.ping(alive);
        }, HEARTBEAT_MS);
      }
      return () => {
        sinks.delete(sink);
        if (sinks.size === 0) stopTimers();
      };
    },
    close() {
      stopTimers();
      for (const s of [...sinks]) s.close();
      sinks.clear();
    },
  };
}
