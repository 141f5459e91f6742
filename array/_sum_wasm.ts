/**
 * Fused sums compiled to WebAssembly SIMD: a program whose leaves are all
 * float64 uniforms (`random`, `uniform`, their transposes and slices) and
 * whose steps are `add`, `sub` and `mul` with float64 constants, summed, as
 * `(x * x.T).mean()` is. Its random numbers are made in registers (four
 * counters at a time, as `fill` in _rng_simd.wat makes them), the program
 * is evaluated on two float64 lanes and added into four accumulators:
 * nothing is written to memory and no JS loop reads it back.
 *
 * The numbers are the JS sum loop's (`generateSum` in `_program.ts`) bit
 * for bit: the same uniforms, the same operations in the same order, the
 * same four accumulators (element j into accumulator j mod 4, the last n
 * mod 4 elements into the first, combined as (a0 + a1) + (a2 + a3)).
 *
 * The module is made once per program and isolate, from the program's
 * numbers and operations alone (no code is read from it).
 *
 * @module
 */

/** A program as the kernels read it (`Prog` of `_program.ts`). */
export interface ProgShape {
  leaves: readonly {
    kind: string;
    dtype: string;
    low?: number;
    high?: number;
  }[];
  code: readonly (readonly unknown[])[];
}

/** A row loop that sums (`RowFn` of `_program.ts`, without buffers). */
export type FusedRowSum = (
  dst: unknown,
  d: number,
  n: number,
  S: unknown,
  O: Float64Array,
  T: Float64Array,
  F: Float64Array,
  K: Int32Array,
) => number;

const compiled = new Map<string, FusedRowSum | null>();
const MAX_CACHED = 256;
const MAX_LEAVES = 8;
const MAX_STEPS = 64;

/**
 * The fused sum of `prog`, or undefined when the program is not one of
 * float64 uniform leaves, constants, `add`, `sub` and `mul` (the JS loop
 * sums it then).
 *
 * @example
 * ```ts
 * import { fusedRowSum } from "./_sum_wasm.ts";
 * const prog = {
 *   leaves: [{ kind: "uniform", dtype: "float64", seed: 1, low: 0, high: 1 }],
 *   code: [["leaf", "float64", 0], ["const", "float64", 2], ["mul", "float64", 0, 1]],
 * };
 * console.log(fusedRowSum(prog) !== undefined); // true
 * ```
 */
export function fusedRowSum(prog: ProgShape): FusedRowSum | undefined {
  const sig = JSON.stringify(prog);
  let fn = compiled.get(sig);
  if (fn === undefined) {
    fn = build(prog) ?? null;
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(sig, fn);
  }
  return fn ?? undefined;
}

/** Whether the kernel takes `prog` (see `fusedRowSum`). */
function eligible(prog: ProgShape): boolean {
  const { leaves, code } = prog;
  if (leaves.length === 0 || leaves.length > MAX_LEAVES) return false;
  if (code.length === 0 || code.length > MAX_STEPS) return false;
  for (const l of leaves) {
    if (l.kind !== "uniform" || l.dtype !== "float64") return false;
    if (typeof l.low !== "number" || typeof l.high !== "number") return false;
  }
  for (const [op, dtype] of code) {
    if (dtype !== "float64") return false;
    if (!["leaf", "const", "add", "sub", "mul"].includes(op as string)) {
      return false;
    }
  }
  // (the program was validated before: operands come before their use)
  return true;
}

function build(prog: ProgShape): FusedRowSum | undefined {
  if (!eligible(prog)) return undefined;
  let exports: { sum: (...args: number[]) => number };
  try {
    const module = new WebAssembly.Module(moduleBytes(prog));
    exports = new WebAssembly.Instance(module).exports as typeof exports;
  } catch {
    return undefined; // (no WebAssembly SIMD here: the JS loop)
  }
  const sum = exports.sum;
  const nLeaves = prog.leaves.length;
  const args = new Array<number>(1 + 4 * nLeaves).fill(0);
  return (_dst, _d, n, _S, O, T, _F, K) => {
    args[0] = n;
    for (let k = 0; k < nLeaves; k++) {
      args[1 + 4 * k] = O[k] | 0;
      args[2 + 4 * k] = T[k] | 0;
      args[3 + 4 * k] = K[2 * k];
      args[4 + 4 * k] = K[2 * k + 1];
    }
    return sum(...args);
  };
}

// ---- the module's bytes ----

const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
const W1 = -1640531535, W2 = -2048144777; // (the Weyl multipliers of _rng.ts)
const MIX1 = 0x21f0aaad, MIX2 = 0x735a2d97;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  n |= 0;
  while (true) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

/** The function body's code, instruction by instruction. */
class Code {
  readonly b: number[] = [];
  get(i: number): this {
    this.b.push(0x20);
    uleb(i, this.b);
    return this;
  }
  set(i: number): this {
    this.b.push(0x21);
    uleb(i, this.b);
    return this;
  }
  tee(i: number): this {
    this.b.push(0x22);
    uleb(i, this.b);
    return this;
  }
  i32(n: number): this {
    this.b.push(0x41);
    sleb(n, this.b);
    return this;
  }
  op(...bytes: number[]): this {
    this.b.push(...bytes);
    return this;
  }
  simd(code: number, ...imm: number[]): this {
    this.b.push(0xfd);
    uleb(code, this.b);
    this.b.push(...imm);
    return this;
  }
  i32x4(a: number, b: number, c: number, d: number): this {
    const v = new DataView(new ArrayBuffer(16));
    [a, b, c, d].forEach((x, i) => v.setInt32(4 * i, x, true));
    return this.simd(0x0c, ...new Uint8Array(v.buffer));
  }
  f64x2(x: number): this {
    const v = new DataView(new ArrayBuffer(16));
    v.setFloat64(0, x, true);
    v.setFloat64(8, x, true);
    return this.simd(0x0c, ...new Uint8Array(v.buffer));
  }
}

// SIMD opcodes
const XOR = 0x51, SHR_U = 0xad, MUL_I = 0xb5, ADD_I = 0xae, SPLAT_I = 0x11;
const CONVERT_LOW = 0xfe, ADD_F = 0xf0, SUB_F = 0xf1, MUL_F = 0xf2;
const SHUFFLE = 0x0d, EXTRACT_F = 0x21;
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

function moduleBytes(prog: ProgShape): Uint8Array<ArrayBuffer> {
  const nLeaves = prog.leaves.length;
  const nParams = 1 + 4 * nLeaves;
  // Locals: i32 left, tail; f64 first; v128 per leaf (wa wb sa sb k0 k1 ta
  // tb ulo uhi), per step one, then m, acclo, acchi, rlo, rhi.
  let next = nParams;
  const left = next++, tail = next++;
  const first = next++;
  const vBase = next;
  const leafLocal = (k: number, j: number) => vBase + 10 * k + j;
  const [WA, WB, SA, SB, K0, K1, TA, TB, ULO, UHI] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
  ];
  next = vBase + 10 * nLeaves;
  const stepBase = next;
  next += prog.code.length;
  const m = next++, acclo = next++, acchi = next++, rlo = next++, rhi = next++;
  const nV128 = next - vBase;

  const c = new Code();
  const param = (k: number, j: number) => 1 + 4 * k + j;
  // Set-up per leaf: the Weyl products of counters c + e * (0, 1, 2, 3),
  // their step 4e * W, the keys.
  for (let k = 0; k < nLeaves; k++) {
    for (const [w, W, S] of [[WA, W1, SA], [WB, W2, SB]] as const) {
      c.get(param(k, 0)).simd(SPLAT_I)
        .get(param(k, 1)).simd(SPLAT_I).i32x4(0, 1, 2, 3).simd(MUL_I)
        .simd(ADD_I).i32(W).simd(SPLAT_I).simd(MUL_I).set(leafLocal(k, w));
      c.get(param(k, 1)).i32(2).op(0x74).i32(W).op(0x6c).simd(SPLAT_I)
        .set(leafLocal(k, S));
    }
    c.get(param(k, 2)).simd(SPLAT_I).set(leafLocal(k, K0));
    c.get(param(k, 3)).simd(SPLAT_I).set(leafLocal(k, K1));
  }
  // left = n >> 2, tail = n & 3
  c.get(0).i32(2).op(0x76).set(left);
  c.get(0).i32(3).op(0x71).set(tail);

  // One group of four: the leaves' uniforms, the program on both halves
  // (into rlo, rhi).
  const mix = () => {
    c.tee(m).get(m).i32(16).simd(SHR_U).simd(XOR)
      .i32x4(MIX1, MIX1, MIX1, MIX1).simd(MUL_I)
      .tee(m).get(m).i32(15).simd(SHR_U).simd(XOR)
      .i32x4(MIX2, MIX2, MIX2, MIX2).simd(MUL_I)
      .tee(m).get(m).i32(15).simd(SHR_U).simd(XOR);
  };
  const toF64 = (a: () => void, b: () => void) => {
    a();
    c.simd(CONVERT_LOW).f64x2(2 ** 26).simd(MUL_F);
    b();
    c.simd(CONVERT_LOW).simd(ADD_F).f64x2(2 ** -53).simd(MUL_F);
  };
  const group = () => {
    for (let k = 0; k < nLeaves; k++) {
      c.get(leafLocal(k, WA)).get(leafLocal(k, K0)).simd(XOR);
      mix();
      c.i32(5).simd(SHR_U).set(leafLocal(k, TA));
      c.get(leafLocal(k, WB)).get(leafLocal(k, K1)).simd(XOR);
      mix();
      c.i32(6).simd(SHR_U).set(leafLocal(k, TB));
      for (const [w, s] of [[WA, SA], [WB, SB]]) {
        c.get(leafLocal(k, w)).get(leafLocal(k, s)).simd(ADD_I)
          .set(leafLocal(k, w));
      }
      const ta = () => c.get(leafLocal(k, TA));
      const tb = () => c.get(leafLocal(k, TB));
      const high = (f: () => void) => () => {
        f();
        f();
        c.simd(SHUFFLE, ...HIGH_HALF);
      };
      toF64(ta, tb);
      c.set(leafLocal(k, ULO));
      toF64(high(ta), high(tb));
      c.set(leafLocal(k, UHI));
    }
    for (const [u, r] of [[ULO, rlo], [UHI, rhi]]) {
      prog.code.forEach((ins, i) => {
        const [op, , a, b] = ins as [string, string, number, number];
        if (op === "leaf") scaled(c, prog.leaves[a], leafLocal(a, u));
        else if (op === "const") c.f64x2(a);
        else {
          c.get(stepBase + a).get(stepBase + b)
            .simd(op === "add" ? ADD_F : op === "sub" ? SUB_F : MUL_F);
        }
        c.set(stepBase + i);
      });
      c.get(stepBase + prog.code.length - 1).set(r);
    }
  };

  // block $done loop $next: while (left) { left--; group; acc += r }
  c.op(0x02, 0x40, 0x03, 0x40);
  c.get(left).op(0x45).op(0x0d, 1); // br_if $done
  c.get(left).i32(1).op(0x6b).set(left);
  group();
  c.get(acclo).get(rlo).simd(ADD_F).set(acclo);
  c.get(acchi).get(rhi).simd(ADD_F).set(acchi);
  c.op(0x0c, 0).op(0x0b, 0x0b); // br $next; end; end
  // The last n mod 4 elements, one by one into the first accumulator.
  c.get(acclo).simd(EXTRACT_F, 0).set(first);
  c.get(tail).op(0x04, 0x40); // if
  group();
  c.get(first).get(rlo).simd(EXTRACT_F, 0).op(0xa0).set(first);
  c.get(tail).i32(1).op(0x4b).op(0x04, 0x40); // if tail > 1
  c.get(first).get(rlo).simd(EXTRACT_F, 1).op(0xa0).set(first);
  c.get(tail).i32(2).op(0x4b).op(0x04, 0x40); // if tail > 2
  c.get(first).get(rhi).simd(EXTRACT_F, 0).op(0xa0).set(first);
  c.op(0x0b, 0x0b, 0x0b); // end; end; end
  // (a0 + a1) + (a2 + a3)
  c.get(first).get(acclo).simd(EXTRACT_F, 1).op(0xa0);
  c.get(acchi).simd(EXTRACT_F, 0).get(acchi).simd(EXTRACT_F, 1).op(0xa0);
  c.op(0xa0);
  c.op(0x0b); // end of the function

  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const type: number[] = [1, 0x60];
  uleb(nParams, type);
  for (let i = 0; i < nParams; i++) type.push(I32);
  type.push(1, F64);
  section(1, type, out);
  section(3, [1, 0], out);
  section(7, [1, 3, 0x73, 0x75, 0x6d, 0x00, 0], out); // "sum"
  const locals: number[] = [3];
  uleb(2, locals);
  locals.push(I32, 1, F64);
  uleb(nV128, locals);
  locals.push(V128);
  const body = [...locals, ...c.b];
  const entry: number[] = [1];
  uleb(body.length, entry);
  entry.push(...body);
  section(10, entry, out);
  return new Uint8Array(out);
}

/**
 * A uniform leaf's value from its uniforms (local `u`), as `scaled` in
 * `_program.ts` writes it: `low + span * u`, `span * u` or `u`.
 */
function scaled(
  c: Code,
  leaf: { low?: number; high?: number },
  u: number,
): void {
  const low = leaf.low!, span = leaf.high! - leaf.low!;
  if (low !== 0 || !(span > 0)) {
    c.f64x2(low).f64x2(span).get(u).simd(MUL_F).simd(ADD_F);
  } else if (span === 1) c.get(u);
  else c.f64x2(span).get(u).simd(MUL_F);
}
