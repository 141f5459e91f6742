/**
 * Big byte arrays left out of an encoding, to be written from their own
 * memory: while a `deferring` pack runs, the MessagePack writer of byte
 * views (`msgpack.ts`) writes only the header of a view of `DEFER_MIN`
 * bytes or more and notes where its bytes belong; `splice` then gives the
 * encoding as segments, the views' own bytes among them. The bytes on the
 * wire are those of an ordinary encoding: a reader cannot tell.
 *
 * So a typed array crossing TCP or a pipe costs no copy into MessagePack's
 * buffer (nor that buffer's growth to twice the message).
 *
 * @module
 */

/** Byte arrays below this are copied: a segment of their own costs more. */
export const DEFER_MIN = 64 * 1024;

/** Where a left-out view's bytes belong: after `position` in `target`. */
interface Hole {
  target: Uint8Array;
  position: number;
  bytes: Uint8Array;
}

let holes: Hole[] | undefined;

/**
 * Whether the pack under way leaves out big views (the writer then calls
 * `leaveOut` instead of copying their bytes).
 */
export function deferring(): boolean {
  return holes !== undefined;
}

/** Note that `bytes` belong after `position` of `target` (the header's end). */
export function leaveOut(
  target: Uint8Array,
  position: number,
  bytes: Uint8Array,
): void {
  holes!.push({ target, position, bytes });
}

/**
 * Run `pack` with big views left out; its encoding as segments in order
 * (one segment when nothing was left out). Undefined when the writer moved
 * to a new buffer after leaving something out (the holes' places are then
 * unknown): the caller packs again the ordinary way.
 */
export function packDeferred(
  pack: () => Uint8Array,
): Uint8Array[] | undefined {
  const mine: Hole[] = [];
  holes = mine;
  let res: Uint8Array;
  try {
    res = pack();
  } finally {
    holes = undefined;
  }
  if (mine.length === 0) return [res];
  const out: Uint8Array[] = [];
  let from = 0;
  for (const h of mine) {
    if (h.target.buffer !== res.buffer) return undefined;
    const at = h.target.byteOffset + h.position - res.byteOffset;
    if (at < from || at > res.length) return undefined;
    out.push(res.subarray(from, at), h.bytes);
    from = at;
  }
  out.push(res.subarray(from));
  return out;
}
