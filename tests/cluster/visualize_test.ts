import assert from "node:assert/strict";
import { ActorSystem, defineTasks } from "@troupe/troupe";
import {
  createScheduler,
  type Delayed,
  delayed,
  GraphTooLargeError,
  GraphvizNotFoundError,
  visualize,
} from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";

/** The two text formats of `visualize`. */
const toDot = (output: unknown) => visualize(output);
const toMermaid = (output: unknown) => visualize(output, { format: "mermaid" });

/** Tasks with names that DOT and Mermaid would misread if not escaped. */
export const odd = defineTasks(import.meta.url, {
  'say "hi" \\ <b>#1; `x` [y] {z} |w|': (x: number) => x,
});
const oddTask = odd['say "hi" \\ <b>#1; `x` [y] {z} |w|'];

/** A node as drawn: its label lines, its key, and how it is marked. */
interface Drawn {
  lines: string[];
  key?: string;
  output: boolean;
  future: boolean;
}

interface Parsed {
  /** By node id. */
  nodes: Map<string, Drawn>;
  /** `from -> to`, by node id. */
  edges: string[];
}

// --- A reader of the DOT that visualize writes (one statement a line). ---

function unquoteDot(quoted: string): string {
  // Inside "...": \" is a quote, \\ a backslash, \n a line break, and
  // Graphviz reads &amp; as &.
  return quoted.slice(1, -1)
    .replace(/\\(.)/g, (_, c: string) => c === "n" ? "\n" : c)
    .replace(/&amp;/g, "&");
}

function parseDot(text: string): Parsed {
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "digraph troupe {");
  assert.equal(lines.at(-1), "}");
  const nodes = new Map<string, Drawn>();
  const edges: string[] = [];
  for (const line of lines.slice(1, -1)) {
    const edge = line.match(/^ {2}(n\d+) -> (n\d+);$/);
    if (edge) {
      edges.push(`${edge[1]} -> ${edge[2]}`);
      continue;
    }
    const node = line.match(/^ {2}(n\d+) \[(.*)\];$/);
    if (!node) {
      assert.match(line, /^ {2}(rankdir|node )/, `unexpected line: ${line}`);
      continue;
    }
    const attrs = new Map<string, string>();
    const attr = /(\w+)=("(?:[^"\\]|\\.)*"|[^,\s"]+)(?:, |$)/y;
    let m: RegExpExecArray | null;
    while ((m = attr.exec(node[2])) !== null) {
      attrs.set(m[1], m[2].startsWith('"') ? unquoteDot(m[2]) : m[2]);
      if (attr.lastIndex === node[2].length) break;
    }
    assert.equal(attr.lastIndex, node[2].length, `attributes of ${line}`);
    const style = (attrs.get("style") ?? "").split(",");
    assert.ok(!nodes.has(node[1]), `node ${node[1]} drawn twice`);
    nodes.set(node[1], {
      lines: attrs.get("label")!.split("\n"),
      key: attrs.get("tooltip"),
      output: attrs.get("peripheries") === "2" && style.includes("bold"),
      future: style.includes("dashed"),
    });
  }
  return { nodes, edges };
}

// --- A reader of the Mermaid that visualize writes. ---

function unescapeMermaid(label: string): string[] {
  return label.split("<br/>").map((part) => {
    assert.doesNotMatch(part, /["<>`\n]/, `unescaped text in ${label}`);
    return part.replace(/#(\d+);/g, (_, n: string) => String.fromCodePoint(+n));
  });
}

function parseMermaid(text: string): Parsed {
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "flowchart TD");
  const nodes = new Map<string, Drawn>();
  const edges: string[] = [];
  const classes = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    let m = line.match(/^ {2}(n\d+) --> (n\d+)$/);
    if (m) {
      edges.push(`${m[1]} -> ${m[2]}`);
      continue;
    }
    m = line.match(/^ {2}(n\d+)(?:\("([^"]*)"\)|\[\["([^"]*)"\]\])$/);
    if (m) {
      assert.ok(!nodes.has(m[1]), `node ${m[1]} drawn twice`);
      nodes.set(m[1], {
        lines: unescapeMermaid(m[2] ?? m[3]),
        output: false,
        future: m[3] !== undefined,
      });
      continue;
    }
    m = line.match(/^ {2}class ([n\d,]+) (\w+)$/);
    if (m) {
      classes.set(m[2], m[1].split(","));
      continue;
    }
    assert.match(line, /^ {2}classDef (future|output) /, `unexpected: ${line}`);
  }
  for (const id of classes.get("output") ?? []) nodes.get(id)!.output = true;
  for (const id of classes.get("future") ?? []) {
    assert.ok(nodes.get(id)!.future, `${id} in class future, drawn as a task`);
  }
  return { nodes, edges };
}

/** The graph as sets: nodes by their label lines, edges by those labels. */
function shape(p: Parsed): { nodes: string[]; edges: string[] } {
  const name = (id: string) => p.nodes.get(id)!.lines.join(" / ");
  for (const e of p.edges) {
    for (const id of e.split(" -> ")) {
      assert.ok(p.nodes.has(id), `edge ${e} names an unknown node`);
    }
  }
  const mark = (d: Drawn) =>
    (d.output ? " [out]" : "") + (d.future ? " [future]" : "");
  return {
    nodes: [...p.nodes.entries()].map(([id, d]) => name(id) + mark(d)).sort(),
    edges: p.edges.map((e) => e.split(" -> ").map(name).join(" -> ")).sort(),
  };
}

/** The label lines expected for a delayed value with a derived key. */
function label(d: Delayed<unknown>): string {
  const name = d.task.taskName;
  assert.ok(d.key.startsWith(name + "-"));
  return `${name} / ${d.key.slice(name.length + 1, name.length + 7)}`;
}

/** inc(1) feeds inc and square, which both feed add. */
function diamond() {
  const a = delayed(g.inc)(1);
  const b = delayed(g.inc)(a);
  const c = delayed(g.square)(a);
  const d = delayed(g.add)(b, c);
  return { a, b, c, d };
}

function expectedDiamond() {
  const { a, b, c, d } = diamond();
  return {
    nodes: [label(a), label(b), label(c), label(d) + " [out]"].sort(),
    edges: [
      `${label(a)} -> ${label(b)}`,
      `${label(a)} -> ${label(c)}`,
      `${label(b)} -> ${label(d)}`,
      `${label(c)} -> ${label(d)}`,
    ].sort(),
  };
}

Deno.test("DOT draws exactly the diamond's nodes and edges", async () => {
  const { a, b, c, d } = diamond();
  const dot = await toDot(d);
  const parsed = parseDot(dot);
  assert.deepEqual(shape(parsed), expectedDiamond());
  // Ids follow graph order and keys are kept in full.
  assert.deepEqual(
    [...parsed.nodes.values()].map((n) => n.key),
    [a.key, b.key, c.key, d.key],
  );
  // Deterministic: the same graph built again gives the same text.
  assert.equal(await toDot(diamond().d), dot);
});

Deno.test("Mermaid draws exactly the diamond's nodes and edges", async () => {
  const text = await toMermaid(diamond().d);
  assert.deepEqual(shape(parseMermaid(text)), expectedDiamond());
  assert.equal(await toMermaid(diamond().d), text);
});

Deno.test("a shared dependency used twice by one task is one edge", async () => {
  const a = delayed(g.inc)(1);
  const twice = delayed(g.add)(a, a);
  for (
    const p of [
      parseDot(await toDot(twice)),
      parseMermaid(await toMermaid(twice)),
    ]
  ) {
    assert.deepEqual(shape(p), {
      nodes: [label(a), label(twice) + " [out]"].sort(),
      edges: [`${label(a)} -> ${label(twice)}`],
    });
  }
});

Deno.test("outputs inside arrays and objects are all marked", async () => {
  const { a, b, d } = diamond();
  for (
    const p of [
      parseDot(await toDot([b, { total: d }, 7])),
      parseMermaid(await toMermaid([b, { total: d }, 7])),
    ]
  ) {
    const marked = [...p.nodes.values()].filter((n) => n.output);
    assert.deepEqual(
      marked.map((n) => n.lines.join(" / ")).sort(),
      [label(b), label(d)].sort(),
    );
    assert.equal(p.nodes.size, 4);
    assert.ok(
      [...p.nodes.values()].some((n) => n.lines.join(" / ") === label(a)),
    );
  }
});

Deno.test("visualize takes one output, in compute's shape, and never draws nothing", async () => {
  const { b, d } = diamond();
  // A single lazy value is an output (visualize drew an empty graph for it).
  assert.equal(parseDot(await visualize(d)).nodes.size, 4);
  assert.equal(await visualize([d]), await visualize(d));
  assert.equal(
    await visualize({ total: d }, { format: "mermaid" }),
    await toMermaid(d),
  );
  // Several outputs go in one array or object, as compute takes them.
  assert.equal(parseDot(await toDot([b, d])).nodes.size, 4);
  // A second output where the options go was silently dropped before:
  // now it says so.
  for (const second of [d, [d], { total: d }]) {
    await assert.rejects(
      visualize(b, second as unknown as { format: "dot" }),
      (e: unknown) =>
        e instanceof TypeError &&
        /takes one output.*a second one where its options go/.test(e.message),
    );
  }
  // Nothing lazy in the output: an error, not an empty drawing.
  for (const nothing of [1, "two", [3], {}, []]) {
    await assert.rejects(toDot(nothing), /found no delayed value or future/);
    await assert.rejects(
      toMermaid(nothing),
      /found no delayed value or future/,
    );
  }
});

Deno.test("futures are drawn as distinct input nodes", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "inline" });
  const [f] = scheduler.persist(delayed(g.square)(3));
  try {
    const uses = delayed(g.add)(f, delayed(g.inc)(1));
    // A future's key is drawn as its task's name and 6 digits of its hash.
    const short = f.key.replace(/^(square-[0-9a-f]{6})[0-9a-f]{26}$/, "$1");
    assert.match(short, /^square-[0-9a-f]{6}$/);
    const expected = {
      nodes: [
        `future / ${short}`,
        label(delayed(g.inc)(1)),
        label(uses) + " [out]",
      ].sort(),
      edges: [
        `future / ${short} -> ${label(uses)}`,
        `${label(delayed(g.inc)(1))} -> ${label(uses)}`,
      ].sort(),
    };
    const withFuture = (p: Parsed) => {
      const s = shape(p);
      s.nodes = s.nodes.map((n) => n.replace(" [future]", ""));
      assert.equal([...p.nodes.values()].filter((n) => n.future).length, 1);
      assert.ok(p.nodes.get("n0")!.future, "futures come first");
      return s;
    };
    assert.deepEqual(withFuture(parseDot(await toDot(uses))), expected);
    assert.deepEqual(withFuture(parseMermaid(await toMermaid(uses))), expected);
  } finally {
    f.release();
  }
});

Deno.test("odd task names and keys are escaped in DOT and Mermaid", async () => {
  const key = 'k"q\\n\\<i>&#2;`t`\nz';
  const named = delayed(g.inc, { key })(1);
  const top = delayed(oddTask)(named);
  const name = 'say "hi" \\ <b>#1; `x` [y] {z} |w|';
  // (A line break in a key is drawn as a space.)
  const shown = 'k"q\\n\\<i>&#2;`t` z';
  const expected = {
    nodes: [`inc / ${shown}`, `${name} / ${label(top).split(" / ")[1]} [out]`]
      .sort(),
    edges: [`inc / ${shown} -> ${name} / ${label(top).split(" / ")[1]}`],
  };
  const dot = await toDot(top);
  const parsedDot = parseDot(dot);
  assert.deepEqual(shape(parsedDot), expected);
  assert.equal(parsedDot.nodes.get("n0")!.key, key.replace("\n", " "));
  assert.deepEqual(shape(parseMermaid(await toMermaid(top))), expected);
  // Long named keys are cut short in the label, kept whole in the tooltip.
  const long = delayed(g.inc, { key: "x".repeat(100) })(1);
  const node = parseDot(await toDot(long)).nodes.get("n0")!;
  assert.equal(node.lines[1], "x".repeat(23) + "…");
  assert.equal(node.key, "x".repeat(100));
});

Deno.test("graphs past the node limit are refused with GraphTooLargeError", async () => {
  const many: Delayed<number>[] = [];
  for (let i = 0; i <= 10_000; i++) many.push(delayed(g.square)(i));
  for (const draw of [() => toDot(many), () => toMermaid(many)]) {
    await assert.rejects(draw, (e: unknown) => {
      assert.ok(e instanceof GraphTooLargeError);
      assert.equal(e.nodes, 10_001);
      assert.equal(e.maxNodes, 10_000);
      assert.match(e.message, /10001 nodes.*maxNodes/);
      return true;
    });
  }
  const { d } = diamond();
  await assert.rejects(
    visualize([d], { maxNodes: 3 }),
    (e: unknown) => e instanceof GraphTooLargeError && e.nodes === 4,
  );
  assert.equal(await visualize([d], { maxNodes: 4 }), await toDot(d));
  assert.equal(await visualize([d], { format: "mermaid" }), await toMermaid(d));
  assert.equal(
    (await visualize(many, { format: "mermaid", maxNodes: 20_000 }))
      .split("\n").filter((l) => /^ {2}n\d+\(/.test(l)).length,
    10_001,
  );
  await assert.rejects(visualize([d], { maxNodes: 0 }), RangeError);
  await assert.rejects(
    visualize([d], { format: "png" as "svg" }),
    /format must be/,
  );
});

Deno.test("svg without Graphviz fails with GraphvizNotFoundError naming the package", async () => {
  await assert.rejects(
    visualize([diamond().d], {
      format: "svg",
      dotCommand: "troupe-no-such-graphviz-command",
    }),
    (e: unknown) => {
      assert.ok(e instanceof GraphvizNotFoundError);
      assert.equal(e.command, "troupe-no-such-graphviz-command");
      assert.match(e.message, /apt-get install graphviz/);
      return true;
    },
  );
});

const repo = new URL("../../", import.meta.url);

/** Run `code` in a fresh `deno eval` at the repository's root (it may write). */
async function evalInRepo(code: string): Promise<string> {
  const { code: exit, stdout, stderr } = await new Deno.Command(
    Deno.execPath(),
    {
      args: ["eval", "--quiet", code],
      cwd: repo,
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(exit, 0, err);
  return new TextDecoder().decode(stdout);
}

/** A program that draws the diamond to a file and prints what it wrote. */
function drawToFile(format: string): string {
  return `
    import { delayed, visualize } from "@troupe/troupe";
    import { g } from "./tests/fixtures/graph_tasks.ts";
    const a = delayed(g.inc)(1);
    const d = delayed(g.add)(delayed(g.inc)(a), delayed(g.square)(a));
    const dir = await Deno.makeTempDir();
    try {
      const file = dir + "/graph.${format}";
      const text = await visualize([d], { format: "${format}", file });
      const written = await Deno.readTextFile(file);
      console.log(JSON.stringify({ same: written === text, text }));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  `;
}

Deno.test("visualize writes the drawing to `file`", async () => {
  const out = JSON.parse(await evalInRepo(drawToFile("dot")));
  assert.equal(out.same, true);
  assert.equal(out.text, await toDot(diamond().d));
});

async function hasGraphviz(): Promise<boolean> {
  try {
    return (await new Deno.Command("dot", { args: ["-V"], stderr: "null" })
      .output()).success;
  } catch {
    return false; // not installed (or no --allow-run)
  }
}

const graphviz = await hasGraphviz();

Deno.test({
  name:
    "svg via Graphviz: every node and edge, labels intact (ignored when `dot` is not installed)",
  ignore: !graphviz,
  fn: async () => {
    const { a, b, c, d } = diamond();
    const key = 'k "q" \\ <i>&amp;';
    const top = delayed(g.inc, { key })(d);
    const svg = await visualize([top], { format: "svg" });
    assert.match(svg, /^<\?xml/);
    assert.equal(svg.match(/<g id="node\d+" class="node">/g)?.length, 5);
    assert.equal(svg.match(/<g id="edge\d+" class="edge">/g)?.length, 5);
    // Graphviz read each label back as written.
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
      m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
        .replace(/&#45;/g, "-").replace(/&amp;/g, "&")
    );
    for (const n of [a, b, c, d]) {
      for (const line of label(n).split(" / ")) {
        assert.ok(texts.includes(line), line);
      }
    }
    assert.ok(texts.includes(key), `${key} in ${texts}`);
    // And to a file.
    const out = JSON.parse(await evalInRepo(drawToFile("svg")));
    assert.equal(out.same, true);
    assert.match(out.text, /<svg /);
  },
});
