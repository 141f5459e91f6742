/**
 * A task has no deadline unless its options give one: a run that takes
 * longer than the actor system's ask timeout still finishes.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler, delayed, TaskFailedError } from "@troupe/troupe";
import { slow } from "../fixtures/slow_tasks.ts";

for (const placement of ["local", "worker"] as const) {
  Deno.test(`[${placement}] a task longer than the ask timeout is not cut off`, async () => {
    await using system = new ActorSystem({ askTimeout: 50 });
    await using scheduler = createScheduler(system, { placement, workers: 1 });
    assert.deepEqual(await scheduler.compute(delayed(slow.nap)(200)), [200]);
    // A timeout in the task's options still applies.
    const err = await scheduler.compute(delayed(slow.nap, { timeout: 50 })(300))
      .catch((e) => e);
    assert.ok(err instanceof TaskFailedError, String(err));
    assert.match(String(err.cause), /timed out after 50 ms/);
  });
}
