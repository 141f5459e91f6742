/**
 * What marks an object as one of troupe's refs, and a ref's address: apart
 * from ref.ts so that the codec (hosts/) finds refs in a payload without
 * importing the ref classes (which know the cell and the runtime).
 *
 * @module
 */

import type { Address } from "./envelope.ts";
import { preview } from "./preview.ts";

/** Set on the prototypes of troupe's ref classes: how a payload's refs are found. */
const REF_BRAND: unique symbol = Symbol("troupe.ref");

/** Mark `cls` as a ref class (its instances are refs to the codec). */
export function brandRef(cls: { prototype: object }): void {
  Object.defineProperty(cls.prototype, REF_BRAND, { value: true });
}

/**
 * Whether `x` is one of troupe's refs (local, remote or dead): what the codec
 * sends as an address. A property read on the prototype: cheap enough for
 * the payload walk, which asks only for objects that are not plain data.
 */
export function isActorRef(x: object): boolean {
  return (x as { [REF_BRAND]?: boolean })[REF_BRAND] === true;
}

/** The address of any ref (local or not); a `TypeError` for a non-ref. */
export function refAddress(ref: { readonly address: Address }): Address {
  const a = ref?.address;
  if (typeof a?.host !== "string" || !Number.isInteger(a?.id)) {
    throw new TypeError(
      `expected an ActorRef, got ${preview(ref?.address ?? ref)}`,
    );
  }
  return a;
}
