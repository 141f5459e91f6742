/**
 * The cluster over TCP: a scheduler side in this process, worker nodes as
 * real subprocesses on loopback (`localCluster`).
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  type Delayed,
  delayed,
  KilledWorkerError,
  treeReduce,
} from "@troupe/troupe";
import { localCluster, runNode, startCluster } from "@troupe/troupe/cluster";
import { connectTransport } from "../../cluster/wire/endpoint.ts";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";

/** `square(i)` for i < n (or `leaf(i)`), then pairwise `add` down to one. */
function tree(
  n: number,
  leaf: (i: number) => Delayed<number> = (i: number) => delayed(g.square)(i),
): Delayed<number> {
  return treeReduce(g.add, Array.from({ length: n }, (_, i) => leaf(i)));
}

const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

Deno.test("a 10,000-leaf tree reduction on 2 node processes is exact", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  assert.deepEqual(cluster.nodes().map((n) => n.name).sort(), [
    "local-1",
    "local-2",
  ]);
  const [total] = await cluster.scheduler.compute(tree(10_000));
  assert.equal(total, sumOfSquares(10_000));
});

Deno.test("kill -9 of two different nodes mid-graph: the result is still exact", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const done: number[] = [];
  const stop = cluster.scheduler.subscribe((p) => done.push(p.done));
  const result = cluster.scheduler.compute(
    tree(400, (i) => delayed(g.slowSquare)(i, 2)),
  );
  await until(() => done.length >= 100, "a quarter of the graph");
  const first = cluster.pids()["local-1"];
  cluster.kill("local-1");
  await until(() => (done.at(-1) ?? 0) >= 400, "more progress");
  cluster.kill("local-2");
  const [total] = await result;
  assert.equal(total, sumOfSquares(400));
  stop();
  // Both were replaced by fresh processes (the nanny), under the same names.
  await cluster.waitForNodes(2);
  assert.notEqual(cluster.pids()["local-1"], first);
});

Deno.test("a poison task fails with KilledWorkerError after the limit", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    scheduler: { allowedFailures: 2 },
  });
  const poison = delayed(g.die)(1);
  const err = await cluster.scheduler.compute(delayed(g.inc)(poison))
    .catch((e) => e);
  assert.ok(err instanceof KilledWorkerError, String(err));
  assert.equal(err.key, poison.key);
  assert.equal(err.deaths, 2);
  // Other work goes on.
  await cluster.waitForNodes(1);
  assert.deepEqual(await cluster.scheduler.compute(delayed(g.inc)(1)), [2]);
});

Deno.test("a late-joining node receives work; consumers run on their producer's node", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 1 });
  const leaves = Array.from(
    { length: 300 },
    (_, i) => delayed(g.pidAfter)(i, 5),
  );
  const running = cluster.scheduler.compute(leaves);
  const stop = new AbortController();
  const late = runNode(cluster.address, { name: "late", signal: stop.signal });
  const pids = new Set(await running.then(([ps]) => ps));
  assert.equal(pids.size, 2, "the node that joined late took some of the work");
  // Locality: each consumer runs where its producer's result is.
  const pairs = Array.from(
    { length: 40 },
    (_, i) => delayed(g.pidPair)(delayed(g.pidAfter)(i, 1)),
  );
  const [results] = await cluster.scheduler.compute(pairs);
  for (const [producer, consumer] of results as [number, number][]) {
    assert.equal(consumer, producer);
  }
  stop.abort();
  await late;
});

Deno.test("bad peers are refused while a graph finishes", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 2,
    secret: "s3cret",
    logger: (m) => warnings.push(m),
  });
  const result = cluster.scheduler.compute(
    tree(300, (i) => delayed(g.slowSquare)(i, 1)),
  );
  const [hostname, port] = cluster.address.split(":");
  const raw = async (bytes: Uint8Array, end = true) => {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    try {
      await conn.write(bytes);
      if (end) await conn.closeWrite();
      const buf = new Uint8Array(256);
      while ((await conn.read(buf)) !== null) {
        /* until the cluster closes it */
      }
    } catch {
      /* reset by the cluster: refused */
    } finally {
      conn.close();
    }
  };
  await Promise.all([
    assert.rejects(
      connectTransport(cluster.address, { secret: "wrong" }),
      /auth/,
    ),
    assert.rejects(connectTransport(cluster.address, {}), /secret/),
    raw(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")),
    raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])), // a 4 GiB prefix
    raw(new Uint8Array([0, 0, 0, 50, 1, 2, 3])), // half a frame, then EOF
  ]);
  const [total] = await result;
  assert.equal(total, sumOfSquares(300));
  assert.equal(cluster.nodes().length, 2);
});

Deno.test("a node that goes silent (SIGSTOP) is dropped after silenceMs", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 2,
    heartbeatMs: 50,
    silenceMs: 400,
    logger: (m) => warnings.push(m),
  });
  cluster.kill("local-1", "SIGSTOP"); // alive, connected, and silent
  await until(() => cluster.nodes().length === 1, "the silent node dropped");
  assert.equal(cluster.nodes()[0].name, "local-2");
  assert.ok(
    warnings.some((w) => /local-1 silent/.test(w)),
    warnings.join("\n"),
  );
  // Work goes on with the other node.
  assert.deepEqual(await cluster.scheduler.compute(delayed(g.inc)(1)), [2]);
  cluster.kill("local-1", "SIGKILL");
});

Deno.test("a peer that never serves a host is dropped when silent", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = startCluster(system, {
    heartbeatMs: 50,
    silenceMs: 300,
    logger: (m) => warnings.push(m),
  });
  const mute = await connectTransport(cluster.address, {
    nodeId: "mute",
    secret: cluster.secret,
  });
  await mute.closed; // the cluster closed it: it never said what it is
  assert.equal(cluster.nodes().length, 0);
  assert.ok(warnings.some((w) => /mute silent/.test(w)), warnings.join("\n"));
});

Deno.test("workers and resources restrict where a task runs; it waits for a node that fits", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const pid2 = cluster.pids()["local-2"];
  // Pinned to one node by name.
  const pinned = Array.from(
    { length: 20 },
    (_, i) => delayed(g.pidAfter, { workers: ["local-2"] })(i, 1),
  );
  const [pids] = await cluster.scheduler.compute(pinned);
  assert.deepEqual(new Set(pids), new Set([pid2]));
  // Needs a GPU: no member has one, so it waits until one joins (this
  // process, with `resources`), and runs only there.
  const gpu = Array.from(
    { length: 10 },
    (_, i) => delayed(g.pidAfter, { resources: { GPU: 1 } })(i, 1),
  );
  const pending = cluster.scheduler.compute(gpu);
  const stop = new AbortController();
  const node = runNode(cluster.address, {
    name: "gpu-box",
    resources: { GPU: 2 },
    signal: stop.signal,
  });
  const [gpuPids] = await pending;
  assert.deepEqual(new Set(gpuPids), new Set([Deno.pid]));
  assert.deepEqual(
    cluster.nodes().find((n) => n.name === "gpu-box")?.resources,
    { GPU: 2 },
  );
  stop.abort();
  await node;
  assert.throws(() => delayed(g.inc, { workers: [] }), /workers/);
  assert.throws(
    () => delayed(g.inc, { resources: { GPU: -1 } }),
    /resources/,
  );
});

Deno.test("compiled binaries: localCluster's nodes are the program re-executed", async () => {
  // fake_cluster_binary.sh stands in for `deno compile` output (which cannot
  // be built here): it runs compiled_cluster_app.ts with its arguments, as
  // the binary runs its bundled main module. The app's local cluster starts
  // its nodes through it, so each node is the app in node mode.
  const wrapper =
    new URL("../fixtures/fake_cluster_binary.sh", import.meta.url).pathname;
  const out = await new Deno.Command(wrapper, {
    args: [wrapper],
    env: { DENO: Deno.execPath() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, new RegExp(`total ${sumOfSquares(200)} on 2 nodes`));
  // The app's own main ran once: in the parent, never in a node.
  assert.equal(stdout.match(/cluster app main ran/g)?.length, 1);
});

Deno.test("values move node to node, not through the scheduler", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  // Leaves pinned to alternate nodes, so every sum needs a value from the
  // other node.
  const leaves = Array.from(
    { length: 40 },
    (_, i) => delayed(g.square, { workers: [`local-${1 + (i % 2)}`] })(i),
  );
  const [total] = await cluster.scheduler.compute(treeReduce(g.add, leaves));
  assert.equal(total, sumOfSquares(40));
  const { transfers } = cluster.status();
  assert.ok(transfers.direct > 0, JSON.stringify(transfers));
  assert.equal(transfers.relayed, 0);
});

Deno.test("a task goes where most of its input bytes are, not most of its inputs", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const pids = cluster.pids();
  // One big input on local-1 (800 kB), two small ones on local-2.
  const big = delayed(g.bigArray, { workers: ["local-1"] })(100_000);
  const small = [1, 2].map((x) => delayed(g.inc, { workers: ["local-2"] })(x));
  const [where] = await cluster.scheduler.compute(
    delayed(g.pidOf)(big, small[0], small[1]),
  );
  assert.equal(where, pids["local-1"]);
});
