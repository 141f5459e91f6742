/**
 * Vectorised evaluation of column expressions over one partition: each
 * operator is one loop over typed arrays; strings are compared through
 * their dictionaries (one comparison per distinct value, then a lookup per
 * row); nulls propagate.
 *
 * @module
 */

import { DictBuilder, dictValues } from "./_dict.ts";
import { type ExprNode, type LitValue, showExpr } from "./_expr.ts";
import { castColumn } from "./_cast.ts";
import {
  allocData,
  bit,
  type Column,
  columnOf,
  type Dict,
  type DType,
  type Part,
} from "./_part.ts";

type V =
  | { readonly scalar: true; readonly t: DType | "null"; readonly v: LitValue }
  | { readonly scalar: false; readonly col: Column };

/** Evaluate `e` over `part`: a column of `part.length` rows. */
export function evalExpr(e: ExprNode, part: Part): Column {
  const v = ev(e, part);
  return v.scalar ? broadcast(v, part.length) : v.col;
}

/** The rows where `e` is true (null counts as false), as indexes. */
export function selectRows(
  e: ExprNode,
  part: Part,
  out?: Int32Array,
): [Int32Array, number] {
  const c = evalExpr(e, part);
  return trueRows(c, part.length, out);
}

/** The indexes of rows of bool column `c` that are true and not null. */
export function trueRows(
  c: Column,
  n: number,
  out?: Int32Array,
): [Int32Array, number] {
  const idx = out !== undefined && out.length >= n ? out : new Int32Array(n);
  const d = c.data as Uint8Array;
  const valid = c.valid;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if ((d[i >> 3] >> (i & 7)) & 1 && (valid === null || bit(valid, i))) {
      idx[k++] = i;
    }
  }
  return [idx, k];
}

function ev(e: ExprNode, part: Part): V {
  switch (e.k) {
    case "col":
      return { scalar: false, col: columnOf(part, e.name) };
    case "lit":
      return { scalar: true, t: e.t, v: e.v };
    case "bin":
      return binary(e.op, ev(e.a, part), ev(e.b, part), part.length);
    case "un":
      return unary(e.op, ev(e.a, part), part.length);
    case "fill":
      return fill(ev(e.a, part), ev(e.v, part), part.length);
    case "cast": {
      const a = ev(e.a, part);
      const name = e.a.k === "col" ? e.a.name : showExpr(e.a);
      const c = a.scalar ? broadcast(a, part.length) : a.col;
      return { scalar: false, col: castColumn(c, e.to, part.length, name) };
    }
    case "isIn":
      return isIn(ev(e.a, part), e.vs.map((x) => ev(x, part)), part.length);
  }
}

/** A literal as a column of `n` rows. */
function broadcast(v: V & { scalar: true }, n: number): Column {
  if (v.t === "null") {
    return {
      type: "float64",
      data: new Float64Array(n),
      valid: new Uint8Array((n + 7) >> 3),
      dict: null,
    };
  }
  const data = allocData(v.t, n);
  let dict: Dict | null = null;
  switch (v.t) {
    case "bool":
      if (v.v) (data as Uint8Array).fill(255);
      break;
    case "int64":
    case "timestamp":
      (data as BigInt64Array).fill(BigInt(v.v as number));
      break;
    case "string": {
      const b = new DictBuilder();
      b.internString(v.v as string);
      dict = b.finish(false);
      break;
    }
    default:
      (data as Float64Array).fill(v.v as number);
  }
  return { type: v.t, data, valid: null, dict };
}

/** Column values as float64 (dates as days, timestamps as ms, bools 0/1). */
export function floats(c: Column, n: number): Float64Array {
  if (c.type === "float64") return c.data as Float64Array;
  const out = new Float64Array(n);
  switch (c.type) {
    case "int32":
    case "date":
    case "string":
      for (let i = 0; i < n; i++) out[i] = (c.data as Int32Array)[i];
      break;
    case "int64":
    case "timestamp":
      for (let i = 0; i < n; i++) out[i] = Number((c.data as BigInt64Array)[i]);
      break;
    case "bool":
      for (let i = 0; i < n; i++) out[i] = bit(c.data as Uint8Array, i) ? 1 : 0;
      break;
  }
  return out;
}

function temporalMs(v: V, n: number): Float64Array | number {
  if (v.scalar) return v.v as number;
  const f = floats(v.col, n);
  if (v.col.type !== "date") return f;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f[i] * 86_400_000;
  return out;
}

function typeOfV(v: V): DType | "null" {
  return v.scalar ? v.t : v.col.type;
}

/** AND of the two sides' validity (null: all valid). */
function bothValid(a: V, b: V, n: number): Uint8Array | null {
  if ((a.scalar && a.t === "null") || (b.scalar && b.t === "null")) {
    return new Uint8Array((n + 7) >> 3);
  }
  const va = a.scalar ? null : a.col.valid;
  const vb = b.scalar ? null : b.col.valid;
  if (va === null) return vb;
  if (vb === null) return va;
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < out.length; i++) out[i] = va[i] & vb[i];
  return out;
}

/** Pack one byte per row (0 or 1) into a bitmap. */
export function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) out[i >> 3] |= bytes[i] << (i & 7);
  return out;
}

function boolCol(bytes: Uint8Array, n: number, valid: Uint8Array | null): V {
  return {
    scalar: false,
    col: { type: "bool", data: packBits(bytes, n), valid, dict: null },
  };
}

function binary(op: string, a: V, b: V, n: number): V {
  const ta = typeOfV(a);
  const tb = typeOfV(b);
  if (a.scalar && b.scalar) {
    return evalScalar(op, a, b);
  }
  const valid = bothValid(a, b, n);
  switch (op) {
    case "and":
    case "or": {
      const da = a.scalar ? null : a.col.data as Uint8Array;
      const db = b.scalar ? null : b.col.data as Uint8Array;
      const m = (n + 7) >> 3;
      const out = new Uint8Array(m);
      const sa = a.scalar ? (a.v ? 255 : 0) : 0;
      const sb = b.scalar ? (b.v ? 255 : 0) : 0;
      for (let i = 0; i < m; i++) {
        const x = da === null ? sa : da[i];
        const y = db === null ? sb : db[i];
        out[i] = op === "and" ? x & y : x | y;
      }
      return {
        scalar: false,
        col: { type: "bool", data: out, valid, dict: null },
      };
    }
    case "eq":
    case "ne":
    case "lt":
    case "le":
    case "gt":
    case "ge":
      if (ta === "string" || tb === "string") {
        return compareStrings(op, a, b, n, valid);
      }
      return compareNumbers(op, a, b, n, valid);
  }
  // Arithmetic.
  const intMod = op === "mod" && ta === "int32" && tb === "int32";
  const fa = a.scalar ? null : floats(a.col, n);
  const fb = b.scalar ? null : floats(b.col, n);
  const sa = a.scalar ? Number(a.v) : 0;
  const sb = b.scalar ? Number(b.v) : 0;
  const out = intMod ? new Int32Array(n) : new Float64Array(n);
  const x = fa ?? new Float64Array(n).fill(sa);
  const y = fb ?? new Float64Array(n).fill(sb);
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = x[i] + y[i];
      break;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = x[i] - y[i];
      break;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = x[i] * y[i];
      break;
    case "div":
      for (let i = 0; i < n; i++) out[i] = x[i] / y[i];
      break;
    case "mod":
      for (let i = 0; i < n; i++) {
        out[i] = y[i] === 0 && intMod ? 0 : x[i] % y[i];
      }
      break;
    case "pow":
      for (let i = 0; i < n; i++) out[i] = x[i] ** y[i];
      break;
  }
  let v = valid;
  if (intMod) {
    // An integer modulo by zero is null, not NaN.
    let copy: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      if (y[i] !== 0) continue;
      if (copy === null) {
        copy = new Uint8Array((n + 7) >> 3).fill(255);
        if (v !== null) copy.set(v.subarray(0, copy.length));
      }
      copy[i >> 3] &= ~(1 << (i & 7));
    }
    if (copy !== null) v = copy;
  }
  return {
    scalar: false,
    col: {
      type: intMod ? "int32" : "float64",
      data: out,
      valid: v,
      dict: null,
    },
  };
}

function evalScalar(
  op: string,
  a: V & { scalar: true },
  b: V & { scalar: true },
): V {
  if (a.v === null || b.v === null) return { scalar: true, t: "null", v: null };
  const x = a.v as number, y = b.v as number;
  const r = (() => {
    switch (op) {
      case "add":
        return x + y;
      case "sub":
        return x - y;
      case "mul":
        return x * y;
      case "div":
        return x / y;
      case "mod":
        return x % y;
      case "pow":
        return x ** y;
      case "eq":
        return a.v === b.v;
      case "ne":
        return a.v !== b.v;
      case "lt":
        return a.v < b.v;
      case "le":
        return a.v <= b.v;
      case "gt":
        return a.v > b.v;
      case "ge":
        return a.v >= b.v;
      case "and":
        return Boolean(a.v && b.v);
      default:
        return Boolean(a.v || b.v);
    }
  })();
  if (typeof r === "boolean") return { scalar: true, t: "bool", v: r };
  return {
    scalar: true,
    t: op === "mod" && a.t === "int32" && b.t === "int32" ? "int32" : "float64",
    v: r,
  };
}

function compareNumbers(
  op: string,
  a: V,
  b: V,
  n: number,
  valid: Uint8Array | null,
): V {
  const temporal = (t: DType | "null") => t === "date" || t === "timestamp";
  const mixed = temporal(typeOfV(a)) || temporal(typeOfV(b));
  const xa = mixed
    ? temporalMs(a, n)
    : a.scalar
    ? Number(a.v)
    : floats(a.col, n);
  const xb = mixed
    ? temporalMs(b, n)
    : b.scalar
    ? Number(b.v)
    : floats(b.col, n);
  const x = typeof xa === "number" ? new Float64Array(n).fill(xa) : xa;
  const y = typeof xb === "number" ? new Float64Array(n).fill(xb) : xb;
  const out = new Uint8Array(n);
  switch (op) {
    case "eq":
      for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? 1 : 0;
      break;
    case "ne":
      for (let i = 0; i < n; i++) out[i] = x[i] !== y[i] ? 1 : 0;
      break;
    case "lt":
      for (let i = 0; i < n; i++) out[i] = x[i] < y[i] ? 1 : 0;
      break;
    case "le":
      for (let i = 0; i < n; i++) out[i] = x[i] <= y[i] ? 1 : 0;
      break;
    case "gt":
      for (let i = 0; i < n; i++) out[i] = x[i] > y[i] ? 1 : 0;
      break;
    case "ge":
      for (let i = 0; i < n; i++) out[i] = x[i] >= y[i] ? 1 : 0;
      break;
  }
  return boolCol(out, n, valid);
}

function cmp(op: string, x: string, y: string): boolean {
  switch (op) {
    case "eq":
      return x === y;
    case "ne":
      return x !== y;
    case "lt":
      return x < y;
    case "le":
      return x <= y;
    case "gt":
      return x > y;
    default:
      return x >= y;
  }
}

const FLIP: Record<string, string> = {
  eq: "eq",
  ne: "ne",
  lt: "gt",
  le: "ge",
  gt: "lt",
  ge: "le",
};

function compareStrings(
  op: string,
  a: V,
  b: V,
  n: number,
  valid: Uint8Array | null,
): V {
  if (a.scalar && !b.scalar) return compareStrings(FLIP[op], b, a, n, valid);
  const col = (a as { col: Column }).col;
  const idx = col.data as Int32Array;
  const values = dictValues(col.dict!);
  const out = new Uint8Array(n);
  if (b.scalar) {
    // One comparison per distinct value, then a lookup per row.
    const s = String(b.v);
    const hit = new Uint8Array(values.length);
    for (let j = 0; j < values.length; j++) {
      hit[j] = cmp(op, values[j], s) ? 1 : 0;
    }
    for (let i = 0; i < n; i++) out[i] = hit[idx[i]];
  } else {
    const other = b.col;
    const oidx = other.data as Int32Array;
    const ovalues = dictValues(other.dict!);
    for (let i = 0; i < n; i++) {
      out[i] = cmp(op, values[idx[i]], ovalues[oidx[i]]) ? 1 : 0;
    }
  }
  return boolCol(out, n, valid);
}

function unary(op: string, a: V, n: number): V {
  if (a.scalar) {
    switch (op) {
      case "isNull":
        return { scalar: true, t: "bool", v: a.v === null };
      case "notNull":
        return { scalar: true, t: "bool", v: a.v !== null };
      case "not":
        return {
          scalar: true,
          t: a.v === null ? "null" : "bool",
          v: a.v === null ? null : !a.v,
        };
      case "neg":
        return {
          scalar: true,
          t: a.t,
          v: a.v === null ? null : -(a.v as number),
        };
      default:
        return {
          scalar: true,
          t: a.t,
          v: a.v === null ? null : Math.abs(a.v as number),
        };
    }
  }
  const c = a.col;
  switch (op) {
    case "isNull":
    case "notNull": {
      const m = (n + 7) >> 3;
      const out = new Uint8Array(m);
      if (c.valid === null) out.fill(op === "isNull" ? 0 : 255);
      else {
        for (let i = 0; i < m; i++) {
          out[i] = op === "isNull" ? ~c.valid[i] : c.valid[i];
        }
      }
      return {
        scalar: false,
        col: { type: "bool", data: out, valid: null, dict: null },
      };
    }
    case "not": {
      const d = c.data as Uint8Array;
      const m = (n + 7) >> 3;
      const out = new Uint8Array(m);
      for (let i = 0; i < m; i++) out[i] = ~d[i];
      return {
        scalar: false,
        col: { type: "bool", data: out, valid: c.valid, dict: null },
      };
    }
  }
  if (c.type === "int64") {
    const d = c.data as BigInt64Array;
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = op === "neg" ? -d[i] : d[i] < 0n ? -d[i] : d[i];
    }
    return {
      scalar: false,
      col: { type: "int64", data: out, valid: c.valid, dict: null },
    };
  }
  const d = c.data as Float64Array;
  const out = c.type === "int32" ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = op === "neg" ? -d[i] : Math.abs(d[i]);
  return {
    scalar: false,
    col: { type: c.type, data: out, valid: c.valid, dict: null },
  };
}

function fill(a: V, v: V, n: number): V {
  if (a.scalar) return a.v === null ? v : a;
  const c = a.col;
  if (c.valid === null) return a;
  if (v.scalar && v.t === "null") return a;
  const fillCol = v.scalar ? broadcast(v, n) : v.col;
  let type = c.type;
  if (c.type !== fillCol.type) {
    type = c.type === "date" ? "date" : "float64";
  }
  const base = type === c.type ? c : castColumn(c, type, n);
  const other = fillCol.type === type ? fillCol : castColumn(fillCol, type, n);
  if (type === "string") {
    const b = new DictBuilder();
    const m1 = b.mapFrom(base.dict!);
    const m2 = b.mapFrom(other.dict!);
    const out = new Int32Array(n);
    const x = base.data as Int32Array, y = other.data as Int32Array;
    const valid = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      if (bit(base.valid, i)) {
        out[i] = m1[x[i]];
        valid[i >> 3] |= 1 << (i & 7);
      } else if (bit(other.valid, i)) {
        out[i] = m2[y[i]];
        valid[i >> 3] |= 1 << (i & 7);
      }
    }
    return {
      scalar: false,
      col: { type, data: out, valid, dict: b.finish(false) },
    };
  }
  const data = allocData(type, n);
  const valid = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    const src = bit(base.valid, i) ? base : bit(other.valid, i) ? other : null;
    if (src === null) continue;
    valid[i >> 3] |= 1 << (i & 7);
    if (type === "bool") {
      if (bit(src.data as Uint8Array, i)) {
        (data as Uint8Array)[i >> 3] |= 1 << (i & 7);
      }
    } else (data as Float64Array)[i] = (src.data as Float64Array)[i];
  }
  return { scalar: false, col: { type, data, valid, dict: null } };
}

function isIn(a: V, vs: V[], n: number): V {
  if (a.scalar) {
    return {
      scalar: true,
      t: "bool",
      v: vs.some((v) => v.scalar && v.v === a.v),
    };
  }
  const c = a.col;
  const out = new Uint8Array(n);
  const wanted = vs.filter((v) => v.scalar && v.v !== null).map((v) =>
    (v as { v: LitValue }).v
  );
  if (c.type === "string") {
    const values = dictValues(c.dict!);
    const set = new Set(wanted.map(String));
    const hit = new Uint8Array(values.length);
    for (let j = 0; j < values.length; j++) hit[j] = set.has(values[j]) ? 1 : 0;
    const idx = c.data as Int32Array;
    for (let i = 0; i < n; i++) out[i] = hit[idx[i]];
  } else {
    const scale = c.type === "date" ? 86_400_000 : 1;
    const set = new Set(wanted.map((w) => Number(w)));
    const f = floats(c, n);
    for (let i = 0; i < n; i++) out[i] = set.has(f[i] * scale) ? 1 : 0;
    if (c.type === "date") {
      // Dates listed as days (numbers) match too.
      for (let i = 0; i < n; i++) if (set.has(f[i])) out[i] = 1;
    }
  }
  return boolCol(out, n, c.valid);
}
