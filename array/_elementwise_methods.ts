/**
 * The elementwise methods of arrays (`add`, `mul`, `sqrt`, `lt`...), kept
 * apart from `ChunkedArray` so that each file holds one concept: each
 * method only names its operation; the array class builds it.
 *
 * @module
 */

/**
 * Elementwise methods, with NumPy's broadcasting and dtype rules. Every
 * step is lazy and fuses with its neighbours into one task per chunk.
 *
 * @example
 * ```ts
 * import { ElementwiseMethods, ones } from "@troupe/troupe/array";
 * console.log(ones([2]) instanceof ElementwiseMethods); // true
 * ```
 */
export abstract class ElementwiseMethods<A, O = A | number | boolean> {
  /**
   * Build operation `op` with this array first and `others` after it.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2]).add(1).dtype); // "float64"
   * ```
   */
  protected abstract applyOp(
    op: string,
    ...others: O[]
  ): A;

  /**
   * `this + other` (broadcast, NumPy dtypes).
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2, 3]).add(ones([3])).shape); // [2, 3]
   * ```
   */
  add(other: O): A {
    return this.applyOp("add", other);
  }

  /**
   * `this - other`.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2]).sub(1).dtype); // "float64"
   * ```
   */
  sub(other: O): A {
    return this.applyOp("sub", other);
  }

  /**
   * `this * other`.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2], { dtype: "int32" }).mul(2).dtype); // "int32"
   * ```
   */
  mul(other: O): A {
    return this.applyOp("mul", other);
  }

  /**
   * `this / other` (true division: integers give floats).
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2], { dtype: "int32" }).div(2).dtype); // "float64"
   * ```
   */
  div(other: O): A {
    return this.applyOp("div", other);
  }

  /**
   * `this ** other`.
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([2], 3).pow(2).sum().compute({ placement: "inline" })); // 18
   * ```
   */
  pow(other: O): A {
    return this.applyOp("pow", other);
  }

  /**
   * `this % other`, with the divisor's sign (Python's and NumPy's `mod`).
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([1], -7).mod(3).sum().compute({ placement: "inline" })); // 2
   * ```
   */
  mod(other: O): A {
    return this.applyOp("mod", other);
  }

  /**
   * The larger of each pair (NaN wins, as NumPy's `maximum`).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).maximum(2).sum().compute({ placement: "inline" })); // 13
   * ```
   */
  maximum(other: O): A {
    return this.applyOp("maximum", other);
  }

  /**
   * The smaller of each pair (NaN wins).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).minimum(2).sum().compute({ placement: "inline" })); // 5
   * ```
   */
  minimum(other: O): A {
    return this.applyOp("minimum", other);
  }

  /**
   * `this == other` (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(arange(5).eq(2).dtype); // "bool"
   * ```
   */
  eq(other: O): A {
    return this.applyOp("eq", other);
  }

  /**
   * `this != other` (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).ne(2).sum().compute({ placement: "inline" })); // 4
   * ```
   */
  ne(other: O): A {
    return this.applyOp("ne", other);
  }

  /**
   * `this < other` (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).lt(2).sum().compute({ placement: "inline" })); // 2
   * ```
   */
  lt(other: O): A {
    return this.applyOp("lt", other);
  }

  /**
   * `this <= other` (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).le(2).sum().compute({ placement: "inline" })); // 3
   * ```
   */
  le(other: O): A {
    return this.applyOp("le", other);
  }

  /**
   * `this > other` (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).gt(2).sum().compute({ placement: "inline" })); // 2
   * ```
   */
  gt(other: O): A {
    return this.applyOp("gt", other);
  }

  /**
   * `this >= other` (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(5).ge(2).sum().compute({ placement: "inline" })); // 3
   * ```
   */
  ge(other: O): A {
    return this.applyOp("ge", other);
  }

  /**
   * Logical and (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * const x = arange(10);
   * console.log(await x.gt(2).and(x.lt(5)).sum().compute({ placement: "inline" })); // 2
   * ```
   */
  and(other: O): A {
    return this.applyOp("and", other);
  }

  /**
   * Logical or (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * const x = arange(10);
   * console.log(await x.lt(2).or(x.gt(8)).sum().compute({ placement: "inline" })); // 3
   * ```
   */
  or(other: O): A {
    return this.applyOp("or", other);
  }

  /**
   * Logical not (bool).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(4).lt(1).not().sum().compute({ placement: "inline" })); // 3
   * ```
   */
  not(): A {
    return this.applyOp("not");
  }

  /**
   * `-this`.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(await ones([3]).neg().sum().compute({ placement: "inline" })); // -3
   * ```
   */
  neg(): A {
    return this.applyOp("neg");
  }

  /**
   * Absolute values.
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([3], -2).abs().sum().compute({ placement: "inline" })); // 6
   * ```
   */
  abs(): A {
    return this.applyOp("abs");
  }

  /**
   * Signs (-1, 0, 1).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(-2, 3).sign().sum().compute({ placement: "inline" })); // 0
   * ```
   */
  sign(): A {
    return this.applyOp("sign");
  }

  /**
   * Square roots (integers give floats).
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([2], 9).sqrt().sum().compute({ placement: "inline" })); // 6
   * ```
   */
  sqrt(): A {
    return this.applyOp("sqrt");
  }

  /**
   * `e ** this`.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(await zeros([2]).exp().sum().compute({ placement: "inline" })); // 2
   * ```
   */
  exp(): A {
    return this.applyOp("exp");
  }

  /**
   * Natural logarithms.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(await ones([2]).log().sum().compute({ placement: "inline" })); // 0
   * ```
   */
  log(): A {
    return this.applyOp("log");
  }

  /**
   * Sines.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(await zeros([2]).sin().sum().compute({ placement: "inline" })); // 0
   * ```
   */
  sin(): A {
    return this.applyOp("sin");
  }

  /**
   * Cosines.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(await zeros([2]).cos().sum().compute({ placement: "inline" })); // 2
   * ```
   */
  cos(): A {
    return this.applyOp("cos");
  }

  /**
   * Hyperbolic tangents.
   *
   * @example
   * ```ts
   * import { zeros } from "@troupe/troupe/array";
   * console.log(await zeros([2]).tanh().sum().compute({ placement: "inline" })); // 0
   * ```
   */
  tanh(): A {
    return this.applyOp("tanh");
  }

  /**
   * Rounded down.
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([2], 1.5).floor().sum().compute({ placement: "inline" })); // 2
   * ```
   */
  floor(): A {
    return this.applyOp("floor");
  }

  /**
   * Rounded up.
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([2], 1.5).ceil().sum().compute({ placement: "inline" })); // 4
   * ```
   */
  ceil(): A {
    return this.applyOp("ceil");
  }

  /**
   * Where the elements are NaN (bool).
   *
   * @example
   * ```ts
   * import { full } from "@troupe/troupe/array";
   * console.log(await full([2], NaN).isnan().all().compute({ placement: "inline" })); // true
   * ```
   */
  isnan(): A {
    return this.applyOp("isnan");
  }
}
