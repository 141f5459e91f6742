import assert from "node:assert/strict";
import {
  HeldSet,
  type TaskRecord,
} from "../../cluster/graph/engine_records.ts";

const rec = (bytes: number) => ({ bytes }) as TaskRecord;

Deno.test("a worker's held set sums its results' bytes as they come and go, each as it was when added", () => {
  const held = new HeldSet();
  const a = rec(100), b = rec(20), c = rec(3);
  held.add(a).add(b).add(c);
  assert.equal(held.bytes, 123);
  held.add(a); // already held: not counted twice
  assert.equal(held.bytes, 123);
  a.bytes = 5_000; // (a record's size changes later: the sum does not drift)
  assert.ok(held.delete(a));
  assert.equal(held.bytes, 23);
  assert.ok(!held.delete(a));
  assert.equal(held.bytes, 23);
  held.clear();
  assert.equal(held.bytes, 0);
  assert.equal(held.size, 0);
  held.add(b);
  assert.equal(held.bytes, 20);
  assert.deepEqual([...held], [b]);
});
