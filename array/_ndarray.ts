/**
 * `NdArray`: a computed array in local memory (shape, dtype and a C-order
 * typed array), what `compute()` gives.
 *
 * @module
 */

import { allocate, type DType, type TypedArray } from "./_dtype.ts";
import { ArrayIndexError, showShape } from "./_errors.ts";
import { sizeOf, stridesOf } from "./_chunks.ts";

/**
 * Nested JS arrays of numbers (or booleans), as `toArray()` gives them.
 *
 * @example
 * ```ts
 * import type { Nested } from "@troupe/troupe/array";
 * const m: Nested = [[1, 2], [3, 4]];
 * ```
 */
export type Nested = number | boolean | Nested[];

/**
 * A local n-d array: `shape`, `dtype` and `data` (a typed array in C
 * order; `bool` as 0/1 bytes).
 *
 * @example
 * ```ts
 * import { NdArray } from "@troupe/troupe/array";
 * import assert from "node:assert/strict";
 * const a = new NdArray([2, 3], "float64", new Float64Array([1, 2, 3, 4, 5, 6]));
 * assert.equal(a.get(1, 0), 4);
 * assert.deepEqual(a.toArray(), [[1, 2, 3], [4, 5, 6]]);
 * ```
 */
export class NdArray {
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its element type. */
  readonly dtype: DType;
  /** Its elements, in C order. */
  readonly data: TypedArray;
  readonly #strides: number[];

  /**
   * An array over `data` (not copied), which must have `shape`'s size.
   *
   * @example
   * ```ts
   * import { NdArray } from "@troupe/troupe/array";
   * const a = new NdArray([2], "int32", new Int32Array([7, 8]));
   * console.log(a.get(1)); // 8
   * ```
   */
  constructor(shape: readonly number[], dtype: DType, data?: TypedArray) {
    const n = sizeOf(shape);
    const d = data ?? allocate(dtype, n);
    if (d.length !== n) {
      throw new RangeError(
        `data has ${d.length} elements, shape ${showShape(shape)} needs ${n}`,
      );
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.data = d;
    this.#strides = stridesOf(shape);
  }

  /**
   * How many axes.
   *
   * @example
   * ```ts
   * import { NdArray } from "@troupe/troupe/array";
   * console.log(new NdArray([2, 3], "uint8").ndim); // 2
   * ```
   */
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * How many elements.
   *
   * @example
   * ```ts
   * import { NdArray } from "@troupe/troupe/array";
   * console.log(new NdArray([2, 3], "uint8").size); // 6
   * ```
   */
  get size(): number {
    return this.data.length;
  }

  /**
   * The element at an index (one integer per axis; negative counts from
   * the end); a bool array gives 1 or 0.
   *
   * @example
   * ```ts
   * import { NdArray } from "@troupe/troupe/array";
   * const a = new NdArray([2, 2], "float64", new Float64Array([1, 2, 3, 4]));
   * console.log(a.get(-1, -1)); // 4
   * ```
   */
  get(...index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new ArrayIndexError(
        `(${index.join(", ")})`,
        this.shape,
        undefined,
        `an index of ${index.length} numbers`,
      );
    }
    let at = 0;
    for (let a = 0; a < index.length; a++) {
      let i = index[a];
      const n = this.shape[a];
      if (!Number.isInteger(i) || i < -n || i >= n) {
        throw new ArrayIndexError(i, this.shape, a);
      }
      if (i < 0) i += n;
      at += i * this.#strides[a];
    }
    return this.data[at];
  }

  /**
   * As nested JS arrays (a 0-d array: its number); bool as `true`/`false`.
   *
   * @example
   * ```ts
   * import { NdArray } from "@troupe/troupe/array";
   * const a = new NdArray([2, 1], "bool", new Uint8Array([1, 0]));
   * console.log(a.toArray()); // [[true], [false]]
   * ```
   */
  toArray(): Nested {
    const bool = this.dtype === "bool";
    const data = this.data;
    const build = (axis: number, at: number): Nested => {
      if (axis === this.shape.length) {
        return bool ? data[at] !== 0 : data[at];
      }
      const out: Nested[] = new Array(this.shape[axis]);
      for (let i = 0; i < out.length; i++) {
        out[i] = build(axis + 1, at + i * this.#strides[axis]);
      }
      return out;
    };
    return build(0, 0);
  }

  /**
   * A short description: shape and dtype.
   *
   * @example
   * ```ts
   * import { NdArray } from "@troupe/troupe/array";
   * console.log(String(new NdArray([2, 3], "float32"))); // NdArray(shape=(2, 3), dtype=float32)
   * ```
   */
  toString(): string {
    return `NdArray(shape=${showShape(this.shape)}, dtype=${this.dtype})`;
  }
}
