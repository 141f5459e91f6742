/**
 * The cluster's dashboard: a small HTTP server with one self-contained page
 * (inline CSS and script, no external assets) that shows the cluster live,
 * pushed by Server-Sent Events, and the JSON API under it:
 *
 * - `GET /`: the page;
 * - `GET /api/status`: a `ClusterStatus` snapshot as JSON;
 * - `GET /metrics`: the cluster in Prometheus text (`metrics_text.ts`);
 * - `GET /healthz`, `GET /readyz`: probes, answered without a token;
 * - `GET /api/events`: Server-Sent Events, a snapshot on connecting, then
 *   one at most every 250 ms while something changes, and a comment every
 *   15 s to keep the connection open.
 *
 * @module
 */

import type { ClusterStatus } from "./cluster.ts";
import {
  type EventSink,
  type HttpRequest,
  type HttpResponse,
  type HttpStream,
  serveHttp,
} from "./dashboard_http.ts";
import { isLoopback } from "./endpoint.ts";
import { healthProbe, metricsResponse } from "./health.ts";
import { renderMetrics } from "./metrics_text.ts";

/**
 * Where the dashboard listens and who may see it.
 *
 * @example
 * ```ts
 * import type { DashboardOptions } from "@troupe/troupe/cluster";
 * const options: DashboardOptions = { hostname: "0.0.0.0", port: 8787, token: "change me" };
 * ```
 */
export interface DashboardOptions {
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
}

/**
 * A running dashboard; `close` (or `await using`) stops it and ends its
 * event streams.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe/actors";
 * import { serveDashboard, startCluster } from "@troupe/troupe/cluster";
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using dashboard = serveDashboard(cluster);
 * console.log(dashboard.url); // http://127.0.0.1:<port>/
 * ```
 */
export interface Dashboard extends AsyncDisposable {
  /**
   * The page's address (without the token); on every interface (`0.0.0.0`,
   * `::`), its loopback one.
   */
  readonly url: string;
  /** Stop serving: event streams end, the listener closes. Idempotent. */
  close(): Promise<void>;
}

/**
 * What the dashboard shows: anything with a `status()`, as a `Cluster`.
 *
 * @example
 * ```ts
 * import type { Cluster, DashboardSource } from "@troupe/troupe/cluster";
 * const source = (cluster: Cluster): DashboardSource => cluster;
 * ```
 */
export interface DashboardSource {
  /** A snapshot of the cluster now. */
  status(): ClusterStatus;
}

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
 * import { ActorSystem } from "@troupe/troupe/actors";
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
  cluster: DashboardSource,
  options: DashboardOptions = {},
): Dashboard {
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

  const handler = (request: HttpRequest): HttpResponse | HttpStream => {
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
      case "/":
        return {
          status: 200,
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
          },
          body: page(cluster.status()),
        };
      case "/api/status":
        return {
          status: 200,
          headers: {
            "content-type": "application/json",
            "cache-control": "no-store",
          },
          body: JSON.stringify(cluster.status()),
        };
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

/**
 * Whether a `Host` header names this loopback dashboard: `localhost`, an
 * address of 127.0.0.0/8 or `[::1]`, with no port or this one.
 *
 * @example
 * ```ts
 * import { loopbackHost } from "./dashboard.ts";
 * console.log(loopbackHost("127.0.0.1:8787", 8787)); // true
 * ```
 */
export function loopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim());
  if (m === null) return false;
  if (m[2] !== undefined && Number(m[2]) !== port) return false;
  const name = m[1].toLowerCase();
  return name === "localhost" || name === "[::1]" ||
    (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) && isLoopback(name));
}

/**
 * Whether `request` carries `token` (query or bearer header).
 *
 * @example
 * ```ts
 * import { authorized } from "./dashboard.ts";
 * const url = new URL("http://h/?token=t");
 * console.log(authorized({ method: "GET", url, headers: new Map() }, url, "t")); // true
 * ```
 */
export function authorized(
  request: HttpRequest,
  url: URL,
  token: string,
): boolean {
  const header = request.headers.get("authorization") ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  return same(url.searchParams.get("token") ?? "", token) ||
    same(bearer ?? "", token);
}

/** Compare without returning early on the first difference. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
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

/** The page, with `initial` rendered in (so it shows before any event). */
function page(initial: ClusterStatus): string {
  const json = JSON.stringify(initial).replace(/</g, "\\u003c");
  return PAGE.replace("__INITIAL__", () => json);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>troupe dashboard</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  #meta { color: #666; }
  table { border-collapse: collapse; min-width: 28em; }
  th, td { text-align: left; padding: .25em .8em .25em 0; border-bottom: 1px solid #ddd; }
  td.n, th.n { text-align: right; }
  .comp { display: flex; align-items: center; gap: .8em; margin: .3em 0; }
  .bar { width: 20em; height: .9em; background: #e4e4e4; border-radius: .3em; overflow: hidden; }
  .bar > span { display: block; height: 100%; background: #3a7bd5; }
  .bar.err > span { background: #d5553a; }
  .muted { color: #888; }
  #state.off { color: #c33; }
  #stream { background: #fff; border: 1px solid #ddd; }
  #stream text { font-size: 11px; fill: #555; }
  .swatch { display: inline-block; width: .8em; height: .8em; margin: 0 .3em 0 .8em; vertical-align: -.1em; }
</style>
</head>
<body>
<h1>troupe dashboard</h1>
<div id="meta">scheduler <span id="address"></span> · <span id="state">live</span></div>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>name</th><th>address</th><th class="n">CPU</th><th class="n">memory</th><th class="n">in flight</th><th class="n">queued</th><th class="n">held</th></tr></thead><tbody></tbody></table>
<h2>Task stream <span class="muted">(last 10 s)</span></h2>
<svg id="stream" width="800" height="40" role="img" aria-label="task stream"></svg>
<div id="legend" class="muted"></div>
<h2>Computations</h2>
<div id="computations"></div>
<h2>Tasks by state</h2>
<div id="tasks"></div>
<h2>Actors</h2>
<div id="actors"></div>
<div id="busiest"></div>
<h2>Cluster sync</h2>
<div id="sync"></div>
<script>
"use strict";
const initial = __INITIAL__;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
function render(s) {
  $("address").textContent = s.address;
  $("workers").tBodies[0].innerHTML = s.nodes.length === 0
    ? '<tr><td colspan="7" class="muted">no nodes yet</td></tr>'
    : s.nodes.map((n) => "<tr class=\\"worker\\"><td>" + esc(n.name) + "</td><td>" +
      esc(n.address) + '</td><td class="n cpu">' + (n.cpu === undefined ? "…" : n.cpu + "%") +
      '</td><td class="n mem">' + (n.memory ? mib(n.memory.rss) : "…") +
      '</td><td class="n">' + n.inFlight + '</td><td class="n">' +
      n.queued + '</td><td class="n">' + n.held + "</td></tr>").join("");
  stream(s);
  $("computations").innerHTML = s.computations.length === 0
    ? '<span class="muted">none yet</span>'
    : s.computations.map((c) => {
      const pct = c.total === 0 ? 100 : Math.floor((100 * c.done) / c.total);
      return '<div class="comp" data-id="' + c.id + '">#' + c.id +
        ' <div class="bar' + (c.erred > 0 ? " err" : "") + '"><span style="width:' + pct +
        '%"></span></div><span class="count">' + c.done + "/" + c.total + "</span>" +
        '<span class="pct">' + pct + "%</span>" +
        (c.erred > 0 ? '<span class="err">' + c.erred + " failed</span>" : "") + "</div>";
    }).join("");
  const states = Object.entries(s.tasks);
  $("tasks").innerHTML = states.length === 0
    ? '<span class="muted">none</span>'
    : states.map(([k, v]) => esc(k) + ": <b>" + v + "</b>").join(" · ");
  $("actors").textContent = s.actors.count + " actors, " + s.actors.mailboxes +
    " messages in mailboxes, " + s.actors.deadLetters + " dead letters";
  $("busiest").innerHTML = s.actors.busiest.length === 0 ? "" :
    "deepest mailboxes: " + s.actors.busiest.map((a) => esc(a.actor) + " <b>" + a.mailbox +
      "</b>/" + (a.capacity === null ? "∞" : a.capacity)).join(" · ");
  $("sync").innerHTML = s.sync.length === 0
    ? '<span class="muted">none in use</span>'
    : s.sync.map((p) => esc(p.kind) + " <b>" + esc(p.name) + "</b> " +
      esc(JSON.stringify(p.state))).join("<br>");
}
function mib(bytes) { return (bytes / 1048576).toFixed(0) + " MiB"; }
const palette = ["#3a7bd5", "#e8a33d", "#59a14f", "#b07aa1", "#76b7b2", "#ff9da7", "#9c755f", "#edc948"];
function colour(name) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return palette[h % palette.length];
}
// One lane per worker; each run a bar from its start to its end, the last
// 10 s up to the snapshot's time. Failed runs are red.
function stream(s) {
  const svg = $("stream");
  const width = 800, lane = 18, left = 110, span = 10000;
  const workers = [...new Set(s.nodes.map((n) => n.name).concat(s.stream.map((r) => r.worker)))];
  svg.setAttribute("height", String(Math.max(1, workers.length) * lane + 6));
  const x = (t) => left + Math.max(0, (t - (s.time - span)) / span) * (width - left - 4);
  const parts = workers.map((w, i) =>
    '<text x="4" y="' + (i * lane + 15) + '">' + esc(w) + "</text>");
  const tasks = new Set();
  for (const r of s.stream) {
    const i = workers.indexOf(r.worker);
    tasks.add(r.task);
    const x0 = x(r.start), x1 = Math.max(x(r.end), x0 + 1);
    parts.push('<rect class="run" x="' + x0.toFixed(1) + '" y="' + (i * lane + 4) +
      '" width="' + (x1 - x0).toFixed(1) + '" height="' + (lane - 6) + '" fill="' +
      (r.ok ? colour(r.task) : "#d5553a") + '"><title>' + esc(r.task) + " " + esc(r.key) + " on " +
      esc(r.worker) + ": " + (r.end - r.start).toFixed(1) + " ms" + (r.ok ? "" : " (failed)") +
      "</title></rect>");
  }
  svg.innerHTML = parts.join("");
  $("legend").innerHTML = [...tasks].map((t) =>
    '<span class="swatch" style="background:' + colour(t) + '"></span>' + esc(t)).join("");
}
render(initial);
const token = new URLSearchParams(location.search).get("token");
const source = new EventSource("api/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
source.onmessage = (e) => { $("state").textContent = "live"; $("state").className = ""; render(JSON.parse(e.data)); };
source.onerror = () => { $("state").textContent = "disconnected, retrying"; $("state").className = "off"; };
</script>
</body>
</html>
`;
