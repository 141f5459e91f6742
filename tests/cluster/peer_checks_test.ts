/**
 * What the scheduler and the nodes read from each other is checked before
 * it is used: a node's join and heartbeat, and another node's answer to a
 * pull of values (whose wrong shape would otherwise become a task's inputs,
 * silently).
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { connect, startCluster } from "@troupe/troupe/cluster";
import {
  connectTransport,
  listenTransport,
} from "../../cluster/wire/endpoint.ts";
import { closePeers, pullFrom } from "../../cluster/wire/peer_data.ts";
import { until } from "../helpers.ts";
import { runWithSecret } from "./deno_run.ts";

Deno.test("a node's answer to a pull of the wrong shape fails the pull", async () => {
  // A data server that answers every pull with one value, however many keys.
  const liar = listenTransport({
    port: 0,
    logger: () => {},
    onConnection: async (conn) => {
      conn.onMessage((m) => {
        const { id } = m as { id: number };
        conn.send({ t: "ok", id, values: ["only one"] });
      });
      await conn.closed;
    },
  });
  try {
    const address = `127.0.0.1:${liar.addr.port}`;
    await assert.rejects(
      pullFrom(address, ["a", "b"]),
      /no known shape/,
    );
    assert.deepEqual(await pullFrom(address, ["a"]), ["only one"]);
  } finally {
    await closePeers();
    await liar.close();
  }
});

Deno.test("a join with a data address that is not host:port is dropped", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = startCluster(system, {
    logger: (m) => warnings.push(m),
  });
  const bad = await connectTransport(cluster.address, {
    nodeId: "odd",
    secret: cluster.secret,
  });
  bad.send({ t: "join", resources: {}, data: "file:///etc/passwd" });
  await bad.closed;
  assert.ok(
    warnings.some((w) => /odd joined with a data address/.test(w)),
    warnings.join("\n"),
  );
  assert.equal(cluster.nodes().length, 0);
});

Deno.test("heartbeat figures that are none (infinite, negative) are not taken", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const node = runWithSecret(
    new URL("../fixtures/bogus_node.ts", import.meta.url).pathname,
    [cluster.address, "hb"],
    cluster.secret as string,
  );
  await cluster.waitForNodes(1);
  // Three heartbeats: cpu Infinity and rss -1; cpu 7; cpu Infinity with a
  // sound memory. Only the sound figures are kept.
  await until(
    () => cluster.status().nodes[0]?.memory !== undefined,
    "the last heartbeat",
    10_000,
  );
  const [status] = cluster.status().nodes;
  assert.equal(status.cpu, 7);
  assert.deepEqual(status.memory, { rss: 100, heapUsed: 50 });
  await cluster.close();
  await node.status;
});

Deno.test("a client's request with a bad id, or a long unknown kind, is refused with a bounded log line", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = startCluster(system, {
    logger: (m) => warnings.push(m),
  });
  for (
    const request of [{ t: "status", id: "x" }, { t: "x".repeat(100_000) }]
  ) {
    const conn = await connectTransport(cluster.address, {
      nodeId: "rude",
      secret: cluster.secret,
    });
    conn.send({ t: "client", id: "rude" });
    conn.send(request);
    await conn.closed;
  }
  const lines = warnings.filter((w) => /rude/.test(w));
  assert.equal(lines.length, 2, warnings.join("\n"));
  assert.match(lines[0], /id is a whole number/);
  assert.ok(lines.every((w) => w.length < 400), lines.join("\n"));
});

Deno.test("a client takes a scheduler's answers of the wrong shape as errors, not crashes", async () => {
  // A scheduler that answers every request with an error of no shape, and
  // says a future settled with a status that is none.
  const odd = listenTransport({
    port: 0,
    logger: () => {},
    onConnection: async (conn) => {
      conn.onMessage((m) => {
        const { id } = m as { id?: number };
        if (id === undefined) return;
        conn.send({ t: "settled", key: 5, status: "sideways" });
        conn.send({ t: "err", id, error: "not an error" });
      });
      await conn.closed;
    },
  });
  try {
    await using client = await connect(`127.0.0.1:${odd.addr.port}`, {
      reconnect: false,
    });
    await assert.rejects(client.status(), /no known shape/);
  } finally {
    await odd.close();
  }
});
