/**
 * Work that takes as long as it takes: no default ask deadline may bound a
 * task, a routed ask, an actor's start or a cluster-wide wait. Everything
 * here runs at once, in one test, so that the suite grows by about a minute
 * (the longest wait), not by the sum of them.
 */

import assert from "node:assert/strict";
import { ActorSystem, createPool, createRouter } from "@troupe/troupe";
import { definePool } from "../../actors/pool/define_pool.ts";
import { defineRouter } from "../../actors/pool/router.ts";
import { connect, startCluster } from "@troupe/troupe/cluster";
import { SharedMutex } from "@troupe/troupe/sync";
import { Counter, SlowStart } from "../fixtures/behaviors.ts";
import { tasks } from "../fixtures/tasks.ts";
import { tick, until } from "../helpers.ts";

/** Past the old 5 s default and a minute: the work of a real job. */
const MINUTE = 61_000;
/** A synchronous CPU-bound task past the old 5 s default. */
const BUSY = 6_500;

Deno.test("work of a minute (and CPU work past 5 s) finishes on every path", async () => {
  // The default ask deadline stays at 5 s: nothing below may lean on it.
  await using system = new ActorSystem();
  const modules = [tasks.busy.taskModule];
  // A runner runs one task at a time: one runner per long task, so that
  // they all run at once.
  const workers = createPool(system, { size: 5, placement: "worker" });
  const processes = createPool(system, {
    size: 3,
    placement: "process",
    modules,
  });
  const poolActor = system.spawn(
    definePool({ size: 1, placement: "worker" }),
  );
  const routees = [system.spawn(Counter, 1), system.spawn(Counter, 2)];
  const router = createRouter(system, routees, { retries: 1 });
  const routerActor = system.spawn(
    defineRouter({ of: Counter, args: [7], placement: "worker" }),
  );
  await using cluster = startCluster(system, { logger: () => {} });
  await using holder = await connect(cluster.address);
  await using waiter = await connect(cluster.address);
  await holder.mutex("long").acquire();
  const shared = new SharedMutex();
  const sharedWaiter = SharedMutex.from(shared.handle);
  await shared.acquire();

  const order: string[] = [];
  const work = {
    workerBusy: workers.map(tasks.busy, [[1, BUSY]]),
    workerSleepy: workers.map(tasks.sleepy, [[2, MINUTE]]),
    workerSubmit: workers.submit(tasks.sleepy, [3, MINUTE]),
    workerRun: workers.run(tasks.sleepy, [[4, MINUTE]]),
    workerStarmap: workers.starmap(tasks.add, [[2, 3]]),
    processBusy: processes.map(tasks.busy, [[5, BUSY]]),
    processSleepy: processes.map(tasks.sleepy, [[6, MINUTE]]),
    processImap: (async () => {
      const out: number[] = [];
      for await (const x of processes.imap(tasks.sleepy, [[7, MINUTE]])) {
        out.push(x);
      }
      return out;
    })(),
    poolActor: poolActor.ask("map", [tasks.sleepy, [[8, MINUTE]]], {
      timeout: Infinity,
    }),
    router: router.ask("slow", MINUTE, { timeout: Infinity }),
    routerActor: routerActor.ask("slow", MINUTE, { timeout: Infinity }),
    // An actor whose start (init) takes a minute is not given up on.
    slowStart: system.whenStarted(
      system.spawn(SlowStart, MINUTE, { placement: "worker" }),
    ).then(() => "started"),
    clusterMutex: waiter.mutex("long").acquire().then(() => {
      order.push("acquired");
      return "acquired";
    }),
    sharedMutex: sharedWaiter.acquire().then(() => "shared acquired"),
  };
  // Each settles on its own: a failure names its path, and none is left
  // unhandled while the others still run.
  const settled = Object.entries(work).map(([k, p]) =>
    (p as Promise<unknown>).then(
      (v) => [k, v],
      (e) => [k, `failed: ${e}`],
    )
  );
  // Closed now: a close waits for the work given, however long it takes.
  const closed = Promise.all([workers.close(), processes.close()]);
  await until(
    async () => (await holder.mutex("long").inspect()).waiting === 1,
    "the cluster wait to reach the scheduler",
  );
  // The lock is held for a minute, then given back.
  await tick(MINUTE);
  order.push("released");
  await holder.mutex("long").release();
  shared.release();

  const results = Object.fromEntries(await Promise.all(settled));
  assert.deepEqual(results, {
    workerBusy: [1],
    workerSleepy: [2],
    workerSubmit: 3,
    workerRun: 4,
    workerStarmap: [5],
    processBusy: [5],
    processSleepy: [6],
    processImap: [7],
    poolActor: [8],
    router: 1,
    routerActor: 7,
    slowStart: "started",
    clusterMutex: "acquired",
    sharedMutex: "shared acquired",
  });
  assert.deepEqual(order, ["released", "acquired"]);
  await waiter.mutex("long").release();
  sharedWaiter.release();
  await closed;
});
