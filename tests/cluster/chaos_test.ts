/**
 * Chaos: real node processes are killed (SIGKILL) and paused past
 * `silenceMs` (SIGSTOP, then SIGCONT) in cycles while a graph of tasks
 * longer than the system's 5 s ask deadline and many short ones runs. The
 * result must be exact; lost results and interrupted tasks are made again
 * on the nodes that remain and those that come back. It prints its figures
 * (cycles, tasks, runs, wall time) for RELIABILITY.md.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { delayed, treeReduce } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { lt } from "../fixtures/long_tasks.ts";
import { tick } from "../helpers.ts";

const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

Deno.test("chaos: nodes killed and paused in cycles; a graph of long and short tasks is exact", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: 3,
    heartbeatMs: 100,
    silenceMs: 1_500,
    // Deaths are the point here: no task is given up on.
    scheduler: { allowedFailures: 1_000 },
    logger: (m) => warnings.push(m),
  });
  const SHORT = 600;
  const short = Array.from(
    { length: SHORT },
    (_, i) => delayed(g.slowSquare)(i, 2),
  );
  // Longer than the ask deadline: four that sleep, one that holds its thread.
  const long = [
    ...[0, 1, 2, 3].map((j) => delayed(g.slowSquare)(100 + j, 6_000)),
    delayed(lt.spin)(7, 6_500),
  ];
  const total = delayed(g.add)(
    treeReduce(g.add, short),
    delayed(g.sum)(long),
  );
  const expected = sumOfSquares(SHORT) +
    [0, 1, 2, 3].reduce((a, j) => a + (100 + j) ** 2, 0) + 7;
  const tasks = SHORT + (SHORT - 1) + long.length + 2;

  const began = performance.now();
  const job = cluster.scheduler.compute(total);
  let finished = false;
  job.finally(() => finished = true).catch(() => {});
  // Task runs that ended, as the scheduler's task stream shows them.
  const runs = new Set<string>();
  const watch = (async () => {
    while (!finished) {
      for (const r of cluster.status().stream) {
        if (r.ok) runs.add(`${r.key} ${r.worker} ${r.start}`);
      }
      await tick(100);
    }
  })();

  let cycles = 0, kills = 0, pauses = 0;
  for (let c = 0; c < 8 && !finished; c++) {
    await tick(1_200);
    const name = `local-${1 + (c % 3)}`;
    try {
      if (c % 2 === 0) {
        cluster.kill(name, "SIGKILL"); // the nanny starts a fresh one
        kills++;
      } else {
        cluster.kill(name, "SIGSTOP"); // silent past silenceMs: lost
        await tick(3_000);
        cluster.kill(name, "SIGCONT"); // it comes back as a new member
        pauses++;
      }
      cycles++;
    } catch {
      // (Being restarted by the nanny just now: no process to signal.)
    }
  }
  const [result] = await job;
  await watch;
  const wallMs = Math.round(performance.now() - began);
  assert.equal(result, expected);
  const figures = {
    cycles,
    kills,
    pauses,
    tasks,
    runs: runs.size,
    recomputed: Math.max(0, runs.size - tasks),
    droppedSilent: warnings.filter((w) => /silent/.test(w)).length,
    wallMs,
  };
  console.log(`chaos figures: ${JSON.stringify(figures)}`);
});
