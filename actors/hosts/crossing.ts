/**
 * The crossing checks: what may leave for another host, checked at the
 * sender (the rules of `structuredClone` on every placement, and what
 * MessagePack cannot carry to a process), with the part at fault named in a
 * `CrossingError`; and a payload's refs put in their wire form
 * (`{ "~troupe/ref": [host, id, name?] }`), found by the same walk. The
 * envelope codec (codec.ts) carries what these checks let through.
 *
 * @module
 */

import type { Address } from "../envelope.ts";
import { isActorRef, refAddress } from "../ref_brand.ts";
import { takeTransfer, transfer } from "../transfer.ts";

/** The key of a ref's wire form: `{ "~troupe/ref": [host, id, name?] }`. */
export const REF_KEY = "~troupe/ref";

/**
 * A value that cannot cross to another host (a function, a symbol, a
 * Promise, shared memory to a process...), refused where it was sent: the
 * message names the part at fault. The same rules hold on every placement,
 * those of `structuredClone` (a `TypeError`, as its `DataCloneError` is a
 * clone error).
 *
 * @example
 * ```ts
 * import { ActorSystem, CrossingError, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Echo = defineActor({
 *   name: "echo",
 *   module: import.meta.url,
 *   init: () => ({}),
 *   handlers: { echo: (_s, v: unknown) => v },
 * });
 * await using system = new ActorSystem();
 * const echo = system.spawn(Echo, undefined, { placement: "worker" });
 * await assert.rejects(echo.ask("echo", { f: () => 1 }), CrossingError);
 * ```
 */
export class CrossingError extends TypeError {
  /**
   * Build the error from what cannot cross.
   *
   * @example
   * ```ts
   * import { CrossingError } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   * const e = new CrossingError("payload.f is a function");
   * assert.ok(e instanceof TypeError);
   * assert.equal(e.name, "CrossingError");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "CrossingError";
  }
}

/**
 * A payload made ready to cross that holds refs: `value` is a copy of it in
 * which every ref is in its wire form. Whatever carries it on must say so
 * (`HAS_REFS`, `refs`), so that the receiver turns them back into refs.
 */
export class RefPayload {
  /** The payload with its refs in their wire form. */
  readonly value: unknown;

  constructor(value: unknown) {
    this.value = value;
  }
}

/**
 * Make `value` ready to leave for another host: `value` itself when it holds
 * no ref (the common case: one walk, which the sender does anyway to check
 * it, and no copy), else a `RefPayload`. Throws a `CrossingError` that names
 * the part (under `what`) that cannot cross: checked at the sender, so that
 * `tell` fails there with a clear error instead of poisoning a whole batch
 * later. A transfer list marked on `value` moves to the copy.
 */
export function prepare(
  value: unknown,
  msgpack: boolean,
  what = "payload",
): unknown {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") {
      throw new CrossingError(`${what} is a ${typeof value}`);
    }
    return value;
  }
  const walk: Walk = { msgpack, seen: new Set(), refs: false };
  // Paths are spelled out only for a payload that has a problem: a second
  // walk finds it again, and says where.
  if (problemAt(value, undefined, walk, 0) !== undefined) {
    const again: Walk = { msgpack, seen: new Set(), refs: false };
    throw new CrossingError(problemAt(value, what, again, 0)!);
  }
  if (!walk.refs) return value;
  const copy = encodeRefs(value, what, new Map());
  const list = takeTransfer(value);
  if (list !== undefined) transfer(copy as object, list);
  return new RefPayload(copy);
}

/** The state of one payload walk. */
interface Walk {
  readonly msgpack: boolean;
  /** The objects on the path from the root: a cycle comes back to one. */
  readonly seen: Set<object>;
  /** Set when the walk met a ref. */
  refs: boolean;
}

function problemAt(
  v: unknown,
  path: string | undefined,
  walk: Walk,
  depth: number,
): string | undefined {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
      return undefined;
    case "function":
      return `${path} is a function`;
    case "symbol":
      return `${path} is a symbol`;
  }
  if (v === null) return undefined;
  const o = v as object;
  const { msgpack, seen } = walk;
  if (depth > 64) return `${path} is nested more than 64 levels deep`;
  if (seen.has(o)) {
    return msgpack
      ? `${path} is a cycle (MessagePack cannot carry one)`
      : undefined;
  }
  // (A view of shared memory crosses to a process as a copy of its bytes.)
  if (ArrayBuffer.isView(o)) return undefined;
  if (o instanceof ArrayBuffer) return undefined;
  if (SAB !== undefined && o instanceof SAB) {
    return msgpack
      ? `${path} is a SharedArrayBuffer (another process cannot share memory)`
      : undefined;
  }
  if (
    o instanceof Date || o instanceof RegExp || o instanceof Number ||
    o instanceof String || o instanceof Boolean || o instanceof BigInt
  ) {
    return undefined;
  }
  seen.add(o);
  try {
    if (o instanceof Error) {
      // Its cause crosses with it (as structuredClone takes it).
      return Object.hasOwn(o, "cause")
        ? problemAt(
          o.cause,
          path === undefined ? path : path + ".cause",
          walk,
          depth + 1,
        )
        : undefined;
    }
    if (o instanceof Map) {
      let i = 0;
      for (const [k, val] of o) {
        const p = problemAt(
          k,
          path === undefined ? path : path + `<key ${i}>`,
          walk,
          depth + 1,
        ) ??
          problemAt(
            val,
            path === undefined ? path : path + `<value ${i}>`,
            walk,
            depth + 1,
          );
        if (p !== undefined) return p;
        i++;
      }
      return undefined;
    }
    if (o instanceof Set) {
      let i = 0;
      for (const val of o) {
        const p = problemAt(
          val,
          path === undefined ? path : path + `<${i++}>`,
          walk,
          depth + 1,
        );
        if (p !== undefined) return p;
      }
      return undefined;
    }
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const p = problemAt(
          o[i],
          path === undefined ? path : path + `[${i}]`,
          walk,
          depth + 1,
        );
        if (p !== undefined) return p;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) {
      if (isActorRef(o)) {
        walk.refs = true; // crosses as its address
        return undefined;
      }
      const refused = refusedKind(o, proto);
      if (refused !== undefined) return `${path} ${refused}`;
      // An instance of a class of the program: its fields cross, as a plain
      // object (as structuredClone makes it).
    }
    for (const k of Object.keys(o)) {
      const p = problemAt(
        (o as Record<string, unknown>)[k],
        path === undefined ? path : `${path}.${k}`,
        walk,
        depth + 1,
      );
      if (p !== undefined) return p;
    }
    return undefined;
  } finally {
    seen.delete(o);
  }
}

const SAB = typeof SharedArrayBuffer === "function"
  ? SharedArrayBuffer
  : undefined;

/**
 * Why `v` cannot cross to another host, for an object that is not plain
 * data (a plain object or array, a Date, RegExp, byte view, Map, Set, Error
 * or boxed primitive), or undefined for an instance of a class of the
 * program, which crosses as its own enumerable fields. The rules of
 * `structuredClone`: what holds a state that is not its fields (a Promise,
 * a weak collection, a platform object such as a URL or a Request) cannot
 * be cloned.
 */
export function refusedKind(
  v: object,
  proto: object | null,
): string | undefined {
  if (v instanceof Promise) return "is a Promise";
  if (v instanceof WeakMap) return "is a WeakMap";
  if (v instanceof WeakSet) return "is a WeakSet";
  if (v instanceof WeakRef) return "is a WeakRef";
  if (v instanceof Symbol) return "is a Symbol object";
  const ctor = proto === null
    ? undefined
    : (proto as { constructor?: unknown }).constructor;
  if (
    typeof ctor === "function" &&
    (globalThis as Record<string, unknown>)[ctor.name] === ctor
  ) {
    return `is a ${ctor.name} (a built-in object that cannot be cloned)`;
  }
  return undefined;
}

/** A ref's wire form. */
function refToWire(a: Address): Record<string, unknown> {
  return {
    [REF_KEY]: a.name === undefined ? [a.host, a.id] : [a.host, a.id, a.name],
  };
}

/**
 * A copy of `v` (checked by `problemAt`, refs found) with every ref in its
 * wire form. Containers are copied (once each: shared parts and, for
 * workers, cycles stay so); everything else is taken as it is.
 */
function encodeRefs(
  v: unknown,
  path: string,
  copies: Map<object, unknown>,
): unknown {
  if (typeof v !== "object" || v === null) return v;
  const done = copies.get(v);
  if (done !== undefined) return done;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    copies.set(v, out);
    for (let i = 0; i < v.length; i++) {
      out[i] = encodeRefs(v[i], `${path}[${i}]`, copies);
    }
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    copies.set(v, out);
    let i = 0;
    for (const [k, x] of v) {
      out.set(
        encodeRefs(k, `${path}<key ${i}>`, copies),
        encodeRefs(x, `${path}<value ${i}>`, copies),
      );
      i++;
    }
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    copies.set(v, out);
    let i = 0;
    for (const x of v) out.add(encodeRefs(x, `${path}<${i++}>`, copies));
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    if (isActorRef(v)) {
      return refToWire(refAddress(v as { readonly address: Address }));
    }
    if (
      ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date ||
      v instanceof RegExp || v instanceof Error || v instanceof Number ||
      v instanceof String || v instanceof Boolean || v instanceof BigInt ||
      (SAB !== undefined && v instanceof SAB)
    ) return v;
    // An instance of a class of the program: the plain object it becomes.
  }
  const out: Record<string, unknown> = {};
  copies.set(v, out);
  for (const k of Object.keys(v)) {
    if (k === REF_KEY) {
      throw new CrossingError(
        `${path} has the key "${REF_KEY}", which troupe keeps for refs`,
      );
    }
    const x = encodeRefs(
      (v as Record<string, unknown>)[k],
      `${path}.${k}`,
      copies,
    );
    if (k === "__proto__") {
      Object.defineProperty(out, k, {
        value: x,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[k] = x;
  }
  return out;
}
