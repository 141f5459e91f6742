/**
 * Cluster-wide sync: locks, semaphores, events and queues held by the
 * scheduler, shared by clients and by tasks on node processes.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  clusterClient,
  type ClusterOptions,
  connect,
  localCluster,
  startCluster,
} from "@troupe/troupe/cluster";
import { connectTransport } from "../../cluster/wire/endpoint.ts";
import { delayed } from "@troupe/troupe";
import {
  ClosedError,
  NotHeldError,
  WaitAbortedError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
// The waiting part every scope shares (internal: a user names the class).
import type { EventCore, LockCore, QueueCore } from "../../sync/types.ts";
import type { Client } from "@troupe/troupe/cluster";
import { s } from "../fixtures/cluster_sync_tasks.ts";
import { proxy } from "./tcp_proxy.ts";
import { until } from "../helpers.ts";

const quiet: ClusterOptions = { logger: () => {} };

// Every cluster primitive has the waiting part of its in-process twin (a
// type error here when one loses it).
export function waitingParts(
  c: Client,
): [LockCore, LockCore, EventCore, QueueCore<number>] {
  return [c.mutex("m"), c.semaphore("s", 1), c.event("e"), c.queue("q")];
}

Deno.test("a cluster mutex: one holder across clients, waiters in arrival order", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  await using a = await connect(cluster.address);
  await using b = await connect(cluster.address);
  await using c = await connect(cluster.address);
  const order: string[] = [];
  await a.mutex("m").acquire();
  const bGot = b.mutex("m").acquire().then(() => order.push("b"));
  await until(
    async () => (await a.mutex("m").inspect()).waiting === 1,
    "b waiting",
  );
  const cGot = c.mutex("m").acquire().then(() => order.push("c"));
  await until(
    async () => (await a.mutex("m").inspect()).waiting === 2,
    "c waiting",
  );
  assert.equal(await c.mutex("m").tryAcquire(), false);
  assert.deepEqual(order, []);
  await a.mutex("m").release();
  await bGot;
  assert.deepEqual(order, ["b"]);
  assert.deepEqual(await a.mutex("m").inspect(), { locked: true, waiting: 1 });
  await b.mutex("m").release();
  await cGot;
  assert.deepEqual(order, ["b", "c"]);
  await c.mutex("m").release();
  // An idle lock is forgotten: the cluster does not keep every name used.
  assert.deepEqual(cluster.status().sync, []);
});

Deno.test("a cluster mutex refuses a release by a client that does not hold it", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  await using a = await connect(cluster.address);
  await using b = await connect(cluster.address);
  await a.mutex("m").acquire();
  assert.throws(() => b.mutex("m").release(), (e: unknown) => {
    assert.ok(e instanceof NotHeldError);
    assert.match(e.message, /ClusterMutex\("m"\)\.release/);
    return true;
  });
  assert.equal((await b.mutex("m").inspect()).locked, true);
  await a.mutex("m").release();
});

Deno.test("a cluster wait times out or aborts with a typed error, and leaks nothing", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  await using a = await connect(cluster.address);
  await using b = await connect(cluster.address);
  await a.mutex("m").acquire();
  await assert.rejects(b.mutex("m").acquire({ timeout: 20 }), (e: unknown) => {
    assert.ok(e instanceof WaitTimeoutError);
    assert.equal(e.operation, 'ClusterMutex("m").acquire');
    assert.equal(e.timeoutMs, 20);
    return true;
  });
  const stop = new AbortController();
  const waiting = b.mutex("m").acquire({ signal: stop.signal });
  await until(
    async () => (await a.mutex("m").inspect()).waiting === 1,
    "b waiting",
  );
  stop.abort(new Error("changed my mind"));
  await assert.rejects(waiting, (e: unknown) => {
    assert.ok(e instanceof WaitAbortedError);
    assert.equal((e.cause as Error).message, "changed my mind");
    return true;
  });
  // The abandoned waits are gone: the lock goes free, then to a new taker.
  assert.equal((await a.mutex("m").inspect()).waiting, 0);
  await a.mutex("m").release();
  assert.equal(await b.mutex("m").tryAcquire(), true);
  await b.mutex("m").release();
  // An aborted signal refuses at once, without a round trip.
  await assert.rejects(
    b.event("e").wait({ signal: AbortSignal.abort("no") }),
    WaitAbortedError,
  );
});

Deno.test("a cluster semaphore never has more holders than permits", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  const clients = await Promise.all(
    [1, 2, 3, 4].map(() => connect(cluster.address)),
  );
  try {
    let inside = 0, most = 0;
    await Promise.all(clients.map(async (client) => {
      const permits: LockCore = client.semaphore("pool", 2);
      for (let i = 0; i < 10; i++) {
        using _permit = await permits.lock({ timeout: 10_000 });
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 1));
        inside--;
      }
    }));
    assert.equal(most, 2);
    assert.equal(inside, 0);
    // Every user of a name must agree on its permits.
    const held = clients[0].semaphore("pool", 2);
    await held.acquire();
    await assert.rejects(
      clients[1].semaphore("pool", 3).acquire(),
      /semaphore "pool" has 2 permits, not 3/,
    );
    await held.release();
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

Deno.test("a cluster event wakes waiters on other clients", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  await using a = await connect(cluster.address);
  await using b = await connect(cluster.address);
  let woke = 0;
  const waiters = [1, 2, 3].map(() =>
    b.event("go").wait({ timeout: 10_000 }).then(() => woke++)
  );
  await until(
    async () => (await a.event("go").inspect()).waiting === 3,
    "3 waiters",
  );
  assert.equal(woke, 0);
  await a.event("go").set();
  await Promise.all(waiters);
  assert.equal(woke, 3);
  assert.deepEqual(await b.event("go").inspect(), { isSet: true, waiting: 0 });
  await a.event("go").clear();
  assert.equal((await b.event("go").inspect()).isSet, false);
});

Deno.test("a cluster queue carries every item once between producers and consumers", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  await using producer = await connect(cluster.address);
  await using c1 = await connect(cluster.address);
  await using c2 = await connect(cluster.address);
  const n = 1_000;
  const drain = async (q: QueueCore<{ i: number }>) => {
    const got: number[] = [];
    for await (const item of q) got.push(item.i);
    return got;
  };
  const consumers = [c1, c2].map((c) =>
    drain(c.queue<{ i: number }>("jobs", { maxSize: 16 }))
  );
  const jobs = producer.queue<{ i: number }>("jobs", { maxSize: 16 });
  for (let i = 0; i < n; i++) await jobs.put({ i });
  await jobs.close();
  const [x, y] = await Promise.all(consumers);
  const all = [...x, ...y].sort((p, q) => p - q);
  assert.equal(all.length, n);
  assert.ok(all.every((v, i) => v === i), "each item exactly once");
  // Each consumer saw its items in order.
  for (const got of [x, y]) {
    assert.ok(got.every((v, i) => i === 0 || v > got[i - 1]));
  }
  await assert.rejects(jobs.put({ i: -1 }), (e: unknown) => {
    assert.ok(e instanceof ClosedError);
    assert.match(e.message, /ClusterQueue\("jobs"\)\.put/);
    return true;
  });
  // The bound is the same for every user of the name.
  await assert.rejects(
    producer.queue("jobs", { maxSize: 3 }).tryGet(),
    /queue "jobs" has maxSize 16, not 3/,
  );
  // A user that gives no bound takes the queue as it is.
  assert.equal((await producer.queue("jobs").inspect()).maxSize, 16);
  assert.deepEqual(await producer.queue("other").tryGet(), { ok: false });
});

Deno.test("a client that closes gives back its locks at once", async () => {
  await using system = new ActorSystem();
  // A long linger: only the clean close can explain a prompt release.
  await using cluster = startCluster(system, {
    ...quiet,
    clientLingerMs: 60_000,
  });
  await using b = await connect(cluster.address);
  const a = await connect(cluster.address);
  await a.mutex("m").acquire();
  await a.semaphore("s", 1).acquire();
  const waiting = Promise.all([
    b.mutex("m").acquire({ timeout: 10_000 }),
    b.semaphore("s", 1).acquire({ timeout: 10_000 }),
  ]);
  await a.close();
  await waiting;
  await b.mutex("m").release();
  await b.semaphore("s", 1).release();
});

Deno.test("a client that vanishes loses its locks after the linger", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { ...quiet, clientLingerMs: 50 });
  const net = proxy(cluster.address);
  try {
    await using b = await connect(cluster.address);
    const a = await connect(net.address, {
      reconnect: false,
      secret: cluster.secret,
    });
    await a.mutex("m").acquire();
    const waiting = b.mutex("m").acquire({ timeout: 10_000 });
    net.cut(); // no goodbye: the cluster waits clientLingerMs for it
    await waiting;
    await b.mutex("m").release();
    await a.close();
  } finally {
    await net.close();
  }
});

Deno.test("a wait goes on across a reconnect and is granted once", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    ...quiet,
    clientLingerMs: 10_000,
  });
  const net = proxy(cluster.address);
  try {
    await using holder = await connect(cluster.address);
    await using a = await connect(net.address, { secret: cluster.secret });
    await holder.mutex("m").acquire();
    const got = a.mutex("m").acquire({ timeout: 20_000 });
    await until(
      async () => (await holder.mutex("m").inspect()).waiting === 1,
      "a waiting",
    );
    net.cut();
    await holder.mutex("m").release(); // granted while a is away
    await got; // the answer is sent again after the reconnect
    assert.deepEqual(await holder.mutex("m").inspect(), {
      locked: true,
      waiting: 0,
    });
    // Granted once: one release frees it.
    await a.mutex("m").release();
    assert.equal(await holder.mutex("m").tryAcquire(), true);
    await holder.mutex("m").release();
  } finally {
    await net.close();
  }
});

Deno.test("bad sync requests get a typed error and the connection goes on", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, quiet);
  await using client = await connect(cluster.address);
  assert.throws(() => client.semaphore("s", 0), RangeError);
  assert.throws(() => client.queue("q", { maxSize: 1.5 }), RangeError);
  assert.throws(() => client.mutex(""), TypeError);
  await assert.rejects(
    client.mutex("m").acquire({ timeout: -1 }),
    RangeError,
  );
  // A peer that sends malformed sync requests gets errors naming them.
  const raw = await connectTransport(cluster.address, {
    secret: cluster.secret,
  });
  try {
    raw.send({ t: "client", id: "raw" });
    const ask = async (m: Record<string, unknown>) => {
      raw.send({ t: "sync", ...m });
      return await raw.receive() as { t: string; error?: { message: string } };
    };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ id: 1, kind: "spoon", name: "x", op: "set" }, /sync kind must be/],
      [{ id: 2, kind: "mutex", op: "acquire" }, /needs a name/],
      [
        { id: 3, kind: "mutex", name: "m", op: "explode" },
        /no operation "explode"/,
      ],
      [
        { id: 4, kind: "semaphore", name: "s", op: "acquire", permits: -2 },
        /permits must be/,
      ],
      [
        { id: 5, kind: "event", name: "e", op: "wait", timeout: "soon" },
        /timeout must be/,
      ],
    ];
    for (const [m, why] of bad) {
      const answer = await ask(m);
      assert.equal(answer.t, "err");
      assert.match(answer.error!.message, why);
    }
    // The same connection still works, and so does everyone else's.
    assert.equal(
      (await ask({ id: 6, kind: "event", name: "e", op: "set" })).t,
      "ok",
    );
    assert.equal((await client.event("e").inspect()).isSet, true);
  } finally {
    await raw.close();
  }
});

Deno.test("clusterClient() outside a node says what to use instead", async () => {
  await assert.rejects(
    clusterClient(),
    /not a cluster node.*connect\(address\)/,
  );
});

Deno.test("tasks on node processes share a cluster mutex, event and queue", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2, ...quiet });
  await using client = await connect(cluster.address);
  // Mutual exclusion across processes: no task finds another inside.
  const runs = await client.compute(
    Array.from(
      { length: 16 },
      (_, i) =>
        delayed(s.guarded, { key: `guarded-${i}` })("lock", "inside", 3),
    ),
  );
  const results = runs[0];
  assert.equal(results.length, 16);
  assert.ok(results.every((r) => !r.overlap), "no overlap under the lock");
  assert.equal(
    new Set(results.map((r) => r.pid)).size,
    2,
    "tasks ran on both nodes",
  );
  // Tasks wait for an event the client sets.
  const waiting = [1, 2, 3, 4].map((x) => client.submit(s.after, "start", x));
  await until(
    async () => (await client.event("start").inspect()).waiting > 0,
    "a task waiting",
  );
  assert.ok(waiting.every((f) => f.status === "pending"));
  await client.event("start").set();
  assert.deepEqual(await Promise.all(waiting.map((f) => f.result())), [
    1,
    2,
    3,
    4,
  ]);
  // Tasks consume what the client produces.
  // (Two calls with the same arguments would be one task: keys are
  // deterministic.)
  const work = client.queue<number>("work", { maxSize: 8 });
  await work.put(1); // made here with its bound; the tasks take it as it is
  const takers = [
    client.submit(s.take, "work", 40),
    client.submit(s.take, "work", 60),
  ];
  for (let i = 2; i <= 100; i++) await work.put(i);
  const sums = await Promise.all(takers.map((f) => f.result()));
  assert.equal(sums[0] + sums[1], 5050);
});
