/**
 * MurmurHash3 x86_128 (Austin Appleby's public-domain reference, as in
 * SMHasher): a 128-bit hash of bytes, made of 32-bit multiplies only, so
 * that it runs fast in JavaScript. Task keys hash their canonical encoding
 * with it (`keys.ts`).
 *
 * Why this one: keys are made on every `delayed` call, and graph build has
 * a budget of 2 us per task. Over the 16 to 256 bytes a call's encoding
 * takes, this costs 0.1 to 0.2 us; Deno's native `node:crypto` one-shot
 * `hash("md5" | "sha1" | "sha256")` costs 0.6 to 1.3 us a call (the call
 * itself, not the bytes), `@noble/hashes` BLAKE2s 2 us and more. Over large
 * byte arrays it runs at about 0.8 GB/s here, beside native SHA-1's 1 GB/s.
 * It is not a cryptographic hash: it resists structured inputs (its output
 * is 128 well-mixed bits), not someone who crafts collisions on purpose.
 *
 * @module
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The MurmurHash3 x86_128 of `bytes[start, end)` with `seed`: its four
 * 32-bit words (h1..h4) go to `out`. Words are read little-endian, as the
 * reference does on the machines it was written for, whatever this one is.
 */
export function murmur128(
  bytes: Uint8Array,
  start: number,
  end: number,
  seed: number,
  out: Uint32Array,
): void {
  const b = bytes;
  const n = end - start;
  let h1 = seed | 0, h2 = seed | 0, h3 = seed | 0, h4 = seed | 0;
  let i = start;
  const blocks = start + (n & ~15);
  for (; i < blocks; i += 16) {
    let k1 = b[i] | b[i + 1] << 8 | b[i + 2] << 16 | b[i + 3] << 24;
    let k2 = b[i + 4] | b[i + 5] << 8 | b[i + 6] << 16 | b[i + 7] << 24;
    let k3 = b[i + 8] | b[i + 9] << 8 | b[i + 10] << 16 | b[i + 11] << 24;
    let k4 = b[i + 12] | b[i + 13] << 8 | b[i + 14] << 16 | b[i + 15] << 24;
    k1 = Math.imul(k1, C1);
    k1 = k1 << 15 | k1 >>> 17;
    h1 ^= Math.imul(k1, C2);
    h1 = h1 << 19 | h1 >>> 13;
    h1 = h1 + h2 | 0;
    h1 = Math.imul(h1, 5) + 0x561ccd1b | 0;
    k2 = Math.imul(k2, C2);
    k2 = k2 << 16 | k2 >>> 16;
    h2 ^= Math.imul(k2, C3);
    h2 = h2 << 17 | h2 >>> 15;
    h2 = h2 + h3 | 0;
    h2 = Math.imul(h2, 5) + 0x0bcaa747 | 0;
    k3 = Math.imul(k3, C3);
    k3 = k3 << 17 | k3 >>> 15;
    h3 ^= Math.imul(k3, C4);
    h3 = h3 << 15 | h3 >>> 17;
    h3 = h3 + h4 | 0;
    h3 = Math.imul(h3, 5) + 0x96cd1c35 | 0;
    k4 = Math.imul(k4, C4);
    k4 = k4 << 18 | k4 >>> 14;
    h4 ^= Math.imul(k4, C1);
    h4 = h4 << 13 | h4 >>> 19;
    h4 = h4 + h1 | 0;
    h4 = Math.imul(h4, 5) + 0x32ac3b17 | 0;
  }
  let k1 = 0, k2 = 0, k3 = 0, k4 = 0;
  switch (n & 15) {
    case 15:
      k4 ^= b[i + 14] << 16;
    // falls through
    case 14:
      k4 ^= b[i + 13] << 8;
    // falls through
    case 13:
      k4 ^= b[i + 12];
      k4 = Math.imul(k4, C4);
      k4 = k4 << 18 | k4 >>> 14;
      h4 ^= Math.imul(k4, C1);
    // falls through
    case 12:
      k3 ^= b[i + 11] << 24;
    // falls through
    case 11:
      k3 ^= b[i + 10] << 16;
    // falls through
    case 10:
      k3 ^= b[i + 9] << 8;
    // falls through
    case 9:
      k3 ^= b[i + 8];
      k3 = Math.imul(k3, C3);
      k3 = k3 << 17 | k3 >>> 15;
      h3 ^= Math.imul(k3, C4);
    // falls through
    case 8:
      k2 ^= b[i + 7] << 24;
    // falls through
    case 7:
      k2 ^= b[i + 6] << 16;
    // falls through
    case 6:
      k2 ^= b[i + 5] << 8;
    // falls through
    case 5:
      k2 ^= b[i + 4];
      k2 = Math.imul(k2, C2);
      k2 = k2 << 16 | k2 >>> 16;
      h2 ^= Math.imul(k2, C3);
    // falls through
    case 4:
      k1 ^= b[i + 3] << 24;
    // falls through
    case 3:
      k1 ^= b[i + 2] << 16;
    // falls through
    case 2:
      k1 ^= b[i + 1] << 8;
    // falls through
    case 1:
      k1 ^= b[i];
      k1 = Math.imul(k1, C1);
      k1 = k1 << 15 | k1 >>> 17;
      h1 ^= Math.imul(k1, C2);
  }
  h1 ^= n;
  h2 ^= n;
  h3 ^= n;
  h4 ^= n;
  h1 = h1 + h2 + h3 + h4 | 0;
  h2 = h2 + h1 | 0;
  h3 = h3 + h1 | 0;
  h4 = h4 + h1 | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = h1 + h2 + h3 + h4 | 0;
  out[0] = h1;
  out[1] = h2 + h1;
  out[2] = h3 + h1;
  out[3] = h4 + h1;
}

const DIGITS = new Uint16Array(32);
const HEX_CODES = [..."0123456789abcdef"].map((c) => c.charCodeAt(0));

/**
 * Four 32-bit words as 32 hex digits (each word big-endian, h1 first), made
 * as one flat string.
 */
export function hex128(w: Uint32Array): string {
  for (let i = 0; i < 4; i++) {
    const x = w[i];
    for (let j = 0; j < 8; j++) {
      DIGITS[i * 8 + j] = HEX_CODES[(x >>> (28 - 4 * j)) & 15];
    }
  }
  return String.fromCharCode.apply(null, DIGITS as unknown as number[]);
}
