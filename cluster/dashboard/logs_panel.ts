/**
 * The dashboard's logs panel: a click on a worker in the workers table
 * fetches the last lines of its log (`GET /api/logs?worker=NAME`, which
 * asks that node through the scheduler, see `Cluster.workerLogs`) and
 * shows them under the table; nothing is fetched until then. `?logs=NAME`
 * in the page's URL opens it on that worker. Its markup and script are
 * put into the page (see `dashboard_page.ts`), whose helpers (`$`, `esc`,
 * `tokenQuery`) the script uses.
 *
 * @module
 */

/** The panel's markup, hidden until a worker is clicked. */
export const LOGS_PANEL_HTML: string = `<style>
#workers tr.worker { cursor: pointer; }
#workers tr.worker:hover td:first-child::after { content: " · logs"; color: #777; font-size: .85em; }
#workers tr.worker.logsOn td { background: #eef3fb; }
#logs { max-height: 24em; overflow: auto; margin: .4em 0 0; padding: .5em; background: #f6f7f9; border-radius: 4px; font-size: .8em; white-space: pre-wrap; word-break: break-word; }
#logs .error { color: #b3261e; }
#logs .time { color: #777; }
</style>
<section id="logsBox" hidden>
  <h2>Logs <span class="hint" id="logsWorker"></span> <span class="controls"><button id="logsRefresh" title="fetch again">refresh</button><button id="logsClose">close</button></span></h2>
  <pre id="logs"></pre>
</section>`;

/** The panel's script (inside the page's script, after its helpers). */
export const LOGS_PANEL_SCRIPT: string = `
// ---- worker logs: fetched from the node when its row is clicked
let logsOf = null;
function rowName(tr) {
  // (the name is the first cell's text, after its colour swatch)
  const text = [...tr.cells[0].childNodes].find((n) => n.nodeType === 3);
  return text ? text.textContent : null;
}
function markLogsRow() {
  for (const tr of $("workers").tBodies[0].rows) {
    tr.classList.toggle("logsOn", logsOf !== null && rowName(tr) === logsOf);
  }
}
async function showLogs(name) {
  logsOf = name;
  $("logsBox").hidden = false;
  $("logsWorker").textContent = name + ", fetching…";
  markLogsRow();
  let body;
  try {
    const r = await fetch("api/logs?worker=" + encodeURIComponent(name) + "&lines=200" + (tokenQuery ? "&" + tokenQuery : ""));
    body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
  } catch (e) {
    if (logsOf !== name) return;
    $("logsWorker").textContent = name;
    $("logs").innerHTML = '<span class="error">' + esc(e.message) + "</span>";
    return;
  }
  if (logsOf !== name) return;
  $("logsWorker").textContent = name + ", last " + body.lines.length + (body.lines.length === 1 ? " line" : " lines") + ", at " + new Date().toLocaleTimeString();
  $("logs").innerHTML = body.lines.length === 0 ? '<span class="time">(nothing logged yet)</span>' : body.lines.map((l) =>
    '<span class="time">' + esc(new Date(l.time).toISOString()) + " " + esc(l.worker) + "</span> " +
    '<span class="' + (l.level === "error" ? "error" : "") + '">' + esc(l.text) + "</span>").join("\\n");
  $("logs").scrollTop = $("logs").scrollHeight;
}
$("workers").addEventListener("click", (e) => {
  const tr = e.target.closest("tr.worker");
  const name = tr && rowName(tr);
  if (name) showLogs(name);
});
$("logsRefresh").addEventListener("click", () => { if (logsOf !== null) showLogs(logsOf); });
$("logsClose").addEventListener("click", () => { logsOf = null; $("logsBox").hidden = true; markLogsRow(); });
new MutationObserver(markLogsRow).observe($("workers").tBodies[0], { childList: true });
markLogsRow();
if (new URLSearchParams(location.search).get("logs")) showLogs(new URLSearchParams(location.search).get("logs"));
`;
