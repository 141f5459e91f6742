import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  asCompleted,
  CancelledError,
  createScheduler,
  type Delayed,
  delayed,
  gather,
  KilledWorkerError,
  type SchedulerOptions,
  TaskFailedError,
  treeReduce,
  wait,
} from "@troupe/troupe";
import { collectGraph } from "../../cluster/graph/graph.ts";
import { g } from "../fixtures/graph_tasks.ts";

const counter = () => new SharedArrayBuffer(64);
const count = (c: SharedArrayBuffer, i = 0) =>
  Atomics.load(new Int32Array(c), i);

/** `square(i)` for i < n (or `leaf(i)`), then pairwise `add` down to one. */
function tree(
  n: number,
  leaf: (i: number) => Delayed<number> = (i: number) => delayed(g.square)(i),
): Delayed<number> {
  return treeReduce(g.add, Array.from({ length: n }, (_, i) => leaf(i)));
}

const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

Deno.test("keys: same task and arguments, same key; a name overrides", () => {
  const c = counter();
  assert.equal(delayed(g.add)(1, 2).key, delayed(g.add)(1, 2).key);
  assert.notEqual(delayed(g.add)(1, 2).key, delayed(g.add)(2, 1).key);
  assert.notEqual(delayed(g.add)(1, 2).key, delayed(g.sum)([1, 2]).key);
  assert.match(delayed(g.add)(1, 2).key, /^add-[0-9a-z]+$/);
  // Arguments that hold delayed values are keyed by those values' keys.
  const a = delayed(g.inc)(1);
  assert.equal(
    delayed(g.sum)([a, 2]).key,
    delayed(g.sum)([delayed(g.inc)(1), 2]).key,
  );
  assert.equal(delayed(g.counted)(1, c).key, delayed(g.counted)(1, c).key);
  assert.equal(delayed(g.inc, { key: "one" })(0).key, "one");
  assert.throws(() => delayed((() => 1) as never), /defineTasks/);
  assert.throws(() => delayed(g.inc, { retries: -1 }), /retries/);
  assert.throws(() => delayed(g.inc, { timeout: 0 }), /timeout/);
});

Deno.test("a graph is gathered once per key, dependencies first", () => {
  const a = delayed(g.inc)(1);
  const b = delayed(g.add)(delayed(g.inc)(a), delayed(g.square)(a));
  const { nodes } = collectGraph([b, b]);
  assert.equal(nodes.length, 4);
  const at = (d: Delayed<unknown>) => nodes.findIndex((n) => n.key === d.key);
  assert.equal(at(a), 0);
  assert.equal(at(b), 3);
});

const placements: SchedulerOptions[] = [
  { placement: "inline" },
  { placement: "local", workers: 2 },
  { placement: "worker", workers: 2 },
];

for (const options of placements) {
  const where = options.placement;

  Deno.test(`[${where}] a diamond computes its shared node once`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const c = counter();
    const shared = delayed(g.counted)(1, c);
    const left = delayed(g.inc)(shared);
    const right = delayed(g.square)(shared);
    const [sum, again] = await scheduler.compute(
      delayed(g.add)(left, right),
      delayed(g.add)(left, right),
    );
    assert.equal(sum, 3 + 4);
    assert.equal(again, sum);
    assert.equal(count(c), 1);
  });

  Deno.test(`[${where}] a tree reduction of 10,000 leaves gives the exact sum`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const [total] = await scheduler.compute(tree(10_000));
    assert.equal(total, sumOfSquares(10_000));
  });

  Deno.test(`[${where}] outputs may be structures; values pass through`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const a = delayed(g.inc)(1);
    const twice = delayed(g.add)(a, a);
    const out = await scheduler.compute(
      { a, list: [a, 5] },
      delayed(g.pair)(a, { twice }),
      "plain",
    );
    assert.deepEqual(out, [{ a: 2, list: [2, 5] }, [2, 4], "plain"]);
  });

  Deno.test(`[${where}] an error fails the dependents, naming the failing key`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const bad = delayed(g.checked)(-1);
    const top = delayed(g.add)(delayed(g.inc)(bad), delayed(g.inc)(2));
    const err = await scheduler.compute(top).catch((e) => e);
    assert.ok(err instanceof TaskFailedError, String(err));
    assert.equal(err.key, bad.key);
    assert.equal(err.task, "checked");
    assert.equal((err.cause as Error).name, "RangeError");
    assert.match((err.cause as Error).message, /negative: -1/);
    assert.match(err.message, new RegExp(`task ${bad.key} failed`));
    // Other work is unaffected.
    assert.deepEqual(await scheduler.compute(delayed(g.inc)(2)), [3]);
  });

  Deno.test(`[${where}] retries run exactly the stated number of extra attempts`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const ok = counter();
    const [v] = await scheduler.compute(
      delayed(g.flaky, { retries: 2 })(7, 2, ok),
    );
    assert.equal(v, 7);
    assert.equal(count(ok), 3);
    const short = counter();
    const err = await scheduler.compute(
      delayed(g.flaky, { retries: 1 })(7, 2, short),
    ).catch((e) => e);
    assert.ok(err instanceof TaskFailedError, String(err));
    assert.equal(err.attempts, 2);
    assert.equal(count(short), 2);
  });

  Deno.test(`[${where}] futures: submit, map, gather, futures as arguments, persist`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const a = scheduler.submit(g.inc, 1);
    const b = scheduler.submit(g.add, a, 10);
    assert.equal(await b.result(), 12);
    assert.equal(a.status, "finished");
    assert.deepEqual(await gather(scheduler.map(g.square, [1, 2, 3])), [
      1,
      4,
      9,
    ]);
    const c = counter();
    const [kept] = scheduler.persist(delayed(g.counted)(5, c));
    assert.equal(await kept.result(), 6);
    const [x, y] = await scheduler.compute(
      delayed(g.inc)(kept),
      delayed(g.square)(kept),
    );
    assert.deepEqual([x, y], [7, 36]);
    assert.equal(count(c), 1, "persisted once, reused");
    kept.release();
    await assert.rejects(kept.result(), /released/);
    const err = await scheduler.submit(g.checked, -3).result().catch((e) => e);
    assert.ok(err instanceof TaskFailedError, String(err));
  });
}

Deno.test("asCompleted yields in completion order; wait first and all", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "local",
    workers: 3,
  });
  const fs = [scheduler.submit(g.nap, 0, 80), scheduler.submit(g.nap, 1, 1)];
  fs.push(scheduler.submit(g.nap, 2, 40));
  const first = await wait(fs, { returnWhen: "first" });
  assert.deepEqual(first.done, [fs[1]]);
  assert.equal(first.notDone.length, 2);
  const order: number[] = [];
  for await (const f of asCompleted(fs)) order.push(await f.result());
  assert.deepEqual(order, [1, 2, 0]);
  const all = await wait(fs);
  assert.equal(all.done.length, 3);
});

Deno.test("cancel stops pending work", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "local",
    workers: 1,
    window: 1,
  });
  const c = counter();
  const busy = scheduler.submit(g.nap, 1, 50);
  const queued = [1, 2, 3].map((i) => scheduler.submit(g.counted, i, c));
  const chained = scheduler.submit(g.inc, queued[0]);
  for (const f of queued) f.cancel();
  assert.equal(await busy.result(), 1);
  for (const f of [...queued, chained]) {
    await assert.rejects(f.result(), CancelledError);
    assert.equal(f.status, "cancelled");
  }
  assert.equal(count(c), 0, "no cancelled task ran");
});

Deno.test("a higher priority runs first; then submission order", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "local",
    workers: 1,
    window: 1,
  });
  const log = counter();
  const gate = scheduler.submit(g.nap, 0, 30); // occupies the only worker
  const low = scheduler.submit(g.logged, 1, log);
  const [high] = scheduler.persist(delayed(g.logged, { priority: 5 })(2, log));
  const low2 = scheduler.submit(g.logged, 3, log);
  await gather([gate, low, high, low2]);
  const a = new Int32Array(log);
  assert.deepEqual([a[1], a[2], a[3]], [2, 1, 3]);
});

Deno.test("a worker host crash mid-graph: what was lost is recomputed", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "worker",
    workers: 2,
  });
  const flag = counter();
  const leaves = Array.from(
    { length: 200 },
    (_, i) =>
      i === 150
        ? delayed(g.square)(delayed(g.crashOnce)(i, flag))
        : delayed(g.square)(i),
  );
  const [total] = await scheduler.compute(delayed(g.sum)(leaves));
  assert.equal(total, sumOfSquares(200));
  assert.equal(count(flag), 1, "a host did crash");
});

Deno.test("a task that crashes its host every time fails with KilledWorkerError", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "worker",
    workers: 2,
    allowedFailures: 3,
  });
  const c = counter();
  const bad = delayed(g.crash)(1, c);
  const err = await scheduler.compute(delayed(g.inc)(bad)).catch((e) => e);
  assert.ok(err instanceof KilledWorkerError, String(err));
  assert.equal(err.key, bad.key);
  assert.equal(err.deaths, 3);
  assert.equal(count(c), 3);
  // The scheduler still works, on fresh hosts.
  assert.deepEqual(await scheduler.compute(delayed(g.inc)(1)), [2]);
});

Deno.test("a future from another scheduler, or released, is refused", async () => {
  await using system = new ActorSystem();
  await using one = createScheduler(system, { placement: "local" });
  await using two = createScheduler(system, { placement: "local" });
  const f = one.submit(g.inc, 1);
  await f.result();
  assert.throws(() => two.submit(g.inc, f), /not known to this scheduler/);
  assert.throws(
    () => createScheduler(system, { placement: "moon" as never }),
    /placement/,
  );
  assert.throws(() => createScheduler(system, { workers: 0 }), /workers/);
});

Deno.test("[process] a graph on subprocess hosts, reading only what it needs", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "process",
    workers: 2,
    // A process host reads troupe's own files; the task module's folder
    // is granted here, and nothing else.
    permissions: { read: [new URL("../fixtures/", import.meta.url).pathname] },
  });
  const [total] = await scheduler.compute(tree(200));
  assert.equal(total, sumOfSquares(200));
  const err = await scheduler.compute(delayed(g.checked)(-2)).catch((e) => e);
  assert.ok(err instanceof TaskFailedError, String(err));
  assert.equal((err.cause as Error).name, "RangeError");
});

Deno.test("the graph order is depth first toward each output", () => {
  const s = [0, 1, 2, 3].map((i) => delayed(g.square)(i));
  const left = delayed(g.add)(s[0], s[1]);
  const right = delayed(g.add)(s[2], s[3]);
  const top = delayed(g.add)(left, right);
  const { nodes } = collectGraph([top]);
  // Each sum right after its inputs: at most two partial results are alive.
  assert.deepEqual(
    nodes.map((n) => n.key),
    [s[0], s[1], left, s[2], s[3], right, top].map((d) => d.key),
  );
});

for (const placement of ["inline", "local", "worker"] as const) {
  Deno.test(`[${placement}] a task past its timeout fails (and is retried first)`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, { placement, workers: 2 });
    const slow = delayed(g.nap, { timeout: 30, retries: 1 })(1, 400);
    const err = await scheduler.compute(delayed(g.inc)(slow)).catch((e) => e);
    assert.ok(err instanceof TaskFailedError, String(err));
    assert.equal(err.key, slow.key);
    assert.equal(err.attempts, 2);
    assert.equal((err.cause as Error).name, "GraphTimeoutError");
    assert.match((err.cause as Error).message, /timed out after 30 ms/);
    const [quick] = await scheduler.compute(
      delayed(g.nap, { timeout: 5_000 })(7, 1),
    );
    assert.equal(quick, 7);
  });
}

for (const placement of ["local", "worker"] as const) {
  Deno.test(`[${placement}] results released and made again at once are not lost`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, { placement, workers: 2 });
    const xs = Array.from({ length: 300 }, (_, i) => i);
    for (let round = 0; round < 3; round++) {
      const futures = scheduler.map(g.square, xs);
      assert.equal((await gather(futures))[299], 299 * 299);
      // Released, then the same keys computed again in the same turn: the
      // releases must reach the workers before the new runs do.
      for (const f of futures) f.release();
      const [total] = await scheduler.compute(
        delayed(g.sum)(xs.map((x) => delayed(g.square)(x))),
      );
      assert.equal(total, sumOfSquares(300));
    }
  });
}

Deno.test("workers and resources are refused off a cluster, not left waiting", async () => {
  await using system = new ActorSystem();
  for (const placement of ["inline", "local"] as const) {
    await using scheduler = createScheduler(system, { placement });
    await assert.rejects(
      scheduler.compute(delayed(g.inc, { resources: { GPU: 1 } })(1)),
      /need a cluster's scheduler/,
    );
    assert.throws(
      () => scheduler.persist(delayed(g.inc, { workers: ["a"] })(1)),
      /need a cluster's scheduler/,
    );
  }
});

Deno.test("a computation whose pending work is dropped still ends (status and progress)", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "local",
    workers: 1,
    window: 1,
  });
  const busy = scheduler.submit(g.nap, 1, 50);
  const queued = scheduler.submit(g.inc, 1);
  queued.release(); // nobody wants it any more: it is dropped unrun
  await busy.result();
  const running = scheduler.status().computations.filter((c) =>
    c.done < c.total
  );
  assert.deepEqual(running, []);
});
