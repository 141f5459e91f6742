/**
 * The bytes of a frame, as the framed connection writes and checks them:
 * the tags of batch and chunk frames, the heads of chunk frames, reading
 * a chunk's MessagePack size and piece headers (bounded: a peer wrote
 * them), and telling a TLS or HTTP peer from a troupe one by its first
 * bytes.
 *
 * @module
 */

import { TransportError } from "./wire_errors.ts";

/** A batch frame's tag: `[0, v1, v2, ...]`. */
export const BATCH = 0;
/** The first chunk of a big batch: `[1, total, bin]`. */
export const CHUNK_FIRST = 1;
/** A further chunk of a big batch: `[2, bin]`. */
export const CHUNK_NEXT = 2;
/** Bytes of a first chunk's body before its piece: array, tag, uint64, bin32. */
export const FIRST_HEAD = 16;
/** Bytes of a further chunk's body before its piece: array, tag, bin32. */
export const NEXT_HEAD = 7;

/** An error's name and message, for a close reason or a log line. */
export function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Read a MessagePack unsigned integer at `p`: [value, next position]. */
export function readUint(b: Uint8Array, p: number): [number, number] {
  const t = b[p];
  const width = t <= 0x7f
    ? 0
    : t === 0xcc
    ? 1
    : t === 0xcd
    ? 2
    : t === 0xce
    ? 4
    : t === 0xcf
    ? 8
    : -1;
  if (width < 0 || p + 1 + width > b.length) {
    throw new TransportError(
      "protocol",
      "chunk size is not an unsigned integer",
    );
  }
  if (width === 0) return [t, p + 1];
  const v = new DataView(b.buffer, b.byteOffset + p + 1, width);
  const n = width === 1
    ? v.getUint8(0)
    : width === 2
    ? v.getUint16(0)
    : width === 4
    ? v.getUint32(0)
    : Number(v.getBigUint64(0));
  return [n, p + 1 + width];
}

/** Read a MessagePack bin header at `p`: [length, first byte's position]. */
export function readBin(b: Uint8Array, p: number): [number, number] {
  const t = b[p];
  const width = t === 0xc4 ? 1 : t === 0xc5 ? 2 : t === 0xc6 ? 4 : -1;
  if (width < 0 || p + 1 + width > b.length) {
    throw new TransportError("protocol", "chunk piece is not a byte array");
  }
  const v = new DataView(b.buffer, b.byteOffset + p + 1, width);
  const n = width === 1
    ? v.getUint8(0)
    : width === 2
    ? v.getUint16(0)
    : v.getUint32(0);
  return [n, p + 1 + width];
}

/**
 * Whether the bytes at `at` begin a TLS record (change cipher spec, alert,
 * handshake or application data, version 3.x): a TLS client's hello to a
 * plain listener, or a TLS listener's alert to a plain client.
 */
export function speaksTls(buf: Uint8Array, at: number): boolean {
  return buf[at] >= 0x14 && buf[at] <= 0x17 && buf[at + 1] === 0x03 &&
    buf[at + 2] <= 0x04;
}

/** Whether the 4 bytes at `at` are "HTTP" (a web server's answer). */
export function speaksHttp(buf: Uint8Array, at: number): boolean {
  return buf[at] === 0x48 && buf[at + 1] === 0x54 && buf[at + 2] === 0x54 &&
    buf[at + 3] === 0x50;
}
