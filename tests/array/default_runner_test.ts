/**
 * The scheduler an array's `compute()` makes for the call (no scheduler, no
 * placement given) has one worker per core, one of them on the caller's
 * thread: it takes tasks at once, while the worker hosts start.
 */

import assert from "node:assert/strict";
import { zeros } from "../../array/mod.ts";
import { where } from "../fixtures/thread_tasks.ts";

Deno.test("the default compute runs tasks on the caller's thread too, with the right result", async () => {
  const x = zeros([64], { chunks: 4 }).mapBlocks(where.thread);
  const got = await x.compute({ workers: 2 });
  assert.equal(got.shape[0], 64);
  const onWorkers = Array.from(got.data as Float64Array).reduce(
    (a, b) => a + b,
    0,
  );
  // Its share of the chunks ran here (the workers may have taken more).
  assert.ok(onWorkers < 64, "every chunk ran on a worker host");
  // An explicit placement is what it says: all on worker hosts.
  const all = await x.compute({ placement: "worker", workers: 2 });
  assert.equal(
    Array.from(all.data as Float64Array).reduce((a, b) => a + b, 0),
    64,
  );
});
