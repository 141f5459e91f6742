/**
 * Zarr storage (stub until the zarrita wiring lands).
 *
 * @module
 */

import type { Lazy } from "./_expr.ts";
import type { ComputeOptions } from "./_graph.ts";

/**
 * Options of `toZarr`.
 *
 * @example
 * ```ts
 * import type { ZarrWriteOptions } from "@troupe/troupe/array";
 * const o: ZarrWriteOptions = { placement: "inline" };
 * ```
 */
export interface ZarrWriteOptions extends ComputeOptions {
  /** Replace an array already there. */
  overwrite?: boolean;
}

/** Write `x` to a Zarr directory store. */
export function toZarrLazy(
  _x: Lazy,
  _path: string,
  _options?: ZarrWriteOptions,
): Promise<void> {
  return Promise.reject(new Error("toZarr: not yet"));
}
