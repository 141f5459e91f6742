/**
 * Tasks that take as long as they take: a minute-long task on every
 * placement at once (so CI pays about one minute, not five), a CPU-bound
 * task that holds its worker's thread past the actor system's ask deadline
 * while its results are fetched, a CPU-bound task that holds a node's thread
 * for longer than the cluster's `silenceMs` (its heartbeat thread speaks
 * for it), and a node paused (SIGSTOP) for longer than the ask deadline but
 * shorter than `silenceMs`: a slow node, not a lost one. No task here has a
 * `timeout`, so none may fail for time.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, delayed } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { lt } from "../fixtures/long_tasks.ts";
import { tick, until } from "../helpers.ts";

/** A minute and a second: far past the system's 5 s ask deadline. */
const MINUTE = 61_000;
const fixtures = new URL("../fixtures/", import.meta.url).pathname;

Deno.test("a task of a minute runs to its end on every placement, at once", async () => {
  await using system = new ActorSystem();
  await using inline = createScheduler(system, { placement: "inline" });
  await using local = createScheduler(system, {
    placement: "local",
    workers: 1,
  });
  await using worker = createScheduler(system, {
    placement: "worker",
    workers: 2,
  });
  await using proc = createScheduler(system, {
    placement: "process",
    workers: 1,
    permissions: { read: [fixtures] },
  });
  const warnings: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 2,
    heartbeatMs: 250,
    // A node paused for 7 s below is slow, not lost.
    silenceMs: 20_000,
    logger: (m) => warnings.push(m),
  });
  const pids = cluster.pids();
  // A node whose silence is short: its CPU-bound task lasts 7 times that.
  await using strict = await localCluster(system, {
    nodes: 1,
    heartbeatMs: 100,
    silenceMs: 1_000,
    logger: (m) => warnings.push(m),
  });

  /**
   * On worker hosts: a value's holder holds its thread for 7 s (a CPU-bound
   * task) while the value is fetched. The fetch waits for it; the value is
   * not taken for lost and made again.
   */
  const busyHolder = async () => {
    const runs = new SharedArrayBuffer(8);
    const started = new SharedArrayBuffer(8);
    const [a] = worker.persist(delayed(g.counted)(1, runs));
    assert.equal(await a.result(), 2);
    // It runs where its input is: on the worker that holds `a`.
    const spin = worker.submit(lt.spinCounted, a, 7_000, started);
    await until(
      () => Atomics.load(new Int32Array(started), 0) === 1,
      "the CPU-bound task to start",
      30_000,
    );
    assert.equal(await a.result(), 2); // fetched from the busy holder
    assert.equal(await spin.result(), 2);
    assert.equal(Atomics.load(new Int32Array(runs), 0), 1, "made once");
  };

  /** Two minute-long tasks, one per node; one node is paused 7 s meanwhile. */
  const onNodes = async () => {
    const job = cluster.scheduler.compute(
      delayed(lt.napPid, { workers: ["local-1"] })(5, MINUTE),
      delayed(lt.napPid, { workers: ["local-2"] })(6, MINUTE),
    );
    await until(
      () => cluster.status().nodes.every((n) => n.inFlight === 1),
      "both tasks sent",
      30_000,
    );
    cluster.kill("local-1", "SIGSTOP");
    await tick(7_000);
    cluster.kill("local-1", "SIGCONT");
    const [first, second] = await job;
    // Each ran once, on the node it was given: nothing was taken for lost.
    assert.deepEqual(first, [5, pids["local-1"]]);
    assert.deepEqual(second, [6, pids["local-2"]]);
    assert.equal(cluster.nodes().length, 2);
  };

  const [a, b, c, d] = await Promise.all([
    inline.compute(delayed(g.nap)(1, MINUTE)),
    local.compute(delayed(g.nap)(2, MINUTE)),
    worker.compute(delayed(g.nap)(3, MINUTE)),
    proc.compute(delayed(g.nap)(4, MINUTE)),
    busyHolder(),
    onNodes(),
    strict.scheduler.compute(delayed(lt.spin)(7, 7_000)).then(([x]) => {
      assert.equal(x, 7);
      assert.equal(strict.nodes().length, 1);
    }),
  ]);
  assert.deepEqual([a, b, c, d], [[1], [2], [3], [4]]);
  assert.deepEqual(
    warnings.filter((w) => /lost|silent|dropped/.test(w)),
    [],
  );
});

Deno.test("a timeout of Infinity, or past what a timer holds, is no deadline", async () => {
  await using system = new ActorSystem();
  for (const placement of ["inline", "local", "worker"] as const) {
    await using scheduler = createScheduler(system, { placement, workers: 1 });
    for (const timeout of [Infinity, 2 ** 31, 1e12]) {
      const [x] = await scheduler.compute(delayed(g.nap, { timeout })(7, 20));
      assert.equal(x, 7, `${placement}, timeout ${timeout}`);
    }
  }
});
