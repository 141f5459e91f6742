/**
 * Graceful retirement with real node processes: a rolling restart (each
 * node in turn gets SIGTERM, and a fresh one starts in its place) during a
 * long job, and `client.retireWorkers` of every node in turn under
 * persisted results. Every task's runs are counted through a side channel
 * (each run appends its id to a file): nothing may run twice, no result
 * may be lost, nothing may count as a failure.
 */

import assert from "node:assert/strict";
import { ActorSystem, type Delayed, delayed } from "@troupe/troupe";
import {
  connect,
  localCluster,
  runNode,
  startCluster,
} from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { rt } from "../fixtures/retire_tasks.ts";
import { until } from "../helpers.ts";

const NODES = ["local-1", "local-2", "local-3"];

/** Runs per task id, from the side channel. */
function runsById(file: string): Map<string, number> {
  const runs = new Map<string, number>();
  let text = "";
  try {
    text = Deno.readTextFileSync(file);
  } catch { /* nothing ran yet */ }
  for (const id of text.split("\n")) {
    if (id !== "") runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  return runs;
}

/** Ids that ran more than once. */
function twice(runs: Map<string, number>): string[] {
  return [...runs].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);
}

/** Leaves 0..n-1 (`i` each), summed pairwise: every task with an id. */
function tree(n: number, leafMs: number, file: string): Delayed<number> {
  let level: Delayed<number>[] = Array.from(
    { length: n },
    (_, i) => delayed(rt.leaf)(`leaf-${i}`, i, leafMs, file),
  );
  for (let depth = 0; level.length > 1; depth++) {
    const next: Delayed<number>[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(
        i + 1 < level.length
          ? delayed(rt.add)(
            `add-${depth}-${i}`,
            level[i],
            level[i + 1],
            5,
            file,
          )
          : level[i],
      );
    }
    level = next;
  }
  return level[0];
}

/** A cluster of three node processes that may write to `dir`, for `body`. */
async function withCluster(
  body: (
    cluster: Awaited<ReturnType<typeof localCluster>>,
    events: string[],
  ) => Promise<void>,
): Promise<void> {
  await using system = new ActorSystem();
  const events: string[] = [];
  await using cluster = await localCluster(system, {
    nodes: NODES.length,
    write: [dir],
    // One death fails a task: a retirement that counted would fail it.
    scheduler: { allowedFailures: 1 },
    logger: (m) => events.push(m),
    onEvent: (kind, message) => events.push(`${kind}: ${message}`),
  });
  await body(cluster, events);
}

const dir = Deno.makeTempDirSync({ prefix: "troupe-retire-" });

/** Wait until `name` runs in a process other than `pid` and has joined. */
async function replaced(
  cluster: Awaited<ReturnType<typeof localCluster>>,
  name: string,
  pid: number,
): Promise<void> {
  await until(
    () =>
      cluster.pids()[name] !== undefined && cluster.pids()[name] !== pid &&
      cluster.nodes().some((n) => n.name === name),
    `${name} replaced and joined`,
    60_000,
  );
}

Deno.test("rolling restart (SIGTERM each node in turn, a fresh one in its place) during a long job: no result lost, nothing recomputed, no failure", async () => {
  const file = `${dir}/rolling.log`;
  await withCluster(async (cluster, events) => {
    const n = 240;
    let done = false;
    let doneAtLastStop = true;
    const job = cluster.scheduler.compute(tree(n, 120, file)).finally(() =>
      done = true
    );
    for (const name of NODES) {
      // Some of the job ran (results are held everywhere) before each goes.
      const before = runsById(file).size;
      await until(
        () => runsById(file).size >= before + 20,
        "more of the job ran",
        60_000,
      );
      const pid = cluster.pids()[name];
      doneAtLastStop = done;
      cluster.kill(name, "SIGTERM");
      await replaced(cluster, name, pid);
    }
    assert.equal(doneAtLastStop, false, "the job ran through every restart");
    const [sum] = await job;
    assert.equal(sum, (n * (n - 1)) / 2);
    const runs = runsById(file);
    assert.deepEqual(twice(runs), [], "no task ran twice");
    assert.equal(runs.size, 2 * n - 1, "every task ran");
    const left = events.filter((e) => e.startsWith("leave: "));
    assert.equal(left.length, NODES.length, events.join("\n"));
    assert.deepEqual(events.filter((e) => e.startsWith("lost: ")), []);
  });
});

Deno.test("client.retireWorkers of every node in turn: persisted results move to the others, and are not recomputed", async () => {
  const file = `${dir}/retired.log`;
  await withCluster(async (cluster, events) => {
    await using client = await connect(cluster.address);
    const leaves = Array.from(
      { length: 30 },
      (_, i) => delayed(rt.leaf)(`p-${i}`, i, 10, file),
    );
    const held = client.persist(...leaves);
    await Promise.all(held.map((f) => f.settled()));
    assert.deepEqual(await client.retireWorkers(["nobody"]), []);
    for (const name of NODES) {
      const pid = cluster.pids()[name];
      assert.deepEqual(await client.retireWorkers([name]), [name]);
      assert.ok(!cluster.nodes().some((n) => n.name === name));
      // (it exited: the local cluster starts a fresh one, as a nanny does)
      await replaced(cluster, name, pid);
    }
    const values = await Promise.all(held.map((f) => f.result()));
    assert.deepEqual(values, leaves.map((_, i) => i));
    const [sum] = await client.compute(
      delayed(rt.add)("sum", held[0], held[29], 1, file),
    );
    assert.equal(sum, 29);
    assert.deepEqual(twice(runsById(file)), [], "no leaf ran twice");
    assert.equal(runsById(file).size, 31);
    assert.deepEqual(events.filter((e) => e.startsWith("lost: ")), []);
    for (const f of held) f.release();
  });
});

Deno.test("retire-workers with a malformed list is refused with a clear error; the scheduler goes on", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 0 });
  await using client = await connect(cluster.address);
  await assert.rejects(
    client.retireWorkers([42 as unknown as string]),
    /names must be a list of node names/,
  );
  await assert.rejects(
    client.retireWorkers(["x".repeat(301)]),
    /names must be a list of node names \(strings of up to 300 characters\)/,
  );
  assert.deepEqual(await client.retireWorkers([]), []);
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a node whose data server never answers cannot hold its retirement open: past retireTimeoutMs it is dropped, its result recomputed, no death counted", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    logger: () => {},
    retireTimeoutMs: 1_500,
    scheduler: { allowedFailures: 1 },
  });
  const hoard = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env=TROUPE_SECRET",
      new URL("../fixtures/hoarding_node.ts", import.meta.url).pathname,
      cluster.address,
    ],
    env: { TROUPE_SECRET: cluster.secret as string },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const stop = new AbortController();
  let good: Promise<void> | undefined;
  try {
    await cluster.waitForNodes(1);
    // It alone is there: it holds the result.
    const [held] = cluster.scheduler.persist(delayed(g.square)(7));
    await held.settled();
    good = runNode(cluster.address, { name: "good", signal: stop.signal });
    await cluster.waitForNodes(2);
    // The copy to "good" never comes: the deadline ends the retirement.
    const retiring = cluster.retireWorkers(["hoard"]);
    let retired: string[] | undefined;
    retiring.then((names) => retired = names);
    // Meanwhile it shows as retiring, and takes no new task.
    const hoardStatus = () =>
      cluster.status().nodes.find((n) => n.name === "hoard");
    assert.equal(hoardStatus()?.retiring, true);
    const [other] = await cluster.scheduler.compute(delayed(g.pidAfter)(1, 1));
    assert.equal(other, Deno.pid, "the new task ran on the good node");
    await until(() => retired !== undefined, "the retirement ended", 20_000);
    assert.deepEqual(retired, ["hoard"]);
    assert.equal((await hoard.status).code, 0);
    // The lost copy is made again on the good node; no death was counted.
    assert.equal(await held.result(), 49);
    held.release();
  } finally {
    stop.abort();
    await good;
    try {
      hoard.kill("SIGKILL");
    } catch { /* it exited */ }
    await hoard.status;
  }
});
