/**
 * The same array graphs on every placement (local, worker, process), a
 * cluster client, and the scheduler `compute()` makes by itself; user
 * kernels (mapBlocks, fromFunction, fromDelayed) and persist.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { connect, localCluster } from "@troupe/troupe/cluster";
import {
  createScheduler,
  delayed,
  type SchedulerOptions,
} from "@troupe/troupe";
import {
  type ChunkedArray,
  fromArray,
  fromDelayed,
  fromFunction,
  normal,
  random,
} from "@troupe/troupe/array";
import { at as kernels } from "../fixtures/array_tasks.ts";
import {
  close,
  map,
  type Plain,
  pyRange,
  randomPlain,
  reduce,
  sum,
  take,
} from "./reference.ts";

const A = randomPlain([9, 6], 11);

function assertPlain(
  data: ArrayLike<number>,
  expected: Plain,
  tol = 1e-12,
): void {
  assert.equal(data.length, expected.values.length);
  for (let i = 0; i < data.length; i++) {
    assert.ok(
      close(data[i], expected.values[i], tol),
      `element ${i}: ${data[i]} != ${expected.values[i]}`,
    );
  }
}

/** A mix of fused steps, a reduction along an axis, a rechunk and user kernels. */
async function exercise(
  compute: <T>(x: { compute(o: unknown): Promise<T> }) => Promise<T>,
): Promise<void> {
  const x = fromArray(Float64Array.from(A.values), {
    shape: A.shape,
    chunks: [4, 4],
  });
  const y = x.mul(2).add(x.slice("::-1")).sqrt().abs();
  const Y = map(
    (a, b) => Math.abs(Math.sqrt(2 * a + b)),
    A,
    take(A, [pyRange(9, null, null, -1), pyRange(6, null, null)]),
  );
  assertPlain((await compute(y)).data, Y, 1e-12);
  assertPlain(
    (await compute(x.sum({ axis: 0 }) as ChunkedArray)).data,
    reduce(A, sum, [0]),
  );
  assertPlain((await compute(x.rechunk([3, 5]).T)).data, {
    shape: [6, 9],
    values: Array.from(
      { length: 54 },
      (_, i) => A.values[(i % 9) * 6 + Math.floor(i / 9)],
    ),
  });
  const shifted = x.mapBlocks(kernels.shifted);
  assertPlain(
    (await compute(shifted)).data,
    {
      shape: A.shape,
      values: A.values.map((v, i) =>
        2 * v + (Math.floor(i / 6) < 4 ? 0 : Math.floor(i / 6) < 8 ? 4 : 8)
      ),
    },
  );
  const sums = x.mapBlocks(kernels.rowSums, { chunks: [[4, 4, 1], [1, 1]] });
  assert.deepEqual(sums.shape, [9, 2]);
  const s = await compute(sums);
  assert.ok(
    close(
      s.get(0, 0) + s.get(0, 1),
      A.values.slice(0, 6).reduce((p, v) => p + v, 0),
    ),
  );
  const g = await compute(fromFunction(kernels.grid, [3, 4], { chunks: 2 }));
  assert.deepEqual(g.toArray(), [[0, 1, 2, 3], [100, 101, 102, 103], [
    200,
    201,
    202,
    203,
  ]]);
  const d = fromDelayed(delayed(kernels.squares)(5), [5]);
  assert.equal(await compute(d.sum()), 30);
  const m = await compute(
    random([300, 200], { chunks: [64, 50], seed: 9 }).mean(),
  );
  assert.ok(Math.abs(m - 0.5) < 0.01);
}

const placements: SchedulerOptions[] = [
  { placement: "local", workers: 2 },
  { placement: "worker", workers: 2 },
  {
    placement: "process",
    workers: 2,
    // The user kernels' folder; troupe's own files (the array tasks) need
    // no grant.
    permissions: { read: [new URL("../fixtures/", import.meta.url).pathname] },
  },
];

for (const options of placements) {
  Deno.test(`[${options.placement}] array graphs match plain loops`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    await exercise((x) => x.compute({ scheduler }));
  });
}

Deno.test("[inline] array graphs match plain loops", async () => {
  await exercise((x) => x.compute({ placement: "inline" }));
});

Deno.test("random numbers are the same on every placement and chunking", async () => {
  await using system = new ActorSystem();
  await using worker = createScheduler(system, {
    placement: "worker",
    workers: 2,
  });
  await using process = createScheduler(system, {
    placement: "process",
    workers: 1,
  });
  const ref = await random([33, 17], { chunks: -1, seed: 77 }).compute({
    placement: "inline",
  });
  const onWorker = await random([33, 17], { chunks: [5, 4], seed: 77 }).compute(
    { scheduler: worker },
  );
  const onProcess = await random([33, 17], { chunks: 1, seed: 77 }).compute({
    scheduler: process,
  });
  assert.deepEqual(onWorker.data, ref.data);
  assert.deepEqual(onProcess.data, ref.data);
  const n1 = await normal([20, 20], { chunks: 3, seed: 5 }).compute({
    scheduler: worker,
  });
  const n2 = await normal([20, 20], { chunks: [20, 7], seed: 5 }).compute({
    placement: "inline",
  });
  assert.deepEqual(n1.data, n2.data);
});

Deno.test("persist keeps chunks on the workers; later graphs use them", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "worker",
    workers: 2,
  });
  const x = random([40, 30], { chunks: 10, seed: 3 }).mul(10);
  const p = x.persist({ scheduler });
  assert.ok(p.toDelayed().every((f) => f.constructor.name === "Future"));
  assert.equal(p.name, x.name, "the same keys as the lazy array");
  const [a, b] = [
    await p.sum().compute({ scheduler }),
    await x.sum().compute({ scheduler }),
  ];
  assert.ok(close(a, b));
  const held = scheduler.status().workers.reduce((n, w) => n + w.held, 0);
  assert.ok(held >= 12, `12 chunks held, saw ${held}`);
  assert.throws(() => x.persist({} as never), /persist needs \{ scheduler \}/);
});

Deno.test("compute() with no options runs on a scheduler it makes and closes", async () => {
  const x = random([100, 100], { chunks: 50, seed: 1 });
  const m = await x.mean().compute();
  assert.equal(m, await x.mean().compute({ placement: "inline" }));
  const whole = await x.compute({ placement: "worker", workers: 1 });
  assert.equal(whole.size, 10000);
});

Deno.test("a cluster client computes arrays (2 nodes, loopback)", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  await using client = await connect(cluster.address);
  const x = random([60, 60], { chunks: 20, seed: 8 });
  const here = await x.add(x.T).mean({ axis: 0 }).compute({
    placement: "inline",
  });
  const there = await x.add(x.T).mean({ axis: 0 }).compute({
    scheduler: client,
  });
  assert.deepEqual(there.data, here.data);
  const data = fromArray(Float64Array.from(A.values), {
    shape: A.shape,
    chunks: [4, 4],
  });
  assert.ok(
    close(await data.sum().compute({ scheduler: client }), sum(A.values)),
  );
  const kept = data.persist({ scheduler: client });
  assert.ok(
    close(
      await kept.mul(2).sum().compute({ scheduler: client }),
      2 * sum(A.values),
    ),
  );
});
