/**
 * Work stealing weighs what moving a task's inputs costs against the time
 * it saves (as Dask's does): an idle node does not copy a big input to
 * itself for instant tasks, and still takes long tasks with small inputs.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { delayed, gather } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";

Deno.test("an idle node does not copy a 32 MB input for instant tasks, and steals long ones", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const pids = cluster.pids();
  // 32 MB held on local-1; 40 instant tasks that read it.
  const big = delayed(g.bigArray, { workers: ["local-1"] })(4_000_000);
  const [ran] = await cluster.scheduler.compute(
    Array.from({ length: 40 }, (_, i) => delayed(g.pidOf)(big, i)),
  );
  // Moving 32 MB takes far longer than all 40 tasks: none moved.
  assert.deepEqual(new Set(ran), new Set([pids["local-1"]]));
  assert.equal(cluster.status().transfers.direct, 0);
  // Long tasks, each with a small input held on local-1: worth moving, so
  // both nodes run them.
  const inputs = cluster.scheduler.persist(
    ...Array.from(
      { length: 8 },
      (_, i) => delayed(g.inc, { workers: ["local-1"] })(i),
    ),
  );
  await gather(inputs);
  const [slow] = await cluster.scheduler.compute(
    inputs.map((x) => delayed(g.pidAfter)(x, 300)),
  );
  assert.deepEqual(new Set(slow), new Set([pids["local-1"], pids["local-2"]]));
});
