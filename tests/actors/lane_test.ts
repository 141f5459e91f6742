import assert from "node:assert/strict";
import { Lane } from "../../actors/hosts/lane.ts";
import { until } from "../helpers.ts";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A writer rings the doorbell only while the reader sleeps, once per burst:
// a wake-up lost between the reader's last look and its sleep would strand
// records in the ring. Bursts, pauses (the reader falls asleep) and single
// records in both directions must all arrive, in order.
Deno.test("a lane delivers every batch in order across sleeps, bursts and single records", async () => {
  const sab = Lane.buffer();
  const toParent: number[] = [];
  const toHost: number[] = [];
  let posted = 0;
  const parent = new Lane(sab, 0, (b) => toParent.push(b[0][0] as number));
  const host = new Lane(sab, 1, (b) => toHost.push(b[0][0] as number));
  const toParentPost = (m: { seq: number; batch: unknown[][] }) => {
    posted++;
    parent.accept(m);
  };
  const toHostPost = (m: { seq: number; batch: unknown[][] }) => {
    posted++;
    host.accept(m);
  };
  try {
    // (A host's first records go by post until it has MessagePack; the
    // parent writes to the ring once a record came to it by the ring.)
    host.send([[-3]], toParentPost);
    host.send([[-2]], toParentPost);
    await pause(20);
    host.send([[-1]], toParentPost);
    await until(() => toParent.length === 3, "the host's first batches");
    const N = 3_000;
    const postedBefore = posted;
    // One way at a time: a side that sends also watches its own incoming
    // ring for a while, which would hide a missing doorbell.
    for (
      const [send, post] of [[parent, toHostPost], [
        host,
        toParentPost,
      ]] as const
    ) {
      for (let i = 0; i < N; i++) {
        send.send([[i]], post);
        // Now and then let the reader fall asleep; sometimes only a tick.
        if (i % 97 === 0) await pause(3);
        else if (i % 13 === 0) await pause(0);
      }
    }
    await until(
      () => toHost.length === N && toParent.length === N + 3,
      "every batch, both ways",
      10_000,
    );
    assert.deepEqual(toHost, Array.from({ length: N }, (_, i) => i));
    assert.deepEqual(
      toParent,
      [-3, -2, -1, ...Array.from({ length: N }, (_, i) => i)],
    );
    // The ring carried them (a lane that fell back to post for all would
    // pass the order checks without testing the doorbell).
    assert.ok(
      posted - postedBefore < N / 10,
      `${posted - postedBefore} by post`,
    );
  } finally {
    parent.close();
    host.close();
    await pause(5);
  }
});

Deno.test("a lane's ring carries a small typed array that is its whole buffer; a view into a larger buffer, shared memory or a big array goes by post", async () => {
  const sab = Lane.buffer();
  const got: unknown[] = [];
  let posted = 0;
  const parent = new Lane(sab, 0, (b) => got.push(b[0][0]));
  const host = new Lane(sab, 1, () => {});
  const post = (m: { seq: number; batch: unknown[][] }) => {
    posted++;
    parent.accept(m);
  };
  try {
    // (The host's first records go by post until it has MessagePack.)
    host.send([[0]], post);
    host.send([[0]], post);
    await pause(20);
    got.length = 0;
    posted = 0;
    const small = new Float64Array([1.5, -2, 3]);
    host.send([[small]], post);
    await until(() => got.length === 1, "the small array");
    assert.equal(posted, 0, "by the ring");
    const back = got[0] as Float64Array;
    assert.ok(back instanceof Float64Array);
    assert.deepEqual([...back], [1.5, -2, 3]);
    assert.equal(back.byteOffset, 0);
    assert.equal(back.buffer.byteLength, 24);
    // A structured clone keeps a view's whole buffer and its offset, and
    // shares shared memory: those go by post, as does a large array.
    const others = [
      new Float64Array(new ArrayBuffer(64), 8, 2),
      new Int32Array(new SharedArrayBuffer(16)),
      new Uint8Array(128 * 1024),
      new Uint8Array(new ArrayBuffer(4, { maxByteLength: 8 })),
    ];
    for (const v of others) host.send([[v]], post);
    await until(() => got.length === 5, "the rest");
    assert.equal(posted, 4);
    assert.equal((got[1] as Float64Array).byteOffset, 8);
    assert.ok((got[2] as Int32Array).buffer instanceof SharedArrayBuffer);
    assert.ok(((got[4] as Uint8Array).buffer as ArrayBuffer).resizable);
  } finally {
    parent.close();
    host.close();
    await pause(5);
  }
});
