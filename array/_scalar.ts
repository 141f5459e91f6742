/**
 * `Scalar`: a lazy single value, what a reduction over all axes gives.
 *
 * @module
 */

import type { DType } from "./_dtype.ts";
import {
  type ComputeOptions,
  type Delayed,
  type GraphRunner,
  withRunner,
} from "./_graph.ts";

/**
 * A lazy single value: the result of a reduction over all axes.
 *
 * @example
 * ```ts
 * import { ones } from "@troupe/troupe/array";
 * import assert from "node:assert/strict";
 * const total = ones([4, 4], { chunks: 2 }).sum();
 * assert.equal(await total.compute({ placement: "inline" }), 16);
 * ```
 */
export class Scalar<T = number> {
  readonly #node: Delayed<number>;
  readonly #convert: (v: number) => T;
  /**
   * The dtype it has as an operand (a 0-d array: `x.sub(x.mean())`).
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2], { dtype: "float32" }).mean().dtype); // "float32"
   * ```
   */
  readonly dtype: DType;

  /**
   * Made by reductions.
   *
   * @example
   * ```ts
   * import { ones, Scalar } from "@troupe/troupe/array";
   * console.log(ones([2]).mean() instanceof Scalar); // true
   * ```
   */
  constructor(
    node: unknown,
    convert?: (v: number) => T,
    dtype: DType = "float64",
  ) {
    this.#node = node as Delayed<number>;
    this.dtype = dtype;
    this.#convert = convert ?? ((v) => v as T);
  }

  /**
   * Its graph key.
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2], { chunks: 1 }).sum().key.startsWith("sum_agg-")); // true
   * ```
   */
  get key(): string {
    return this.#node.key;
  }

  /**
   * The delayed value (to use in `delayed` graphs).
   *
   * @example
   * ```ts
   * import { ones } from "@troupe/troupe/array";
   * console.log(ones([2]).sum().toDelayed().key === ones([2]).sum().key); // true
   * ```
   */
  toDelayed(): Delayed<number> {
    return this.#node;
  }

  /**
   * Compute it (see `ComputeOptions`; default: a scheduler on this
   * machine's cores, made for the call).
   *
   * @example
   * ```ts
   * import { arange } from "@troupe/troupe/array";
   * console.log(await arange(10).max().compute({ placement: "inline" })); // 9
   * ```
   */
  compute(options?: ComputeOptions): Promise<T> {
    return withRunner(options, async (runner: GraphRunner) => {
      const [v] = await runner.compute(this.#node) as [number];
      return this.#convert(v);
    });
  }
}
