/**
 * The shared layout helper: fields, alignment, attach, and the header
 * that refuses another layout or another primitive with a LayoutError.
 */
import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  attachStruct,
  LayoutError,
  SharedBarrier,
  SharedCondition,
  SharedEvent,
  SharedMutex,
  SharedQueue,
  SharedRWLock,
  sharedStruct,
} from "@troupe/troupe/sync";
import { HEADER_BYTES, sharedStructBytes } from "../../sync/shared_layout.ts";
import { Counter } from "../fixtures/behaviors.ts";

const LAYOUT = { hits: "i32", total: "f64", slots: ["i32", 16] } as const;

Deno.test("sharedStruct lays out aligned views over one buffer, and attaches elsewhere", () => {
  const s = sharedStruct(LAYOUT, { name: "stats" });
  assert.equal(s.byteLength, sharedStructBytes(LAYOUT));
  assert.equal(s.views.total.byteOffset % 8, 0);
  assert.equal(s.views.hits.byteOffset, HEADER_BYTES);
  assert.equal(s.views.slots.length, 16);
  Atomics.add(s.views.hits, 0, 2);
  s.views.total[0] = 0.5;
  const t = attachStruct(LAYOUT, s.handle, { name: "stats" });
  assert.equal(t.views.hits[0], 2);
  assert.equal(t.views.total[0], 0.5);
  assert.equal(t.uid, s.uid);
  assert.deepEqual([s.nextId(), t.nextId(), s.nextId()], [1, 2, 3]);

  // Placed at an offset in a bigger buffer, next to other state.
  const big = new SharedArrayBuffer(1024);
  const u = sharedStruct(LAYOUT, { name: "stats", buffer: big, offset: 64 });
  assert.equal(u.views.hits.byteOffset, 64 + HEADER_BYTES);
  assert.equal(
    attachStruct(LAYOUT, { buffer: big, offset: 64 }, {
      name: "stats",
    }).uid,
    u.uid,
  );
});

Deno.test("attaching another layout, another name, no header or too small a buffer is a LayoutError", () => {
  const s = sharedStruct(LAYOUT, { name: "stats" });
  const other = { hits: "i32", total: "f32" } as const;
  assert.throws(
    () => attachStruct(other, s.handle, { name: "stats" }),
    (e) =>
      e instanceof LayoutError && e.primitive === "stats" &&
      /expected a stats \(layout [0-9a-f]{8}, version 1\), found a stats \(layout [0-9a-f]{8}/
        .test(e.message),
  );
  assert.throws(
    () => attachStruct(LAYOUT, { buffer: new SharedArrayBuffer(256) }),
    /found no troupe header/,
  );
  assert.throws(
    () => attachStruct(LAYOUT, { buffer: new SharedArrayBuffer(8) }),
    /the buffer is 8 bytes/,
  );
  assert.throws(
    () => attachStruct(LAYOUT, { buffer: s.buffer, offset: 3 }),
    /multiple of 8/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => attachStruct(LAYOUT, { buffer: new ArrayBuffer(64) as any }),
    LayoutError,
  );
});

Deno.test("every shared primitive refuses every other primitive's buffer", () => {
  const mutex = new SharedMutex();
  const made = {
    SharedMutex: mutex.handle,
    SharedEvent: new SharedEvent().handle,
    SharedRWLock: new SharedRWLock().handle,
    SharedBarrier: new SharedBarrier(2).handle,
    SharedQueue: new SharedQueue({ maxSize: 4 }).handle,
  };
  const attach = {
    SharedMutex: SharedMutex.from,
    SharedEvent: SharedEvent.from,
    SharedRWLock: SharedRWLock.from,
    SharedBarrier: (h: typeof mutex.handle) => SharedBarrier.from(h),
    SharedQueue: SharedQueue.from,
  };
  for (const [kind, from] of Object.entries(attach)) {
    for (const [other, handle] of Object.entries(made)) {
      if (kind === other) {
        from(handle);
        continue;
      }
      assert.throws(() => from(handle), (e) => {
        assert.ok(e instanceof LayoutError, `${kind} from ${other}`);
        assert.match(
          e.message,
          new RegExp(`expected a ${kind} .*found a ${other}`),
        );
        return true;
      });
    }
  }
  // A condition attached with a mutex it is not bound to.
  const c = new SharedCondition(mutex);
  assert.throws(
    () => SharedCondition.from(c.handle, new SharedMutex()),
    LayoutError,
  );
});

Deno.test("a struct's buffer crosses to a worker actor shared, and a scribbled header is refused", async () => {
  await using system = new ActorSystem();
  const worker = system.spawn(Counter, 0, { placement: "worker" });
  const s = sharedStruct({ n: "i32" }, { name: "bumps" });
  attachStruct({ n: "i32" }, s.handle, { name: "bumps" });
  // Counter.bump adds 1 to the buffer's first Int32: the header's magic.
  await worker.ask("bump", s.buffer);
  assert.throws(
    () => attachStruct({ n: "i32" }, s.handle, { name: "bumps" }),
    /found no troupe header/,
  );
});
