/**
 * The dashboard's task stream beyond the snapshots: `/api/stream` gives
 * every run of the last minutes, a page at a time, while each snapshot
 * carries the latest 500 at most; and computations carry their client's
 * job name and their progress by task name.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  connect,
  runNode,
  serveDashboard,
  startCluster,
} from "@troupe/troupe/cluster";
import { delayed, type SchedulerStatus } from "@troupe/troupe";

type TaskRun = SchedulerStatus["stream"][number];
import { g } from "../fixtures/graph_tasks.ts";

Deno.test("/api/stream gives every run since a time (snapshots keep the latest 500); computations are named by their client's jobName, with progress by task name", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const stop = new AbortController();
  const node = runNode(cluster.address, { name: "s1", signal: stop.signal });
  try {
    await cluster.waitForNodes(1);
    await using dashboard = serveDashboard(cluster, { token: "tk" });
    await using client = await connect(cluster.address, {
      jobName: "squares of 700",
    });
    const squares = Array.from({ length: 700 }, (_, i) => delayed(g.square)(i));
    const [total] = await client.compute(delayed(g.sum)(squares));
    assert.equal(total, 114_088_450);

    const get = async (path: string) => {
      const r = await fetch(new URL(path, dashboard.url), {
        headers: { authorization: "Bearer tk" },
      });
      assert.equal(r.status, 200);
      return await r.json();
    };
    const status = await get("api/status");
    assert.ok(status.stream.length <= 500, `${status.stream.length} runs`);
    const all = await get("api/stream?since=0");
    assert.equal(all.more, false);
    const runs = all.runs as TaskRun[];
    assert.equal(runs.length, 701, "every run: 700 squares and the sum");
    for (let i = 1; i < runs.length; i++) {
      assert.ok(runs[i].end >= runs[i - 1].end, "oldest first");
    }
    assert.ok(runs.every((r) => r.worker === "s1" && r.ok));
    assert.ok(runs.every((r) => typeof r.bytesOut === "number"));
    const sum = runs.find((r) => r.task === "sum")!;
    assert.ok(sum.bytesIn! >= 700, "the sum's inputs' sizes");
    // Since a time: only what ended then or later.
    const later = await get(`api/stream?since=${sum.end}`);
    assert.ok(later.runs.every((r: TaskRun) => r.end >= sum.end));
    assert.ok(later.runs.some((r: TaskRun) => r.task === "sum"));
    const refused = await fetch(new URL("api/stream", dashboard.url));
    await refused.body?.cancel();
    assert.equal(refused.status, 401);

    const c = status.computations.at(-1);
    assert.equal(c.name, "squares of 700");
    assert.deepEqual(c.groups, {
      square: { total: 700, done: 700, erred: 0 },
      sum: { total: 1, done: 1, erred: 0 },
    });
  } finally {
    stop.abort();
    await node;
  }
});
