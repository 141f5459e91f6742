/**
 * A node run in this process (`runNode`) with a memory limit: it spills
 * into a space of its own that goes when it stops; past its terminate
 * fraction it drops what it holds and its connection and joins again (its
 * work is redone; a result that alone passes the threshold kills each
 * worker it lands on, and its task fails with `KilledWorkerError`).
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { delayed, KilledWorkerError } from "@troupe/troupe";
import { runNode, startCluster } from "@troupe/troupe/cluster";
import { blockValue, mt } from "../fixtures/memory_tasks.ts";
import { until } from "../helpers.ts";

const MiB = 2 ** 20;

Deno.test("runNode with a memory limit: spills to its own space, which goes when it stops", async () => {
  const dir = Deno.makeTempDirSync();
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const stop = new AbortController();
  const node = runNode(cluster.address, {
    name: "n1",
    memoryLimit: "4MiB",
    localDirectory: dir,
    signal: stop.signal,
  });
  try {
    await cluster.waitForNodes(1);
    const n = MiB / 8;
    const blocks = [0, 1, 2, 3, 4, 5].map((i) => delayed(mt.block)(i, n));
    const [values] = await cluster.scheduler.compute(blocks);
    values.forEach((v, i) => assert.equal(v[3], blockValue(i, 3)));
    const held = cluster.scheduler.persist(...blocks);
    await Promise.all(held.map((f) => f.settled()));
    await until(
      () => (cluster.status().nodes[0].heldMemory?.spills ?? 0) > 0,
      "spills",
    );
    const spaces = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(spaces.length, 1);
    assert.match(spaces[0], new RegExp(`^n1-${Deno.pid}-`));
    for (const f of held) f.release();
  } finally {
    stop.abort();
    await node;
  }
  assert.deepEqual([...Deno.readDirSync(dir)], [], "its space went with it");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("runNode past its terminate fraction drops its results and joins again; a task whose result alone passes it fails with KilledWorkerError", async () => {
  const dir = Deno.makeTempDirSync();
  await using system = new ActorSystem();
  const logs: string[] = [];
  await using cluster = startCluster(system, {
    heartbeatMs: 100,
    silenceMs: 1_000,
    logger: () => {},
  });
  const stop = new AbortController();
  const node = runNode(cluster.address, {
    name: "n2",
    memoryLimit: "8MiB",
    // Nothing spills, nothing pauses: past 4 MiB held, it ends.
    memoryFractions: {
      target: false,
      spill: false,
      pause: false,
      terminate: 0.5,
    },
    localDirectory: dir,
    signal: stop.signal,
    log: (m) => logs.push(m),
  });
  try {
    await cluster.waitForNodes(1);
    // Small results: fine.
    const [small] = await cluster.scheduler.compute(
      delayed(mt.total)(delayed(mt.block)(1, 1024)),
    );
    assert.equal(
      small,
      [...Array(1024).keys()].reduce((a, j) => a + blockValue(1, j), 0),
    );
    // A 6 MiB result: each time it is made, the node ends and rejoins.
    await assert.rejects(
      cluster.scheduler.compute(delayed(mt.block)(2, 6 * MiB / 8)),
      KilledWorkerError,
    );
    assert.ok(
      logs.some((m) => /past the terminate threshold .*joining again/.test(m)),
      logs.join("\n"),
    );
    // It is back, and works.
    await cluster.waitForNodes(1);
    const [again] = await cluster.scheduler.compute(
      delayed(mt.total)(delayed(mt.block)(3, 16)),
    );
    assert.equal(
      again,
      [...Array(16).keys()].reduce((a, j) => a + blockValue(3, j), 0),
    );
  } finally {
    stop.abort();
    await node;
  }
  Deno.removeSync(dir, { recursive: true });
});
