/**
 * What a graph worker loads when its host starts: not the node-to-node data
 * service and its TCP stack (only cluster nodes pull from peers), which
 * took about a third of a worker host's start.
 */

import assert from "node:assert/strict";

async function staticImports(entry: URL): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry.href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      error?: string;
      dependencies?: {
        code?: { specifier: string };
        isDynamic?: boolean;
      }[];
    }[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  // (deno info answers for a file that is not there too: a moved entry
  // must fail here, not pass with nothing loaded)
  const root = bySpecifier.get(entry.href);
  assert.ok(root?.error === undefined, root?.error ?? "no module info");
  assert.ok(
    (root?.dependencies?.length ?? 0) > 0,
    `${entry.href} imports nothing`,
  );
  // Follow static imports only: a dynamic one loads when it runs.
  const seen = new Set<string>();
  const stack = [entry.href];
  while (stack.length > 0) {
    let s = stack.pop()!;
    s = info.redirects[s] ?? s;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code !== undefined) stack.push(d.code.specifier);
    }
  }
  return [...seen];
}

Deno.test("a graph worker's static imports leave out the TCP stack and msgpackr", async () => {
  const mods = await staticImports(
    new URL("../../cluster/graph/graph_worker.ts", import.meta.url),
  );
  assert.ok(mods.some((m) => m.endsWith("/cluster/graph/graph_worker.ts")));
  for (
    const heavy of [
      "/cluster/wire/peer_data.ts",
      "/cluster/wire/endpoint.ts",
      "/cluster/wire/listener.ts",
      "/cluster/wire/handshake.ts",
      "/cluster/wire/framing.ts",
      "/cluster/wire/frame_reader.ts",
    ]
  ) {
    assert.ok(!mods.some((m) => m.endsWith(heavy)), `${heavy} is loaded`);
  }
  assert.ok(!mods.some((m) => m.includes("msgpackr")), "msgpackr is loaded");
});
