/**
 * A worker node's own small HTTP listener for the tools operators run:
 * `GET /metrics` (the node's process in Prometheus text), `GET /healthz`
 * and `GET /readyz` (ready once it has joined its cluster). It is bounded
 * and has deadlines as the dashboard has (`dashboard_http.ts`); on loopback
 * it answers requests addressed to loopback only, elsewhere every request
 * but a probe carries the token.
 *
 * @module
 */

import process from "node:process";
import { authorized, loopbackHost } from "../dashboard/http_access.ts";
import {
  type HttpRequest,
  type HttpResponse,
  serveHttp,
} from "../dashboard/dashboard_http.ts";
import { isLoopback } from "../wire/endpoint.ts";
import { healthProbe, metricsResponse } from "../dashboard/health.ts";
import { labels } from "../dashboard/metrics_text.ts";

/**
 * What a node's listener reads of its node.
 *
 * @example
 * ```ts
 * import type { NodeMetricsState } from "./node_metrics.ts";
 * const state: NodeMetricsState = { name: "w1", joined: false, joins: 0 };
 * ```
 */
export interface NodeMetricsState {
  /** The node's name (the one it has in the cluster once joined). */
  name: string;
  /** Whether it is a member of its cluster now. */
  joined: boolean;
  /** How many times it has joined (a rejoin after a lost connection counts). */
  joins: number;
}

/**
 * Where a node's listener listens.
 *
 * @example
 * ```ts
 * import type { NodeMetricsOptions } from "./node_metrics.ts";
 * const options: NodeMetricsOptions = { hostname: "127.0.0.1", port: 9100 };
 * ```
 */
export interface NodeMetricsOptions {
  /** The address (default `127.0.0.1`; others need `token`). */
  hostname?: string;
  /** The port (default 0: any free one). */
  port?: number;
  /** The token requests other than probes carry (required off loopback). */
  token?: string;
  /** Where problems are reported (default `console.warn`). */
  logger?: (message: string) => void;
}

/**
 * A running node listener.
 *
 * @example
 * ```ts
 * import type { NodeMetricsServer } from "./node_metrics.ts";
 * const show = (s: NodeMetricsServer) => s.url;
 * ```
 */
export interface NodeMetricsServer extends AsyncDisposable {
  /** Its address, as `http://host:port/`. */
  readonly url: string;
  /** Stop listening. */
  close(): Promise<void>;
}

/**
 * `state` as Prometheus text: whether the node is a member, how often it
 * joined, its process's memory and uptime.
 *
 * @example
 * ```ts
 * import { renderNodeMetrics } from "./node_metrics.ts";
 * const text = renderNodeMetrics({ name: "w1", joined: true, joins: 1 });
 * console.log(text.includes('troupe_node_joined{node="w1"} 1')); // true
 * ```
 */
export function renderNodeMetrics(state: NodeMetricsState): string {
  const node = labels({ node: state.name });
  const memory = Deno.memoryUsage();
  const line = (
    name: string,
    type: string,
    help: string,
    value: number,
  ) =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${node} ${value}\n`;
  return [
    line(
      "troupe_node_joined",
      "gauge",
      "1 while the node is a member of its cluster.",
      state.joined ? 1 : 0,
    ),
    line(
      "troupe_node_joins_total",
      "counter",
      "Times the node joined its cluster.",
      state.joins,
    ),
    line(
      "troupe_node_process_rss_bytes",
      "gauge",
      "The node process's resident memory.",
      memory.rss,
    ),
    line(
      "troupe_node_process_heap_used_bytes",
      "gauge",
      "The node process's V8 heap in use.",
      memory.heapUsed,
    ),
    line(
      "troupe_node_process_heap_total_bytes",
      "gauge",
      "The node process's V8 heap reserved.",
      memory.heapTotal,
    ),
    line(
      "troupe_node_process_uptime_seconds",
      "gauge",
      "How long the node process has run.",
      process.uptime(),
    ),
  ].join("");
}

/**
 * Serve a node's `/metrics`, `/healthz` and `/readyz`, reading `state`
 * at each request.
 *
 * @example
 * ```ts
 * import { serveNodeMetrics } from "./node_metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const state = { name: "w1", joined: false, joins: 0 };
 * await using server = serveNodeMetrics(state);
 * const r = await fetch(new URL("readyz", server.url));
 * assert.equal(r.status, 503);
 * await r.body?.cancel();
 * ```
 */
export function serveNodeMetrics(
  state: NodeMetricsState,
  options: NodeMetricsOptions = {},
): NodeMetricsServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const token = options.token;
  const loopback = isLoopback(hostname);
  if (!loopback && (token === undefined || token === "")) {
    throw new TypeError(
      `a node's metrics on ${hostname} (not loopback) need a token`,
    );
  }
  let port = 0;
  const text = (status: number, body: string): HttpResponse => ({
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body,
  });
  const handler = (request: HttpRequest): HttpResponse => {
    if (loopback && !loopbackHost(request.headers.get("host"), port)) {
      return text(
        403,
        "this listener answers requests addressed to loopback only\n",
      );
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "method not allowed\n");
    }
    const probe = healthProbe(
      request.url.pathname,
      () => state.joined || "not a member of its cluster (yet)",
    );
    if (probe !== undefined) return probe;
    if (token !== undefined && !authorized(request, request.url, token)) {
      return text(401, "a token is required\n");
    }
    if (request.url.pathname === "/metrics") {
      return metricsResponse(renderNodeMetrics(state));
    }
    return text(404, "not found\n");
  };
  const server = serveHttp({
    hostname,
    port: options.port ?? 0,
    handler,
    log: options.logger ?? ((m) => console.warn(m)),
    maxConnections: 32,
  });
  port = server.addr.port;
  const host = server.addr.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : server.addr.hostname === "::"
    ? "::1"
    : server.addr.hostname;
  const close = () => server.close();
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A node's listener as `troupe worker --metrics-port` starts it: on
 * loopback without a token, elsewhere with the dashboard's token derived
 * from the cluster's `secret` (one credential scrapes the scheduler and
 * its nodes).
 *
 * @example
 * ```ts
 * import { startNodeMetrics } from "./node_metrics.ts";
 * const state = { name: "w1", joined: false, joins: 0 };
 * await using server = await startNodeMetrics(state, "127.0.0.1", 0, undefined);
 * console.log(server.url.startsWith("http://127.0.0.1:")); // true
 * ```
 */
export async function startNodeMetrics(
  state: NodeMetricsState,
  hostname: string,
  port: number,
  secret: string | Uint8Array | undefined,
): Promise<NodeMetricsServer> {
  let token;
  if (!isLoopback(hostname)) {
    if (secret === undefined) {
      throw new TypeError(
        `on ${hostname} (not loopback) they need the cluster's secret, to derive the dashboard's token from`,
      );
    }
    const { dashboardToken } = await import("../scheduler/scheduler_main.ts");
    token = await dashboardToken(secret);
  }
  return serveNodeMetrics(state, { hostname, port, token });
}
