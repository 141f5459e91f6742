/**
 * How nodes come and go under a running graph, with real node processes:
 * a node stopped the documented way (SIGTERM) leaves in good order (it
 * finishes what it runs and hands its results over; see retire_test.ts)
 * without counting as a death; a node paused past
 * `silenceMs` is lost, its work redone, and what it says when it wakes is
 * harmless; a node that answers outside the protocol is dropped as a bad
 * peer while the scheduler lives.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  type Delayed,
  delayed,
  KilledWorkerError,
  TaskFailedError,
  treeReduce,
} from "@troupe/troupe";
import { localCluster, runNode, startCluster } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { lt } from "../fixtures/long_tasks.ts";
import { until } from "../helpers.ts";
import { runWithSecret } from "./deno_run.ts";

const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

/** `square(i)` for i < n (or `leaf(i)`), then pairwise `add` down to one. */
function tree(n: number, leaf: (i: number) => Delayed<number>) {
  return treeReduce(g.add, Array.from({ length: n }, (_, i) => leaf(i)));
}

Deno.test("SIGTERM: a node leaves in good order; its running task finishes there (not redone), no death counted", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 2,
    respawn: false,
    // One death fails a task: a leave that counted would fail it.
    scheduler: { allowedFailures: 1 },
    logger: (m) => warnings.push(m),
  });
  const pids = cluster.pids();
  const job = cluster.scheduler.compute(
    [1, 2].map((i) => delayed(lt.napPid)(i, 1_500)),
  );
  await until(
    () => cluster.status().nodes.every((n) => n.inFlight > 0),
    "a task on each node",
    20_000,
  );
  cluster.kill("local-1", "SIGTERM");
  const [results] = await job;
  // Both done, each where it started: the leaving node finished its own
  // before it left (retired, it hands its results over; nothing is redone).
  assert.deepEqual(
    (results as [number, number][]).map(([, pid]) => pid).sort(),
    [pids["local-1"], pids["local-2"]].sort(),
  );
  await until(
    () => cluster.nodes().every((n) => n.name !== "local-1"),
    "local-1 gone",
  );
  assert.ok(warnings.some((w) => /local-1 left/.test(w)), warnings.join("\n"));
  // A lost connection still counts: kill -9 of the last node fails its task.
  const doomed = cluster.scheduler.compute(delayed(lt.napPid)(3, 60_000));
  await until(
    () => cluster.status().nodes.some((n) => n.inFlight > 0),
    "the task sent",
    20_000,
  );
  cluster.kill("local-2", "SIGKILL");
  const err = await doomed.catch((e) => e);
  assert.ok(err instanceof KilledWorkerError, String(err));
  assert.equal(err.deaths, 1);
});

Deno.test("SIGSTOP past silenceMs: the node is lost, its work redone; awake again, it is harmless", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 2,
    heartbeatMs: 100,
    silenceMs: 1_000,
    logger: (m) => warnings.push(m),
  });
  const done: number[] = [];
  const stop = cluster.scheduler.subscribe((p) => done.push(p.done));
  // Results held on both nodes, and tasks running on both, when one stops.
  const job = cluster.scheduler.compute(
    tree(300, (i) => delayed(g.slowSquare)(i, 10)),
  );
  await until(() => (done.at(-1) ?? 0) >= 150, "half the graph", 30_000);
  cluster.kill("local-1", "SIGSTOP");
  await until(
    () => cluster.nodes().length === 1,
    "the paused node lost",
    20_000,
  );
  const [total] = await job;
  assert.equal(total, sumOfSquares(300));
  stop();
  // Awake: it finds its connection gone, and joins again as a fresh member
  // (what its old incarnation had to say went nowhere).
  cluster.kill("local-1", "SIGCONT");
  await cluster.waitForNodes(2);
  const [again] = await cluster.scheduler.compute(
    tree(100, (i) => delayed(g.square, { workers: ["local-1"] })(i)),
  );
  assert.equal(again, sumOfSquares(100));
  assert.ok(
    warnings.some((w) => /local-1 silent/.test(w)),
    warnings.join("\n"),
  );
});

const BOGUS = new URL("../fixtures/bogus_node.ts", import.meta.url).pathname;

for (const mode of ["done", "failed"] as const) {
  Deno.test(`a node whose ${mode} reports break the protocol is dropped; its work is redone, the scheduler lives`, async () => {
    await using system = new ActorSystem();
    const warnings: string[] = [];
    await using cluster = startCluster(system, {
      logger: (m) => warnings.push(m),
    });
    const bogus = runWithSecret(
      BOGUS,
      [cluster.address, mode],
      cluster.secret as string,
    );
    await cluster.waitForNodes(1);
    // It gets the work first: a failing task and a small graph.
    const failing = cluster.scheduler.compute(delayed(g.checked)(-1))
      .catch((e) => e);
    const summing = cluster.scheduler.compute(
      tree(40, (i) => delayed(g.square)(i)),
    );
    await until(
      () => warnings.some((w) => /bogus/.test(w) && /dropped/.test(w)),
      "the bad node dropped",
      20_000,
    );
    assert.equal((await bogus.status).code, 0);
    // A good node takes over; the results are those of a sound run.
    const stop = new AbortController();
    const good = runNode(cluster.address, {
      name: "good",
      signal: stop.signal,
    });
    const err = await failing;
    assert.ok(err instanceof TaskFailedError, String(err));
    assert.equal((err.cause as Error).name, "RangeError");
    assert.deepEqual(await summing, [sumOfSquares(40)]);
    // Each reason is logged, bounded, and names the node.
    const dropped = warnings.filter((w) => /bogus/.test(w));
    assert.ok(dropped.every((w) => w.length < 400), dropped.join("\n"));
    stop.abort();
    await good;
  });
}
