/**
 * The dashboard's graph view API on a real cluster (a node process, real
 * HTTP): a computation's tasks with their states and dependencies while it
 * is blocked on a cluster event (so that its states are known) and after,
 * the grouped form past the bound, and clear refusals of bad requests.
 */

import assert from "node:assert/strict";
import { ActorSystem, delayed } from "@troupe/troupe";
import { connect, localCluster, serveDashboard } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { s } from "../fixtures/cluster_sync_tasks.ts";
import { until } from "../helpers.ts";
import {
  graphSnapshot,
  MAX_EDGES,
  MAX_GROUPS,
  type TaskGraph,
} from "../../cluster/graph/graph_snapshot.ts";

/** A graph's tasks as `key: state`, and its edges as `dep -> key`. */
function shape(graph: TaskGraph) {
  const tasks = graph.tasks!;
  return {
    states: Object.fromEntries(tasks.map((t) => [t.key, t.state])),
    edges: tasks.flatMap((t) =>
      t.deps.map((d) => `${tasks[d].key} -> ${t.key}`)
    )
      .sort(),
  };
}

Deno.test("/api/graph: a computation's tasks with their states and dependencies, during a run blocked on an event and after it", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 1,
    logger: () => {},
  });
  await using client = await connect(cluster.address);
  await using dashboard = serveDashboard(cluster, { token: "t0k" });
  const graphOf = async (id: number): Promise<TaskGraph> => {
    const answer = await fetch(
      new URL(`api/graph?computation=${id}&token=t0k`, dashboard.url),
    );
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type")!, /application\/json/);
    return await answer.json();
  };
  // x is computed and held first; then a waits for the event, b on a, d
  // on b and x.
  const x = delayed(g.inc)(1);
  const [held] = cluster.scheduler.persist(x);
  assert.equal(await held.result(), 2);
  const event = `go-${crypto.randomUUID()}`;
  const a = delayed(s.after)(event, 1);
  const b = delayed(g.inc)(a);
  const d = delayed(g.add)(b, x);
  const running = cluster.scheduler.compute(d);
  running.catch(() => {}); // (awaited below; a failed assertion cancels it)
  await until(
    async () => (await client.event(event).inspect()).waiting === 1,
    "a waiting for the event",
    10_000,
  );
  const during = await graphOf(2);
  assert.equal(during.grouped, false);
  assert.equal(during.computation.id, 2);
  assert.equal(during.computation.total, 4);
  assert.equal(during.computation.done, 1);
  assert.deepEqual(shape(during), {
    states: {
      [x.key]: "memory",
      [a.key]: "processing",
      [b.key]: "waiting",
      [d.key]: "waiting",
    },
    edges: [
      `${a.key} -> ${b.key}`,
      `${b.key} -> ${d.key}`,
      `${x.key} -> ${d.key}`,
    ]
      .sort(),
  });
  assert.deepEqual(
    Object.fromEntries(during.tasks!.map((t) => [t.key, t.task])),
    { [x.key]: "inc", [a.key]: "after", [b.key]: "inc", [d.key]: "add" },
  );

  await client.event(event).set();
  assert.deepEqual(await running, [4]);
  // Done and let go: a, b and d are forgotten (the edges stay); x is held.
  const after = await graphOf(2);
  assert.equal(after.computation.done, 4);
  assert.ok(after.computation.ended! >= after.computation.started!);
  assert.deepEqual(shape(after), {
    states: {
      [x.key]: "memory",
      [a.key]: "forgotten",
      [b.key]: "forgotten",
      [d.key]: "forgotten",
    },
    edges: shape(during).edges,
  });
  // The first computation: x alone.
  assert.deepEqual(shape(await graphOf(1)), {
    states: { [x.key]: "memory" },
    edges: [],
  });
  await held.release();
});

Deno.test("/api/graph: past the bound, one node per task name with its tasks by state; ?max= moves the bound", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 1,
    logger: () => {},
  });
  await using dashboard = serveDashboard(cluster);
  const leaves = Array.from({ length: 400 }, (_, i) => delayed(g.inc)(i));
  const total = delayed(g.sum)(leaves);
  const [sum] = cluster.scheduler.persist(total);
  assert.equal(await sum.result(), 200 * 399 + 400);
  const get = async (query: string) => {
    const answer = await fetch(new URL(`api/graph?${query}`, dashboard.url));
    return { status: answer.status, body: await answer.json() };
  };
  const grouped = await get("computation=1");
  assert.equal(grouped.status, 200);
  assert.equal(grouped.body.grouped, true);
  assert.equal(grouped.body.tasks, undefined);
  // The leaves are let go once the sum is held; the sum is in memory.
  assert.deepEqual(grouped.body.groups, [
    { task: "inc", total: 400, states: { released: 400 }, deps: [] },
    { task: "sum", total: 1, states: { memory: 1 }, deps: [0] },
  ]);
  const whole = await get("computation=1&max=500");
  assert.equal(whole.body.grouped, false);
  assert.equal(whole.body.tasks.length, 401);
  assert.equal(whole.body.tasks[400].deps.length, 400);
  assert.equal((await get("computation=1&max=0")).body.grouped, true);
  await sum.release();
});

Deno.test("/api/graph refuses a bad computation id, an unknown one and a bad bound with a clear error, and needs the token", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 1,
    logger: () => {},
  });
  await using dashboard = serveDashboard(cluster, { token: "t0k" });
  const get = async (query: string) => {
    const answer = await fetch(new URL(`api/graph?${query}`, dashboard.url));
    const text = await answer.text();
    return { status: answer.status, text };
  };
  const cases: [string, number, RegExp][] = [
    [
      "computation=abc",
      400,
      /computation must be a computation's id \(a positive integer\), got \\"abc\\"/,
    ],
    ["computation=0", 400, /got \\"0\\"/],
    ["computation=-1", 400, /got \\"-1\\"/],
    ["", 400, /got \\"\\"/],
    [`computation=${"9".repeat(5000)}`, 400, /got \\"9{40}\\"…/],
    ["computation=99", 404, /no computation 99: the scheduler keeps/],
    [
      "computation=1&max=9999",
      400,
      /max must be a number of tasks from 0 to 500/,
    ],
  ];
  for (const [query, status, message] of cases) {
    const answer = await get(`${query}&token=t0k`);
    assert.equal(answer.status, status, query.slice(0, 40));
    assert.match(answer.text, message);
    assert.ok(answer.text.length < 300, "a bounded answer");
    assert.ok(JSON.parse(answer.text).error);
  }
  const refused = await get("computation=1");
  assert.equal(refused.status, 401);
});

Deno.test("graphSnapshot: groups past MAX_GROUPS task names and edges past MAX_EDGES are cut, and it says so", () => {
  const c = { id: 1, total: 0, done: 0, erred: 0 };
  // 300 task names, each task depending on the one before.
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  const names = keys.map((_, i) => `t${i}`);
  const chain = keys.map((_, i) => i === 0 ? [] : [keys[i - 1]]);
  const grouped = graphSnapshot(
    { ...c, total: 300 },
    { keys, names, deps: chain },
    () => "memory",
    10,
  );
  assert.equal(grouped.groups!.length, MAX_GROUPS);
  assert.equal(grouped.truncated, true);
  assert.deepEqual(grouped.groups![5], {
    task: "t5",
    total: 1,
    states: { memory: 1 },
    deps: [4],
  });
  // One task on 6,000 others: its edges are cut at MAX_EDGES.
  const many = Array.from({ length: 6_001 }, (_, i) => `m${i}`);
  const fan = graphSnapshot(
    { ...c, total: many.length },
    {
      keys: many,
      names: many.map(() => "x"),
      deps: many.map((_, i) => i === 6_000 ? many.slice(0, 6_000) : []),
    },
    () => undefined,
    10_000,
  );
  assert.equal(fan.tasks![6_000].deps.length, MAX_EDGES);
  assert.equal(fan.truncated, true);
  assert.equal(fan.tasks![0].state, "forgotten");
  const whole = graphSnapshot(
    { ...c, total: 300 },
    { keys, names, deps: chain },
    () => "waiting",
    300,
  );
  assert.equal(whole.truncated, undefined);
  assert.equal(whole.tasks!.length, 300);
});
