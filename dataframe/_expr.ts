/**
 * Column expressions as plain data (so that they cross to any host inside a
 * task's arguments), and their types: which columns they read and what
 * type they give, checked against a schema before anything runs.
 *
 * @module
 */

import {
  type DType,
  DTypeError,
  isNumeric,
  missingColumn,
  type Schema,
} from "./_part.ts";

/** Operators between two expressions. */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "mod"
  | "pow"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "and"
  | "or";

/** Operators on one expression. */
export type UnaryOp = "not" | "neg" | "abs" | "isNull" | "notNull";

/** A literal's value: numbers, text, booleans; int64 as decimal text. */
export type LitValue = number | string | boolean | null;

/** An expression tree. */
export type ExprNode =
  | { readonly k: "col"; readonly name: string }
  | { readonly k: "lit"; readonly v: LitValue; readonly t: DType | "null" }
  | {
    readonly k: "bin";
    readonly op: BinaryOp;
    readonly a: ExprNode;
    readonly b: ExprNode;
  }
  | { readonly k: "un"; readonly op: UnaryOp; readonly a: ExprNode }
  | { readonly k: "fill"; readonly a: ExprNode; readonly v: ExprNode }
  | { readonly k: "cast"; readonly a: ExprNode; readonly to: DType }
  | { readonly k: "isIn"; readonly a: ExprNode; readonly vs: ExprNode[] };

const ARITH = new Set<BinaryOp>(["add", "sub", "mul", "div", "mod", "pow"]);
const COMPARE = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge"]);

/** A literal node for a JavaScript value. */
export function litNode(v: unknown): ExprNode {
  if (v === null || v === undefined) return { k: "lit", v: null, t: "null" };
  switch (typeof v) {
    case "number":
      return {
        k: "lit",
        v,
        t: Number.isInteger(v) && v >= -2147483648 && v <= 2147483647
          ? "int32"
          : "float64",
      };
    case "string":
      return { k: "lit", v, t: "string" };
    case "boolean":
      return { k: "lit", v, t: "bool" };
    case "bigint":
      return { k: "lit", v: v.toString(), t: "int64" };
  }
  if (v instanceof Date) return { k: "lit", v: v.getTime(), t: "timestamp" };
  throw new TypeError(
    `a literal must be a number, string, boolean, bigint, Date or null, got ${
      Object.prototype.toString.call(v)
    }`,
  );
}

/** A readable form of `e`, for messages. */
export function showExpr(e: ExprNode): string {
  switch (e.k) {
    case "col":
      return `col("${e.name}")`;
    case "lit":
      return e.t === "timestamp"
        ? new Date(e.v as number).toISOString()
        : JSON.stringify(e.v);
    case "bin":
      return `${showExpr(e.a)}.${e.op}(${showExpr(e.b)})`;
    case "un":
      return `${showExpr(e.a)}.${e.op}()`;
    case "fill":
      return `${showExpr(e.a)}.fillNull(${showExpr(e.v)})`;
    case "cast":
      return `${showExpr(e.a)}.cast("${e.to}")`;
    case "isIn":
      return `${showExpr(e.a)}.isIn([${e.vs.map(showExpr).join(", ")}])`;
  }
}

/** The columns `e` reads, added to `out`. */
export function columnsOf(
  e: ExprNode,
  out: Set<string> = new Set(),
): Set<string> {
  switch (e.k) {
    case "col":
      out.add(e.name);
      break;
    case "lit":
      break;
    case "bin":
      columnsOf(e.a, out);
      columnsOf(e.b, out);
      break;
    case "un":
    case "cast":
      columnsOf(e.a, out);
      break;
    case "fill":
      columnsOf(e.a, out);
      columnsOf(e.v, out);
      break;
    case "isIn":
      columnsOf(e.a, out);
      for (const v of e.vs) columnsOf(v, out);
      break;
  }
  return out;
}

/** Whether a value of type `t` compares with one of type `u`. */
export function comparable(t: DType | "null", u: DType | "null"): boolean {
  if (t === "null" || u === "null") return true;
  if (isNumeric(t) && isNumeric(u)) return true;
  const temporal = (x: DType) => x === "date" || x === "timestamp";
  if (temporal(t) && temporal(u)) return true;
  return t === u;
}

/** Name of the column an expression reads first, for messages. */
function subject(e: ExprNode): string {
  const cols = [...columnsOf(e)];
  return cols.length > 0 ? `column "${cols[0]}"` : showExpr(e);
}

/**
 * The type `e` gives over `schema`; a `ColumnNotFoundError` for a column
 * that is not there, a `DTypeError` naming the column and both types for a
 * clash.
 */
export function typeOf(e: ExprNode, schema: Schema): DType | "null" {
  switch (e.k) {
    case "col": {
      const i = schema.names.indexOf(e.name);
      if (i < 0) throw missingColumn(e.name, schema.names);
      return schema.types[i];
    }
    case "lit":
      return e.t;
    case "bin": {
      const a = typeOf(e.a, schema);
      const b = typeOf(e.b, schema);
      if (ARITH.has(e.op)) {
        for (const [t, side] of [[a, e.a], [b, e.b]] as const) {
          if (t !== "null" && !isNumeric(t)) {
            const other = t === a ? b : a;
            throw new DTypeError(
              `${e.op} needs numbers: ${
                subject(side)
              } is ${t} (the other side is ${other})`,
            );
          }
        }
        return e.op === "mod" && a === "int32" && b === "int32"
          ? "int32"
          : "float64";
      }
      if (COMPARE.has(e.op)) {
        if (!comparable(a, b)) {
          throw new DTypeError(
            `${e.op} compares ${subject(e.a)} of type ${a} with ${
              subject(e.b)
            } of type ${b}`,
          );
        }
        return "bool";
      }
      for (const [t, side] of [[a, e.a], [b, e.b]] as const) {
        if (t !== "null" && t !== "bool") {
          throw new DTypeError(
            `${e.op} needs booleans: ${subject(side)} is ${t}`,
          );
        }
      }
      return "bool";
    }
    case "un": {
      const a = typeOf(e.a, schema);
      if (e.op === "isNull" || e.op === "notNull") return "bool";
      if (e.op === "not") {
        if (a !== "bool" && a !== "null") {
          throw new DTypeError(`not needs booleans: ${subject(e.a)} is ${a}`);
        }
        return "bool";
      }
      if (a !== "null" && !isNumeric(a)) {
        throw new DTypeError(`${e.op} needs numbers: ${subject(e.a)} is ${a}`);
      }
      return a === "null" ? "float64" : a;
    }
    case "fill": {
      const a = typeOf(e.a, schema);
      const v = typeOf(e.v, schema);
      if (a === "null") return v;
      if (v === "null" || v === a) return a;
      if (isNumeric(a) && isNumeric(v)) {
        return a === "float64" || v === "float64" ? "float64" : a;
      }
      if (a === "timestamp" && v === "timestamp") return a;
      if (a === "date" && v === "timestamp") return a;
      throw new DTypeError(
        `fillNull: ${subject(e.a)} is ${a}, the fill value is ${v}`,
      );
    }
    case "cast":
      typeOf(e.a, schema);
      return e.to;
    case "isIn": {
      const a = typeOf(e.a, schema);
      for (const v of e.vs) {
        const t = typeOf(v, schema);
        if (!comparable(a, t)) {
          throw new DTypeError(
            `isIn: ${subject(e.a)} is ${a}, a value is ${t}`,
          );
        }
      }
      return "bool";
    }
  }
}
