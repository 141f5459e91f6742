/**
 * The scheduler's side of cluster sync, without a network: answers are kept
 * for resends only until the client says it has them.
 */

import assert from "node:assert/strict";
import {
  SyncService,
  syncSession,
} from "../../cluster/scheduler/sync_service.ts";

Deno.test("answers are forgotten once acknowledged, even behind a long wait", async () => {
  const service = new SyncService();
  const session = syncSession();
  // A wait that stays pending holds `low` at 1 ...
  const waiting = service.handle(session, {
    t: "sync",
    id: 1,
    low: 1,
    kind: "event",
    name: "never",
    op: "wait",
  });
  // ... while 1,000 puts and gets go by, each acknowledging the last.
  let acks: number[] = [];
  for (let id = 2; id < 1_002; id++) {
    const op = id % 2 === 0 ? "put" : "get";
    await service.handle(session, {
      t: "sync",
      id,
      low: 1,
      acks,
      kind: "queue",
      name: "q",
      op,
      item: id,
    });
    acks = [id];
  }
  // Kept: the pending wait and the last answer not yet acknowledged.
  assert.deepEqual([...session.ops.keys()], [1, 1_001]);
  // A resend of an unacknowledged request gets the same answer, applied once.
  const again = await service.handle(session, {
    t: "sync",
    id: 1_001,
    low: 1,
    kind: "queue",
    name: "q",
    op: "get",
  });
  assert.equal(again, 1_000);
  assert.deepEqual(
    await service.handle(session, {
      t: "sync",
      id: 1_002,
      low: 1,
      kind: "queue",
      name: "q",
      op: "tryGet",
    }),
    { ok: false },
  );
  service.end(session);
  await assert.rejects(waiting, /the client left/);
});

Deno.test("a session's end gives back its locks and permits to the waiters", async () => {
  const service = new SyncService();
  const a = syncSession(), b = syncSession();
  const req = (id: number, kind: string, op: string) => ({
    t: "sync" as const,
    id,
    kind,
    name: "x",
    op,
    permits: 2,
  });
  await service.handle(a, req(1, "mutex", "acquire"));
  await service.handle(a, req(2, "semaphore", "acquire"));
  await service.handle(a, req(3, "semaphore", "acquire"));
  const gotLock = service.handle(b, req(1, "mutex", "acquire"));
  const gotPermit = service.handle(b, req(2, "semaphore", "acquire"));
  service.end(a);
  await gotLock;
  await gotPermit;
  assert.deepEqual(
    await service.handle(b, req(3, "semaphore", "inspect")),
    { value: 1, permits: 2, waiting: 0 },
  );
  service.end(b);
  assert.equal(service.size, 0, "idle locks are forgotten");
});
