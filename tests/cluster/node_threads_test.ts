/** A node of several threads: each joins as `<name>.<i>` and runs tasks at once. */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { delayed } from "@troupe/troupe";
import { runNode, startCluster } from "@troupe/troupe/cluster";
import { s } from "../fixtures/cluster_sync_tasks.ts";
import { until } from "../helpers.ts";

Deno.test("a node with threads: 2 runs two tasks at once, one on a Web Worker", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const stop = new AbortController();
  const node = runNode(cluster.address, {
    name: "box",
    threads: 2,
    resources: { GPU: 1 },
    signal: stop.signal,
  });
  try {
    await cluster.waitForNodes(2);
    const nodes = cluster.nodes().sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(nodes.map((n) => n.name), ["box.0", "box.1"]);
    // The node's resources are its first thread's.
    assert.deepEqual(nodes.map((n) => n.resources), [{ GPU: 1 }, {}]);
    // Each waits for the other: they finish only if they run at once. The
    // node's name allows its threads.
    const [a, b] = [["a", "b"], ["b", "a"]].map(([mine, theirs]) =>
      delayed(s.meet, { workers: ["box"] })(mine, theirs)
    );
    const ranOnWorker = await cluster.scheduler.compute(a, b);
    assert.deepEqual([...ranOnWorker].sort(), [false, true]);
  } finally {
    stop.abort();
    await node;
  }
  // Every thread left (the scheduler sees each connection close).
  await until(() => cluster.nodes().length === 0, "every thread to leave");
});

Deno.test("threads must be a whole number of at least 1", async () => {
  await assert.rejects(
    runNode("127.0.0.1:1", { threads: 0 }),
    /threads must be an integer >= 1, got 0/,
  );
});
