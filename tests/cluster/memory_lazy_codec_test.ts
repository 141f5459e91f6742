/**
 * The memory store loads MessagePack (and no `node:` module) only when a
 * value needs it: the first compute() of a collection pays nothing for a
 * spill path it does not use, and a spill that comes before the codec has
 * loaded still happens.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** The modules `entry` loads before it runs (dynamic imports left out). */
async function staticGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).href],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    redirects?: Record<string, string>;
    modules: {
      specifier: string;
      dependencies?: {
        isDynamic?: boolean;
        code?: { specifier?: string };
      }[];
    }[];
  };
  const bySpec = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    let s = todo.pop()!;
    s = info.redirects?.[s] ?? s;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpec.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code?.specifier) todo.push(d.code.specifier);
    }
  }
  return [...seen];
}

Deno.test("the local scheduler and the memory store load no MessagePack and no node: module until a value needs them", async () => {
  for (const entry of ["cluster/graph/scheduler.ts", "array/mod.ts"]) {
    const loaded = await staticGraph(entry);
    if (entry.startsWith("cluster")) {
      assert.ok(loaded.some((s) => s.endsWith("/memory/held_store.ts")));
    }
    const eager = loaded.filter((s) =>
      s.endsWith("/actors/hosts/msgpack.ts") || s.startsWith("node:") ||
      s.includes("msgpackr")
    );
    assert.deepEqual(eager, [], `${entry} loads them at start`);
  }
});

Deno.test("a store's first spill in a fresh isolate, before the codec has loaded: typed arrays at once, the rest once it has, read back equal", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      new URL("tests/fixtures/spill_first.ts", ROOT).pathname,
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(r.codecAtStart, false, "the codec is not loaded at start");
  assert.equal(r.rawSpilledAtOnce, 1, "the typed array spills at once");
  assert.equal(r.spilledCount, 3, "the others once the codec has loaded");
  assert.equal(r.memory, 0);
  assert.deepEqual(r.list, [1, "two", { three: 3 }]);
  assert.equal(r.text, true);
  assert.deepEqual(r.f64, [true, 1.5, true, null]); // (NaN is null in JSON)
});
