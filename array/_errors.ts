/**
 * The typed errors of chunked arrays: each names what is wrong (both shapes,
 * the axis, the index and the shape), so a caller can tell them apart.
 *
 * @module
 */

/**
 * Two shapes that do not fit together: broadcasting, concatenation, matmul,
 * reshape, assignment of a block of the wrong size. Names both shapes.
 *
 * @example
 * ```ts
 * import { ShapeMismatchError, zeros } from "@troupe/troupe/array";
 * import assert from "node:assert/strict";
 * assert.throws(() => zeros([2, 3]).add(zeros([4])), ShapeMismatchError);
 * ```
 */
export class ShapeMismatchError extends Error {
  /** The first shape. */
  readonly left: readonly number[];
  /** The second shape. */
  readonly right: readonly number[];

  /**
   * `what` says which operation; the message names both shapes.
   *
   * @example
   * ```ts
   * import { ShapeMismatchError } from "@troupe/troupe/array";
   * console.log(new ShapeMismatchError("add", [2, 3], [4]).message);
   * ```
   */
  constructor(
    what: string,
    left: readonly number[],
    right: readonly number[],
    detail = "",
  ) {
    super(
      `${what}: shapes ${showShape(left)} and ${showShape(right)} do not fit${
        detail === "" ? "" : ` (${detail})`
      }`,
    );
    this.name = "ShapeMismatchError";
    this.left = left;
    this.right = right;
  }
}

/**
 * A chunking that does not fit the array, or an operation that the chunks
 * do not allow (a reshape across chunks). Names the axis.
 *
 * @example
 * ```ts
 * import { ChunkError, zeros } from "@troupe/troupe/array";
 * import assert from "node:assert/strict";
 * assert.throws(() => zeros([10], { chunks: [[4, 4]] }), ChunkError);
 * ```
 */
export class ChunkError extends Error {
  /** The axis whose chunks are wrong. */
  readonly axis: number;

  /**
   * The message says what is wrong on `axis`.
   *
   * @example
   * ```ts
   * import { ChunkError } from "@troupe/troupe/array";
   * console.log(new ChunkError(1, "chunks sum to 8, the axis has 10").message);
   * ```
   */
  constructor(axis: number, message: string) {
    super(`axis ${axis}: ${message}`);
    this.name = "ChunkError";
    this.axis = axis;
  }
}

/**
 * An index outside an array (an integer index past an axis's end, an axis
 * number the array does not have, too many indices). Names the index and
 * the shape.
 *
 * @example
 * ```ts
 * import { ArrayIndexError, zeros } from "@troupe/troupe/array";
 * import assert from "node:assert/strict";
 * assert.throws(() => zeros([3, 4]).slice(5), ArrayIndexError);
 * ```
 */
export class ArrayIndexError extends RangeError {
  /** The index asked for. */
  readonly index: number | string;
  /** The shape of the array. */
  readonly shape: readonly number[];

  /**
   * The message names the index, the shape and, if any, the axis.
   *
   * @example
   * ```ts
   * import { ArrayIndexError } from "@troupe/troupe/array";
   * console.log(new ArrayIndexError(5, [3, 4], 0).message);
   * ```
   */
  constructor(
    index: number | string,
    shape: readonly number[],
    axis?: number,
    what = "index",
  ) {
    super(
      `${what} ${index} is out of range for shape ${showShape(shape)}${
        axis === undefined ? "" : ` on axis ${axis}`
      }`,
    );
    this.name = "ArrayIndexError";
    this.index = index;
    this.shape = shape;
  }
}

/**
 * A dtype the arrays do not have, or an operation the dtype does not allow.
 *
 * @example
 * ```ts
 * import { DTypeError, zeros } from "@troupe/troupe/array";
 * import assert from "node:assert/strict";
 * assert.throws(() => zeros([2], { dtype: "complex128" as never }), DTypeError);
 * ```
 */
export class DTypeError extends TypeError {
  /**
   * The message says which dtype and why.
   *
   * @example
   * ```ts
   * import { DTypeError } from "@troupe/troupe/array";
   * console.log(new DTypeError('unknown dtype "int64"').message);
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "DTypeError";
  }
}

/** A shape as NumPy prints it: `(3,)`, `(2, 3)`, `()`. */
export function showShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}
