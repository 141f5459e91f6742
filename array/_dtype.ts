/**
 * dtypes: the element types of arrays (typed arrays underneath) and NumPy's
 * promotion rules between them (NEP 50: a JS number is a "weak" scalar that
 * takes the array's kind where it can). There is no int64: where NumPy
 * would give one (a bool array plus an int, int32 with uint32) int32 or
 * float64 stands in, as said at each rule.
 *
 * @module
 */

import { DTypeError } from "./_errors.ts";

/**
 * An element type. `bool` is stored as bytes (0 or 1), as NumPy does.
 *
 * @example
 * ```ts
 * import type { DType } from "@troupe/troupe/array";
 * const d: DType = "float32";
 * ```
 */
export type DType =
  | "float64"
  | "float32"
  | "int32"
  | "uint32"
  | "int16"
  | "uint16"
  | "int8"
  | "uint8"
  | "bool";

/**
 * The typed array that holds elements of a dtype.
 *
 * @example
 * ```ts
 * import type { TypedArray } from "@troupe/troupe/array";
 * const data: TypedArray = new Float64Array(4);
 * ```
 */
export type TypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** A typed array's constructor. */
export type TypedArrayConstructor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

const CONSTRUCTORS: Record<DType, TypedArrayConstructor> = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Every dtype, in NumPy's order of kinds. */
export const DTYPES: readonly DType[] = Object.keys(CONSTRUCTORS) as DType[];

/** Whether `d` names a dtype. */
export function isDType(d: unknown): d is DType {
  return typeof d === "string" && Object.hasOwn(CONSTRUCTORS, d);
}

/** `d`, checked. */
export function checkDType(d: unknown, what = "dtype"): DType {
  if (!isDType(d)) {
    throw new DTypeError(
      `unknown ${what} ${JSON.stringify(d)}: use one of ${DTYPES.join(", ")}`,
    );
  }
  return d;
}

/** The typed array constructor for `d`. */
export function arrayType(d: DType): TypedArrayConstructor {
  return CONSTRUCTORS[d];
}

/** A new zeroed typed array of `n` elements of `d`. */
export function allocate(d: DType, n: number): TypedArray {
  return new CONSTRUCTORS[d](n);
}

/** Bytes per element. */
export function itemSize(d: DType): number {
  return CONSTRUCTORS[d].BYTES_PER_ELEMENT;
}

/** The dtype of a typed array (`Uint8Array` is uint8). */
export function dtypeOf(data: TypedArray): DType {
  for (const d of DTYPES) {
    if (data.constructor === CONSTRUCTORS[d]) return d;
  }
  throw new DTypeError(`unsupported typed array ${data.constructor.name}`);
}

/** Whether `d` is a floating dtype. */
export function isFloat(d: DType): boolean {
  return d === "float64" || d === "float32";
}

/** Whether `d` is an integer dtype (not bool). */
export function isInteger(d: DType): boolean {
  return !isFloat(d) && d !== "bool";
}

function isSigned(d: DType): boolean {
  return d === "int8" || d === "int16" || d === "int32";
}

const SIGNED_BY_SIZE: Record<number, DType> = {
  1: "int8",
  2: "int16",
  4: "int32",
};

/**
 * NumPy's result type of two array dtypes. Where NumPy gives int64 (int32
 * with uint32) this gives float64, which holds every such value exactly.
 */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool") return b;
  if (b === "bool") return a;
  if (isFloat(a) || isFloat(b)) {
    const f = isFloat(a) ? a : b;
    const o = f === a ? b : a;
    if (isFloat(o)) return a === "float64" || b === "float64" ? "float64" : f;
    // An integer fits float32 when it has at most 16 bits (NumPy: float16
    // for 8 bits, which is not here, so float32).
    return f === "float32" && itemSize(o) <= 2 ? "float32" : "float64";
  }
  if (isSigned(a) === isSigned(b)) return itemSize(a) >= itemSize(b) ? a : b;
  const s = isSigned(a) ? a : b;
  const u = s === a ? b : a;
  if (itemSize(s) > itemSize(u)) return s;
  return SIGNED_BY_SIZE[2 * itemSize(u)] ?? "float64";
}

/**
 * The result type of an array of dtype `a` with a JS number `x` (a weak
 * scalar): an integral number keeps an integer or float array's dtype (a
 * bool array becomes int32, NumPy's default integer here); a fractional,
 * infinite or NaN number makes an integer or bool array float64.
 */
export function promoteScalar(a: DType, x: number): DType {
  if (Number.isInteger(x)) return a === "bool" ? "int32" : a;
  return isFloat(a) ? a : "float64";
}

/** NumPy's dtype for the result of a true division, sqrt, exp... of `d`. */
export function floatOf(d: DType): DType {
  if (isFloat(d)) return d;
  // NumPy gives float16 for 8-bit inputs; float32 stands in.
  return itemSize(d) <= 2 ? "float32" : "float64";
}

/**
 * The JS expression that makes the value of expression `e` a value of `d`,
 * as storing it in `d`'s typed array would (integers wrap, float32 rounds,
 * bool is 0 or 1). Used in generated kernels after every step, so that a
 * fused chain gives what NumPy gives step by step.
 */
export function castCode(d: DType, e: string): string {
  switch (d) {
    case "float64":
      return e;
    case "float32":
      return `Math.fround(${e})`;
    case "int32":
      return `((${e}) | 0)`;
    case "uint32":
      return `((${e}) >>> 0)`;
    case "int16":
      return `((${e}) << 16 >> 16)`;
    case "uint16":
      return `((${e}) & 65535)`;
    case "int8":
      return `((${e}) << 24 >> 24)`;
    case "uint8":
      return `((${e}) & 255)`;
    case "bool":
      return `((${e}) !== 0 ? 1 : 0)`;
  }
}

/** `x` as a value of `d` (see `castCode`), in JS. */
export function castValue(d: DType, x: number): number {
  switch (d) {
    case "float64":
      return x;
    case "float32":
      return Math.fround(x);
    case "bool":
      return x !== 0 ? 1 : 0;
    default: {
      if (!Number.isFinite(x)) return 0;
      const a = new CONSTRUCTORS[d](1);
      a[0] = Math.trunc(x);
      return a[0];
    }
  }
}
