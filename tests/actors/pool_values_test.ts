import assert from "node:assert/strict";
import {
  ActorSystem,
  createPool,
  type Placement,
  TaskError,
} from "@troupe/troupe";
import { valueTasks } from "../fixtures/pool_value_tasks.ts";

// A map's chunks of numbers cross to a runner elsewhere packed (see
// actors/pool/numbers.ts): every number must arrive and come back as
// itself, whatever else is in the list or comes back.
for (const placement of ["local", "worker", "process"] as Placement[]) {
  Deno.test(`[${placement}] a map carries every number as itself, and lists that are not all numbers as they are`, async () => {
    await using system = new ActorSystem();
    const modules = [valueTasks.same.taskModule];
    const pool = createPool(system, { size: 2, placement, modules });
    const odd = [-0, NaN, Infinity, -Infinity, 1.5, 2 ** 53 + 2, -1e-300];
    const numbers = Array.from({ length: 500 }, (_, i) => odd[i % 7] ?? i);
    const same = await pool.map(valueTasks.same, numbers, { chunksize: 100 });
    assert.equal(same.length, numbers.length);
    for (let i = 0; i < numbers.length; i++) {
      assert.ok(Object.is(same[i], numbers[i]), `item ${i}: ${same[i]}`);
    }
    const seen = await pool.map(valueTasks.seen, numbers, { chunksize: 100 });
    assert.deepEqual(
      seen,
      numbers.map((x) => `number${Object.is(x, -0) ? " -0" : ""}`),
    );
    // Numbers in, some strings out; strings among the numbers in.
    const ints = Array.from({ length: 300 }, (_, i) => i);
    assert.deepEqual(
      await pool.map(valueTasks.mixed, ints, { chunksize: 100 }),
      ints.map((x) => x % 7 === 0 ? `seven ${x}` : x + 0.5),
    );
    const withText: unknown[] = ints.map((x) => x === 150 ? "x" : x);
    assert.deepEqual(
      await pool.map(valueTasks.seen, withText, { chunksize: 300 }),
      withText.map((x) => typeof x + (Object.is(x, -0) ? " -0" : "")),
    );
    // A task that starts to answer with promises in the middle of a chunk.
    assert.deepEqual(
      await pool.map(valueTasks.lateAfter150, ints, { chunksize: 100 }),
      ints,
    );
    // A failure in a long chunk of numbers names its item.
    const err = await pool.map(valueTasks.failAt70, ints, { chunksize: 100 })
      .catch((e) => e);
    assert.ok(err instanceof TaskError, String(err));
    assert.equal(err.index, 70);
    await pool.close();
  });
}

Deno.test("[worker] a map takes its list as it was when called: a change the caller makes meanwhile does not reach it", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 2, placement: "worker" });
  const xs = Array.from({ length: 2_000 }, (_, i) => i);
  // One item per chunk: most chunks are sent long after the call returns.
  const running = pool.map(valueTasks.same, xs, { chunksize: 1 });
  xs.fill(-1);
  xs.push(7);
  const out = await running;
  assert.deepEqual(out, Array.from({ length: 2_000 }, (_, i) => i));
  await pool.close();
});
