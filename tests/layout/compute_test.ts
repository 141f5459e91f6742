// compute(output) keeps the output's shape, runs on the scheduler the
// options name (left open) or on one made for the call (shut down after
// it: the sanitizers see no worker left).
import assert from "node:assert/strict";
import {
  ActorSystem,
  compute,
  createScheduler,
  defineTasks,
  delayed,
  Scheduler,
} from "@troupe/troupe";

export const t = defineTasks(import.meta.url, {
  square: (x: number) => x * x,
});
const sq = delayed(t.square);

Deno.test("compute gives a value for a lazy value, the same shape for a structure", async () => {
  const here = { placement: "inline" } as const;
  const one: number = await compute(sq(3), here);
  assert.equal(one, 9);
  const pair: [number, number] = await compute([sq(1), sq(2)] as const, here);
  assert.deepEqual(pair, [1, 4]);
  assert.deepEqual(await compute({ a: sq(4), b: [sq(5), "x"] }, here), {
    a: 16,
    b: [25, "x"],
  });
  assert.equal(await compute(7, here), 7);
});

Deno.test("compute runs on a worker scheduler of its own by default and closes it", async () => {
  assert.deepEqual(await compute([sq(2), sq(3)], { workers: 1 }), [4, 9]);
});

Deno.test("compute runs on the scheduler given and leaves it open", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "local" });
  assert.ok(scheduler instanceof Scheduler);
  assert.equal(await compute(sq(6), { scheduler }), 36);
  assert.deepEqual(await scheduler.compute(sq(7)), [49]); // still open
  await assert.rejects(
    compute(sq(1), { scheduler: {} as unknown as Scheduler }),
    /scheduler must be a Scheduler/,
  );
});
