/**
 * Frames from a batch, as the framed connection sends them: its encoding in
 * segments (big byte arrays among them as they are, not copied), then one
 * frame or a run of chunk frames under the body limit the peer takes.
 *
 * @module
 */

import { packWire } from "../../actors/hosts/msgpack.ts";
import {
  BATCH,
  CHUNK_FIRST,
  CHUNK_NEXT,
  describe,
  FIRST_HEAD,
  NEXT_HEAD,
} from "./frame_format.ts";

/** Byte arrays this big are sent from their own memory, not copied. */
export const BIG = 64 * 1024;

/** Where `frameSegments` puts what it makes. */
export interface FrameSink {
  /** A frame begins (for the counters). */
  frame(): void;
  /** The next bytes to write. */
  bytes(b: Uint8Array): void;
}

/**
 * A batch holding big byte arrays as segments of its encoding, the big
 * arrays themselves among them (not copied); undefined if a value cannot
 * be packed (the caller then takes the slow path).
 */
export function batchSegments(batch: unknown[]): Uint8Array[] | undefined {
  const n = batch.length;
  const head = n < 16
    ? new Uint8Array([0x90 | n])
    : n < 0x10000
    ? new Uint8Array([0xdc, n >>> 8, n & 0xff])
    : new Uint8Array([
      0xdd,
      n >>> 24,
      (n >>> 16) & 0xff,
      (n >>> 8) & 0xff,
      n & 0xff,
    ]);
  const out: Uint8Array[] = [head, new Uint8Array([BATCH])];
  try {
    for (let i = 1; i < n; i++) {
      const v = batch[i];
      if (v instanceof Uint8Array && v.byteLength >= BIG) {
        const bin = new Uint8Array(5);
        bin[0] = 0xc6;
        new DataView(bin.buffer).setUint32(1, v.byteLength);
        out.push(bin, v);
      } else {
        out.push(packWire(v));
      }
    }
  } catch {
    return undefined;
  }
  return out;
}

/**
 * Frame a batch body given as segments: one frame when it fits `limit`
 * bytes, else chunks of it (see `frame_format.ts`). Each frame's bytes go to
 * `out.bytes` in order (the segments' memory, not copied, after a head),
 * and `out.frame` is told as each frame begins.
 */
export function frameSegments(
  segments: readonly Uint8Array[],
  limit: number,
  out: FrameSink,
): void {
  let total = 0;
  for (const s of segments) total += s.length;
  if (total <= limit) {
    const frame = new Uint8Array(4 + total);
    new DataView(frame.buffer).setUint32(0, total);
    let off = 4;
    for (const s of segments) {
      frame.set(s, off);
      off += s.length;
    }
    out.frame();
    return out.bytes(frame);
  }
  const piece = limit - FIRST_HEAD;
  let seg = 0;
  let segOff = 0;
  for (let off = 0; off < total; off += piece) {
    const len = Math.min(piece, total - off);
    const first = off === 0;
    const head = new Uint8Array(4 + (first ? FIRST_HEAD : NEXT_HEAD));
    const v = new DataView(head.buffer);
    v.setUint32(0, head.length - 4 + len);
    if (first) {
      head.set([0x93, CHUNK_FIRST, 0xcf], 4);
      v.setBigUint64(7, BigInt(total));
      head[15] = 0xc6;
      v.setUint32(16, len);
    } else {
      head.set([0x92, CHUNK_NEXT, 0xc6], 4);
      v.setUint32(7, len);
    }
    out.frame();
    out.bytes(head);
    let left = len;
    while (left > 0) {
      const s = segments[seg];
      const take = Math.min(left, s.length - segOff);
      out.bytes(s.subarray(segOff, segOff + take));
      left -= take;
      segOff += take;
      if (segOff === s.length) {
        seg++;
        segOff = 0;
      }
    }
  }
}

/**
 * A batch whose packing failed, packed again value by value (4 bytes left
 * for the length prefix): a value that cannot be packed is dropped and
 * told to `logger`. Undefined when none is left.
 */
export function packEach(
  batch: unknown[],
  logger: (message: string) => void,
): Uint8Array | undefined {
  const good: unknown[] = [BATCH];
  for (let i = 1; i < batch.length; i++) {
    try {
      packWire(batch[i]);
      good.push(batch[i]);
    } catch (e) {
      logger(
        `troupe transport: dropped a value MessagePack cannot encode (${typeof batch[
          i
        ]}): ${describe(e)}`,
      );
    }
  }
  return good.length === 1 ? undefined : packWire(good, 4);
}
