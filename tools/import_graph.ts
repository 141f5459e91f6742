/**
 * The import graph of troupe's own files, and the cycles in it: a file that
 * imports, through any chain, a file that imports it. The layers of the
 * tree (DESIGN.md) hold only if imports run one way, so
 * tests/layout/layout_test.ts fails on any cycle. Type-only imports count: a
 * type cycle is a layering fault too, only one that happens to be erased.
 *
 * Run: `deno run --allow-read --allow-run tools/import_graph.ts` (prints
 * each cycle, exits 1 when there is one).
 *
 * @module
 */

/** An edge list: each local file and the local files it imports. */
export type ImportGraph = Map<string, Set<string>>;

interface InfoDependency {
  code?: { specifier: string };
  type?: { specifier: string };
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** The graph of local `.ts` files reachable from `roots`, by `deno info`. */
export async function importGraph(
  root: string,
  roots: readonly string[],
): Promise<ImportGraph> {
  const modules: InfoModule[] = [];
  for (const entry of roots) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `deno info ${entry} failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: InfoModule[];
    };
    modules.push(...info.modules);
  }
  const base = new URL(`file://${root.endsWith("/") ? root : root + "/"}`)
    .href;
  const local = (s: string) => s.startsWith(base) && s.endsWith(".ts");
  const graph: ImportGraph = new Map();
  for (const m of modules) {
    if (!local(m.specifier)) continue;
    const from = m.specifier.slice(base.length);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const d of m.dependencies ?? []) {
      for (const to of [d.code?.specifier, d.type?.specifier]) {
        if (to !== undefined && local(to)) edges.add(to.slice(base.length));
      }
    }
  }
  return graph;
}

/**
 * The strongly connected components with more than one file (or a file
 * that imports itself): each is a cycle. Tarjan's algorithm, iterative.
 */
export function cycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: [string, Iterator<string>][] = [];
    const enter = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      work.push([v, (graph.get(v) ?? new Set()).values()]);
    };
    enter(start);
    while (work.length > 0) {
      const [v, it] = work[work.length - 1];
      const step = it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc.sort());
      }
    }
  }
  return found;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  const roots = Object.values(config.exports as Record<string, string>);
  const found = cycles(await importGraph(root, roots));
  for (const c of found) console.log(`cycle of ${c.length}: ${c.join(" ")}`);
  console.log(found.length === 0 ? "no import cycles" : "");
  if (found.length > 0) Deno.exit(1);
}
