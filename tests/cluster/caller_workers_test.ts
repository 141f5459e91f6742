/**
 * A scheduler with a worker on the caller's loop (what an array's default
 * `compute()` makes): a graph never waits for a worker host to start, and
 * a short graph never starts one; a long one does, and the hosts help.
 */

import assert from "node:assert/strict";
import { ActorSystem, createScheduler, delayed } from "@troupe/troupe";
import { withCallerWorkers } from "../../cluster/graph/caller_workers.ts";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";

Deno.test("caller workers: a graph is done while a host is still starting, none of it sent there", async () => {
  // A process host that never comes up (its command only sleeps).
  await using system = new ActorSystem({
    exec: { command: "bash", args: ["-c", "sleep 600"] },
  });
  const failures: string[] = [];
  system.subscribe((e) => {
    if (e.type === "failed") failures.push(String(e.type));
  });
  await using scheduler = createScheduler(
    system,
    withCallerWorkers({ placement: "process", workers: 2 } as const, 1, 0),
  );
  let out: unknown;
  const job = scheduler.compute(
    Array.from({ length: 16 }, (_, i) => delayed(g.inc)(i)),
  ).then(([v]) => out = v, (e) => out = e);
  // (Bounded: a task sent to the host would wait for it for ever.)
  await until(() => out !== undefined, "the graph done", 20_000);
  await job;
  assert.deepEqual(out, Array.from({ length: 16 }, (_, i) => i + 1));
  // Done on the caller's worker alone: no task waited for the host (one
  // that had would have been freed only by the host's failure to start).
  assert.deepEqual(failures, []);
  assert.equal(scheduler.status().workers.length, 2);
});

Deno.test("caller workers: a graph done before the hosts are due starts none; a long one starts them", async () => {
  await using system = new ActorSystem();
  {
    await using scheduler = createScheduler(
      system,
      withCallerWorkers(
        { placement: "worker", workers: 2 } as const,
        1,
        3_600_000,
      ),
    );
    const [out] = await scheduler.compute([delayed(g.inc)(1)]);
    assert.deepEqual(out, [2]);
    assert.deepEqual(
      scheduler.status().workers.map((w) => w.name),
      ["worker-1"],
      "no host for a graph done before they were due",
    );
  }
  // 30 tasks of 40 ms; those on the caller's thread wait until the host
  // has run one (the gate), so the caller alone cannot finish them first:
  // the test waits on the host's start, not on a race with it.
  await using scheduler = createScheduler(
    system,
    withCallerWorkers({ placement: "worker", workers: 2 } as const, 1, 1),
  );
  const gate = new SharedArrayBuffer(4);
  const naps = scheduler.compute(
    Array.from(
      { length: 30 },
      (_, i) => delayed(g.napAfterHost)(i, gate, 40),
    ),
  );
  assert.deepEqual((await naps)[0], Array.from({ length: 30 }, (_, i) => i));
  assert.ok(
    scheduler.status().stream.some((r) => r.worker !== "worker-1"),
    "the host ran some of them",
  );
});
