import {
  Barrier,
  BrokenBarrierError,
  WaitAbortedError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { tick } from "../helpers.ts";

Deno.test("Barrier: no party passes before the last arrives; all pass together", async () => {
  const b = new Barrier(4);
  const passed: number[] = [];
  const parties = [0, 1, 2].map(() =>
    b.wait().then((index) => passed.push(index))
  );
  await tick();
  assert.deepEqual(passed, []);
  assert.equal(b.waiting, 3);
  const last = await b.wait();
  await Promise.all(parties);
  assert.equal(last, 3);
  assert.deepEqual(passed.sort(), [0, 1, 2]);
  assert.equal(b.waiting, 0);
});

Deno.test("Barrier: the action runs once per generation, before release", async () => {
  const log: string[] = [];
  const b = new Barrier(3, { action: () => log.push("action") });
  for (let g = 0; g < 3; g++) {
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        await b.wait();
        log.push(`p${i}`);
      }),
    );
  }
  assert.equal(log.filter((x) => x === "action").length, 3);
  for (let g = 0; g < 3; g++) assert.equal(log[g * 4], "action");
});

Deno.test("Barrier: an action that throws breaks it", async () => {
  const b = new Barrier(2, {
    action: () => {
      throw new Error("action failed");
    },
  });
  const first = b.wait();
  await assert.rejects(b.wait(), /action failed/);
  await assert.rejects(first, (e: unknown) =>
    e instanceof BrokenBarrierError &&
    (e.cause as Error).message === "action failed");
  assert.ok(b.broken);
});

Deno.test("Barrier: one party's timeout breaks it for all, until reset", async () => {
  const b = new Barrier(3);
  const patient = b.wait();
  const hasty = b.wait({ timeout: 1 });
  await assert.rejects(
    hasty,
    (e: unknown) =>
      e instanceof BrokenBarrierError && e.cause instanceof WaitTimeoutError,
  );
  await assert.rejects(patient, BrokenBarrierError);
  assert.ok(b.broken);
  await assert.rejects(b.wait(), BrokenBarrierError);
  b.reset();
  assert.ok(!b.broken);
  assert.deepEqual(await Promise.all([b.wait(), b.wait(), b.wait()]), [
    0,
    1,
    2,
  ]);
});

Deno.test("Barrier: the barrier's default timeout applies to every wait", async () => {
  const b = new Barrier(2, { timeout: 1 });
  await assert.rejects(b.wait(), BrokenBarrierError);
  assert.ok(b.broken);
});

Deno.test("Barrier: abort() and an aborted party break it; reset() rejects waiters", async () => {
  const b = new Barrier(3);
  const w = b.wait();
  b.abort();
  await assert.rejects(w, BrokenBarrierError);
  b.reset();

  const ac = new AbortController();
  const other = b.wait();
  const leaving = b.wait({ signal: ac.signal });
  ac.abort("bye");
  await assert.rejects(
    leaving,
    (e: unknown) =>
      e instanceof BrokenBarrierError && e.cause instanceof WaitAbortedError,
  );
  await assert.rejects(other, BrokenBarrierError);
  b.reset();

  const waiting = b.wait();
  b.reset(); // breaks the current generation's waiters, mends the barrier
  await assert.rejects(waiting, BrokenBarrierError);
  assert.ok(!b.broken);
  assert.throws(() => new Barrier(0), RangeError);
});
