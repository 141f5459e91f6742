/**
 * The dashboard page's actors panel: per node, what its heartbeat said of
 * its actors (how many, messages waiting, restarts, dead letters by reason
 * and its deepest mailboxes against their bounds). Pieces of the one page
 * (`dashboard_page.ts` puts them in): style, markup, script.
 *
 * @module
 */

/** The panel's CSS. */
export const ACTORS_STYLE = `
  #nodeActors { display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: .7em; }
  .nodeActors { border: 1px solid var(--line); border-radius: 7px; padding: .5em .7em .6em; min-width: 0; }
  .nodeActors .head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2em .8em; margin-bottom: .35em; }
  .nodeActors .head b { font-weight: 600; }
  .nodeActors .fig { color: var(--muted); font-size: .88em; font-variant-numeric: tabular-nums; }
  .nodeActors .fig b { color: var(--fg); font-weight: 600; }
  .nodeActors .fig.bad b { color: var(--err); }
  .letters { display: flex; flex-wrap: wrap; gap: .25em; margin: .2em 0 .35em; }
  .letter { font-size: .8em; padding: 0 .5em; border-radius: .7em; background: #fbe7e4; color: #8f2b20; border: 1px solid #f0bdb6; white-space: nowrap; }
  .letters .none { font-size: .85em; color: var(--muted); }
  .box { display: grid; grid-template-columns: minmax(0, 1fr) minmax(4em, 7em) max-content; gap: .1em .6em; align-items: center; font-size: .85em; }
  .box .who { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .95em; }
  .box .bar { height: .55em; }
  .box .bar > span.full { background: var(--err); }
  .box .depth { font-variant-numeric: tabular-nums; color: var(--muted); }
`;

/** The panel's markup: a section after the workers. */
export const ACTORS_SECTION = `
<section id="nodeActorsBox">
  <h2>Actors on the nodes <span class="hint">from each node's heartbeat: deepest mailboxes, restarts, dead letters by reason</span></h2>
  <div id="nodeActors"></div>
</section>
`;

/**
 * The panel's script (inside the page's script: it uses `$`, `esc`,
 * `num`, `colour`); the page calls `renderNodeActors(status)`.
 */
export const ACTORS_SCRIPT = `
// ---- actors on the nodes, as their heartbeats said
function renderNodeActors(s) {
  const nodes = s.nodes.filter((n) => n.actors);
  if (nodes.length === 0) {
    $("nodeActors").innerHTML = '<span class="muted">' + (s.nodes.length === 0 ? "no nodes yet" : "waiting for the nodes' first heartbeat") + "</span>";
    return;
  }
  $("nodeActors").innerHTML = nodes.map((n) => {
    const a = n.actors;
    const letters = Object.entries(a.deadLetters).sort((x, y) => y[1] - x[1]);
    const dead = letters.reduce((t, [, k]) => t + k, 0);
    const cap = (c) => (c === null || c === Infinity ? "∞" : num(c));
    return '<div class="nodeActors" data-node="' + esc(n.name) + '"><div class="head"><b><span class="swatch" style="background:' + colour(n.name) + '"></span>' + esc(n.name) +
      '</b><span class="fig"><b>' + num(a.count) + "</b> actors</span>" +
      '<span class="fig"><b>' + num(a.mailboxes) + "</b> waiting</span>" +
      '<span class="fig' + (a.restarts > 0 ? " bad" : "") + '"><b>' + num(a.restarts) + "</b> restarts</span>" +
      '<span class="fig' + (dead > 0 ? " bad" : "") + '"><b>' + num(dead) + "</b> dead letters</span></div>" +
      '<div class="letters">' + (letters.length === 0 ? '<span class="none">no dead letters</span>'
        : letters.map(([reason, k]) => '<span class="letter">' + esc(reason) + " <b>" + num(k) + "</b></span>").join("")) + "</div>" +
      (a.deepest.length === 0 ? '<div class="muted" style="font-size:.85em">no messages waiting</div>'
        : '<div class="box">' + a.deepest.map((m) => {
          const bounded = m.capacity !== null && m.capacity !== Infinity;
          const pct = bounded ? Math.min(100, Math.round((100 * m.depth) / m.capacity)) : 0;
          return '<span class="who" title="' + esc(m.actor) + '">' + esc(m.actor) + '</span><div class="bar"><span' +
            (pct >= 100 ? ' class="full"' : "") + ' style="width:' + pct + '%"></span></div><span class="depth">' +
            num(m.depth) + "/" + cap(m.capacity) + "</span>";
        }).join("") + "</div>") + "</div>";
  }).join("");
}
`;
