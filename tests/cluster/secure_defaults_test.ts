// Secure by default: a cluster given no secret makes one and hands it to
// its own nodes and clients (a stranger is refused), running without one is
// an explicit `secret: false`, and a local cluster over TLS gives its nodes
// the CA, or fails at once saying why.

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  connect,
  localCluster,
  runNode,
  startCluster,
  TransportError,
} from "@troupe/troupe/cluster";
import { connectTransport } from "../../cluster/wire/endpoint.ts";
import { delayed } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";
import { hasOpenssl, makeCerts } from "./transport_helpers.ts";

const openssl = await hasOpenssl();

Deno.test("a cluster given no secret makes one: its own nodes and clients join, a stranger without it is refused", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  assert.match(String(cluster.secret), /^[0-9a-f]{64}$/);
  // A process that does not know it (here: a dial given no secret).
  const stranger = await connectTransport(cluster.address).catch((e) => e);
  assert.ok(stranger instanceof TransportError, String(stranger));
  assert.equal(stranger.code, "auth");
  // A node and a client of this process find it by the address.
  const stop = new AbortController();
  const node = runNode(cluster.address, { name: "own", signal: stop.signal });
  try {
    await cluster.waitForNodes(1);
    await using client = await connect(cluster.address, { reconnect: false });
    assert.deepEqual(await client.compute(delayed(g.square)(7)), [49]);
  } finally {
    stop.abort();
    await node;
  }
  // Two clusters, two secrets.
  await using other = startCluster(system, { logger: () => {} });
  assert.notEqual(other.secret, cluster.secret);
});

Deno.test("running without a secret is a choice: secret: false", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { secret: false });
  assert.equal(cluster.secret, undefined);
  await using conn = await connectTransport(cluster.address);
  assert.equal(conn.peer?.authenticated, false);
  assert.throws(
    () => startCluster(system, { secret: false, hostname: "0.0.0.0" }),
    /without a shared secret/,
  );
});

Deno.test("a local cluster's node processes and its client share the secret it made", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 1 });
  assert.match(String(cluster.secret), /^[0-9a-f]{64}$/);
  await using client = await connect(cluster.address, { reconnect: false });
  assert.deepEqual(await client.compute(delayed(g.square)(9)), [81]);
  const stranger = await connectTransport(cluster.address).catch((e) => e);
  assert.equal(stranger.code, "auth");
});

Deno.test({
  name:
    "a local cluster over TLS gives its nodes the CA; without one, or with the wrong one, it fails at once saying why",
  ignore: !openssl,
  async fn() {
    const certs = await makeCerts();
    const others = await makeCerts();
    await using system = new ActorSystem();
    {
      await using cluster = await localCluster(system, {
        nodes: 1,
        tls: { cert: certs.cert, key: certs.key, caCerts: [certs.ca] },
        startTimeout: 20_000,
      });
      await using client = await connect(cluster.address, {
        tls: { caCerts: [certs.ca] },
        reconnect: false,
      });
      assert.deepEqual(await client.compute(delayed(g.square)(5)), [25]);
    }
    await assert.rejects(
      localCluster(system, {
        nodes: 1,
        tls: { cert: certs.cert, key: certs.key },
        startTimeout: 20_000,
      }),
      /needs tls\.caCerts/,
    );
    // A CA that did not sign the certificate: the node is refused, and the
    // cluster says so without waiting out its start timeout.
    await assert.rejects(
      localCluster(system, {
        nodes: 1,
        tls: { cert: certs.cert, key: certs.key, caCerts: [others.ca] },
        startTimeout: 60_000,
      }),
      /node local-1 exited with code 1 before the cluster started/,
    );
  },
});
