/**
 * A cluster client over TCP: graphs and futures sent to the cluster's
 * scheduler, computed on node processes.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  connect,
  localCluster,
  runNode,
  startCluster,
} from "@troupe/troupe/cluster";
import { connectTransport } from "../../cluster/wire/endpoint.ts";
import { delayed, gather, TaskFailedError, treeReduce } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";
import { hasOpenssl, makeCerts } from "./transport_helpers.ts";
import { proxy } from "./tcp_proxy.ts";

const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

Deno.test("a client computes graphs and runs futures on the cluster", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    secret: "s3cret",
  });
  await using client = await connect(cluster.address, { secret: "s3cret" });
  const leaves = Array.from({ length: 2_000 }, (_, i) => delayed(g.square)(i));
  const [total, first] = await client.compute(
    treeReduce(g.add, leaves),
    leaves[3],
  );
  assert.equal(total, sumOfSquares(2_000));
  assert.equal(first, 9);
  // Futures, as arguments too.
  const a = client.submit(g.inc, 1);
  const b = client.submit(g.add, a, 10);
  assert.equal(await b.result(), 12);
  assert.equal(a.status, "finished");
  assert.deepEqual(await gather(client.map(g.square, [1, 2, 3])), [1, 4, 9]);
  // Persisted results are reused by later graphs.
  const [kept] = client.persist(delayed(g.inc)(41));
  assert.deepEqual(await client.compute(delayed(g.inc)(kept)), [43]);
  kept.release();
  // Errors keep the failing key and the original error.
  const bad = delayed(g.checked)(-5);
  const err = await client.compute(delayed(g.inc)(bad)).catch((e) => e);
  assert.ok(err instanceof TaskFailedError, String(err));
  assert.equal(err.key, bad.key);
  assert.equal((err.cause as Error).name, "RangeError");
  assert.match((err.cause as Error).message, /negative: -5/);
});

Deno.test("a client without the secret is refused; bad requests get errors", async () => {
  await using system = new ActorSystem();
  const logs: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 1,
    secret: "s3cret",
    logger: (m) => logs.push(m),
  });
  await assert.rejects(connect(cluster.address, { secret: "nope" }), /auth/);
  // A malformed graph is answered with an error, and the client goes on.
  const raw = await connectTransport(cluster.address, { secret: "s3cret" });
  raw.send({ t: "client", id: "raw" });
  raw.send({ t: "compute", id: 1, nodes: [["k", "m"]], outputs: ["k"] });
  const answer = await raw.receive() as {
    t: string;
    id: number;
    error: { message: string };
  };
  assert.equal(answer.t, "err");
  assert.equal(answer.id, 1);
  assert.match(answer.error.message, /list of 7/);
  // A message that is not a request closes the connection.
  raw.send({ t: "nonsense" });
  await raw.closed;
  assert.ok(logs.some((l) => /no request "nonsense"/.test(l)), logs.join("\n"));
  // The cluster still serves others.
  await using client = await connect(cluster.address, { secret: "s3cret" });
  assert.deepEqual(await client.compute(delayed(g.inc)(1)), [2]);
});

Deno.test("a client whose connection drops reconnects and keeps its futures", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 1,
    logger: () => {},
  });
  const net = proxy(cluster.address);
  try {
    // (through the proxy's address: the cluster's secret must be given)
    const client = await connect(net.address, { secret: cluster.secret });
    const slow = client.submit(g.slowSquare, 12, 300);
    const done = client.submit(g.inc, 1);
    assert.equal(await done.result(), 2);
    net.cut(); // the network drops; the cluster keeps the client's futures
    // The client dials again through the proxy and finds its futures there.
    assert.equal(await slow.result(), 144);
    assert.equal(slow.status, "finished");
    assert.equal(await done.result(), 2);
    assert.deepEqual(await client.compute(delayed(g.inc)(slow)), [145]);
    await client.close();
  } finally {
    await net.close();
  }
});

Deno.test({
  name:
    "a cluster over TLS: a node and a client verify the scheduler's certificate",
  ignore: !(await hasOpenssl()),
  async fn() {
    const certs = await makeCerts();
    await using system = new ActorSystem();
    await using cluster = startCluster(system, {
      secret: "s3cret",
      tls: { cert: certs.cert, key: certs.key },
      logger: () => {},
    });
    const stop = new AbortController();
    const node = runNode(cluster.address, {
      name: "tls-node",
      secret: "s3cret",
      tls: { caCerts: [certs.ca] },
      signal: stop.signal,
    });
    await cluster.waitForNodes(1);
    await using client = await connect(cluster.address, {
      secret: "s3cret",
      tls: { caCerts: [certs.ca] },
    });
    const leaves = Array.from({ length: 100 }, (_, i) => delayed(g.square)(i));
    assert.deepEqual(await client.compute(treeReduce(g.add, leaves)), [
      sumOfSquares(100),
    ]);
    // Without the CA, the certificate is not trusted: refused.
    await assert.rejects(
      connect(cluster.address, { secret: "s3cret", tls: {}, reconnect: false }),
    );
    stop.abort();
    await node;
  },
});

Deno.test({
  name:
    "in a TLS cluster, nodes with a certificate move values node to node over TLS",
  ignore: !(await hasOpenssl()),
  async fn() {
    const certs = await makeCerts();
    const run = async (serveCert: boolean) => {
      await using system = new ActorSystem();
      await using cluster = startCluster(system, {
        secret: "s3cret",
        tls: { cert: certs.cert, key: certs.key },
        logger: () => {},
      });
      const stop = new AbortController();
      const nodes = ["n1", "n2"].map((name) =>
        runNode(cluster.address, {
          name,
          secret: "s3cret",
          tls: serveCert
            ? { caCerts: [certs.ca], cert: certs.cert, key: certs.key }
            : { caCerts: [certs.ca] },
          signal: stop.signal,
        })
      );
      try {
        await cluster.waitForNodes(2);
        // Leaves pinned to alternate nodes: every sum needs the other's.
        const leaves = Array.from(
          { length: 20 },
          (_, i) => delayed(g.square, { workers: [`n${1 + (i % 2)}`] })(i),
        );
        const [total] = await cluster.scheduler.compute(
          treeReduce(g.add, leaves),
        );
        assert.equal(total, sumOfSquares(20));
        return cluster.status().transfers;
      } finally {
        stop.abort();
        await Promise.all(nodes);
      }
    };
    // With certificates, node to node (a plain peer could not talk to a TLS
    // data server, so these went over TLS).
    const direct = await run(true);
    assert.ok(direct.direct > 0, JSON.stringify(direct));
    assert.equal(direct.relayed, 0);
    // Without, through the scheduler's connection.
    const relayed = await run(false);
    assert.equal(relayed.direct, 0);
    assert.ok(relayed.relayed > 0, JSON.stringify(relayed));
  },
});

Deno.test("a client reads the cluster's status: its nodes, tasks and task stream", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const stop = new AbortController();
  const node = runNode(cluster.address, { name: "n1", signal: stop.signal });
  try {
    await cluster.waitForNodes(1);
    await using client = await connect(cluster.address);
    assert.deepEqual(await client.compute(delayed(g.inc)(1)), [2]);
    const status = await client.status();
    assert.equal(status.address, cluster.address);
    assert.deepEqual(status.nodes.map((n) => n.name), ["n1"]);
    assert.deepEqual(status.stream.map((r) => [r.task, r.worker]), [[
      "inc",
      "n1",
    ]]);
    assert.equal(status.computations.at(-1)?.done, 1);
  } finally {
    stop.abort();
    await node;
  }
});
