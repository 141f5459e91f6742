/**
 * The cluster's dashboard: a small HTTP server with one self-contained page
 * (inline CSS and script, no external assets) that shows the cluster live,
 * pushed by Server-Sent Events, and the JSON API under it:
 *
 * - `GET /`: the page;
 * - `GET /api/status`: a `ClusterStatus` snapshot as JSON;
 * - `GET /api/events`: Server-Sent Events, a snapshot on connecting, then
 *   one at most every 250 ms while something changes, and a comment every
 *   15 s to keep the connection open.
 *
 * @module
 */

import type { ClusterStatus } from "./cluster.ts";
import { isLoopback } from "./endpoint.ts";

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

/** How often an event stream looks for changes, in ms. */
const TICK_MS = 250;
/** How often an idle event stream says it is alive, in ms. */
const HEARTBEAT_MS = 15_000;

/**
 * Serve a cluster's dashboard (see the module's documentation for its
 * routes). Off loopback it refuses to start without a `token`.
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
  /** Ends each open event stream. */
  const streams = new Set<() => void>();
  let closed = false;

  const handler = (request: Request): Response => {
    const url = new URL(request.url);
    if (token !== undefined && !authorized(request, url, token)) {
      return new Response("a token is required\n", {
        status: 401,
        headers: { "www-authenticate": "Bearer" },
      });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    switch (url.pathname) {
      case "/":
        return new Response(page(cluster.status()), {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
          },
        });
      case "/api/status":
        return Response.json(cluster.status(), {
          headers: { "cache-control": "no-store" },
        });
      case "/api/events":
        if (closed) return new Response("closing\n", { status: 503 });
        return new Response(events(cluster, streams), {
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-store",
          },
        });
      default:
        return new Response("not found\n", { status: 404 });
    }
  };

  const server = Deno.serve({
    hostname,
    port: options.port ?? 0,
    onListen: () => {},
  }, handler);
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
      for (const end of [...streams]) end();
    }
    await server.shutdown();
  };
  return {
    url: `http://${shown}:${server.addr.port}/`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Whether `request` carries `token` (query or bearer header). */
function authorized(request: Request, url: URL, token: string): boolean {
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
 * One client's event stream: a snapshot now, then on change (at most every
 * `TICK_MS`), and a comment every `HEARTBEAT_MS`. It ends, with its timers,
 * when the client goes away (the server cancels the body) or the dashboard
 * closes.
 */
function events(
  cluster: DashboardSource,
  streams: Set<() => void>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let end = (): void => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let last = "";
      const push = (first = false): void => {
        const status = cluster.status();
        const seen = fingerprint(status);
        if (seen === last) return;
        // A client that is not reading (a stalled connection, a sleeping
        // laptop) is not queued snapshot after snapshot: it gets the
        // latest once it reads again.
        if (!first && (controller.desiredSize ?? 1) <= 0) return;
        last = seen;
        controller.enqueue(
          encoder.encode(`data: ${JSON.stringify(status)}\n\n`),
        );
      };
      const tick = setInterval(() => push(), TICK_MS);
      const heartbeat = setInterval(() => {
        if ((controller.desiredSize ?? 1) > 0) {
          controller.enqueue(encoder.encode(": alive\n\n"));
        }
      }, HEARTBEAT_MS);
      let ended = false;
      end = (): void => {
        if (ended) return;
        ended = true;
        clearInterval(tick);
        clearInterval(heartbeat);
        streams.delete(end);
        try {
          controller.close();
        } catch {
          // (cancelled by the client: already closed)
        }
      };
      streams.add(end);
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
      push(true);
    },
    cancel() {
      end();
    },
  });
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
