// The layout of DESIGN.md, checked instead of eyeballed: the public surface
// is the committed API.md; no file import cycle (type-only ones too);
// imports run downward between layers; each folder has a face (mod.ts) that
// says what it is; no source file grows past 600 lines without a written
// reason.
import assert from "node:assert/strict";
import { apiReport } from "../../tools/api_report.ts";
import {
  cycles,
  type ImportGraph,
  importGraph,
} from "../../tools/import_graph.ts";

const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Folders of library code (tests, benchmarks and examples are not). */
const SOURCE = [
  "actors",
  "cluster",
  "sync",
  "array",
  "dataframe",
  "cli",
  "tools",
];

/** Files over 600 lines, each with why it may be. */
const LONG_FILES: Record<string, string> = {
  "cluster/graph/worker_engine.ts":
    "about 1,000 lines: the WorkerEngine class's hot path alone (submit, readiness, pump and dispatch, send, finished and failed runs, failing, settling, releases) on its private fields; its cold work (workers' start and loss, transfers, retirement, values, status, report checks) is in files of their own that take its EngineCore. Moving the hot path out too would put an indirection per task on the scheduler's hottest path (bench:graph compute_2_workers)",
  "actors/system.ts":
    "about 1,000 lines: the ActorSystem class (its stats and shutdown shapes are in system_types.ts, the delivery of envelopes from transports in delivery.ts, its deadlines and shutdown in system_shutdown.ts, attaching a remote host in hosts/attach_host.ts; its options, events and dead letters are spelled out in its signatures, so that the entry need not export a name for each) and the public types that name it and each other (Behavior, ActorDefinition, ActorContext), which must share its file or close an import cycle (deno doc --lint refuses a public signature naming a private interface)",
};

/** Folders that need no mod.ts, and why. */
const NO_FACE: Record<string, string> = {
  tools: "scripts run by deno tasks and tests, not a module of the library",
};

/** Folders whose face is not mod.ts: the entry deno.json names. */
const FACE: Record<string, string> = { cli: "troupe.ts" };

/**
 * Layer rules: files under the first prefix must not import files under
 * any of the others.
 */
const RULES: [string, string[]][] = [
  ["sync/", ["actors/", "cluster/", "array/", "dataframe/", "cli/", "mod.ts"]],
  ["actors/", ["cluster/", "array/", "dataframe/", "cli/", "mod.ts"]],
  ["cluster/graph/", [
    "cluster/scheduler/",
    "cluster/node/",
    "cluster/client/",
    "cluster/dashboard/",
    "cluster/mod.ts",
  ]],
  ["cluster/memory/", [
    "cluster/graph/",
    "cluster/wire/",
    "cluster/scheduler/",
    "cluster/node/",
    "cluster/client/",
    "cluster/dashboard/",
    "cluster/mod.ts",
  ]],
  ["cluster/wire/", [
    "cluster/graph/",
    "cluster/scheduler/",
    "cluster/node/",
    "cluster/client/",
    "cluster/dashboard/",
    "cluster/mod.ts",
  ]],
  ["cluster/", ["array/", "dataframe/", "cli/", "mod.ts"]],
  ["array/", ["dataframe/", "cli/", "mod.ts"]],
  ["dataframe/", ["cli/", "mod.ts"]],
];

async function sourceFiles(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}/${dir || "."}`)) {
    const path = dir === "" ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (dir === "" && !SOURCE.includes(e.name)) continue;
      out.push(...await sourceFiles(path));
    } else if (
      path.endsWith(".ts") && !path.endsWith("_test.ts") &&
      (dir !== "" || path === "mod.ts")
    ) out.push(path);
  }
  return out.sort();
}

let graph: ImportGraph | undefined;
/** The import graph of every source file (workers' entries included). */
async function wholeGraph(): Promise<ImportGraph> {
  if (graph !== undefined) return graph;
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const g = await importGraph(root, [
    ...Object.values(config.exports as Record<string, string>),
    ...(config.compile?.include ?? []),
  ]);
  // Files no entry reaches statically (a worker's module, a tool): roots too.
  for (const f of await sourceFiles()) {
    if (g.has(f)) continue;
    for (const [k, v] of await importGraph(root, [f])) {
      if (!g.has(k)) g.set(k, v);
    }
  }
  return graph = g;
}

Deno.test("API.md lists the exports of every entry", async () => {
  const committed = await Deno.readTextFile(`${root}/API.md`);
  assert.equal(
    committed,
    await apiReport(root),
    "API.md differs from the exports: run `deno task api` and review the change",
  );
});

Deno.test("no import cycle between files", async () => {
  const found = cycles(await wholeGraph()).map((c) => c.join(" "));
  assert.deepEqual(found, [], "import cycles (type-only imports count)");
});

Deno.test("imports run downward between layers", async () => {
  const bad: string[] = [];
  for (const [from, tos] of await wholeGraph()) {
    for (const [layer, forbidden] of RULES) {
      if (!from.startsWith(layer)) continue;
      for (const to of tos) {
        const f = forbidden.find((p) => to === p || to.startsWith(p));
        if (f !== undefined) bad.push(`${from} -> ${to}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("every source folder has a mod.ts whose opening comment says what it is and may import", async () => {
  const folders = new Set(
    (await sourceFiles()).filter((f) => f.includes("/"))
      .map((f) => f.slice(0, f.lastIndexOf("/"))),
  );
  const missing: string[] = [];
  for (const folder of folders) {
    if (folder in NO_FACE) continue;
    const text = await Deno.readTextFile(
      `${root}/${folder}/${FACE[folder] ?? "mod.ts"}`,
    ).catch(
      () => "",
    );
    const opening = /^\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? "";
    if (!/may import|imports nothing/i.test(opening)) missing.push(folder);
  }
  assert.deepEqual(missing, []);
});

Deno.test("no source file is over 600 lines without a reason", async () => {
  const long: string[] = [];
  const fine: string[] = [];
  for (const f of await sourceFiles()) {
    const lines = (await Deno.readTextFile(`${root}/${f}`)).split("\n").length;
    if (lines > 600 && !(f in LONG_FILES)) long.push(`${f} (${lines})`);
    if (lines <= 600 && f in LONG_FILES) fine.push(f);
  }
  assert.deepEqual(long, [], "files over 600 lines");
  assert.deepEqual(fine, [], "listed as long but no longer are");
});

Deno.test("the cycle finder finds a type-only cycle, a self-import and nothing in a tree", () => {
  const graph = (edges: Record<string, string[]>): ImportGraph =>
    new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));
  // behavior -> context -> system -> behavior, with a tail that is no cycle.
  assert.deepEqual(
    cycles(graph({
      "mod.ts": ["system.ts"],
      "system.ts": ["behavior.ts", "cell.ts"],
      "behavior.ts": ["context.ts"],
      "context.ts": ["system.ts"],
      "cell.ts": ["errors.ts"],
      "errors.ts": [],
    })),
    [["behavior.ts", "context.ts", "system.ts"]],
  );
  assert.deepEqual(cycles(graph({ "a.ts": ["a.ts"], "b.ts": [] })), [[
    "a.ts",
  ]]);
  assert.deepEqual(
    cycles(graph({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] })),
    [],
  );
});
