/**
 * A result that `compute` takes from a worker host for the last time moves
 * (its buffer is transferred, not cloned) when its task marked it and
 * nothing left on the worker reads it; otherwise it is copied, and what the
 * worker or the user still holds stays readable.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, delayed } from "@troupe/troupe";
import { fromArray } from "../../array/mod.ts";
import { mv } from "../fixtures/move_tasks.ts";
import { Counter } from "../fixtures/behaviors.ts";

const N = 1000;
const iota = (n: number) => Float64Array.from({ length: n }, (_, i) => i);

Deno.test("a marked result taken by compute leaves the worker's buffer detached", async () => {
  await using system = new ActorSystem();
  await using s = createScheduler(system, { placement: "worker", workers: 1 });
  const [a] = await s.compute(delayed(mv.fresh)(N));
  assert.deepEqual(a, iota(N));
  // Moved: the worker's own array (its task remembered it) has no bytes.
  const [left] = await s.compute(delayed(mv.probe)(1));
  assert.equal(left, 0);
});

Deno.test("an unmarked result is copied: the task that kept it still reads it", async () => {
  await using system = new ActorSystem();
  await using s = createScheduler(system, { placement: "worker", workers: 1 });
  const [a] = await s.compute(delayed(mv.kept)(N));
  assert.deepEqual(a, iota(N));
  const [left] = await s.compute(delayed(mv.probe)(2));
  assert.equal(left, N * 8);
});

Deno.test("a marked view of a held input is copied: the input stays whole on the worker", async () => {
  await using system = new ActorSystem();
  await using s = createScheduler(system, { placement: "worker", workers: 1 });
  const [held] = s.persist(delayed(mv.fresh)(N));
  try {
    const [h] = await s.compute(delayed(mv.half)(held));
    assert.deepEqual(h, iota(N / 2));
    const [left] = await s.compute(delayed(mv.probe)(3));
    assert.equal(left, N * 8);
    assert.deepEqual(await held.result(), iota(N));
  } finally {
    held.release();
  }
});

Deno.test("a persisted result is fetched, not taken: it is still there after a compute of it", async () => {
  await using system = new ActorSystem();
  await using s = createScheduler(system, { placement: "worker", workers: 1 });
  const [held] = s.persist(delayed(mv.fresh)(N));
  try {
    assert.deepEqual((await s.compute(held))[0], iota(N));
    assert.deepEqual(await held.result(), iota(N));
    const [left] = await s.compute(delayed(mv.probe)(4));
    assert.equal(left, N * 8);
  } finally {
    held.release();
  }
});

for (const placement of ["worker", "local", "inline"] as const) {
  Deno.test(`the user's array given to fromArray is never detached (${placement})`, async () => {
    await using system = new ActorSystem();
    await using s = createScheduler(system, { placement, workers: 2 });
    const data = iota(4 * N);
    const x = fromArray(data, { chunks: N });
    const got = await x.compute({ scheduler: s });
    assert.deepEqual(got.toArray(), Array.from(iota(4 * N)));
    const plus = await x.add(1).compute({ scheduler: s });
    assert.equal(plus.get(5), 6);
    assert.equal(data.buffer.byteLength, 4 * N * 8);
    assert.deepEqual(data, iota(4 * N));
  });
}

Deno.test("computed chunks of an array come back whole, and the worker keeps none of them", async () => {
  await using system = new ActorSystem();
  await using s = createScheduler(system, { placement: "worker", workers: 2 });
  const data = iota(4 * N);
  const x = fromArray(data, { chunks: N }).mul(2);
  const got = await x.compute({ scheduler: s });
  assert.deepEqual(got.toArray(), Array.from(data, (v) => 2 * v));
  // Computed again (nothing was left behind to reuse): the same values.
  assert.deepEqual(
    (await x.compute({ scheduler: s })).toArray(),
    got.toArray(),
  );
});

for (const placement of ["inline", "local"] as const) {
  Deno.test(`a result its task marked to move stays put in the caller's hands (${placement})`, async () => {
    await using system = new ActorSystem();
    await using s = createScheduler(system, { placement, workers: 1 });
    const [f] = s.persist(delayed(mv.fresh)(N));
    try {
      const a = await f.result();
      // Sent on to a worker actor: copied, as any unmarked value.
      const w = system.spawn(Counter, 0, { placement: "worker" });
      assert.deepEqual(await w.ask("echo", a), iota(N));
      assert.equal(
        a.buffer.byteLength,
        N * 8,
        "detached in the caller's hands",
      );
    } finally {
      f.release();
    }
  });
}
