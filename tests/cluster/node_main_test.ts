/** The node program: its flags, what it logs, and a wrong peer. */

import assert from "node:assert/strict";
import { nodeMain } from "../../cluster/node/node_main.ts";
import { ActorSystem } from "@troupe/troupe";
import { connectTransport } from "../../cluster/wire/endpoint.ts";
import { runNode, startCluster } from "@troupe/troupe/cluster";
import { until } from "../helpers.ts";

async function errorsOf(args: string[]): Promise<[number, string]> {
  const said: string[] = [];
  const original = console.error;
  console.error = (...parts: unknown[]) => void said.push(parts.join(" "));
  try {
    return [await nodeMain(args), said.join("\n")];
  } finally {
    console.error = original;
  }
}

Deno.test("node: --tls-cert without --tls-key, or without --tls-ca, is a usage error", async () => {
  const [code, said] = await errorsOf(["127.0.0.1:1", "--tls-cert", "c.pem"]);
  assert.equal(code, 2);
  assert.match(said, /--tls-cert and --tls-key go together/);
  const [code2, said2] = await errorsOf([
    "127.0.0.1:1",
    "--tls-cert",
    "c.pem",
    "--tls-key",
    "k.pem",
  ]);
  assert.equal(code2, 2);
  assert.match(said2, /give its --tls-ca too/);
});

Deno.test("node: --nthreads must be a whole number of at least 1", async () => {
  for (const bad of ["0", "1.5", "many"]) {
    const [code, said] = await errorsOf(["127.0.0.1:1", "--nthreads", bad]);
    assert.equal(code, 2);
    assert.match(said, /--nthreads: a whole number >= 1/);
  }
});

Deno.test("a node logs each failed dial, and the name the cluster gave it", async () => {
  // Nothing listens here: the node says so as it tries again.
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const nowhere = `127.0.0.1:${(free.addr as Deno.NetAddr).port}`;
  free.close();
  const stop = new AbortController();
  const said: string[] = [];
  const node = runNode(nowhere, {
    signal: stop.signal,
    log: (m) => {
      said.push(m);
      if (said.length === 2) stop.abort();
    },
  });
  await node;
  assert.match(
    said[0],
    /cannot reach 127\.0\.0\.1:\d+ \(.+\); trying again in \d+ ms \(attempt 1\)/,
  );

  // Two nodes ask for one name: the second is told its new one.
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const logs: string[] = [];
  const halt = new AbortController();
  const nodes = [1, 2].map(() =>
    runNode(cluster.address, {
      name: "dup",
      signal: halt.signal,
      log: (m) => logs.push(m),
    })
  );
  await cluster.waitForNodes(2);
  await until(
    () => logs.filter((l) => l.startsWith("joined")).length === 2,
    "both joins logged",
  );
  assert.deepEqual(
    logs.filter((l) => l.startsWith("joined")).map((l) => l.split(" as ")[1])
      .sort(),
    ["dup", "dup-2"],
  );
  halt.abort();
  await Promise.all(nodes);
});

Deno.test("dialling a web server, not a troupe peer, says so", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("a dashboard"),
  );
  try {
    await assert.rejects(
      connectTransport(`127.0.0.1:${server.addr.port}`),
      /the peer speaks HTTP/,
    );
  } finally {
    await server.shutdown();
  }
});
