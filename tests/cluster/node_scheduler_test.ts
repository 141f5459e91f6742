/**
 * A scheduler whose workers are cluster members (node hosts): members join
 * and leave, and a member that leaves mid-graph costs only recomputation.
 * The nodes are served in this isolate over links that pass every batch
 * through MessagePack; the TCP cluster tests run real processes.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, type Delayed, delayed } from "@troupe/troupe";
import { addNodeWorker } from "../../cluster/graph/scheduler.ts";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";
import { attachLocalNode } from "../node_link.ts";

function naps(n: number, ms: number): Delayed<number> {
  const leaves = Array.from({ length: n }, (_, i) => delayed(g.nap)(i, ms));
  return delayed(g.sum)(leaves);
}

Deno.test("work waits for the first member, then runs on all of them", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "node" });
  const result = scheduler.compute(naps(20, 1));
  const a = attachLocalNode(system, "a");
  await a.attached.ready;
  addNodeWorker(scheduler, "a");
  const b = attachLocalNode(system, "b");
  await b.attached.ready;
  addNodeWorker(scheduler, "b");
  assert.deepEqual(await result, [190]);
  a.cut();
  b.cut();
});

Deno.test("a member that leaves mid-graph: its work is redone elsewhere", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "node" });
  const a = attachLocalNode(system, "a");
  const b = attachLocalNode(system, "b");
  await Promise.all([a.attached.ready, b.attached.ready]);
  addNodeWorker(scheduler, "a");
  addNodeWorker(scheduler, "b");
  const done: number[] = [];
  const stop = scheduler.subscribe((p) => done.push(p.done));
  const result = scheduler.compute(naps(40, 5));
  await until(() => done.length >= 6, "some tasks to finish");
  a.cut(); // values held on a, and its running tasks, are lost
  assert.deepEqual(await result, [780]);
  stop();
  b.cut();
});
