/**
 * The random numbers of `random` and `normal`: a counter-based generator.
 * Element `i` (its flat C-order index in the array it was made for) gets
 * two 32-bit words hashed from `i` and the seed, so the same seed and shape
 * give the same numbers whatever the chunking, the placement and the order
 * the chunks are computed in, with no state to carry between chunks.
 *
 * Each word is a Weyl step of the counter's low 32 bits (two different odd
 * multipliers), xored with a key, then the 32-bit finaliser with the lowest
 * known bias (Wellons' hash prospector: shifts 16/15/15, multipliers
 * 0x21f0aaad, 0x735a2d97). The keys mix the seed with the counter's high
 * bits, so arrays past 2^32 elements do not repeat. A float64 takes 53 bits
 * (27 of one word, 26 of the other), as NumPy does; normals come from the
 * inverse normal CDF (Wichura's AS241, good to 1e-16) of a uniform in (0, 1),
 * one uniform per element, so that no element depends on its neighbour.
 *
 * All 32-bit integer math (`Math.imul`): about 2.5 ns an element in V8.
 * The same words on four SIMD lanes (`_rng_simd.wat`, used where a
 * float64 uniform is made: `_rng_wasm.ts`) make a float64 in about 1 ns, or
 * add one up in about 0.6; this file's code stays the reference and the
 * path for float32 and where WebAssembly SIMD is missing.
 *
 * @module
 */

/** The 32-bit finaliser (a bijection with full avalanche). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  return x ^ (x >>> 15);
}

/** Check a seed: an integer in [0, 2^53). */
export function checkSeed(seed: unknown): number {
  if (
    typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0
  ) {
    throw new RangeError(
      `a seed must be an integer in [0, 2^53), got ${String(seed)}`,
    );
  }
  return seed;
}

/**
 * The two keys for counters whose high 32 bits are `hi`, under `seed`:
 * written to `out[at]` and `out[at + 1]`.
 */
export function keysInto(
  seed: number,
  hi: number,
  out: Int32Array,
  at: number,
): void {
  const s0 = seed >>> 0;
  const s1 = Math.floor(seed / 4294967296) >>> 0;
  const k0 = mix32(
    mix32((s0 + 0x9e3779b9) | 0) ^ mix32(s1 ^ 0x85ebca6b) ^
      mix32((hi ^ 0x27d4eb2f) | 0),
  );
  out[at] = k0;
  out[at + 1] = mix32(k0 ^ 0x165667b1);
}

const TWO_32 = 4294967296;

/**
 * The JS statements that set `u` (a float64 uniform in [0, 1), or in
 * (0, 1) when `open`) from counter low bits `c` and keys `k0`, `k1`: the
 * body the kernel compiler inlines. Names are given so that several
 * leaves can share one loop.
 */
export function uniformCode(
  u: string,
  c: string,
  k0: string,
  k1: string,
  open: boolean,
): string {
  const a = `${u}a`;
  const b = `${u}b`;
  return `let ${a} = Math.imul(${c}, -1640531535) ^ ${k0};` +
    `${a} ^= ${a} >>> 16; ${a} = Math.imul(${a}, 569420461); ${a} ^= ${a} >>> 15;` +
    `${a} = Math.imul(${a}, 1935289751); ${a} ^= ${a} >>> 15;` +
    `let ${b} = Math.imul(${c}, -2048144777) ^ ${k1};` +
    `${b} ^= ${b} >>> 16; ${b} = Math.imul(${b}, 569420461); ${b} ^= ${b} >>> 15;` +
    `${b} = Math.imul(${b}, 1935289751); ${b} ^= ${b} >>> 15;` +
    `const ${u} = ((${a} >>> 5) * 67108864 + (${b} >>> 6)${
      open ? " + 0.5" : ""
    }) * 1.1102230246251565e-16;`;
}

/** The float32 version: 24 bits of the first word, in [0, 1). */
export function uniform32Code(u: string, c: string, k0: string): string {
  const a = `${u}a`;
  return `let ${a} = Math.imul(${c}, -1640531535) ^ ${k0};` +
    `${a} ^= ${a} >>> 16; ${a} = Math.imul(${a}, 569420461); ${a} ^= ${a} >>> 15;` +
    `${a} = Math.imul(${a}, 1935289751); ${a} ^= ${a} >>> 15;` +
    `const ${u} = (${a} >>> 8) * 5.960464477539063e-8;`;
}

/**
 * The standard normal quantile of `p` in (0, 1): Wichura's AS241 (PPND16),
 * accurate to about 1e-16.
 */
export function ndtri(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q *
      (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r +
                            67265.770927008700853) * r +
                        45921.953931549871457) * r +
                    13731.693765509461125) * r + 1971.5909503065514427) * r +
            133.14166789178437745) * r + 3.387132872796366608) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r +
                            39307.89580009271061) * r + 21213.794301586595867) *
                      r +
                    5394.1960214247511077) * r + 687.1870074920579083) * r +
            42.313330701600911252) * r + 1);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let v: number;
  if (r <= 5) {
    r -= 1.6;
    v = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                          0.24178072517745061177) * r +
                      1.27045825245236838258) * r +
                  3.64784832476320460504) * r + 5.7694972214606914055) * r +
          4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                            0.0151986665636164571966) * r +
                        0.14810397642748007459) * r +
                    0.68976733498510000455) * r + 1.6763848301838038494) * r +
            2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    v = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                          0.0012426609473880784386) * r +
                      0.026532189526576123093) * r +
                  0.29656057182850489123) * r + 1.7848265399172913358) * r +
          5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                            1.8463183175100546818e-5) * r +
                        7.868691311456132591e-4) * r +
                    0.0148753612908506148525) * r + 0.13692988092273580531) *
              r +
            0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -v : v;
}

const keyScratch = new Int32Array(2);

/**
 * The uniform in [0, 1) of element `index` under `seed`, computed alone
 * (the reference the kernels must agree with; for tests and small uses).
 */
export function uniformAt(seed: number, index: number, open = false): number {
  const hi = Math.floor(index / TWO_32);
  const c = index - hi * TWO_32;
  keysInto(seed, hi, keyScratch, 0);
  const f = new Function(
    "c",
    "k0",
    "k1",
    uniformCode("u", "(c | 0)", "k0", "k1", open) + "return u;",
  ) as (c: number, k0: number, k1: number) => number;
  return f(c, keyScratch[0], keyScratch[1]);
}

/** The standard normal of element `index` under `seed`, computed alone. */
export function normalAt(seed: number, index: number): number {
  return ndtri(uniformAt(seed, index, true));
}
