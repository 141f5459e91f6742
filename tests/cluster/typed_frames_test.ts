/**
 * Typed arrays cross TCP and process pipes as their raw bytes: big ones
 * (64 KiB and more) are written from their own memory, not copied into the
 * MessagePack encoding, and the bytes on the wire are those of an ordinary
 * encoding. What arrives is the same array: its type, its elements, a
 * buffer of its own (byte offset 0); a frame that lies about a byte array's
 * length is refused before anything that size is allocated.
 */

import assert from "node:assert/strict";
import {
  packWire,
  packWireSegments,
  toWire,
  unpack,
} from "../../actors/hosts/msgpack.ts";
import { encodeFrame, FrameReader } from "../../actors/hosts/frames.ts";
import type { WireItem } from "../../actors/hosts/codec.ts";
import { framedPair, rawToFramed, writeAll } from "./transport_helpers.ts";

const BIG = 1 << 17; // elements: past the 64 KiB threshold for every type

function iotaF64(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i * 0.25 - 7);
}

/** The values that cross, by name: views into larger buffers among them. */
function table(): Record<string, unknown> {
  const wide = new ArrayBuffer(8 * BIG + 64);
  new Uint8Array(wide).forEach((_, i, a) => a[i] = (i * 7) & 0xff);
  const shared = iotaF64(BIG);
  return {
    f64: iotaF64(BIG),
    f32: new Float32Array(BIG).map((_, i) => i / 3),
    i32: new Int32Array(BIG).map((_, i) => -i),
    u8: new Uint8Array(BIG).map((_, i) => i & 0xff),
    i16Offset: new Int16Array(wide, 6, 3 * BIG),
    u8Offset: new Uint8Array(wide, 3, BIG),
    f64Offset: new Float64Array(wide, 8, BIG),
    smallOffset: new Int16Array(wide, 2, 5),
    empty: new Float32Array(0),
    emptyOffset: new Float64Array(wide, 16, 0),
    view: new DataView(wide, 5, 70_000),
    buffer: wide.slice(0, 70_000),
    nested: { deeper: [1, { chunk: iotaF64(BIG) }, "after"] },
    twoViewsOfOne: [shared.subarray(0, BIG >> 1), shared.subarray(BIG >> 1)],
  };
}

function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer
    ? new Uint8Array(v)
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Whether two byte arrays hold the same bytes (a loop: no diff of 1 MiB). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `got` is `want` as it crosses: same type, same bytes, its own buffer. */
function same(got: unknown, want: unknown, where: string): void {
  if (ArrayBuffer.isView(want) || want instanceof ArrayBuffer) {
    assert.equal(
      Object.prototype.toString.call(got),
      Object.prototype.toString.call(want),
      `${where}: type`,
    );
    const g = got as ArrayBufferView | ArrayBuffer;
    if (g instanceof Uint8Array && !(want instanceof ArrayBuffer)) {
      // Plain bytes of a batch too big for one frame arrive as a view of
      // the assembled batch (owned by what was received: not copied again).
      assert.ok(g.byteOffset + g.byteLength <= g.buffer.byteLength, where);
    } else if (ArrayBuffer.isView(g)) {
      assert.equal(g.byteOffset, 0, `${where}: byte offset`);
      assert.equal(g.buffer.byteLength, g.byteLength, `${where}: own buffer`);
    }
    assert.ok(equalBytes(bytesOf(g), bytesOf(want)), `${where}: bytes`);
    return;
  }
  if (typeof want === "object" && want !== null) {
    for (const k of Object.keys(want)) {
      same(
        (got as Record<string, unknown>)[k],
        (want as Record<string, unknown>)[k],
        `${where}.${k}`,
      );
    }
    return;
  }
  assert.equal(got, want, where);
}

Deno.test("a big byte view is its own segment of the encoding, and the segments are the ordinary bytes", () => {
  const chunk = iotaF64(BIG);
  const small = new Int32Array([1, 2, 3]);
  const ready = toWire({ key: "k", chunk, small, more: [chunk.subarray(1)] });
  const parts = packWireSegments(ready);
  // Written from the array's own memory: no copy of its bytes.
  assert.ok(
    parts.some((p) => p.buffer === chunk.buffer && p.length === 8 * BIG),
  );
  assert.ok(!parts.some((p) => p.buffer === small.buffer), "small: copied");
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  assert.ok(equalBytes(joined, packWire(ready)), "the ordinary bytes");
  same(
    unpack(joined),
    { key: "k", chunk, small, more: [chunk.subarray(1)] },
    "v",
  );
});

Deno.test("typed arrays cross TCP whole: type, elements, offset 0, views and empty ones", async () => {
  const [a, b] = await framedPair({ maxFrame: 1 << 20 }, { maxFrame: 1 << 20 });
  try {
    const values = table();
    // One batch: every value in one frame (chunked past the frame size).
    for (const v of Object.values(values)) a.send(v);
    for (const [name, v] of Object.entries(values)) {
      same(await b.receive(), v, name);
    }
    // And each alone, in its own batch.
    for (const [name, v] of Object.entries(values)) {
      a.send(v);
      same(await b.receive(), v, `${name} alone`);
    }
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("typed arrays cross a process host's frames whole", () => {
  const values = table();
  const batch = Object.values(values) as unknown as WireItem[];
  const frame = encodeFrame(batch, 64 << 20);
  const reader = new FrameReader(64 << 20);
  // Fed in pieces, as a pipe gives them.
  const out: WireItem[][] = [];
  for (let at = 0; at < frame.length; at += 50_000) {
    out.push(...reader.push(frame.subarray(at, at + 50_000)));
  }
  assert.equal(out.length, 1);
  Object.values(values).forEach((v, i) => same(out[0][i], v, `item ${i}`));
});

Deno.test("a raw frame whose typed array claims more bytes than it has is refused, unallocated", async () => {
  const [raw, framed] = await rawToFramed({ maxFrame: 1 << 20 });
  // [BATCH, ext32 of 256 MiB: T_BYTES, Float64Array] with 16 bytes of data.
  const body = new Uint8Array([
    0x92,
    0x00,
    0xc9,
    0x10,
    0x00,
    0x00,
    0x01,
    0x27,
    0x09,
    ...new Uint8Array(16),
  ]);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  const before = Deno.memoryUsage().external;
  await writeAll(raw, frame);
  const reason = await framed.closed;
  raw.close();
  assert.match(reason.error?.message ?? "", /past the end/);
  const grown = Deno.memoryUsage().external - before;
  assert.ok(grown < 16 << 20, `${grown >> 20} MiB allocated for 17 bytes`);
});

Deno.test("a raw frame with a Float64Array of 7 bytes is refused with a decode error", () => {
  const bytes = new Uint8Array([0xc7, 0x08, 0x27, 0x09, 1, 2, 3, 4, 5, 6, 7]);
  assert.throws(() => unpack(bytes), /undecodable|byte/);
});
