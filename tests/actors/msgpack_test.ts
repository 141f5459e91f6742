/**
 * The decoder that every link uses takes what troupe's encoder writes and
 * nothing that lets a few bytes stand for much more: msgpackr's shared
 * references, record definitions and string bundles, declared lengths past
 * the end of the frame, deep nesting. Each bomb fails with a `DecodeError`
 * before anything is built for it, fed to the decoder directly, to a
 * process host's frame reader and to a cluster connection.
 */

import assert from "node:assert/strict";
import { Packr } from "msgpackr/pack";
import { fromWire, WireError } from "../../actors/hosts/codec.ts";
import { preview } from "../../actors/preview.ts";
import { encodeFrame, FrameReader } from "../../actors/hosts/frames.ts";
import {
  DECODE_DEPTH,
  DecodeError,
  pack,
  scan,
  unpack,
} from "../../actors/hosts/msgpack.ts";
import { TransportError } from "@troupe/troupe/cluster";
import { prefix, rawToFramed, writeAll } from "../cluster/transport_helpers.ts";
import { seeded } from "../helpers.ts";
import { valueTable } from "../fixtures/values.ts";

/** A DAG of `levels` levels, each holding the one below twice. */
function dag(levels: number): unknown {
  let x: unknown = ["leaf"];
  for (let i = 0; i < levels; i++) x = [x, x];
  return x;
}

const u8 = (...bytes: number[]) => new Uint8Array(bytes);

/** The bombs: small frames that would cost much more than their size. */
function bombs(): [string, Uint8Array, RegExp][] {
  const deep = new Uint8Array(100_001).fill(0x91);
  deep[deep.length - 1] = 0xc0;
  const tags = new Uint8Array(3 * 50_000 + 1);
  for (let i = 0; i < 50_000; i++) tags.set([0xd4, 0x20, 0x00], 3 * i);
  tags[tags.length - 1] = 0x00;
  const justTooDeep = new Uint8Array(DECODE_DEPTH + 2).fill(0x91);
  justTooDeep[DECODE_DEPTH + 1] = 0xc0;
  return [
    [
      "msgpackr's shared references: 2^60 leaves in a few hundred bytes",
      new Packr({ structuredClone: true, useRecords: false }).pack(dag(60)),
      /shared reference/,
    ],
    [
      "a record definition",
      new Packr({ useRecords: true }).pack([{ a: 1, b: 2 }, { a: 3, b: 4 }]),
      /record definition/,
    ],
    [
      "a string bundle",
      new Packr({ bundleStrings: true, useRecords: false }).pack([
        "abcdefgh",
        "ijklmnop",
      ]),
      /string bundle|0xc1/,
    ],
    [
      "a 4 GiB array in 5 bytes",
      u8(0xdd, 0xff, 0xff, 0xff, 0xff),
      /list of 4294967295 items in 0 bytes/,
    ],
    [
      "a 4 Gi-entry map in 5 bytes",
      u8(0xdf, 0xff, 0xff, 0xff, 0xff),
      /map of 8589934590 items/,
    ],
    [
      "a 4 GiB string in 5 bytes",
      u8(0xdb, 0xff, 0xff, 0xff, 0xff),
      /past the end/,
    ],
    [
      "a 4 GiB byte array in 5 bytes",
      u8(0xc6, 0xff, 0xff, 0xff, 0xff),
      /past the end/,
    ],
    [
      "a 4 GiB extension in 6 bytes",
      u8(0xc9, 0xff, 0xff, 0xff, 0xff, 0x27),
      /past the end/,
    ],
    [
      "a 65,535-item array in 3 bytes",
      u8(0xdc, 0xff, 0xff),
      /list of 65535 items in 0 bytes/,
    ],
    ["100,000 nested arrays", deep, /nested deeper than 128 levels/],
    ["one level too deep", justTooDeep, /nested deeper than 128 levels/],
    ["50,000 nested tags", tags, /nested deeper than 128 levels/],
    [
      "msgpackr's typed array extension",
      u8(0xc7, 0x02, 0x74, 0x01, 0x00),
      /extension type 0x74/,
    ],
    [
      "msgpackr's Error extension",
      u8(0xd4, 0x65, 0x00, 0x90),
      /extension type 0x65/,
    ],
    ["an unknown extension", u8(0xd6, 0x01, 0, 0, 0, 0), /extension type 0x1/],
    [
      "a map key that is not a string",
      u8(0x81, 0x01, 0x02),
      /map key that is not a string/,
    ],
    [
      "a map key that is a huge number",
      u8(0x81, 0xcf, 1, 2, 3, 4, 5, 6, 7, 8, 0xc0),
      /map key/,
    ],
    ["bytes after the value", u8(0x01, 0x02), /1 bytes after the value/],
    [
      "a truncated value",
      u8(0x92, 0x01),
      /list of 2 items in 1 bytes|past the end/,
    ],
    ["nothing", u8(), /past the end/],
  ];
}

Deno.test("the decoder refuses every bomb with a DecodeError, before building anything", () => {
  const before = Deno.memoryUsage().heapUsed;
  for (let round = 0; round < 20; round++) {
    for (const [label, bytes, why] of bombs()) {
      assert.throws(
        () => unpack(bytes),
        (e: unknown) => e instanceof DecodeError && why.test(e.message),
        label,
      );
    }
  }
  // (A bound against allocating what the bombs declare, not a measurement.)
  const grew = Deno.memoryUsage().heapUsed - before;
  assert.ok(grew < 256 * 1024 * 1024, `the heap grew by ${grew} bytes`);
});

Deno.test("the bombs are what they say: msgpackr alone decodes them into far more than their bytes", () => {
  // The shared-reference bomb, decoded by a plain msgpackr Unpackr (as
  // troupe did before), is a value whose walk visits 2^60 leaves.
  const bytes = new Packr({ structuredClone: true, useRecords: false }).pack(
    dag(60),
  );
  assert.ok(bytes.length < 1024, `${bytes.length} bytes`);
  const value = new Packr({ structuredClone: true }).unpack(bytes) as unknown[];
  let node = value;
  for (let i = 0; i < 60; i++) {
    assert.equal(node[0], node[1], "the same object twice");
    node = node[0] as unknown[];
  }
});

Deno.test("a process host's frame reader refuses a bomb with a WireError naming it", () => {
  for (const [label, body, why] of bombs()) {
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    assert.throws(
      () => new FrameReader().push(frame),
      (e: unknown) =>
        e instanceof WireError && /undecodable frame/.test(e.message) &&
        why.test(e.message),
      label,
    );
  }
  // A good frame still reads.
  const [batch] = new FrameReader().push(
    encodeFrame([[-0, new Map([[1, 2]])]]),
  );
  assert.ok(Object.is((batch[0] as unknown[])[0], -0));
});

Deno.test("a cluster connection that gets a bomb closes with a malformed-frame error naming it", async () => {
  for (const [label, body, why] of bombs().slice(0, 4)) {
    const [raw, framed] = await rawToFramed({ logger: () => {} });
    // A batch frame: [0, the bomb].
    const batch = new Uint8Array(2 + body.length);
    batch.set([0x92, 0x00]);
    batch.set(body, 2);
    await writeAll(raw, prefix(batch.length));
    await writeAll(raw, batch);
    const reason = await framed.closed;
    assert.equal(reason.kind, "error", label);
    assert.ok(reason.error instanceof TransportError);
    assert.equal(reason.error.code, "malformed", label);
    assert.match(reason.error.message, why, label);
    raw.close();
  }
});

Deno.test("bytes flipped at random in good frames decode or fail with a DecodeError, nothing else", () => {
  const rand = seeded(9);
  const frames = valueTable().map(([, v]) => pack(v).slice());
  let failed = 0;
  for (let i = 0; i < 20_000; i++) {
    const frame = frames[i % frames.length].slice();
    if (frame.length > 100_000) continue;
    for (let flips = 1 + Math.floor(rand() * 3); flips > 0; flips--) {
      frame[Math.floor(rand() * frame.length)] = Math.floor(rand() * 256);
    }
    try {
      unpack(frame);
    } catch (e) {
      assert.ok(e instanceof DecodeError, `${e}`);
      failed++;
    }
  }
  assert.ok(failed > 1000, `only ${failed} of the mutated frames failed`);
});

Deno.test("what the encoder writes, the scan takes, at any nesting up to the limit", () => {
  for (const [, value] of valueTable()) scan(pack(value), DECODE_DEPTH);
  let deep: unknown = new Map([["x", -0]]);
  for (let i = 0; i < 95; i++) deep = [deep];
  const back = unpack(pack(deep));
  let node = back;
  for (let i = 0; i < 95; i++) node = (node as unknown[])[0];
  assert.ok(Object.is((node as Map<string, number>).get("x"), -0));
});

Deno.test("a peer's value in an error message is described in a bounded length, whatever it is", () => {
  const huge = new Array(100_000).fill({ a: "x".repeat(10_000) });
  for (
    const v of [
      huge,
      2n ** 4000n,
      "y".repeat(1_000_000),
      { deep: [[[[[[[{ a: 1 }]]]]]]] },
      new Float64Array(1_000_000),
      Symbol("s"),
    ]
  ) {
    assert.ok(preview(v).length <= 80, preview(v));
  }
  assert.equal(preview(["", "x"]), '["", "x"]');
  // A malformed item from a peer: a WireError that says what, briefly.
  for (const tag of [2n ** 64n, huge, { t: "x".repeat(1_000_000) }]) {
    assert.throws(
      () => fromWire([tag], "a", "b"),
      (e: unknown) =>
        e instanceof WireError && /unknown item tag/.test(e.message) &&
        e.message.length < 200,
    );
  }
});

Deno.test("an object of more than 65,535 fields crosses (msgpackr's default map header holds no more)", () => {
  const wide: Record<string, number> = {};
  for (let i = 0; i < 70_000; i++) wide[`k${i}`] = i;
  const back = unpack(pack(wide)) as Record<string, number>;
  assert.equal(Object.keys(back).length, 70_000);
  assert.equal(back.k69999, 69_999);
});
