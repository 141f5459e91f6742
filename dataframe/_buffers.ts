/**
 * Read buffers kept for the next task of this isolate: a worker runs one
 * CSV range after another, and a fresh 2 MB buffer per range is garbage
 * that V8 frees late (its backing store is outside the heap), so a run of
 * many partitions grew the process's peak memory with their number.
 *
 * @module
 */

/** Buffers larger than this are not kept. */
const KEEP_BYTES = 8 << 20;
/** At most this many are kept (tasks of one isolate run one at a time). */
const KEEP = 2;
const spare: ArrayBuffer[] = [];

/** A buffer of `size` bytes: a kept one if one is large enough. */
export function takeBuffer(size: number): Uint8Array {
  for (let i = spare.length - 1; i >= 0; i--) {
    if (spare[i].byteLength >= size) {
      const [b] = spare.splice(i, 1);
      return new Uint8Array(b, 0, size);
    }
  }
  return new Uint8Array(size);
}

/** Give a buffer from `takeBuffer` back (its bytes are not cleared). */
export function giveBuffer(buf: Uint8Array): void {
  const b = buf.buffer;
  if (!(b instanceof ArrayBuffer) || b.byteLength > KEEP_BYTES) return;
  if (spare.includes(b)) return;
  if (spare.length >= KEEP) spare.shift();
  spare.push(b);
}
