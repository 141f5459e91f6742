/**
 * `SharedBarrier` across real worker actors: all parties go on together in
 * every generation, the action runs once per generation, and a party's
 * timeout breaks the barrier for everyone.
 */
import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { BrokenBarrierError, SharedBarrier } from "@troupe/troupe/sync";
import { peers } from "./shared_peers.ts";

const PARTIES = 4;
const ROUNDS = 5;

Deno.test("SharedBarrier releases all 4 worker parties together, generation after generation", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const workers = peers(system, PARTIES);
  const barrier = new SharedBarrier(PARTIES);
  const cells = new SharedArrayBuffer(8);
  const results = await Promise.all(
    workers.map((w) =>
      w.ask("barrier", { barrier: barrier.handle, cells, rounds: ROUNDS })
    ),
  );
  for (let round = 0; round < ROUNDS; round++) {
    const rows = results.map((r) => r[round]);
    // Arrival indexes 0..parties-1, once each.
    assert.deepEqual(rows.map(([i]) => i).sort(), [0, 1, 2, 3]);
    // Every party saw the same generation.
    assert.deepEqual(rows.map(([, g]) => g), Array(PARTIES).fill(round + 1));
    // Nobody went on before all had arrived.
    for (const [, , arrivals] of rows) {
      assert.ok(arrivals >= PARTIES * (round + 1), `arrivals ${arrivals}`);
    }
  }
  const [arrivals, actions] = new Int32Array(cells);
  assert.equal(arrivals, PARTIES * ROUNDS);
  assert.equal(actions, ROUNDS, "the action ran once per generation");
  assert.equal(barrier.broken, false);
});

Deno.test("a party's timeout breaks the SharedBarrier for every party, until reset", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const [a, b] = peers(system, 2);
  const barrier = new SharedBarrier(3);
  const patient = b.ask("barrierOnce", { barrier: barrier.handle });
  const impatient = a.ask("barrierOnce", {
    barrier: barrier.handle,
    timeout: 30,
  });
  assert.deepEqual(await Promise.all([impatient, patient]), [
    "BrokenBarrierError",
    "BrokenBarrierError",
  ]);
  assert.ok(barrier.broken);
  await assert.rejects(barrier.wait(), BrokenBarrierError);

  barrier.reset();
  assert.equal(barrier.broken, false);
  const all = await Promise.all([
    a.ask("barrierOnce", { barrier: barrier.handle }),
    b.ask("barrierOnce", { barrier: barrier.handle }),
    barrier.wait({ timeout: 20_000 }).then(() => "ok"),
  ]);
  assert.deepEqual(all, ["ok", "ok", "ok"]);
});

Deno.test("SharedBarrier: abort and reset fail the parties that wait; a throwing action breaks it", async () => {
  const barrier = new SharedBarrier(2);
  const waiting = barrier.wait();
  barrier.abort();
  await assert.rejects(waiting, BrokenBarrierError);
  barrier.reset();
  const again = barrier.wait();
  barrier.reset();
  await assert.rejects(again, /reset/);

  const failing = SharedBarrier.from(barrier.handle, {
    action: () => {
      throw new RangeError("action failed");
    },
  });
  const first = barrier.wait();
  await assert.rejects(failing.wait(), RangeError);
  await assert.rejects(first, BrokenBarrierError);
  assert.ok(barrier.broken);
});
