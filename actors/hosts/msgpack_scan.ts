/**
 * What a peer may send: `scan` checks, before msgpackr reads a byte, that a
 * frame is one MessagePack value made only of what troupe's encoder
 * (`msgpack.ts`) writes, so that decoding it costs time and memory in
 * proportion to its size. It refuses msgpackr's record definitions, shared
 * references and string bundles (each lets a few bytes stand for much more
 * work: the 616-byte frame of issue 13 stood for 2^60 values), unknown
 * extensions, map keys other than strings, nesting deeper than asked, and
 * lengths that run past the end of the frame. Nothing is allocated, and
 * the recursion is bounded by the depth allowed.
 *
 * @module
 */

/** How deep a frame may nest to be decoded (a value, and what holds it). */
export const DECODE_DEPTH = 128;

/** A frame a peer sent that this decoder does not take; says why. */
export class DecodeError extends Error {
  /** Build the error from what is wrong. */
  constructor(problem: string, options?: ErrorOptions) {
    super(problem, options);
    this.name = "DecodeError";
  }
}

// Extension types troupe writes (0x20 to 0x27), and msgpackr's that it uses.
export const T_NEG_ZERO = 0x20;
export const T_MAP = 0x21;
export const T_SPARSE = 0x22;
export const T_OBJECT = 0x23;
export const T_ERROR = 0x24;
export const T_BOX = 0x25;
export const T_UTF16 = 0x26;
export const T_BYTES = 0x27;
/** Extension types that tag the one value after them (fixext 1). */
export const TAGS = new Set([
  T_NEG_ZERO,
  T_MAP,
  T_SPARSE,
  T_OBJECT,
  T_ERROR,
  T_BOX,
]);
/** msgpackr's own tags this encoder writes: Set and RegExp. */
export const MSGPACKR_SET = 0x73;
export const MSGPACKR_REGEXP = 0x78;
export const MSGPACKR_BIGINT = 0x42;
export const TIMESTAMP = 0xff;

/**
 * Check that `b` is one MessagePack value made of what troupe's encoder
 * writes, nested at most `maxDepth` deep, every length within the bytes.
 * (Recursive, one call per level: `maxDepth` bounds the stack.)
 */
export function scan(b: Uint8Array, maxDepth: number): void {
  src = b;
  end = b.length;
  limit = maxDepth;
  try {
    const p = value(0, 0);
    if (p !== end) throw new DecodeError(`${end - p} bytes after the value`);
  } finally {
    src = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let end = 0;
let limit = 0;

/** Skip the value at `p`, at nesting `depth`; where the next one starts. */
function value(p: number, depth: number): number {
  if (p >= end) throw pastEnd(p + 1, end);
  const b = src;
  const t = b[p++];
  if (t < 0x80 || t >= 0xe0) return p; // fixint
  if (t < 0x90) return items(p, t & 0x0f, true, depth);
  if (t < 0xa0) return items(p, t & 0x0f, false, depth);
  if (t < 0xc0) return skip(p, t & 0x1f);
  switch (t) {
    case 0xc0: // nil
    case 0xc2: // false
    case 0xc3: // true
      return p;
    case 0xc4: // bin 8
    case 0xd9: // str 8
      if (p + 1 > end) throw pastEnd(p + 1, end);
      return skip(p + 1, b[p]);
    case 0xc5: // bin 16
    case 0xda: // str 16
      if (p + 2 > end) throw pastEnd(p + 2, end);
      return skip(p + 2, b[p] << 8 | b[p + 1]);
    case 0xc6: // bin 32
    case 0xdb: // str 32
      if (p + 4 > end) throw pastEnd(p + 4, end);
      return skip(p + 4, uint32(b, p));
    case 0xc7: // ext 8
    case 0xc8: // ext 16
    case 0xc9: { // ext 32
      const w = t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4;
      if (p + w + 1 > end) throw pastEnd(p + w + 1, end);
      const len = w === 1
        ? b[p]
        : w === 2
        ? b[p] << 8 | b[p + 1]
        : uint32(b, p);
      const type = b[p + w];
      if (
        type !== T_BYTES && type !== T_UTF16 && type !== MSGPACKR_BIGINT &&
        !(type === TIMESTAMP && len === 12)
      ) throw badExtension(type, p + w);
      return skip(p + w + 1, len);
    }
    case 0xca: // float 32
    case 0xce: // uint 32
    case 0xd2: // int 32
      return skip(p, 4);
    case 0xcb: // float 64
    case 0xcf: // uint 64
    case 0xd3: // int 64
      return skip(p, 8);
    case 0xcc: // uint 8
    case 0xd0: // int 8
      return skip(p, 1);
    case 0xcd: // uint 16
    case 0xd1: // int 16
      return skip(p, 2);
    case 0xd4: { // fixext 1
      if (p + 2 > end) throw pastEnd(p + 2, end);
      const type = b[p];
      if (type === 0 || type === MSGPACKR_BIGINT) return p + 2; // undefined
      if (type === TIMESTAMP && b[p + 1] === 0xff) return p + 2; // bad Date
      if (
        !TAGS.has(type) && type !== MSGPACKR_SET && type !== MSGPACKR_REGEXP
      ) throw badExtension(type, p);
      return items(p + 2, 1, false, depth); // the tagged value, a level down
    }
    case 0xd5: // fixext 2
    case 0xd6: // fixext 4
    case 0xd7: // fixext 8
    case 0xd8: { // fixext 16
      const len = t === 0xd5 ? 2 : t === 0xd6 ? 4 : t === 0xd7 ? 8 : 16;
      if (p >= end) throw pastEnd(p + 1, end);
      const type = b[p];
      if (
        !(type === MSGPACKR_BIGINT || type === T_BYTES || type === T_UTF16 ||
          (type === TIMESTAMP && (len === 4 || len === 8)))
      ) throw badExtension(type, p);
      return skip(p + 1, len);
    }
    case 0xdc: // array 16
      if (p + 2 > end) throw pastEnd(p + 2, end);
      return items(p + 2, b[p] << 8 | b[p + 1], false, depth);
    case 0xdd: // array 32
      if (p + 4 > end) throw pastEnd(p + 4, end);
      return items(p + 4, uint32(b, p), false, depth);
    case 0xde: // map 16
      if (p + 2 > end) throw pastEnd(p + 2, end);
      return items(p + 2, b[p] << 8 | b[p + 1], true, depth);
    case 0xdf: // map 32
      if (p + 4 > end) throw pastEnd(p + 4, end);
      return items(p + 4, uint32(b, p), true, depth);
    default: // 0xc1: never used (msgpackr's string bundles)
      throw new DecodeError(
        `byte 0x${t.toString(16)} at ${p - 1} is not taken`,
      );
  }
}

function skip(p: number, n: number): number {
  if (p + n > end) throw pastEnd(p + n, end);
  return p + n;
}

/** Skip `n` items (entries of a map) from `p`, one level down. */
function items(p: number, n: number, map: boolean, depth: number): number {
  // Each item takes a byte at least: a length past the end is a lie.
  const count = map ? 2 * n : n;
  if (count > end - p) {
    throw new DecodeError(
      `a ${map ? "map" : "list"} of ${count} items in ${end - p} bytes`,
    );
  }
  if (count === 0) return p;
  if (depth + 1 > limit) {
    throw new DecodeError(`nested deeper than ${limit} levels`);
  }
  const b = src;
  if (!map) {
    for (let i = 0; i < n; i++) p = value(p, depth + 1);
    return p;
  }
  for (let i = 0; i < n; i++) {
    // A key: a string, whose bytes are skipped here.
    const t = b[p];
    if (t >= 0xa0 && t <= 0xbf) p = skip(p + 1, t & 0x1f);
    else if (t >= 0xd9 && t <= 0xdb) p = value(p, depth + 1);
    else {
      throw new DecodeError(`a map key that is not a string, at byte ${p}`);
    }
    p = value(p, depth + 1);
  }
  return p;
}

function pastEnd(at: number, end: number): DecodeError {
  return new DecodeError(
    `a length runs past the end of the ${end}-byte frame (to byte ${at})`,
  );
}

function uint32(b: Uint8Array, p: number): number {
  return (b[p] << 24 | b[p + 1] << 16 | b[p + 2] << 8 | b[p + 3]) >>> 0;
}

function badExtension(type: number, p: number): DecodeError {
  const what = type === 0x72
    ? " (a record definition)"
    : type === 0x70 || type === 0x69
    ? " (a shared reference)"
    : type === 0x62
    ? " (a string bundle)"
    : "";
  return new DecodeError(
    `extension type 0x${type.toString(16)}${what} at byte ${p} is not taken`,
  );
}
