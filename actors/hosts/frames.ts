/**
 * Frames for process hosts: a 4-byte big-endian length, then a MessagePack
 * batch. The length is checked against the maximum frame size before
 * anything is allocated, and the body is decoded by the one MessagePack
 * configuration (`msgpack.ts`). Only process links load this module (and
 * msgpackr).
 *
 * @module
 */

import { MAX_FRAME, WireError, type WireItem } from "./codec.ts";
import { packWireSegments, toWire, unpack } from "./msgpack.ts";

/** Encode a batch as one frame: 4-byte big-endian length, then MessagePack. */
export function encodeFrame(
  batch: WireItem[],
  maxFrame = MAX_FRAME,
): Uint8Array {
  // Big byte arrays are copied once, from their own memory into the frame.
  const parts = packWireSegments(toWire(batch, "batch"));
  let size = 0;
  for (const p of parts) size += p.length;
  if (size > maxFrame) {
    throw new WireError(
      `frame of ${size} bytes exceeds the ${maxFrame}-byte limit`,
    );
  }
  const frame = new Uint8Array(4 + size);
  new DataView(frame.buffer).setUint32(0, size);
  let at = 4;
  for (const p of parts) {
    frame.set(p, at);
    at += p.length;
  }
  return frame;
}

/**
 * Reads frames from a byte stream. Feed it chunks; it yields complete
 * batches. A length above `maxFrame` is refused before any allocation.
 */
export class FrameReader {
  readonly #max: number;
  #buf = new Uint8Array(0);
  #len = 0;

  /** A reader that refuses frames longer than `maxFrame` bytes. */
  constructor(maxFrame = MAX_FRAME) {
    this.#max = maxFrame;
  }

  /** Bytes held that do not yet make a whole frame. */
  get pending(): number {
    return this.#len;
  }

  /** Add a chunk; return the batches it completed. */
  push(chunk: Uint8Array): WireItem[][] {
    this.#append(chunk);
    const out: WireItem[][] = [];
    let off = 0;
    const view = new DataView(this.#buf.buffer, this.#buf.byteOffset);
    while (this.#len - off >= 4) {
      const size = view.getUint32(off);
      if (size > this.#max) {
        throw new WireError(
          `frame length ${size} exceeds the ${this.#max}-byte limit`,
        );
      }
      if (this.#len - off - 4 < size) break;
      const body = this.#buf.subarray(off + 4, off + 4 + size);
      let batch: unknown;
      try {
        // (Copied out: the buffer is reused for the frames after.)
        batch = unpack(body, { copy: true });
      } catch (e) {
        throw new WireError(`undecodable frame: ${(e as Error).message}`);
      }
      if (!Array.isArray(batch)) throw new WireError("frame is not a batch");
      out.push(batch as WireItem[]);
      off += 4 + size;
    }
    if (off > 0) {
      this.#buf.copyWithin(0, off, this.#len);
      this.#len -= off;
    }
    return out;
  }

  #append(chunk: Uint8Array): void {
    const need = this.#len + chunk.length;
    if (need > this.#buf.length) {
      const next = new Uint8Array(Math.max(need, this.#buf.length * 2, 4096));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#len);
    this.#len = need;
  }
}
