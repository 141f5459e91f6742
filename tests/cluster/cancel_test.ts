/**
 * Cancel: work not started does not start, on every placement. A scheduler
 * sends runs ahead to its workers (so that none waits for a round trip);
 * a cancel must reach those too, not only the ones it still holds. Each
 * test sees the side effect (a file written, a cluster-wide event set) from
 * outside the host that would have run the task.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  CancelledError,
  createScheduler,
  type Future,
  type Scheduler,
} from "@troupe/troupe";
import { connect, localCluster } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { lt } from "../fixtures/long_tasks.ts";
import { mk } from "../fixtures/mark_tasks.ts";
import { until } from "../helpers.ts";

const fixtures = new URL("../fixtures/", import.meta.url).pathname;

/**
 * A loopback listener that notes the byte each connection sends: what
 * `lt.knock` tasks tell it when they run, from whatever host.
 */
function witness(): {
  port: number;
  heard: Set<number>;
  close: () => Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heard = new Set<number>();
  const reads: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      reads.push((async () => {
        const buf = new Uint8Array(1);
        try {
          if ((await conn.read(buf)) === 1) heard.add(buf[0]);
        } finally {
          conn.close();
        }
      })());
    }
  })();
  return {
    port: listener.addr.port,
    heard,
    close: async () => {
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(reads);
    },
  };
}

/** Runs sent to the scheduler's only worker and not finished. */
function inFlight(scheduler: Scheduler): number {
  return scheduler.status().workers[0]?.inFlight ?? 0;
}

/**
 * On a one-worker scheduler busy with `gate`: three tasks that would knock,
 * one of them sent ahead to the worker, and one waiting on the gate's
 * result. All four are cancelled; none knocks; the gate finishes.
 */
async function cancelQueued(
  scheduler: Scheduler,
  gate: Future<number>,
  port: number,
  heard: Set<number>,
): Promise<void> {
  const queued = [0, 1, 2].map((i) => scheduler.submit(lt.knock, i, port));
  const dependent = scheduler.submit(lt.knock, gate, port);
  await until(() => inFlight(scheduler) === 2, "a run sent ahead", 20_000);
  for (const f of [...queued, dependent]) f.cancel();
  await gate.result();
  for (const f of [...queued, dependent]) {
    await assert.rejects(f.result(), CancelledError);
  }
  // Whatever was sent ahead has been dropped there (or it would run now).
  await until(() => inFlight(scheduler) === 0, "the worker idle", 20_000);
  assert.equal(await scheduler.submit(lt.knock, 9, port).result(), 9);
  await until(() => heard.has(9), "the canary's knock", 20_000);
  assert.deepEqual([...heard], [9], "only the canary ran");
}

for (const placement of ["local", "worker", "process"] as const) {
  Deno.test(`[${placement}] a cancelled run sent ahead to a worker does not start`, async () => {
    const { port, heard, close } = witness();
    try {
      await using system = new ActorSystem();
      await using scheduler = createScheduler(system, {
        placement,
        workers: 1,
        permissions: placement === "process"
          ? { read: [fixtures], net: ["127.0.0.1"] }
          : undefined,
      });
      // On worker hosts the gate holds the thread: the cancel is read only
      // once it ends, and must still come before the next run.
      const gate = placement === "worker"
        ? scheduler.submit(lt.spin, 5, 600)
        : scheduler.submit(g.nap, 5, 600);
      await cancelQueued(scheduler, gate, port, heard);
    } finally {
      await close();
    }
  });
}

Deno.test("[inline] a cancelled task waiting for its input does not start", async () => {
  const { port, heard, close } = witness();
  try {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, { placement: "inline" });
    const gate = scheduler.submit(g.nap, 5, 300);
    const dependent = scheduler.submit(lt.knock, gate, port);
    dependent.cancel();
    assert.equal(await gate.result(), 5);
    await assert.rejects(dependent.result(), CancelledError);
    assert.equal(await scheduler.submit(lt.knock, 9, port).result(), 9);
    await until(() => heard.has(9), "the canary's knock", 20_000);
    assert.deepEqual([...heard], [9], "only the canary ran");
  } finally {
    await close();
  }
});

Deno.test("[inline] a task given a pending future waits for its value", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "inline" });
  const slow = scheduler.submit(g.nap, 5, 100);
  const next = scheduler.submit(g.inc, slow);
  assert.equal(await next.result(), 6);
  const failing = scheduler.submit(g.checked, -1);
  const after = scheduler.submit(g.inc, failing);
  await assert.rejects(after.result(), /negative/);
});

Deno.test("[cluster] a cancelled run sent ahead to a node does not start", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 1 });
  await using client = await connect(cluster.address);
  const scheduler = cluster.scheduler;
  const nodeInFlight = () => cluster.status().nodes[0]?.inFlight ?? 0;
  const gate = scheduler.submit(g.nap, 5, 1_000);
  const queued = [0, 1, 2].map((i) => scheduler.submit(mk.mark, i, `ran-${i}`));
  await until(() => nodeInFlight() === 2, "a run sent ahead", 20_000);
  // Cancelled by a client too: the same path through its session.
  const viaClient = client.submit(mk.mark, 7, "ran-client");
  await until(() => nodeInFlight() === 2, "still two in flight", 20_000);
  viaClient.cancel();
  for (const f of queued) f.cancel();
  await gate.result();
  await until(() => nodeInFlight() === 0, "the node idle", 20_000);
  assert.equal(await scheduler.submit(mk.mark, 9, "canary").result(), 9);
  assert.ok((await client.event("canary").inspect()).isSet, "the canary ran");
  for (const name of ["ran-0", "ran-1", "ran-2", "ran-client"]) {
    assert.equal((await client.event(name).inspect()).isSet, false, name);
  }
});
