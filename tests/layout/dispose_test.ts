// Every resource that must be closed supports `await using`; the block's end
// closes it as close() does (issue 14: pools did not).
import assert from "node:assert/strict";
import {
  ActorSystem,
  createPool,
  createRouter,
  defineActor,
  defineTasks,
} from "@troupe/troupe";

export const t = defineTasks(import.meta.url, {
  inc: (x: number) => x + 1,
});

Deno.test("a pool in an await using block is closed at its end", async () => {
  await using system = new ActorSystem();
  let kept;
  {
    await using pool = createPool(system, { size: 2, placement: "local" });
    assert.equal(await pool.submit(t.inc, 1), 2);
    kept = pool;
  }
  await assert.rejects(kept.submit(t.inc, 1), /the pool is closed/);
  // its runners (and the router in front of them) are stopped
  assert.deepEqual(system.actors(), []);
});

Deno.test("a router in an await using block stops routing at its end", async () => {
  await using system = new ActorSystem();
  const Echo = defineActor({
    init: () => ({}),
    handlers: { echo: (_s, x: number) => x },
  });
  const a = system.spawn(Echo);
  let kept;
  {
    await using router = createRouter(system, [a]);
    assert.equal(await router.ask("echo", 1), 1);
    kept = router;
  }
  assert.equal(kept.routees.length, 0);
});
