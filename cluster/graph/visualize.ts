/**
 * Pictures of task graphs: the graph behind delayed values and futures as
 * Graphviz DOT, as a Mermaid flowchart, or as SVG drawn by Graphviz's `dot`
 * when it is installed. One node per task, an edge from each dependency to
 * what depends on it, outputs drawn bold and futures dashed.
 *
 * @module
 */

import { TroupeError } from "../../actors/errors.ts";
import type { Delayed } from "./delayed.ts";
import { collectGraph } from "./graph.ts";
import { depSites, KEY, type Keyed } from "./keys.ts";

/**
 * Most nodes drawn unless `maxNodes` says otherwise.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_NODES } from "./visualize.ts";
 * console.log(DEFAULT_MAX_NODES); // 10000
 * ```
 */
export const DEFAULT_MAX_NODES = 10_000;

/**
 * How `visualize` draws a graph.
 *
 * @example
 * ```ts
 * import type { VisualizeOptions } from "./visualize.ts";
 * const options: VisualizeOptions = { format: "svg", file: "graph.svg" };
 * ```
 */
export interface VisualizeOptions {
  /** `dot` (default), `mermaid`, or `svg` (needs Graphviz's `dot` command). */
  format?: "dot" | "mermaid" | "svg";
  /** Also write the result to this file (needs write permission). */
  file?: string;
  /** Refuse graphs of more nodes than this (default 10,000). */
  maxNodes?: number;
  /** The Graphviz command used for `svg` (default `dot`, found on PATH). */
  dotCommand?: string;
}

/**
 * A graph has more nodes than `maxNodes`: a picture of it would be
 * unreadable (and slow to lay out).
 *
 * @example
 * ```ts
 * import { GraphTooLargeError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new GraphTooLargeError(20_000, 10_000);
 * assert.match(e.message, /20000 nodes.* at most 10000/);
 * assert.equal(e.nodes, 20_000);
 * ```
 */
export class GraphTooLargeError extends TroupeError {
  /** How many nodes the graph has. */
  readonly nodes: number;
  /** The limit it went over. */
  readonly maxNodes: number;
  /**
   * Build the error from the graph's size and the limit.
   *
   * @example
   * ```ts
   * import { GraphTooLargeError } from "@troupe/troupe";
   * new GraphTooLargeError(11, 10);
   * ```
   */
  constructor(nodes: number, maxNodes: number) {
    super(
      `the graph has ${nodes} nodes, and pictures are drawn of at most ${maxNodes}: draw a smaller part of it, or pass a larger maxNodes`,
    );
    this.nodes = nodes;
    this.maxNodes = maxNodes;
  }
}

/**
 * SVG was asked for, but Graphviz's `dot` command is not installed (or not
 * on PATH).
 *
 * @example
 * ```ts
 * import { GraphvizNotFoundError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new GraphvizNotFoundError("dot").message, /apt-get install graphviz/);
 * ```
 */
export class GraphvizNotFoundError extends TroupeError {
  /** The command that was not found. */
  readonly command: string;
  /**
   * Build the error from the command that was not found.
   *
   * @example
   * ```ts
   * import { GraphvizNotFoundError } from "@troupe/troupe";
   * new GraphvizNotFoundError("dot");
   * ```
   */
  constructor(command: string) {
    super(
      `SVG needs Graphviz, but the command "${command}" was not found: install Graphviz (Debian or Ubuntu: apt-get install graphviz; macOS: brew install graphviz; Windows: winget install graphviz) or ask for format "dot" or "mermaid"`,
    );
    this.command = command;
  }
}

/** One node to draw. */
interface DrawNode {
  id: string;
  /** Task name, or "future". */
  name: string;
  /** The short part of the key shown under the name. */
  tag: string;
  key: string;
  future: boolean;
  output: boolean;
}

interface Drawing {
  nodes: DrawNode[];
  edges: [string, string][];
}

/**
 * The nodes and edges of the graph behind `output` (one value, in the shape
 * `compute` takes), in graph order. A second output where the options go,
 * or an output with no lazy value in it, is a mistake (a drawing of nothing,
 * or of half, would hide it).
 */
function layout(output: unknown, options: unknown, maxNodes: number): Drawing {
  if (depSites([options]).length > 0) {
    throw new TypeError(
      `visualize takes one output (a lazy value, or an array or object of them), got a second one where its options go: put several in an array`,
    );
  }
  if (!(Number.isInteger(maxNodes) && maxNodes >= 1)) {
    throw new RangeError(`maxNodes must be an integer >= 1, got ${maxNodes}`);
  }
  const sites = depSites([output]);
  if (sites.length === 0) {
    throw new TypeError(
      `visualize found no delayed value or future in its output: give a lazy value, or an array or object of them`,
    );
  }
  const roots: Keyed[] = sites.map((s) => s.ref);
  const graph = collectGraph(roots);
  const size = graph.nodes.length + graph.external.size;
  if (size > maxNodes) throw new GraphTooLargeError(size, maxNodes);
  const outputKeys = new Set(roots.map((r) => r[KEY]));
  const ids = new Map<string, string>();
  const nodes: DrawNode[] = [];
  // Futures are inputs of the graph: drawn first.
  for (const key of graph.external.keys()) {
    const id = `n${ids.size}`;
    ids.set(key, id);
    nodes.push({
      id,
      name: "future",
      tag: shortKey(key),
      key,
      future: true,
      output: outputKeys.has(key),
    });
  }
  for (const node of graph.nodes) {
    const id = `n${ids.size}`;
    ids.set(node.key, id);
    nodes.push({
      id,
      name: node.task.taskName,
      tag: tagOf(node),
      key: node.key,
      future: false,
      output: outputKeys.has(node.key),
    });
  }
  const edges: [string, string][] = [];
  for (const node of graph.nodes) {
    const to = ids.get(node.key)!;
    const seen = new Set<string>();
    for (const site of node.deps) {
      const from = ids.get(site.ref[KEY])!;
      if (seen.has(from)) continue;
      seen.add(from);
      edges.push([from, to]);
    }
  }
  return { nodes, edges };
}

/** The hash part of a derived key (shortened), or a named key. */
function tagOf(node: Delayed): string {
  const prefix = node.task.taskName + "-";
  if (node.options.key === undefined && node.key.startsWith(prefix)) {
    return node.key.slice(prefix.length, prefix.length + 6);
  }
  return shorten(node.key, 24);
}

/**
 * A future's key as drawn: a derived key as its task's name and the first
 * digits of its hash, any other shortened.
 */
function shortKey(key: string): string {
  const derived = /^(.*)-([0-9a-f]{32})$/.exec(key);
  return derived === null
    ? shorten(key, 24)
    : `${shorten(derived[1], 17)}-${derived[2].slice(0, 6)}`;
}

function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join("") + "…";
}

/**
 * `text` as the inside of a DOT double-quoted string (an escString):
 * backslashes and quotes escaped, `&` written `&amp;` (Graphviz reads
 * entities such as `&lt;` in every label), control characters as spaces.
 */
function dotText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, " ");
}

/**
 * Graphviz DOT: one node per task, labelled with its task name and the short
 * part of its key, an edge from each dependency to its dependent; outputs
 * are bold, futures dashed. Node ids follow graph order, so the same graph
 * gives the same text.
 */
function dotOf({ nodes, edges }: Drawing): string {
  const lines = [
    "digraph troupe {",
    "  rankdir=TB;",
    '  node [shape=box, style="rounded", fontname="Helvetica"];',
  ];
  for (const n of nodes) {
    const attrs = [
      `label="${dotText(n.name)}\\n${dotText(n.tag)}"`,
      `tooltip="${dotText(n.key)}"`,
    ];
    const style = ["rounded"];
    if (n.future) style.push("dashed");
    if (n.output) style.push("bold");
    if (style.length > 1) attrs.push(`style="${style.join(",")}"`);
    if (n.output) attrs.push("peripheries=2");
    lines.push(`  ${n.id} [${attrs.join(", ")}];`);
  }
  for (const [from, to] of edges) lines.push(`  ${from} -> ${to};`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

/**
 * `text` for a quoted Mermaid label: every character that Mermaid or HTML
 * could read as syntax becomes an entity code (`#34;`).
 */
function mermaidText(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (/[A-Za-z0-9 _.,:+=*@!?$%^~'/-]/.test(ch) || code > 0x9f) out += ch;
    else if (code < 0x20 || code === 0x7f) out += " ";
    else out += `#${code};`;
  }
  return out;
}

/**
 * A Mermaid `flowchart`: the same nodes and edges as the DOT, tasks as
 * rounded boxes, futures as subroutine boxes (class `future`), outputs in
 * class `output`. Labels are escaped with Mermaid's entity codes.
 */
function mermaidOf({ nodes, edges }: Drawing): string {
  const lines = ["flowchart TD"];
  for (const n of nodes) {
    const label = `${mermaidText(n.name)}<br/>${mermaidText(n.tag)}`;
    lines.push(
      n.future ? `  ${n.id}[["${label}"]]` : `  ${n.id}("${label}")`,
    );
  }
  for (const [from, to] of edges) lines.push(`  ${from} --> ${to}`);
  const futures = nodes.filter((n) => n.future).map((n) => n.id);
  const outputs = nodes.filter((n) => n.output).map((n) => n.id);
  if (futures.length > 0) {
    lines.push("  classDef future stroke-dasharray: 5 5");
    lines.push(`  class ${futures.join(",")} future`);
  }
  if (outputs.length > 0) {
    lines.push("  classDef output stroke-width:3px");
    lines.push(`  class ${outputs.join(",")} output`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Draw the task graph behind `output` (a delayed value or a future, or an
 * array or object holding them: the shape `compute` takes). One node per
 * task, labelled with its task name and the short part of its key, an edge
 * from each dependency to its dependent; outputs are drawn bold, futures
 * dashed, and the same graph gives the same text. Formats: Graphviz DOT
 * (default), a Mermaid flowchart, or SVG made by Graphviz's `dot -Tsvg`
 * (needs Graphviz installed and `--allow-run`; throws
 * `GraphvizNotFoundError`, naming what to install, when it is not).
 * Resolves to the text; with `file`, also writes it there. Graphs of more
 * than `maxNodes` nodes (default 10,000) are refused with
 * `GraphTooLargeError`.
 *
 * @example A diamond, in DOT and in Mermaid
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import { delayed, visualize } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   inc: (x: number) => x + 1,
 *   add: (a: number, b: number) => a + b,
 * });
 * const a = delayed(t.inc)(1);
 * const top = delayed(t.add)(delayed(t.inc)(a), a);
 * const dot = await visualize(top);
 * assert.match(dot, /^digraph troupe \{/);
 * assert.equal(dot.match(/ -> /g)?.length, 3); // inc->inc, inc->add, inc->add
 * const text = await visualize([top], { format: "mermaid" });
 * assert.match(text, /^flowchart TD\n/);
 * await assert.rejects(visualize(top, { maxNodes: 2 }), /3 nodes/);
 * ```
 */
export async function visualize(
  output: unknown,
  options: {
    /** `dot` (default), `mermaid`, or `svg` (needs Graphviz's `dot` command). */
    format?: "dot" | "mermaid" | "svg";
    /** Also write the result to this file (needs write permission). */
    file?: string;
    /** Refuse graphs of more nodes than this (default 10,000). */
    maxNodes?: number;
    /** The Graphviz command used for `svg` (default `dot`, found on PATH). */
    dotCommand?: string;
  } = {},
): Promise<string> {
  const format = options.format ?? "dot";
  if (!["dot", "mermaid", "svg"].includes(format)) {
    throw new TypeError(
      `format must be "dot", "mermaid" or "svg", got ${String(format)}`,
    );
  }
  const drawing = layout(
    output,
    options,
    options.maxNodes ?? DEFAULT_MAX_NODES,
  );
  const text = format === "mermaid"
    ? mermaidOf(drawing)
    : format === "dot"
    ? dotOf(drawing)
    : await renderSvg(dotOf(drawing), options.dotCommand ?? "dot");
  if (options.file !== undefined) await Deno.writeTextFile(options.file, text);
  return text;
}

/** Run `dot -Tsvg` on `dot` text. */
async function renderSvg(dot: string, command: string): Promise<string> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: ["-Tsvg"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new GraphvizNotFoundError(command);
    }
    throw e;
  }
  // Read while writing, so that a large picture cannot stall the pipe.
  const done = child.output();
  const writer = child.stdin.getWriter();
  // (A write that fails means dot has exited: its exit code tells why.)
  await writer.write(new TextEncoder().encode(dot)).catch(() => {});
  await writer.close().catch(() => {});
  const { code, stdout, stderr } = await done;
  if (code !== 0) {
    throw new TroupeError(
      `${command} -Tsvg failed (exit code ${code}): ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(stdout);
}
