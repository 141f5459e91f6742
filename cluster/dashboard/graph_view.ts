/**
 * The dashboard page's graph view: the task graph of the computation
 * selected in the list (by default the latest running one), fetched from
 * `/api/graph` when the status says something changed (at most once a
 * second), drawn on a canvas in layers by longest path from the roots:
 * one dot per task coloured by its state, or past a few hundred tasks one
 * box per task name with its tasks by state. Pieces of the one page
 * (`dashboard_page.ts` puts them in): style, markup, script.
 *
 * @module
 */

/** The view's CSS. */
export const GRAPH_STYLE = `
  .comp { cursor: pointer; }
  .comp.sel { background: #eef3fc; box-shadow: inset 3px 0 0 var(--accent); padding-left: .5em; margin-left: -.5em; padding-right: .5em; margin-right: -.5em; }
  #graphWrap { position: relative; max-height: 640px; overflow: auto; }
  #graph { display: block; }
  #graphTip { position: absolute; pointer-events: none; background: rgba(29,36,48,.95); color: #fff; padding: .4em .6em; border-radius: 6px; font-size: 12px; line-height: 1.4; max-width: 22em; overflow-wrap: anywhere; display: none; z-index: 2; }
  #graphTip b { color: #ffd27a; font-weight: 600; }
  #graphLegend { margin-top: .4em; font-size: .85em; color: var(--muted); }
  #graphLegend span.st { display: inline-block; margin-right: .9em; white-space: nowrap; }
  #graphLegend .dot { display: inline-block; width: .75em; height: .75em; border-radius: 50%; margin-right: .3em; vertical-align: -.05em; border: 1px solid rgba(0,0,0,.12); }
  #graphNote { font-size: .85em; color: var(--muted); margin-bottom: .3em; }
`;

/** The view's markup: a section after the computations. */
export const GRAPH_SECTION = `
<section id="graphBox">
  <h2>Graph <span id="graphTitle"></span> <span class="hint">click a computation above to see its graph · hover a node for its key</span></h2>
  <div id="graphNote"></div>
  <div id="graphWrap"><canvas id="graph" role="img" aria-label="task graph"></canvas><div id="graphTip"></div></div>
  <div id="graphLegend"></div>
</section>
`;

/**
 * The view's script (inside the page's script: it uses `$`, `esc`, `num`,
 * `last` and `tokenQuery` of it); the page calls `renderGraph(status)`.
 */
export const GRAPH_SCRIPT = `
// ---- the graph of a computation, from api/graph
const STATES = [["waiting", "#98a2ae"], ["ready", "#e8a33d"], ["processing", "#3b9a57"], ["memory", "#3a6fd8"],
  ["released", "#a9cbea"], ["forgotten", "#dce2e9"], ["erred", "#d2483a"], ["cancelled", "#8e6bbf"]];
const stateColour = new Map(STATES);
const graphView = { id: null, chosen: false, data: null, error: "", fetching: false, asked: 0, seen: "", timer: 0, layout: null };
// (?graph=ID opens with that computation's graph)
const askedGraph = Number(new URLSearchParams(location.search).get("graph"));
if (askedGraph >= 1) { graphView.id = askedGraph; graphView.chosen = true; }
// (the page comes with the graph it opens on: it shows before any fetch)
if (initialGraph) { graphView.data = initialGraph; graphView.id = initialGraph.computation.id; graphView.asked = Date.now(); }
$("computations").addEventListener("click", (e) => {
  const el = e.target.closest && e.target.closest(".comp");
  if (!el) return;
  graphView.id = Number(el.dataset.id);
  graphView.chosen = true;
  graphView.seen = "";
  graphView.asked = 0;
  renderGraph(last);
});
function renderGraph(s) {
  const comps = s.computations;
  if (!graphView.chosen || !comps.some((c) => c.id === graphView.id)) {
    const running = comps.filter((c) => c.done < c.total);
    const pick = (running.length > 0 ? running : comps)[(running.length > 0 ? running : comps).length - 1];
    graphView.chosen = false;
    graphView.id = pick ? pick.id : null;
  }
  for (const el of document.querySelectorAll(".comp")) el.classList.toggle("sel", Number(el.dataset.id) === graphView.id);
  const c = comps.find((c) => c.id === graphView.id);
  if (!c) {
    graphView.data = null;
    $("graphTitle").textContent = "";
    $("graphNote").textContent = "no computation yet";
    drawGraph();
    return;
  }
  $("graphTitle").innerHTML = (c.name ? esc(c.name) + ' <span class="muted">#' + c.id + "</span>" : "#" + c.id) +
    ' <span class="hint">' + num(c.done) + "/" + num(c.total) + (c.done < c.total ? " · live" : " · finished") + "</span>";
  // (what would change its states: its progress, and the tasks by state)
  const seen = c.id + "|" + c.done + "|" + (c.ended || "") + "|" + JSON.stringify(s.tasks);
  if (seen !== graphView.seen) fetchGraph(c.id, seen);
  drawGraph();
}
async function fetchGraph(id, seen) {
  const wait = 1000 - (Date.now() - graphView.asked);
  if (graphView.fetching || wait > 0) {
    // (once a second at most: look again then)
    if (!graphView.timer) graphView.timer = setTimeout(() => { graphView.timer = 0; renderGraph(last); }, Math.max(wait, 100));
    return;
  }
  graphView.fetching = true;
  graphView.asked = Date.now();
  try {
    const r = await fetch("api/graph?computation=" + id + (tokenQuery ? "&" + tokenQuery : ""));
    const body = await r.json();
    if (id !== graphView.id) return;
    graphView.seen = seen;
    graphView.data = r.ok ? body : null;
    graphView.error = r.ok ? "" : body.error || "error " + r.status;
  } catch (_) { /* the next status will ask again */ } finally {
    graphView.fetching = false;
    drawGraph();
  }
}
// Layers by longest path from the roots (dependencies first: a task's
// come before it; a group's that come later are drawn back), then each
// layer ordered by where its dependencies are.
function layoutGraph(nodes) {
  const layer = nodes.map(() => 0);
  nodes.forEach((n, i) => { for (const d of n.deps) if (d < i) layer[i] = Math.max(layer[i], layer[d] + 1); });
  const layers = [];
  nodes.forEach((_, i) => (layers[layer[i]] = layers[layer[i]] || []).push(i));
  const pos = nodes.map(() => 0);
  for (const ids of layers) {
    const key = ids.map((i) => {
      const ds = nodes[i].deps.filter((d) => d < i && layer[d] < layer[i]);
      return ds.length === 0 ? i / nodes.length : ds.reduce((a, d) => a + pos[d], 0) / ds.length;
    });
    const order = ids.map((_, k) => k).sort((a, b) => key[a] - key[b] || ids[a] - ids[b]);
    order.forEach((k, j) => (pos[ids[k]] = ids.length === 1 ? 0.5 : j / (ids.length - 1)));
  }
  return { layer, layers, pos };
}
function drawGraph() {
  const canvas = $("graph");
  const d = graphView.data;
  const nodes = d ? (d.grouped ? d.groups : d.tasks) : [];
  $("graphNote").textContent = graphView.error ? graphView.error : !d ? $("graphNote").textContent :
    d.grouped ? num(d.computation.total) + " tasks: one box per task name, its tasks by state" + (d.truncated ? " (cut at 200 names)" : "")
      : nodes.length + (nodes.length === 1 ? " task" : " tasks") + (d.truncated ? " (edges cut)" : "");
  // (a graph too big for the box scrolls: columns and rows keep a least size)
  const wrapW = canvas.parentElement.clientWidth || 800;
  const narrow = wrapW < 520;
  const { layers, pos, layer } = layoutGraph(nodes);
  const most = Math.max(1, ...layers.map((l) => l.length));
  const box = d && d.grouped ? { w: Math.min(170, Math.max(72, (wrapW - 20) / Math.max(1, layers.length) - 26)), h: 38 } : null;
  const gap = box ? box.h + 14 : Math.max(6, Math.min(26, 520 / most));
  const margin = box ? box.h / 2 + 6 : 12;
  const cssH = nodes.length === 0 ? 40 : Math.max(90, most * gap + 2 * margin);
  const pad = box ? box.w / 2 + 8 : 14;
  const ctx = canvas.getContext("2d");
  // (room on the right for the last layer's task names, when they are drawn)
  ctx.font = "11px system-ui, sans-serif";
  const named = !box && nodes.length > 0 && gap >= 14 && (wrapW - 2 * pad) / Math.max(1, layers.length) >= 70;
  const tail = named ? Math.min(120, 14 + Math.max(...nodes.map((n) => ctx.measureText(n.task).width))) : 0;
  const cssW = Math.max(wrapW, Math.ceil(2 * pad + tail + (box ? box.w + 24 : 14) * (layers.length - 1)));
  const dpr = window.devicePixelRatio || 1;
  canvas.style.width = cssW + "px";
  canvas.style.height = cssH + "px";
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  // (columns no wider than needed: a small graph is drawn compact, centred)
  const colW = layers.length > 1 ? Math.min(box ? box.w + 120 : 240, (cssW - 2 * pad - tail) / (layers.length - 1)) : 0;
  const left = Math.max(pad, (cssW - colW * (layers.length - 1) - tail) / 2);
  const r = box ? 0 : Math.max(2.5, Math.min(8, gap * 0.36, colW * 0.3 || 8));
  const at = nodes.map((_, i) => ({
    x: left + layer[i] * colW,
    y: margin + (cssH - 2 * margin) * pos[i],
  }));
  // Edges under the nodes.
  ctx.strokeStyle = "rgba(95,108,124,.38)";
  ctx.lineWidth = nodes.length > 200 ? 0.6 : 1;
  nodes.forEach((n, i) => {
    for (const dep of n.deps) {
      const a = at[dep], b = at[i];
      const ax = a.x + (box ? box.w / 2 : r), bx = b.x - (box ? box.w / 2 : r);
      ctx.beginPath();
      ctx.moveTo(ax, a.y);
      if (bx > ax) { const m = (ax + bx) / 2; ctx.bezierCurveTo(m, a.y, m, b.y, bx, b.y); }
      else ctx.bezierCurveTo(ax + 40, a.y - 60, bx - 40, b.y - 60, bx, b.y);  // (back)
      ctx.stroke();
    }
  });
  const counts = {};
  ctx.textBaseline = "middle";
  nodes.forEach((n, i) => {
    const p = at[i];
    if (box) {
      const x0 = p.x - box.w / 2, y0 = p.y - box.h / 2;
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#c5ccd6";
      ctx.beginPath(); ctx.roundRect(x0, y0, box.w, box.h, 6); ctx.fill(); ctx.stroke();
      // its tasks by state, as a bar along the bottom
      let x = x0 + 6;
      ctx.fillStyle = "#f0f2f5";
      ctx.fillRect(x, y0 + box.h - 11, box.w - 12, 6);
      for (const [state, colour] of STATES) {
        const k = n.states[state] || 0;
        if (k === 0) continue;
        counts[state] = (counts[state] || 0) + k;
        const w = ((box.w - 12) * k) / n.total;
        ctx.fillStyle = colour;
        ctx.fillRect(x, y0 + box.h - 11, Math.max(1, w), 6);
        x += w;
      }
      ctx.fillStyle = "#1d2430";
      ctx.font = "600 " + (narrow ? 11 : 12) + "px system-ui, sans-serif";
      const done = (n.states.memory || 0) + (n.states.released || 0) + (n.states.forgotten || 0);
      const label = fit(ctx, n.task, box.w - 12);
      ctx.fillText(label, x0 + 6, y0 + 11);
      ctx.font = (narrow ? 10 : 11) + "px system-ui, sans-serif";
      ctx.fillStyle = "#6b7480";
      const tail = num(done) + "/" + num(n.total);
      ctx.fillText(tail, x0 + box.w - 6 - ctx.measureText(tail).width, y0 + 11);
    } else {
      counts[n.state] = (counts[n.state] || 0) + 1;
      ctx.fillStyle = stateColour.get(n.state) || "#999";
      ctx.beginPath(); ctx.arc(p.x, p.y, r, 0, 2 * Math.PI); ctx.fill();
      if (n.state === "forgotten" || n.state === "released") { ctx.strokeStyle = "#9aa5b1"; ctx.lineWidth = 0.8; ctx.stroke(); }
    }
  });
  // Task names beside the dots when there is room.
  if (named) {
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#4a5361";
    nodes.forEach((n, i) => {
      const room = layer[i] === layers.length - 1 ? tail - r - 4 : colW - 2 * r - 8;
      ctx.fillText(fit(ctx, n.task, Math.max(20, room)), at[i].x + r + 4, at[i].y);
    });
  }
  graphView.layout = { at, r, box, nodes };
  canvas.dataset.computation = d ? String(d.computation.id) : "";
  canvas.dataset.grouped = d ? String(d.grouped) : "";
  canvas.dataset.nodes = String(nodes.length);
  canvas.dataset.edges = String(nodes.reduce((a, n) => a + n.deps.length, 0));
  canvas.dataset.states = STATES.filter(([s]) => counts[s]).map(([s]) => s + ":" + counts[s]).join(",");
  canvas.setAttribute("aria-label", "task graph: " + nodes.length + (d && d.grouped ? " task names" : " tasks") + " in " + layers.length + " layers");
  $("graphLegend").innerHTML = STATES.map(([s, colour]) => '<span class="st"><span class="dot" style="background:' + colour + '"></span>' +
    s + (counts[s] ? " <b>" + num(counts[s]) + "</b>" : "") + "</span>").join("");
}
function fit(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let t = text;
  while (t.length > 1 && ctx.measureText(t + "…").width > width) t = t.slice(0, -1);
  return t + "…";
}
$("graph").addEventListener("pointermove", (e) => {
  const tip = $("graphTip"), L = graphView.layout;
  const b = $("graph").getBoundingClientRect();
  const x = e.clientX - b.left, y = e.clientY - b.top;
  let hit = -1, best = Infinity;
  if (L) L.at.forEach((p, i) => {
    const dx = Math.abs(p.x - x), dy = Math.abs(p.y - y);
    const inside = L.box ? dx <= L.box.w / 2 && dy <= L.box.h / 2 : dx * dx + dy * dy <= (L.r + 3) * (L.r + 3);
    if (inside && dx + dy < best) { best = dx + dy; hit = i; }
  });
  if (hit < 0) { tip.style.display = "none"; return; }
  const n = L.nodes[hit];
  tip.innerHTML = L.box
    ? "<b>" + esc(n.task) + "</b> " + num(n.total) + " tasks<br>" + STATES.filter(([s]) => n.states[s]).map(([s]) => s + " " + num(n.states[s])).join(" · ")
    : "<b>" + esc(n.task) + "</b> " + esc(n.state) + "<br>" + esc(n.key) + (n.deps.length ? "<br>" + n.deps.length + " inputs" : "");
  tip.style.display = "block";
  tip.style.left = Math.min(x + 12, Math.max(0, b.width - tip.offsetWidth - 4)) + "px";
  tip.style.top = (y + 14) + "px";
});
$("graph").addEventListener("pointerleave", () => { $("graphTip").style.display = "none"; });
`;
