/**
 * What the collections hold can be spilled: a dataframe partition as the
 * builders make it on worker hosts (columns, bitmaps and dictionaries in
 * SharedArrayBuffers, shared with other worker hosts without a copy) and
 * an array chunk are plain data to the memory manager, so past the target
 * a worker spills them and reads them back exact. Were they not, a worker
 * holding partitions past its pause fraction could never get below it and
 * a group-by larger than memory would stop for good.
 */

import assert from "node:assert/strict";
import { measure } from "../../cluster/memory/byte_size.ts";
import { resolveFractions } from "../../cluster/memory/fractions.ts";
import { HeldStore } from "../../cluster/memory/held_store.ts";
import { allocData, bytes, type Part } from "../../dataframe/_part.ts";
import { concatParts } from "../../dataframe/_builder.ts";
import { until } from "../helpers.ts";

const KiB = 1024;

/** A partition of `n` rows in shared memory, as worker hosts make them. */
function sharedPart(n: number, seed: number): Part {
  const x = allocData("float64", n, true) as Float64Array;
  const k = allocData("int64", n, true) as BigInt64Array;
  const s = allocData("string", n, true) as Int32Array;
  const valid = bytes((n + 7) >> 3, true);
  const words = ["alpha", "日本語", "a,b"];
  const text = new TextEncoder().encode(words.join(""));
  const dictBytes = bytes(text.length, true);
  dictBytes.set(text);
  const offsets = new Int32Array(new SharedArrayBuffer(4 * 4));
  offsets.set([0, 5, 5 + 9, 5 + 9 + 3]);
  for (let i = 0; i < n; i++) {
    x[i] = seed + i / 8;
    k[i] = BigInt(seed * n + i);
    s[i] = i % 3;
    if (i % 5 !== 0) valid[i >> 3] |= 1 << (i & 7);
  }
  return concatParts([{
    names: ["x", "k", "s"],
    columns: [
      { type: "float64", data: x, valid, dict: null },
      { type: "int64", data: k, valid: null, dict: null },
      {
        type: "string",
        data: s,
        valid: null,
        dict: { offsets, bytes: dictBytes },
      },
    ],
    length: n,
  }, {
    names: ["x", "k", "s"],
    columns: [
      { type: "float64", data: x, valid, dict: null },
      { type: "int64", data: k, valid: null, dict: null },
      {
        type: "string",
        data: s,
        valid: null,
        dict: { offsets, bytes: dictBytes },
      },
    ],
    length: n,
  }], true);
}

/** The partition's content, for comparing (buffers as plain arrays). */
function content(p: Part): unknown {
  return {
    names: p.names,
    length: p.length,
    columns: p.columns.map((c) => ({
      type: c.type,
      data: Array.from(c.data as ArrayLike<number | bigint>),
      valid: c.valid === null ? null : Array.from(c.valid),
      dict: c.dict === null ? null : {
        offsets: Array.from(c.dict.offsets),
        bytes: Array.from(c.dict.bytes),
      },
    })),
  };
}

Deno.test("spill: a dataframe partition in shared memory and an array chunk are plain data; past the target they spill and come back exact", async () => {
  const dir = Deno.makeTempDirSync();
  const part = sharedPart(4 * KiB, 1);
  assert.ok(
    part.columns[0].data.buffer instanceof SharedArrayBuffer,
    "the builders made it in shared memory",
  );
  assert.equal(measure(part).plain, true, "a shared partition is plain data");
  const chunk = Float64Array.from({ length: 4 * KiB }, (_, i) => i / 3);
  assert.equal(measure(chunk).plain, true);
  const size = measure(part).bytes;
  const store = new HeldStore({
    limit: Math.ceil(2.5 * size),
    fractions: resolveFractions({ spill: false, terminate: false }),
    localDirectory: dir,
  });
  try {
    const want = [content(part), content(sharedPart(4 * KiB, 2))];
    store.set("p0", part);
    store.set("p1", sharedPart(4 * KiB, 2));
    store.set("c", chunk);
    // Over the target (0.6 of 2.5 partitions): the oldest went to disk, and
    // the store is not left past its pause fraction, stuck. (A partition
    // waits for the codec's first load, in the background.)
    await until(
      () => store.counters().memory <= store.counters().target,
      "the partitions spilled",
    );
    const c = store.counters();
    assert.ok(c.spilledCount >= 1, `${c.spilledCount} spilled`);
    assert.ok(
      c.memory <= c.target,
      `${c.memory} B in memory, target ${c.target}`,
    );
    assert.equal(c.paused, false);
    assert.deepEqual(content(store.get("p0") as Part), want[0]);
    assert.deepEqual(content(store.get("p1") as Part), want[1]);
    assert.deepEqual(store.get("c"), chunk);
  } finally {
    store.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
