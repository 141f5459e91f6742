/**
 * Elementwise operations on lazy arrays, with NumPy's broadcasting and
 * dtype rules: each builds a bigger expression (nothing runs), so a chain
 * of them becomes one task per chunk.
 *
 * @module
 */

import {
  castValue,
  checkDType,
  type DType,
  floatOf,
  isFloat,
  isInteger,
  promote,
  promoteScalar,
} from "./_dtype.ts";
import { DTypeError, ShapeMismatchError } from "./_errors.ts";
import { refine } from "./_chunks.ts";
import {
  type AxisMap,
  dtypeOfExpr,
  type Expr,
  type Lazy,
  lazy,
  remap,
} from "./_expr.ts";
import { OPS } from "./_program.ts";

/** An operand: a lazy array or a JS number (a weak scalar). */
export type Operand = Lazy | number | boolean;

/** The broadcast shape of `shapes`, or a ShapeMismatchError naming two. */
export function broadcastShapes(
  what: string,
  shapes: readonly (readonly number[])[],
): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  const from = new Array<readonly number[]>(nd);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const a = nd - s.length + i;
      const d = s[i];
      if (d === 1) continue;
      if (out[a] === 1) {
        out[a] = d;
        from[a] = s;
      } else if (out[a] !== d) {
        throw new ShapeMismatchError(
          what,
          from[a],
          s,
          `axis ${a} of the result: ${
            out[a]
          } against ${d}; NumPy broadcasting needs equal sizes or 1`,
        );
      }
    }
  }
  return out;
}

/**
 * `x`'s expression seen as an array of `shape` (broadcast: new leading
 * axes, size-1 axes repeated).
 */
export function broadcastExpr(x: Lazy, shape: readonly number[]): Expr {
  const shift = shape.length - x.shape.length;
  const repeated = x.shape.map((d, a) => d === 1 && shape[a + shift] !== 1);
  if (shift === 0 && !repeated.some((r) => r)) return x.expr;
  return remap(x.expr, (map) =>
    map.map((m): AxisMap => {
      if (m.out < 0) return m;
      if (repeated[m.out]) return { out: -1, start: m.start, step: 0 };
      return { out: m.out + shift, start: m.start, step: m.step };
    }));
}

function scalarValue(x: number | boolean): number {
  if (typeof x === "boolean") return x ? 1 : 0;
  if (typeof x !== "number") {
    throw new TypeError(
      `an operand must be an array or a number, got ${typeof x}`,
    );
  }
  return x;
}

/** The dtype of an operation `op` on operands of these dtypes/scalars. */
export function resultDType(op: string, operands: readonly Operand[]): DType {
  const def = OPS[op];
  const arrays = operands.filter((o): o is Lazy => typeof o === "object");
  const relevant = def.rule === "where" ? operands.slice(1) : operands;
  const arrs = relevant.filter((o): o is Lazy => typeof o === "object");
  let d: DType;
  if (arrs.length > 0) {
    d = arrs.map((a) => a.dtype).reduce(promote);
    for (const o of relevant) {
      if (typeof o !== "object") {
        const v = scalarValue(o);
        d = typeof o === "boolean" ? d : promoteScalar(d, v);
        if (isInteger(d) && Number.isInteger(v) && castValue(d, v) !== v) {
          throw new DTypeError(
            `${op}: the number ${v} is out of bounds for ${d} (NumPy raises this too); use astype first`,
          );
        }
      }
    }
  } else {
    // Only scalars among the values (where(cond, 1, 0.5)).
    d = relevant.every((o) => typeof o === "boolean")
      ? "bool"
      : relevant.every((o) => Number.isInteger(scalarValue(o as number)))
      ? "int32"
      : "float64";
  }
  if (arrays.length === 0) throw new TypeError(`${op} needs an array operand`);
  switch (def.rule) {
    case "promote":
    case "where":
      return d;
    case "float":
      return floatOf(d);
    case "bool":
      return "bool";
    case "same":
      return d;
  }
}

/** `op` applied elementwise to `operands` (at least one of them an array). */
export function elementwise(op: string, operands: readonly Operand[]): Lazy {
  const def = OPS[op];
  if (def === undefined || op === "cast") {
    throw new TypeError(`unknown operation ${op}`);
  }
  if (operands.length !== def.arity) {
    throw new TypeError(`${op} takes ${def.arity} operands`);
  }
  const dtype = resultDType(op, operands);
  if (op === "neg" && dtypeOfOperand(operands[0]) === "bool") {
    throw new DTypeError(
      "neg of a bool array: use not() (NumPy refuses this too)",
    );
  }
  const arrays = operands.filter((o): o is Lazy => typeof o === "object");
  const shape = broadcastShapes(op, arrays.map((a) => a.shape));
  const chunks = shape.map((n, a) => {
    const shift = (x: Lazy) => a - (shape.length - x.shape.length);
    const given = arrays
      .filter((x) => shift(x) >= 0 && x.shape[shift(x)] === n)
      .map((x) => x.chunks[shift(x)]);
    return given.length === 0 ? [n] : refine(given);
  });
  // A scalar takes the dtype its operation works in.
  const work = def.rule === "bool" || def.rule === "float"
    ? operands.filter((o): o is Lazy => typeof o === "object").map((a) =>
      a.dtype
    )
      .reduce(promote)
    : dtype;
  const args = operands.map((o): Expr => {
    if (typeof o === "object") return broadcastExpr(o, shape);
    const v = scalarValue(o);
    const d = def.rule === "where" || def.rule === "promote"
      ? dtype
      : typeof o === "boolean"
      ? "bool"
      : promoteScalar(work, v);
    return { t: "const", dtype: d, value: castValue(d, v) };
  });
  return lazy(op, shape, dtype, chunks, { t: "op", op, dtype, args });
}

function dtypeOfOperand(o: Operand): DType {
  return typeof o === "object"
    ? o.dtype
    : typeof o === "boolean"
    ? "bool"
    : "float64";
}

/** `x` as `dtype` (a copy-free step of the expression). */
export function astype(x: Lazy, dtype: DType): Lazy {
  checkDType(dtype);
  if (dtype === x.dtype) return x;
  return lazy("astype", x.shape, dtype, x.chunks, {
    t: "op",
    op: "cast",
    dtype,
    args: [x.expr],
  });
}

/** Whether the expression's dtype is floating. */
export function floating(x: Lazy): boolean {
  return isFloat(dtypeOfExpr(x.expr));
}
