/**
 * Byte arrays decode to their own bytes whatever holds the encoded ones:
 * `pack` gives a Node `Buffer` (a view of msgpackr's pool), and a
 * `Buffer`'s `slice` is a view, not a copy; a decoder that copied with it
 * made a typed array over the whole pool (wrong length, wrong values).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { pack, unpack } from "../../actors/hosts/msgpack.ts";

Deno.test("typed arrays decode exactly from a pack's own output and from a Buffer", () => {
  const value = {
    f: Float64Array.from([0, 3, -1.5, 1e300]),
    i: Int32Array.from([7, -8]),
    u: Uint8Array.from([1, 2, 3]),
    s: new Float64Array(new SharedArrayBuffer(16)).fill(2),
  };
  const packed = pack(value, "value");
  for (
    const bytes of [packed, Buffer.from(packed), Uint8Array.from(packed)]
  ) {
    for (const copy of [true, false]) {
      const got = unpack(bytes, { copy }) as Record<string, ArrayLike<number>>;
      assert.deepEqual(Array.from(got.f), [0, 3, -1.5, 1e300]);
      assert.deepEqual(Array.from(got.i), [7, -8]);
      assert.deepEqual(Array.from(got.u), [1, 2, 3]);
      assert.deepEqual(Array.from(got.s), [2, 2]);
    }
  }
});
