/**
 * Fused elementwise programs: a chain of elementwise steps over the leaves
 * of a chunk (source chunks read with strides, random or index-based
 * generators, constants) as a small straight-line program, validated and
 * compiled once per program and isolate into a specialised loop over one
 * row of a chunk (`new Function`, only from the fixed snippets below and
 * numeric literals). A chunk is then computed row by row with no array in
 * between the steps: the program writes its values straight into the
 * output, or into a scratch block that a reduction reads.
 *
 * A program is plain data (it crosses isolates as a task argument): leaves
 * and an SSA list of instructions, each naming earlier ones.
 *
 * @module
 */

import { castCode, checkDType, type DType, type TypedArray } from "./_dtype.ts";
import { keysInto, ndtri, uniform32Code, uniformCode } from "./_rng.ts";
import {
  affineRowSum,
  buffered,
  PIECE,
  rngBuffers,
  rngKernels,
  slotAt,
} from "./_rng_wasm.ts";
import { fusedRowSum } from "./_sum_wasm.ts";
import { generateSum, HELPERS, literal, scaled } from "./_program_code.ts";

/** A leaf: where a value comes from. */
export type LeafDesc =
  | { kind: "src"; dtype: DType }
  | { kind: "uniform"; dtype: DType; seed: number; low: number; high: number }
  | { kind: "normal"; dtype: DType; seed: number; loc: number; scale: number }
  | { kind: "arange"; dtype: DType; start: number; step: number }
  | {
    kind: "linspace";
    dtype: DType;
    start: number;
    step: number;
    stop: number;
    last: number;
  };

/** One instruction: a leaf's value, a constant, or an operation. */
export type Instr =
  | ["leaf", DType, number]
  | ["const", DType, number]
  | [string, DType, ...number[]];

/** A program: its leaves and instructions (the last one is the result). */
export interface Prog {
  leaves: LeafDesc[];
  code: Instr[];
}

/** How an operation's result dtype follows from its arguments'. */
export type DTypeRule = "promote" | "float" | "bool" | "same" | "where";

interface OpDef {
  arity: number;
  rule: DTypeRule;
  /** The JS expression, from argument expressions and the result dtype. */
  js: (a: string[], d: DType, argTypes: DType[]) => string;
}

const isIntType = (d: DType) => d !== "float64" && d !== "float32";

/** The elementwise operations, with their arity and dtype rule. */
export const OPS: Readonly<Record<string, OpDef>> = {
  add: { arity: 2, rule: "promote", js: ([a, b]) => `${a} + ${b}` },
  sub: { arity: 2, rule: "promote", js: ([a, b]) => `${a} - ${b}` },
  mul: {
    arity: 2,
    rule: "promote",
    js: ([a, b], d) =>
      d === "int32" || d === "uint32" ? `Math.imul(${a}, ${b})` : `${a} * ${b}`,
  },
  div: { arity: 2, rule: "float", js: ([a, b]) => `${a} / ${b}` },
  pow: { arity: 2, rule: "promote", js: ([a, b]) => `Math.pow(${a}, ${b})` },
  mod: { arity: 2, rule: "promote", js: ([a, b]) => `pymod(${a}, ${b})` },
  maximum: { arity: 2, rule: "promote", js: ([a, b]) => `nmax(${a}, ${b})` },
  minimum: { arity: 2, rule: "promote", js: ([a, b]) => `nmin(${a}, ${b})` },
  eq: { arity: 2, rule: "bool", js: ([a, b]) => `(${a} === ${b} ? 1 : 0)` },
  ne: { arity: 2, rule: "bool", js: ([a, b]) => `(${a} !== ${b} ? 1 : 0)` },
  lt: { arity: 2, rule: "bool", js: ([a, b]) => `(${a} < ${b} ? 1 : 0)` },
  le: { arity: 2, rule: "bool", js: ([a, b]) => `(${a} <= ${b} ? 1 : 0)` },
  gt: { arity: 2, rule: "bool", js: ([a, b]) => `(${a} > ${b} ? 1 : 0)` },
  ge: { arity: 2, rule: "bool", js: ([a, b]) => `(${a} >= ${b} ? 1 : 0)` },
  and: {
    arity: 2,
    rule: "bool",
    js: ([a, b]) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`,
  },
  or: {
    arity: 2,
    rule: "bool",
    js: ([a, b]) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`,
  },
  not: { arity: 1, rule: "bool", js: ([a]) => `(${a} === 0 ? 1 : 0)` },
  isnan: { arity: 1, rule: "bool", js: ([a]) => `(${a} !== ${a} ? 1 : 0)` },
  neg: { arity: 1, rule: "same", js: ([a]) => `-${a}` },
  abs: { arity: 1, rule: "same", js: ([a]) => `Math.abs(${a})` },
  sign: { arity: 1, rule: "same", js: ([a]) => `Math.sign(${a})` },
  sqrt: { arity: 1, rule: "float", js: ([a]) => `Math.sqrt(${a})` },
  exp: { arity: 1, rule: "float", js: ([a]) => `Math.exp(${a})` },
  log: { arity: 1, rule: "float", js: ([a]) => `Math.log(${a})` },
  sin: { arity: 1, rule: "float", js: ([a]) => `Math.sin(${a})` },
  cos: { arity: 1, rule: "float", js: ([a]) => `Math.cos(${a})` },
  tanh: { arity: 1, rule: "float", js: ([a]) => `Math.tanh(${a})` },
  floor: {
    arity: 1,
    rule: "same",
    js: ([a], _d, [t]) => isIntType(t) ? a : `Math.floor(${a})`,
  },
  ceil: {
    arity: 1,
    rule: "same",
    js: ([a], _d, [t]) => isIntType(t) ? a : `Math.ceil(${a})`,
  },
  where: {
    arity: 3,
    rule: "where",
    js: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
  },
  cast: { arity: 1, rule: "same", js: ([a]) => a },
};

const MAX_LEAVES = 256;
const MAX_CODE = 4096;

/** Check that `prog` is a well-formed program; throws a TypeError if not. */
export function validate(prog: Prog): void {
  const bad = (why: string): never => {
    throw new TypeError(`invalid array program: ${why}`);
  };
  if (
    typeof prog !== "object" || prog === null || !Array.isArray(prog.leaves) ||
    !Array.isArray(prog.code)
  ) bad("not a program");
  if (prog.leaves.length > MAX_LEAVES) bad("too many leaves");
  if (prog.code.length === 0 || prog.code.length > MAX_CODE) {
    bad("too many or no instructions");
  }
  const num = (x: unknown, what: string) => {
    if (typeof x !== "number") bad(`${what} is not a number`);
  };
  for (const leaf of prog.leaves) {
    checkDType(leaf?.dtype);
    switch (leaf.kind) {
      case "src":
        break;
      case "uniform":
        num(leaf.seed, "seed");
        num(leaf.low, "low");
        num(leaf.high, "high");
        break;
      case "normal":
        num(leaf.seed, "seed");
        num(leaf.loc, "loc");
        num(leaf.scale, "scale");
        break;
      case "arange":
        num(leaf.start, "start");
        num(leaf.step, "step");
        break;
      case "linspace":
        num(leaf.start, "start");
        num(leaf.step, "step");
        num(leaf.stop, "stop");
        num(leaf.last, "last");
        break;
      default:
        bad(`unknown leaf kind ${JSON.stringify((leaf as LeafDesc).kind)}`);
    }
  }
  prog.code.forEach((ins, i) => {
    if (!Array.isArray(ins) || ins.length < 3) bad(`instruction ${i}`);
    const [op, dtype, ...args] = ins;
    checkDType(dtype);
    if (op === "leaf") {
      const k = args[0];
      if (!(Number.isInteger(k) && k >= 0 && k < prog.leaves.length)) {
        bad(`instruction ${i} names no leaf`);
      }
      if (args.length !== 1) bad(`instruction ${i}`);
      return;
    }
    if (op === "const") {
      num(args[0], "a constant");
      if (args.length !== 1) bad(`instruction ${i}`);
      return;
    }
    const def = typeof op === "string" && Object.hasOwn(OPS, op)
      ? OPS[op]
      : bad(`unknown operation ${JSON.stringify(op)}`);
    if (args.length !== def.arity) bad(`${op} takes ${def.arity} arguments`);
    for (const a of args) {
      if (!(Number.isInteger(a) && a >= 0 && a < i)) {
        bad(`instruction ${i} uses an operand that is not before it`);
      }
    }
  });
}

/**
 * The compiled row loop of a program: writes values `j` in `[0, n)` of one
 * row to `dst[d + j]`. Per leaf `k`: `S[k]` its source chunk, `O[k]` the
 * offset of the row's first element in it (for a random leaf: the counter's
 * low 32 bits), `T[k]` the step per element, `F[k]` the counter as a float
 * (index leaves), `K[2k]`, `K[2k+1]` the random keys, `R[k]` the leaf's
 * uniforms for this row piece when the SIMD kernels made them (see
 * `buffered`).
 */
export type RowFn = (
  dst: TypedArray | undefined,
  d: number,
  n: number,
  S: readonly (TypedArray | undefined)[],
  O: Float64Array,
  T: Float64Array,
  F: Float64Array,
  K: Int32Array,
  R: readonly Float64Array[],
) => number | undefined;

function generate(prog: Prog, sum: boolean, simd: boolean): string {
  const pre: string[] = [];
  const body: string[] = [];
  prog.leaves.forEach((leaf, k) => {
    const cast = (e: string) => castCode(leaf.dtype, e);
    switch (leaf.kind) {
      case "src":
        // Offsets within a chunk fit 31 bits: integer steps.
        pre.push(
          `const s${k} = S[${k}]; let o${k} = O[${k}] | 0; const t${k} = T[${k}] | 0;`,
        );
        body.push(`const L${k} = s${k}[o${k}]; o${k} = (o${k} + t${k}) | 0;`);
        break;
      case "uniform": {
        if (simd && buffered(leaf)) {
          pre.push(`const R${k} = R[${k}];`);
          body.push(`const u${k} = R${k}[j];`);
          body.push(`const L${k} = ${cast(scaled(leaf, `u${k}`))};`);
          break;
        }
        // The counter's low 32 bits, stepped in 32-bit integers (mod 2^32).
        pre.push(
          `let q${k} = O[${k}] | 0; const e${k} = T[${k}] | 0, ka${k} = K[${
            2 * k
          }], kb${k} = K[${2 * k + 1}];`,
        );
        body.push(`const c${k} = q${k}; q${k} = (q${k} + e${k}) | 0;`);
        const c = `c${k}`;
        body.push(
          leaf.dtype === "float32"
            ? uniform32Code(`u${k}`, c, `ka${k}`)
            : uniformCode(`u${k}`, c, `ka${k}`, `kb${k}`, false),
        );
        body.push(`const L${k} = ${cast(scaled(leaf, `u${k}`))};`);
        break;
      }
      case "normal": {
        if (simd) {
          pre.push(`const R${k} = R[${k}];`);
          body.push(
            `const L${k} = ${
              cast(
                `${literal(leaf.loc)} + ${
                  literal(leaf.scale)
                } * ndtri(R${k}[j])`,
              )
            };`,
          );
          break;
        }
        // The counter's low 32 bits, stepped in 32-bit integers (mod 2^32).
        pre.push(
          `let q${k} = O[${k}] | 0; const e${k} = T[${k}] | 0, ka${k} = K[${
            2 * k
          }], kb${k} = K[${2 * k + 1}];`,
        );
        body.push(`const c${k} = q${k}; q${k} = (q${k} + e${k}) | 0;`);
        const c = `c${k}`;
        body.push(uniformCode(`u${k}`, c, `ka${k}`, `kb${k}`, true));
        body.push(
          `const L${k} = ${
            cast(`${literal(leaf.loc)} + ${literal(leaf.scale)} * ndtri(u${k})`)
          };`,
        );
        break;
      }
      case "arange":
        pre.push(`const f${k} = F[${k}], e${k} = T[${k}];`);
        body.push(
          `const L${k} = ${
            cast(
              `${literal(leaf.start)} + (f${k} + j * e${k}) * ${
                literal(leaf.step)
              }`,
            )
          };`,
        );
        break;
      case "linspace":
        pre.push(`const f${k} = F[${k}], e${k} = T[${k}];`);
        body.push(
          `const i${k} = f${k} + j * e${k}; const L${k} = ${
            cast(
              `(i${k} === ${literal(leaf.last)} ? ${literal(leaf.stop)} : ${
                literal(leaf.start)
              } + i${k} * ${literal(leaf.step)})`,
            )
          };`,
        );
        break;
    }
  });
  prog.code.forEach((ins, i) => {
    const [op, dtype, ...args] = ins;
    let e: string;
    if (op === "leaf") e = `L${args[0]}`;
    else if (op === "const") e = literal(args[0]);
    else {
      const def = OPS[op];
      e = castCode(
        dtype,
        `(${
          def.js(
            args.map((a) => `v${a}`),
            dtype,
            args.map((a) => prog.code[a][1]),
          )
        })`,
      );
    }
    body.push(`const v${i} = ${e};`);
  });
  const last = `v${prog.code.length - 1}`;
  if (sum) return generateSum(pre, body, last);
  return `"use strict";${HELPERS}
return function row(dst, d, n, S, O, T, F, K, R) {
${pre.join("\n")}
for (let j = 0; j < n; j++) {
${body.join("\n")}
dst[d + j] = ${last};
}
};`;
}

const compiled = new Map<string, RowFn>();
const MAX_CACHED = 512;

/**
 * The row loop of `prog`, compiled once per isolate (validated first); with
 * `sum`, the loop returns the sum of the row's values instead of storing
 * them.
 */
export function compile(prog: Prog, sum = false, simd = false): RowFn {
  const sig = (sum ? "sum:" : "") + (simd ? "simd:" : "") +
    JSON.stringify(prog);
  let fn = compiled.get(sig);
  if (fn === undefined) {
    validate(prog);
    fn = new Function("ndtri", generate(prog, sum, simd))(ndtri) as RowFn;
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(sig, fn);
  }
  return fn;
}

/**
 * Where one chunk's elements come from: per leaf, the offset of the
 * chunk's first element in the leaf's source (or its counter) and the
 * step along each output axis.
 */
export interface ChunkSpec {
  /** The chunk's shape. */
  shape: number[];
  /** Per leaf: the offset of element (0, ..., 0). */
  base: number[];
  /** Per leaf, per axis of the chunk: the step of one along that axis. */
  coefs: number[][];
}

const TWO_32 = 4294967296;

/**
 * Runs a compiled program over a chunk's rows: `fill(row, j0, count, dst,
 * d)` writes elements `[j0, j0 + count)` of row `row` (C order over all but
 * the last axis) to `dst[d...]`.
 */
export interface ChunkRunner {
  /** How many rows. */
  rows: number;
  /** Elements per row. */
  rowLength: number;
  /** Write part of a row. */
  fill(
    row: number,
    j0: number,
    count: number,
    dst: TypedArray,
    d: number,
  ): void;
  /** The sum of part of a row (its values computed, not stored). */
  sum(row: number, j0: number, count: number): number;
}

/** A runner for `prog` over the chunk `spec` with source chunks `srcs`. */
export function runner(
  prog: Prog,
  spec: ChunkSpec,
  srcs: readonly (TypedArray | undefined)[],
): ChunkRunner {
  const kernels = rngKernels();
  const simd = kernels !== undefined && prog.leaves.some(buffered);
  const fn = compile(prog, false, simd);
  let fnSum: RowFn | undefined;
  // The kernels' own sum (`affineRowSum`): no buffers to fill for it.
  let direct: RowFn | undefined;
  // The leaves' buffers, taken again per segment: views made before
  // another program grew the kernels' memory would read nothing.
  let R: Float64Array[] = [];
  const { shape, base, coefs } = spec;
  const nd = shape.length;
  const nLeaves = prog.leaves.length;
  if (base.length !== nLeaves || coefs.length !== nLeaves) {
    throw new TypeError("invalid chunk spec: one base and coefs per leaf");
  }
  for (let k = 0; k < nLeaves; k++) {
    if (prog.leaves[k].kind === "src" && !ArrayBuffer.isView(srcs[k])) {
      throw new TypeError(`invalid chunk: leaf ${k} has no source chunk`);
    }
  }
  const rowLength = nd === 0 ? 1 : shape[nd - 1];
  let rows = 1;
  for (let a = 0; a < nd - 1; a++) rows *= shape[a];
  if (rowLength === 0) rows = 0;
  const O = new Float64Array(nLeaves);
  const T = new Float64Array(nLeaves);
  const F = new Float64Array(nLeaves);
  const K = new Int32Array(2 * nLeaves);
  const lastHi = new Float64Array(nLeaves).fill(-1);
  const rowStart = new Float64Array(nLeaves);
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  const random = prog.leaves.map((l) =>
    l.kind === "uniform" || l.kind === "normal"
  );
  const seeds = prog.leaves.map((l) => "seed" in l ? l.seed : 0);
  const bufferedLeaf = prog.leaves.map((l) => simd && buffered(l));
  for (let k = 0; k < nLeaves; k++) T[k] = nd === 0 ? 0 : coefs[k][nd - 1];

  // Runs `count` elements from `j0` of the current row: into `dst` from
  // `d`, or (no `dst`) summed; returns the sum then.
  const segment = (
    j0: number,
    count: number,
    dst: TypedArray | undefined,
    d: number,
    f: RowFn,
  ): number => {
    // A random leaf's counter keeps its high 32 bits within one call.
    for (let k = 0; k < nLeaves; k++) {
      if (!random[k]) continue;
      const f0 = rowStart[k] + j0 * T[k];
      const f1 = f0 + (count - 1) * T[k];
      const hi = Math.floor(f0 / TWO_32);
      if (count > 1 && Math.floor(f1 / TWO_32) !== hi) {
        // How many elements from j0 keep the same high bits.
        const same = T[k] > 0
          ? Math.ceil(((hi + 1) * TWO_32 - f0) / T[k])
          : Math.floor((f0 - hi * TWO_32) / -T[k]) + 1;
        const m = Math.max(1, Math.min(count - 1, same));
        return segment(j0, m, dst, d, f) +
          segment(j0 + m, count - m, dst, d + m, f);
      }
    }
    if (!simd || f === direct) {
      at(j0);
      return f(dst, d, count, srcs, O, T, F, K, R) ?? 0;
    }
    // The random leaves' uniforms made a piece at a time by the kernels.
    R = rngBuffers(kernels!, nLeaves);
    let acc = 0;
    for (let done = 0; done < count; done += PIECE) {
      const m = Math.min(PIECE, count - done);
      at(j0 + done);
      for (let k = 0; k < nLeaves; k++) {
        if (!bufferedLeaf[k]) continue;
        kernels!.fill(
          slotAt(k),
          m,
          O[k] | 0,
          T[k] | 0,
          K[2 * k],
          K[2 * k + 1],
          prog.leaves[k].kind === "normal" ? 1 : 0,
        );
      }
      acc += f(dst, d + done, m, srcs, O, T, F, K, R) ?? 0;
    }
    return acc;
  };

  // Sets the leaves' offsets (and keys) for element j of the row.
  const at = (j: number) => {
    for (let k = 0; k < nLeaves; k++) {
      const f0 = rowStart[k] + j * T[k];
      if (random[k]) {
        const hi = Math.floor(f0 / TWO_32);
        O[k] = f0 - hi * TWO_32;
        if (lastHi[k] !== hi) {
          keysInto(seeds[k], hi, K, 2 * k);
          lastHi[k] = hi;
        }
      } else {
        O[k] = f0;
        F[k] = f0;
      }
    }
  };

  const startRow = (row: number) => {
    let r = row;
    for (let a = nd - 2; a >= 0; a--) {
      idx[a] = r % shape[a];
      r = (r - idx[a]) / shape[a];
    }
    for (let k = 0; k < nLeaves; k++) {
      let off = base[k];
      const c = coefs[k];
      for (let a = 0; a < nd - 1; a++) off += c[a] * idx[a];
      rowStart[k] = off;
    }
  };

  return {
    rows,
    rowLength,
    fill(row, j0, count, dst, d) {
      startRow(row);
      segment(j0, count, dst, d, fn);
    },
    sum(row, j0, count) {
      startRow(row);
      if (fnSum === undefined) {
        // Sums of uniform leaves are made by the kernels themselves.
        if (simd) direct = affineRowSum(kernels, prog) ?? fusedRowSum(prog);
        fnSum = direct ?? compile(prog, true, simd);
      }
      return segment(j0, count, undefined, 0, fnSum);
    },
  };
}

/** Compute a whole chunk into `dst` (C order). */
export function evalChunk(
  prog: Prog,
  spec: ChunkSpec,
  srcs: readonly (TypedArray | undefined)[],
  dst: TypedArray,
): TypedArray {
  const run = runner(prog, spec, srcs);
  for (let r = 0; r < run.rows; r++) {
    run.fill(r, 0, run.rowLength, dst, r * run.rowLength);
  }
  return dst;
}
