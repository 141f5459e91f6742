/**
 * The byte view kinds by number, as the wire's view extension and the
 * graphs' key encoding both number them: 0 is the `ArrayBuffer` itself.
 * The order is part of the wire format and of every task key: append only.
 *
 * @module
 */

/** The names of the byte view kinds, by number (append only). */
export const VIEW_NAMES: readonly string[] = [
  "ArrayBuffer",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Float16Array",
  "DataView",
];
