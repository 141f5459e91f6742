/**
 * Column expressions: `col("x").mul(2).gt(col("y"))` builds a tree that a
 * partition task evaluates one vectorised loop per operator. Plain data
 * inside, so it travels with the task to any host.
 *
 * @module
 */

import { type BinaryOp, type ExprNode, litNode, showExpr } from "./_expr.ts";
import type { DType } from "./_part.ts";

/** An expression, or a plain value taken as a literal. */
export type ExprLike = Expr | number | string | boolean | bigint | Date | null;

/** The node of an expression or value. */
export function nodeOf(x: ExprLike): ExprNode {
  return x instanceof Expr ? x.node : litNode(x);
}

/**
 * A column expression. Arithmetic (`add`, `sub`, `mul`, `div`, `mod`,
 * `pow`) gives float64 (an int32 `mod` an int32 stays int32);
 * comparisons give bool; `and`, `or`, `not` combine bools. A null in gives
 * a null out; `filter` keeps only rows where the expression is true.
 *
 * @example
 * ```ts
 * import { col, fromColumns } from "@troupe/troupe/dataframe";
 * import assert from "node:assert/strict";
 * const df = fromColumns({ x: [1, 2, 3], y: [3, 3, 3] });
 * const out = await df.filter(col("x").mul(2).gt(col("y"))).compute({ placement: "inline" });
 * assert.deepEqual(out.toRecords(), [{ x: 2, y: 3 }, { x: 3, y: 3 }]);
 * ```
 */
export class Expr {
  /** The tree, as plain data. */
  readonly node: ExprNode;

  /**
   * Wrap a tree; use `col` and `lit`.
   *
   * @example
   * ```ts
   * import { Expr } from "@troupe/troupe/dataframe";
   * const e = new Expr({ k: "col", name: "x" });
   * console.log(e.toString()); // col("x")
   * ```
   */
  constructor(node: ExprNode) {
    this.node = node;
  }

  #bin(op: BinaryOp, other: ExprLike): Expr {
    return new Expr({ k: "bin", op, a: this.node, b: nodeOf(other) });
  }

  /**
   * `this + other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").add(1);
   * ```
   */
  add(other: ExprLike): Expr {
    return this.#bin("add", other);
  }
  /**
   * `this - other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").sub(col("y"));
   * ```
   */
  sub(other: ExprLike): Expr {
    return this.#bin("sub", other);
  }
  /**
   * `this * other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").mul(2);
   * ```
   */
  mul(other: ExprLike): Expr {
    return this.#bin("mul", other);
  }
  /**
   * `this / other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").div(col("n"));
   * ```
   */
  div(other: ExprLike): Expr {
    return this.#bin("div", other);
  }
  /**
   * `this % other` (an int32 modulo by zero is null).
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").mod(10);
   * ```
   */
  mod(other: ExprLike): Expr {
    return this.#bin("mod", other);
  }
  /**
   * `this ** other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").pow(2);
   * ```
   */
  pow(other: ExprLike): Expr {
    return this.#bin("pow", other);
  }
  /**
   * `this == other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("name").eq("ada");
   * ```
   */
  eq(other: ExprLike): Expr {
    return this.#bin("eq", other);
  }
  /**
   * `this != other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("name").ne("ada");
   * ```
   */
  ne(other: ExprLike): Expr {
    return this.#bin("ne", other);
  }
  /**
   * `this < other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").lt(0);
   * ```
   */
  lt(other: ExprLike): Expr {
    return this.#bin("lt", other);
  }
  /**
   * `this <= other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").le(0);
   * ```
   */
  le(other: ExprLike): Expr {
    return this.#bin("le", other);
  }
  /**
   * `this > other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("day").gt(new Date("2024-01-01"));
   * ```
   */
  gt(other: ExprLike): Expr {
    return this.#bin("gt", other);
  }
  /**
   * `this >= other`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").ge(col("y"));
   * ```
   */
  ge(other: ExprLike): Expr {
    return this.#bin("ge", other);
  }
  /**
   * Both true.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").gt(0).and(col("x").lt(10));
   * ```
   */
  and(other: ExprLike): Expr {
    return this.#bin("and", other);
  }
  /**
   * Either true.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").lt(0).or(col("x").gt(10));
   * ```
   */
  or(other: ExprLike): Expr {
    return this.#bin("or", other);
  }
  /**
   * Not true.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("ok").not();
   * ```
   */
  not(): Expr {
    return new Expr({ k: "un", op: "not", a: this.node });
  }
  /**
   * `-this`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").neg();
   * ```
   */
  neg(): Expr {
    return new Expr({ k: "un", op: "neg", a: this.node });
  }
  /**
   * `|this|`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").abs();
   * ```
   */
  abs(): Expr {
    return new Expr({ k: "un", op: "abs", a: this.node });
  }
  /**
   * Whether the value is null.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").isNull();
   * ```
   */
  isNull(): Expr {
    return new Expr({ k: "un", op: "isNull", a: this.node });
  }
  /**
   * Whether the value is not null.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").notNull();
   * ```
   */
  notNull(): Expr {
    return new Expr({ k: "un", op: "notNull", a: this.node });
  }
  /**
   * The value, or `value` where it is null.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").fillNull(0);
   * ```
   */
  fillNull(value: ExprLike): Expr {
    return new Expr({ k: "fill", a: this.node, v: nodeOf(value) });
  }
  /**
   * The value as another type (text is parsed; a value that does not fit
   * is a `DTypeError`).
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("x").cast("int32");
   * ```
   */
  cast(type: DType): Expr {
    return new Expr({ k: "cast", a: this.node, to: type });
  }
  /**
   * Whether the value is one of `values`.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * col("name").isIn(["ada", "grace"]);
   * ```
   */
  isIn(values: readonly ExprLike[]): Expr {
    return new Expr({ k: "isIn", a: this.node, vs: values.map(nodeOf) });
  }
  /**
   * The expression as code.
   *
   * @example
   * ```ts
   * import { col } from "@troupe/troupe/dataframe";
   * console.log(col("x").add(1).toString()); // col("x").add(1)
   * ```
   */
  toString(): string {
    return showExpr(this.node);
  }
}

/**
 * The column named `name`.
 *
 * @example
 * ```ts
 * import { col } from "@troupe/troupe/dataframe";
 * const bigger = col("price").mul(1.2);
 * ```
 */
export function col(name: string): Expr {
  if (typeof name !== "string") {
    throw new TypeError("col(name): name must be a string");
  }
  return new Expr({ k: "col", name });
}

/**
 * A literal value (numbers, text, booleans, bigints, Dates, null).
 *
 * @example
 * ```ts
 * import { col, lit } from "@troupe/troupe/dataframe";
 * const e = lit(1).add(col("x"));
 * ```
 */
export function lit(
  value: number | string | boolean | bigint | Date | null,
): Expr {
  return new Expr(litNode(value));
}
