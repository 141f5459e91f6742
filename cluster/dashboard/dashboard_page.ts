/**
 * The dashboard's page: one self-contained HTML document (inline CSS and
 * script, no external asset, no CDN) that renders `ClusterStatus`
 * snapshots pushed over Server-Sent Events. It keeps a few minutes of
 * history in the browser (task runs, each worker's memory and CPU), so the
 * task stream has a real time window (10 s to 5 min, zoom with the wheel,
 * pan by dragging, a tooltip per bar) and the workers have charts over
 * time.
 *
 * @module
 */

import type { ClusterStatus } from "../scheduler/cluster.ts";
import type { TaskRun } from "../graph/task_stream.ts";
import type { UsageSample } from "../scheduler/usage_history.ts";
import type { TaskGraph } from "../graph/graph_snapshot.ts";
import { GRAPH_SCRIPT, GRAPH_SECTION, GRAPH_STYLE } from "./graph_view.ts";
import { ACTORS_SCRIPT, ACTORS_SECTION, ACTORS_STYLE } from "./actors_view.ts";
import { LOGS_PANEL_HTML, LOGS_PANEL_SCRIPT } from "./logs_panel.ts";

/**
 * The page, with `initial` rendered in (so it shows before any event), and
 * the task stream's `runs` of the last minutes (later ones it fetches), and
 * each node's memory and CPU `usage` of the last minutes, and the `graph`
 * of the computation it opens on.
 *
 * @example
 * ```ts
 * import { dashboardPage } from "./dashboard_page.ts";
 * const html = dashboardPage({
 *   address: "127.0.0.1:8786", time: 0, nodes: [], tasks: {}, computations: [],
 *   transfers: { direct: 0, relayed: 0 }, stream: [],
 *   actors: { count: 0, mailboxes: 0, deadLetters: 0, busiest: [] }, sync: [],
 * });
 * console.log(html.startsWith("<!doctype html>")); // true
 * ```
 */
export function dashboardPage(
  initial: ClusterStatus,
  runs: readonly TaskRun[] = [],
  usage: Record<string, UsageSample[]> = {},
  graph?: TaskGraph,
): string {
  // (inside a <script>: "</" must not close it)
  const json = (x: unknown) => JSON.stringify(x).replace(/</g, "\\u003c");
  return PAGE.replace("__INITIAL__", () => json(initial))
    .replace("__RUNS__", () => json(runs))
    .replace("__USAGE__", () => json(usage))
    .replace("__GRAPH__", () => json(graph ?? null));
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>troupe dashboard</title>
<style>
  :root { --fg: #1d2430; --muted: #6b7480; --line: #e3e6ea; --card: #fff; --bg: #f4f6f8;
    --accent: #3a6fd8; --err: #d2483a; --ok: #3b9a57; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4em 1em; padding: .9em 1.2em; background: #1d2430; color: #fff; }
  header h1 { font-size: 1.15em; margin: 0; letter-spacing: .02em; }
  header .meta { color: #b9c2cf; font-size: .92em; }
  #state::before { content: ""; display: inline-block; width: .55em; height: .55em; border-radius: 50%; background: #4cc16e; margin-right: .35em; vertical-align: .05em; }
  #state.off::before { background: var(--err); }
  #state.off { color: #ffb3a9; }
  main { padding: 1em 1.2em 2em; max-width: 1500px; margin: 0 auto; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .7em; margin-bottom: 1em; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6em .8em; }
  .card .v { font-size: 1.45em; font-weight: 600; font-variant-numeric: tabular-nums; }
  .card .k { color: var(--muted); font-size: .85em; }
  .card.bad .v { color: var(--err); }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .8em 1em 1em; margin-bottom: 1em; min-width: 0; }
  section h2 { font-size: 1em; margin: 0 0 .6em; display: flex; flex-wrap: wrap; align-items: center; gap: .5em; }
  section h2 .hint { font-weight: normal; color: var(--muted); font-size: .88em; }
  .grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
  @media (max-width: 900px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3em .7em .3em 0; border-bottom: 1px solid var(--line); white-space: nowrap; vertical-align: top; }
  th { color: var(--muted); font-weight: 500; font-size: .88em; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  .muted { color: var(--muted); }
  .bar { position: relative; flex: 1 1 12em; min-width: 6em; height: .8em; background: #e7eaee; border-radius: .4em; overflow: hidden; }
  .bar > span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); }
  .bar > span.e { background: var(--err); }
  .comp { padding: .45em 0; border-bottom: 1px solid var(--line); }
  .comp:last-child { border-bottom: 0; }
  .comp .row { display: flex; flex-wrap: wrap; align-items: center; gap: .3em .8em; }
  .comp .name { font-weight: 600; min-width: 8em; overflow: hidden; text-overflow: ellipsis; }
  .comp .count, .comp .pct, .comp .time { font-variant-numeric: tabular-nums; color: var(--muted); }
  .comp .err { color: var(--err); }
  .groups { display: grid; grid-template-columns: minmax(6em, max-content) minmax(6em, 1fr) max-content; gap: .15em .7em; align-items: center; margin: .35em 0 0 1em; font-size: .88em; }
  .groups .bar { height: .55em; }
  .controls { display: inline-flex; flex-wrap: wrap; gap: .25em; }
  .controls button { font: inherit; font-size: .85em; border: 1px solid var(--line); background: #fff; border-radius: 5px; padding: .1em .55em; cursor: pointer; color: var(--fg); }
  .controls button.on { background: var(--accent); border-color: var(--accent); color: #fff; }
  #streamBox { position: relative; }
  #stream { display: block; width: 100%; cursor: grab; touch-action: none; }
  #stream.drag { cursor: grabbing; }
  #tip { position: absolute; pointer-events: none; background: rgba(29,36,48,.95); color: #fff; padding: .4em .6em; border-radius: 6px; font-size: 12px; line-height: 1.4; white-space: nowrap; display: none; z-index: 2; }
  #tip b { color: #ffd27a; font-weight: 600; }
  #legend { margin-top: .4em; font-size: .85em; color: var(--muted); }
  .swatch { display: inline-block; width: .75em; height: .75em; border-radius: 2px; margin: 0 .3em 0 .8em; vertical-align: -.05em; }
  .swatch:first-child { margin-left: 0; }
  .mem { display: flex; align-items: center; gap: .5em; min-width: 9em; }
  .mem .bar { height: .55em; flex: 1 1 5em; }
  td.held { font-size: .88em; min-width: 12em; }
  td.held .spilled { color: #a8661c; }
  td.held .limit { color: var(--muted); }
  .badge { display: inline-block; margin-left: .4em; padding: 0 .45em; border-radius: .6em; font-size: .78em; line-height: 1.5; }
  .badge.paused { background: #fbe3cf; color: #8a4a12; border: 1px solid #eab58a; }
  .badge.retiring { background: #e4e9f5; color: #35508a; border: 1px solid #a9b8dc; }
  svg.chart { display: block; width: 100%; height: 150px; }
  svg.chart text { font-size: 10px; fill: var(--muted); }
  .chartTitle { font-size: .88em; color: var(--muted); margin: .2em 0; }
  details summary { cursor: pointer; }
  pre.stack { font-size: 12px; background: #f7f8fa; border: 1px solid var(--line); border-radius: 5px; padding: .5em; max-height: 16em; overflow: auto; white-space: pre-wrap; word-break: break-all; margin: .3em 0 0; }
  .failure { padding: .45em 0; border-bottom: 1px solid var(--line); }
  .failure:last-child { border-bottom: 0; }
  .failure .fhead { font-size: .88em; }
  .failure .when { font-variant-numeric: tabular-nums; }
  .failure .key { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--muted); word-break: break-all; }
  .failure .error { color: var(--err); word-break: break-word; }
  .states span { display: inline-block; margin: 0 1em .3em 0; }
  .states b { font-variant-numeric: tabular-nums; }
  @media (max-width: 500px) {
    main { padding: .6em .6em 1.5em; }
    section { padding: .6em .7em .8em; }
    .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
    .groups { margin-left: 0; }
    .addr { display: none; }
  }
${GRAPH_STYLE}${ACTORS_STYLE}
</style>
</head>
<body>
<header>
  <h1>troupe dashboard</h1>
  <span class="meta">scheduler <span id="address"></span></span>
  <span class="meta" id="state">live</span>
  <span class="meta" id="clock"></span>
</header>
<main>
<div class="cards" id="cards"></div>
<section id="computationsBox">
  <h2>Computations <span class="hint">progress of each, and of its tasks by name</span></h2>
  <div id="computations"></div>
</section>
${GRAPH_SECTION}<section>
  <h2>Task stream
    <span class="controls" id="windows"></span>
    <span class="controls"><button id="live" class="on" title="follow the latest runs">live</button></span>
    <span class="hint">wheel: zoom · drag: pan · double-click: back to live</span>
  </h2>
  <div id="streamBox"><canvas id="stream" role="img" aria-label="task stream"></canvas><div id="tip"></div></div>
  <div id="legend"></div>
</section>
<section>
  <h2>Workers</h2>
  <div class="scroll"><table id="workers"><thead><tr><th>name</th><th class="addr">address</th><th class="n">CPU</th><th>memory (RSS)</th><th>results: held, spilled, limit</th><th class="n">in flight</th><th class="n">queued</th><th class="n">held</th></tr></thead><tbody></tbody></table></div>
  <div class="grid2">
    <div><div class="chartTitle">memory per worker, last 5 min</div><svg id="memChart" class="chart" role="img" aria-label="memory per worker over time"></svg></div>
    <div><div class="chartTitle">CPU per worker (% of one core), last 5 min</div><svg id="cpuChart" class="chart" role="img" aria-label="CPU per worker over time"></svg></div>
  </div>
</section>
${ACTORS_SECTION}
${LOGS_PANEL_HTML}
<section id="failuresBox">
  <h2>Failures <span class="hint">tasks that failed for good (last 50)</span></h2>
  <div id="failures"></div>
</section>
<div class="grid2">
<section>
  <h2>Tasks by state</h2>
  <div id="tasks" class="states"></div>
  <div class="muted" style="font-size:.85em">waiting: inputs not ready · ready: queued for a worker · processing: running · memory: result held · released: done and let go (made again if needed) · erred / cancelled: will not run</div>
</section>
<section>
  <h2>Scheduler's actors &amp; cluster sync</h2>
  <div id="actors"></div>
  <div id="busiest" class="muted"></div>
  <div id="sync" style="margin-top:.4em"></div>
</section>
</div>
</main>
<script>
"use strict";
const initial = __INITIAL__;
const initialRuns = __RUNS__;
const initialUsage = __USAGE__;
const initialGraph = __GRAPH__;
const token = new URLSearchParams(location.search).get("token");
const tokenQuery = token ? "token=" + encodeURIComponent(token) : "";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const num = (n) => Number(n).toLocaleString("en-US");
const WINDOWS = [[10e3, "10 s"], [30e3, "30 s"], [60e3, "1 min"], [300e3, "5 min"]];
const KEEP_MS = 300e3 + 10e3;
const palette = ["#3a6fd8", "#e8a33d", "#3b9a57", "#9b6bc4", "#38a3a5", "#e56b8c", "#8c6d4f", "#c9b033", "#5d7b99", "#c4573a"];
// (in order of first sight: the first ten names get ten different colours)
const colours = new Map();
function colour(name) {
  let c = colours.get(name);
  if (c === undefined) colours.set(name, c = palette[colours.size % palette.length]);
  return c;
}
function bytes(b) {
  if (b === undefined || b === null) return "?";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return (i === 0 ? b.toFixed(0) : b.toFixed(b < 10 ? 1 : 0)) + " " + u[i];
}
function duration(ms) {
  if (ms < 1) return ms.toFixed(2) + " ms";
  if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + " ms";
  if (ms < 60e3) return (ms / 1000).toFixed(ms < 10e3 ? 2 : 1) + " s";
  const s = Math.round(ms / 1000);
  return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
}
function clock(t, ms) {
  const d = new Date(t);
  const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, "0")).join(":");
  return ms ? hms + "." + String(d.getMilliseconds()).padStart(3, "0") : hms;
}

// ---- history kept in the page: task runs, and each worker's memory and CPU
const runs = new Map();
let lanes = [];
const usage = new Map(Object.entries(initialUsage));  // worker -> [{t, rss, cpu}]
let last = initial;
let skew = 0;  // this clock minus the scheduler's
let streamSince = 0;
function addRun(r, fetched) {
  const id = r.worker + "|" + r.key + "|" + r.start;
  if (!runs.has(id)) runs.set(id, r);
  // (only fetched runs move it: a snapshot holds the latest few hundred)
  if (fetched && r.end > streamSince) streamSince = r.end;
}
// The runs the snapshots do not carry (they have the last few hundred):
// fetched from /api/stream, a page at a time.
let polling = false;
async function pollStream() {
  if (polling) return;
  polling = true;
  try {
    for (let i = 0; i < 20; i++) {
      const r = await fetch("api/stream?since=" + streamSince + (tokenQuery ? "&" + tokenQuery : ""));
      if (!r.ok) break;
      const page = await r.json();
      page.runs.forEach((r) => addRun(r, true));
      if (!page.more) break;
    }
  } catch (_) { /* the next poll may do */ } finally {
    polling = false;
    drawStream();
  }
}
function remember(s) {
  skew = Date.now() - s.time;
  s.stream.forEach((r) => addRun(r, false));
  const cut = s.time - KEEP_MS;
  if (runs.size > 80000 || (runs.size > 0 && runs.values().next().value.end < cut)) {
    for (const [id, r] of runs) { if (r.end < cut || runs.size > 80000) runs.delete(id); else break; }
  }
  for (const n of s.nodes) {
    let h = usage.get(n.name);
    if (!h) usage.set(n.name, h = []);
    const p = h[h.length - 1];
    if (!p || s.time - p.t >= 900) h.push({ t: s.time, rss: n.memory ? n.memory.rss : undefined, cpu: n.cpu });
    while (h.length > 0 && h[0].t < cut) h.shift();
  }
  for (const [name, h] of usage) if (h.length === 0 || h[h.length - 1].t < cut) usage.delete(name);
}

// ---- cards, computations, workers, failures, states, actors
function card(k, v, bad) { return '<div class="card' + (bad ? " bad" : "") + '"><div class="v">' + v + '</div><div class="k">' + k + "</div></div>"; }
function render(s) {
  last = s;
  remember(s);
  $("address").textContent = s.address;
  $("clock").textContent = clock(s.time);
  const t = s.tasks;
  const running = s.computations.filter((c) => c.done < c.total).length;
  const recent = [...runs.values()].filter((r) => r.end >= s.time - 10e3).length;
  const failures = s.failures || [];
  $("cards").innerHTML = card("workers", s.nodes.length) +
    card("tasks running", num(t.processing || 0)) +
    card("results held", num(t.memory || 0)) +
    card("tasks/s (last 10 s)", num(Math.round(recent / 10))) +
    card("computations running", running) +
    card("failures", failures.length, failures.length > 0);
  renderComputations(s);
  renderWorkers(s);
  renderFailures(failures);
  renderGraph(s);
  renderNodeActors(s);
  const states = Object.entries(t);
  $("tasks").innerHTML = states.length === 0 ? '<span class="muted">none</span>'
    : states.map(([k, v]) => '<span class="state-' + esc(k) + '">' + esc(k) + " <b>" + num(v) + "</b></span>").join("");
  $("actors").textContent = s.actors.count + " actors, " + s.actors.mailboxes +
    " messages in mailboxes, " + s.actors.deadLetters + " dead letters";
  $("busiest").innerHTML = s.actors.busiest.length === 0 ? "" :
    "deepest mailboxes: " + s.actors.busiest.map((a) => esc(a.actor) + " <b>" + a.mailbox +
      "</b>/" + (a.capacity === null ? "∞" : a.capacity)).join(" · ");
  $("sync").innerHTML = s.sync.length === 0 ? '<span class="muted">no cluster-wide locks, queues or events in use</span>'
    : s.sync.map((p) => esc(p.kind) + " <b>" + esc(p.name) + "</b> " + esc(JSON.stringify(p.state))).join("<br>");
  drawStream();
}
function pctOf(done, total) { return total === 0 ? 100 : Math.floor((100 * done) / total); }
function renderComputations(s) {
  if (s.computations.length === 0) { $("computations").innerHTML = '<span class="muted">none yet</span>'; return; }
  $("computations").innerHTML = s.computations.slice().reverse().map((c) => {
    const pct = pctOf(c.done, c.total);
    const ok = pctOf(c.done - c.erred, c.total);
    const name = c.name ? esc(c.name) + ' <span class="muted">#' + c.id + "</span>" : "#" + c.id;
    const took = c.started ? duration((c.ended || (Date.now() - skew)) - c.started) : "";
    const groups = Object.entries(c.groups || {}).sort((a, b) => b[1].total - a[1].total);
    const shown = groups.slice(0, 12);
    return '<div class="comp" data-id="' + c.id + '"><div class="row"><span class="name">' + name +
      '</span><div class="bar"><span style="width:' + ok + '%"></span><span class="e" style="left:' + ok +
      "%;width:" + (pct - ok) + '%"></span></div><span class="count">' + c.done + "/" + c.total +
      '</span><span class="pct">' + pct + "%</span>" + (took ? '<span class="time">' + took + "</span>" : "") +
      (c.erred > 0 ? '<span class="err">' + c.erred + " failed</span>" : "") + "</div>" +
      (groups.length > 1 ? '<div class="groups">' + shown.map(([task, g]) => {
        const p = pctOf(g.done - g.erred, g.total), e = pctOf(g.done, g.total) - p;
        return '<span class="group"><span class="swatch" style="background:' + colour(task) + '"></span>' + esc(task) +
          '</span><div class="bar"><span style="width:' + p + '%;background:' + colour(task) + '"></span><span class="e" style="left:' + p +
          "%;width:" + e + '%"></span></div><span class="muted">' + num(g.done) + "/" + num(g.total) +
          (g.erred > 0 ? ' <span class="err">' + g.erred + " failed</span>" : "") + "</span>";
      }).join("") + (groups.length > shown.length ? '<span class="muted">+' + (groups.length - shown.length) + " more</span><span></span><span></span>" : "") + "</div>" : "") +
      "</div>";
  }).join("");
}
function renderWorkers(s) {
  const top = Math.max(1, ...s.nodes.map((n) => n.memory ? n.memory.rss : 0));
  $("workers").tBodies[0].innerHTML = s.nodes.length === 0
    ? '<tr><td colspan="8" class="muted">no nodes yet: start one with troupe worker ' + esc(s.address) + "</td></tr>"
    : s.nodes.map((n) => '<tr class="worker"><td><span class="swatch" style="background:' + colour(n.name) + '"></span>' + esc(n.name) + (n.heldMemory && n.heldMemory.paused ? '<span class="badge paused">paused</span>' : "") +
      (n.retiring ? '<span class="badge retiring">retiring</span>' : "") + '</td><td class="addr">' +
      esc(n.address) + '</td><td class="n cpu">' + (n.cpu === undefined ? "…" : n.cpu + "%") +
      '</td><td class="mem">' + (n.memory ? '<div class="mem"><div class="bar"><span style="width:' +
        Math.round((100 * n.memory.rss) / top) + '%"></span></div><span>' + bytes(n.memory.rss) + "</span></div>" : "…") +
      "</td>" + heldCell(n.heldMemory) + '<td class="n">' + n.inFlight + '</td><td class="n">' + n.queued + '</td><td class="n">' + n.held + "</td></tr>").join("");
  chart($("memChart"), "rss", (v) => bytes(v));
  chart($("cpuChart"), "cpu", (v) => Math.round(v) + "%");
}
// A node's held results (nodes with a memory limit report them): in memory
// against the limit as a bar, then what is on its disk.
function heldCell(m) {
  if (!m) return '<td class="held muted">no limit</td>';
  const limit = m.limit > 0 ? m.limit : 0;
  const width = limit > 0 ? Math.min(100, Math.round((100 * m.memory) / limit)) : 0;
  return '<td class="held" title="' + num(m.spilledCount) + ' results on disk; ' + num(m.spills) + ' spills, ' + num(m.unspills) + ' read back">' +
    (limit > 0 ? '<div class="mem"><div class="bar"><span style="width:' + width + '%"></span></div></div>' : "") +
    "<span>" + bytes(m.memory) + ' held</span> · <span class="spilled">' + bytes(m.spilled) + " spilled</span> · " +
    '<span class="limit">' + (limit > 0 ? "limit " + bytes(limit) : "no limit") + "</span></td>";
}
function chart(svg, field, label) {
  const w = svg.clientWidth || 600, h = svg.clientHeight || 150, left = 52, bottom = 16;
  const now = last.time, from = now - 300e3;
  let max = field === "cpu" ? 100 : 1;
  for (const pts of usage.values()) for (const p of pts) if (p[field] !== undefined) max = Math.max(max, p[field]);
  max *= 1.1;
  const x = (t) => left + ((t - from) / 300e3) * (w - left - 6);
  const y = (v) => 4 + (1 - v / max) * (h - bottom - 8);
  const out = [];
  for (let i = 0; i <= 3; i++) {
    const v = (max / 1.1) * i / 3;
    out.push('<line x1="' + left + '" x2="' + (w - 6) + '" y1="' + y(v) + '" y2="' + y(v) + '" stroke="#e3e6ea"/>' +
      '<text x="' + (left - 4) + '" y="' + (y(v) + 3) + '" text-anchor="end">' + esc(label(v)) + "</text>");
  }
  for (let m = 0; m <= 5; m++) {
    if (w < 500 && m % 2 === 0 && m !== 0) continue;  // (room for every other one)
    const t = from + m * 60e3;
    out.push('<text x="' + x(t) + '" y="' + (h - 3) + '" text-anchor="' + (m === 0 ? "start" : m === 5 ? "end" : "middle") + '">' + (m === 5 ? "now" : "-" + (5 - m) + " min") + "</text>");
  }
  for (const [name, pts] of usage) {
    const line = pts.filter((p) => p[field] !== undefined).map((p) => x(p.t).toFixed(1) + "," + y(p[field]).toFixed(1));
    if (line.length === 1) line.push((x(pts[0].t) + 2).toFixed(1) + "," + line[0].split(",")[1]);
    if (line.length > 0) out.push('<polyline class="series" data-worker="' + esc(name) + '" fill="none" stroke-width="1.6" stroke="' + colour(name) + '" points="' + line.join(" ") + '"/>');
  }
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  svg.innerHTML = out.join("");
}
function renderFailures(list) {
  $("failures").innerHTML = list.length === 0
    ? '<span class="muted">no task has failed</span>'
    : list.slice().reverse().map((f) => '<div class="failure"><div class="fhead"><span class="when">' + clock(f.time) +
      '</span> <span class="muted">on</span> <span class="worker">' + esc(f.worker) + '</span> <span class="muted">task</span> ' +
      esc(f.task) + '</div><div class="key">' + esc(f.key) + '</div><div class="error">' +
      (f.stack ? "<details><summary>" + esc(f.error) + '</summary><pre class="stack">' + esc(f.stack) + "</pre></details>" : esc(f.error)) +
      "</div></div>").join("");
}

// ---- the task stream: a canvas, one lane per worker, a time axis
// (?window=S opens it S seconds wide)
const asked = Number(new URLSearchParams(location.search).get("window"));
const view = { span: asked >= 1 ? Math.min(300, asked) * 1000 : 10e3, end: null };  // end null: follow the latest snapshot
const canvas = $("stream");
let layout = null;
function windowButtons() {
  $("windows").innerHTML = WINDOWS.map(([ms, label]) =>
    '<button data-ms="' + ms + '"' + (Math.abs(view.span - ms) < 1 ? ' class="on"' : "") + ">" + label + "</button>").join("");
  $("live").className = view.end === null ? "on" : "";
}
$("windows").addEventListener("click", (e) => {
  const ms = Number(e.target.dataset && e.target.dataset.ms);
  if (ms > 0) { view.span = ms; drawStream(); }
});
$("live").addEventListener("click", () => { view.end = null; drawStream(); });
function niceStep(span, px) {
  const steps = [100, 200, 500, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3];
  const want = span / Math.max(2, Math.floor(px / 90));
  return steps.find((s) => s >= want) || 300e3;
}
function drawStream() {
  windowButtons();
  const s = last;
  const names = [...new Set(s.nodes.map((n) => n.name))];
  for (const r of runs.values()) if (!names.includes(r.worker)) names.push(r.worker);
  lanes = names;
  const cssW = canvas.parentElement.clientWidth || 800;
  const narrow = cssW < 520;
  const lane = narrow ? 16 : 20, left = narrow ? 64 : 110, axis = 20;
  const cssH = Math.max(1, names.length) * lane + axis + 6;
  const dpr = window.devicePixelRatio || 1;
  canvas.style.height = cssH + "px";
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const end = view.end === null ? s.time : view.end;
  const start = end - view.span;
  const plotW = cssW - left - 8;
  const x = (t) => left + ((t - start) / view.span) * plotW;
  layout = { left, lane, plotW, start, end, names, cssH, axis };
  ctx.font = (narrow ? 10 : 11) + "px system-ui, sans-serif";
  // lanes
  names.forEach((w, i) => {
    ctx.fillStyle = i % 2 ? "#fafbfc" : "#f2f4f6";
    ctx.fillRect(left, i * lane + 2, plotW, lane);
    ctx.fillStyle = "#4a5361";
    ctx.textBaseline = "middle";
    const label = w.length > (narrow ? 9 : 16) ? w.slice(0, narrow ? 8 : 15) + "…" : w;
    ctx.fillText(label, 4, i * lane + 2 + lane / 2);
  });
  // grid and axis
  const step = niceStep(view.span, plotW);
  ctx.strokeStyle = "#dde1e6";
  ctx.fillStyle = "#6b7480";
  ctx.textBaseline = "top";
  ctx.textAlign = "center";
  const axisY = names.length * lane + 4;
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const px = x(t);
    ctx.beginPath(); ctx.moveTo(px, 2); ctx.lineTo(px, axisY + 3); ctx.stroke();
    ctx.fillText(clock(t + skew, step < 1000), px, axisY + 5);
  }
  ctx.textAlign = "left";
  // bars
  let drawn = 0;
  const tasks = new Set();
  for (const r of runs.values()) {
    if (r.end < start || r.start > end) continue;
    const i = names.indexOf(r.worker);
    const x0 = Math.max(left, x(r.start)), x1 = Math.min(left + plotW, Math.max(x(r.end), x0 + 1));
    ctx.fillStyle = r.ok ? colour(r.task) : "#d2483a";
    ctx.fillRect(x0, i * lane + 4, Math.max(1, x1 - x0), lane - 4);
    tasks.add(r.task);
    drawn++;
  }
  canvas.dataset.runs = String(drawn);
  canvas.dataset.window = String(view.span);
  canvas.setAttribute("aria-label", "task stream: " + drawn + " runs on " + names.length + " workers over " + duration(view.span));
  $("legend").innerHTML = tasks.size === 0 ? "no task ran in this window"
    : [...tasks].sort().map((t) => '<span class="swatch" style="background:' + colour(t) + '"></span>' + esc(t)).join("") +
      '<span class="swatch" style="background:#d2483a"></span>failed';
}
function runAt(px, py) {
  if (!layout) return undefined;
  const i = Math.floor((py - 2) / layout.lane);
  if (i < 0 || i >= layout.names.length || px < layout.left) return undefined;
  const t = layout.start + ((px - layout.left) / layout.plotW) * (layout.end - layout.start);
  const slack = (3 / layout.plotW) * (layout.end - layout.start);
  let best;
  for (const r of runs.values()) {
    if (r.worker !== layout.names[i] || r.start - slack > t || r.end + slack < t) continue;
    if (!best || Math.abs((r.start + r.end) / 2 - t) < Math.abs((best.start + best.end) / 2 - t)) best = r;
  }
  return best;
}
let drag = null;
canvas.addEventListener("pointerdown", (e) => {
  drag = { x: e.clientX, end: view.end === null ? last.time : view.end };
  canvas.setPointerCapture(e.pointerId);
  canvas.classList.add("drag");
});
canvas.addEventListener("pointerup", () => { drag = null; canvas.classList.remove("drag"); });
canvas.addEventListener("pointermove", (e) => {
  const box = canvas.getBoundingClientRect();
  if (drag && layout) {
    const dt = ((e.clientX - drag.x) / layout.plotW) * view.span;
    if (Math.abs(e.clientX - drag.x) > 2) { view.end = Math.min(last.time, drag.end - dt); drawStream(); }
    $("tip").style.display = "none";
    return;
  }
  const r = runAt(e.clientX - box.left, e.clientY - box.top);
  const tip = $("tip");
  if (!r) { tip.style.display = "none"; return; }
  tip.innerHTML = "<b>" + esc(r.task) + "</b> " + (r.ok ? "" : '<span style="color:#ff9b8f">failed</span>') +
    "<br>key " + esc(r.key) + "<br>worker " + esc(r.worker) +
    "<br>start " + clock(r.start + skew, true) + " · " + duration(r.end - r.start) +
    "<br>bytes in " + bytes(r.bytesIn) + " · out " + bytes(r.bytesOut);
  tip.style.display = "block";
  const px = e.clientX - box.left, wide = box.width;
  tip.style.left = Math.min(px + 12, Math.max(0, wide - tip.offsetWidth - 4)) + "px";
  tip.style.top = (e.clientY - box.top + 14) + "px";
});
canvas.addEventListener("pointerleave", () => { $("tip").style.display = "none"; });
canvas.addEventListener("wheel", (e) => {
  if (!layout) return;
  e.preventDefault();
  const box = canvas.getBoundingClientRect();
  const at = layout.start + ((e.clientX - box.left - layout.left) / layout.plotW) * view.span;
  const factor = Math.pow(1.0015, e.deltaY);
  const span = Math.min(300e3, Math.max(500, view.span * factor));
  const end = (view.end === null ? last.time : view.end);
  const newEnd = at + (end - at) * (span / view.span);
  view.span = span;
  view.end = newEnd >= last.time - 50 ? null : newEnd;
  drawStream();
}, { passive: false });
canvas.addEventListener("dblclick", () => { view.end = null; drawStream(); });
${GRAPH_SCRIPT}
${ACTORS_SCRIPT}
window.addEventListener("resize", () => render(last));
initialRuns.forEach((r) => addRun(r, true));
render(initial);
setInterval(pollStream, 1000);
${LOGS_PANEL_SCRIPT}
const source = new EventSource("api/events" + (tokenQuery ? "?" + tokenQuery : ""));
source.onmessage = (e) => { $("state").textContent = "live"; $("state").className = "meta"; render(JSON.parse(e.data)); };
source.onerror = () => { $("state").textContent = "disconnected, retrying"; $("state").className = "meta off"; };
</script>
</body>
</html>
`;
