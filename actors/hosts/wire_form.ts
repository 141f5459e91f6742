/**
 * What a value becomes on the wire: `toWire` walks a value once and returns
 * it as it is when msgpackr carries it as `structuredClone` would (the
 * common case), else a copy in which each part msgpackr alone would change
 * is a form (below) that an extension of `msgpack.ts` carries: `-0`, a Map
 * (msgpackr writes Maps and objects alike), an array with holes, a string
 * with a lone surrogate (UTF-8 has no place for one), an object with an own
 * `__proto__` key or more than 65,535 keys, an Error (name, message, stack and cause, as
 * `structuredClone` keeps them), a boxed primitive. What cannot cross is
 * refused with a `CrossingError` that names the part at fault, by the rules
 * of `structuredClone` (`refusedKind`), plus a cycle and nesting past
 * `WIRE_DEPTH` levels, which MessagePack cannot carry.
 *
 * No msgpackr here: a worker host imports this without it.
 *
 * @module
 */

import { CrossingError, refusedKind } from "./crossing.ts";

/** How deep a value may nest to be sent (a deeper one is most likely a cycle). */
export const WIRE_DEPTH = 100;

/** The base of the forms `toWire` makes: already ready for the wire. */
export class Form {}

/** `-0` (msgpackr writes it as the integer 0). */
export class NegZero extends Form {}
/** The one `-0` form. */
export const NEG_ZERO: NegZero = new NegZero();

/** A Map: its entries, key then value, in order. */
export class MapForm extends Form {
  constructor(readonly entries: unknown[]) {
    super();
  }
}

/** An array with holes: its length, then index and value of each element. */
export class SparseForm extends Form {
  constructor(readonly items: unknown[]) {
    super();
  }
}

/** An object whose keys msgpackr would change: key then value, in order. */
export class ObjectForm extends Form {
  constructor(readonly entries: unknown[]) {
    super();
  }
}

/** A string with a lone surrogate: its UTF-16 code units. */
export class Utf16Form extends Form {
  constructor(readonly text: string) {
    super();
  }
}

/** An Error as `structuredClone` keeps it. */
export class ErrorForm extends Form {
  constructor(readonly fields: unknown[]) {
    super();
  }
}

/** A boxed primitive (`new Number(1)` and the like). */
export class BoxForm extends Form {
  constructor(readonly fields: [number, unknown]) {
    super();
  }
}

/** The Error types `structuredClone` keeps; any other arrives as an Error. */
export const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};
/** The type an Error form gives a DOMException. */
export const DOM_EXCEPTION = "DOMException";

/** An Error as the form that carries it (its cause already walked). */
export function errorForm(e: Error, cause: unknown): ErrorForm {
  let type: string;
  if (typeof DOMException === "function" && e instanceof DOMException) {
    type = DOM_EXCEPTION;
  } else {
    const name = String(e.name);
    type = Object.hasOwn(ERRORS, name) ? name : "Error";
  }
  const message = Object.hasOwn(e, "message") && typeof e.message === "string"
    ? e.message
    : null;
  const stack = typeof e.stack === "string" ? e.stack : null;
  return new ErrorForm(
    type === DOM_EXCEPTION
      ? [type, message, stack, 0, null, e.name]
      : Object.hasOwn(e, "cause")
      ? [type, message, stack, 1, cause]
      : [type, message, stack, 0, null],
  );
}

/** The kinds of boxed primitives. */
export const BOX_NUMBER = 0;
export const BOX_STRING = 1;
export const BOX_BOOLEAN = 2;
export const BOX_BIGINT = 3;

/** Thrown inside a walk that tracks no paths: the walk is redone with them. */
const PROBLEM = Symbol("problem");

function problem(path: string | undefined, what: string): never {
  if (path === undefined) throw PROBLEM;
  throw new CrossingError(`${path} ${what}`);
}

/**
 * `value` made ready for `packWire`: `value` itself when msgpackr carries it
 * as `structuredClone` would (the common case: one walk, no copy), else a
 * copy in which the parts msgpackr would change are in a form an extension
 * carries. Throws a `CrossingError` that names the part (under `what`) that
 * cannot cross.
 */
export function toWire(value: unknown, what = "value"): unknown {
  if (typeof value !== "object" || value === null) {
    return wire(value, 0, what); // (says where, if it must)
  }
  plainProto = objectPrototypeIsClean();
  try {
    return wire(value, 0, undefined);
  } catch (e) {
    if (e !== PROBLEM) throw e;
    return wire(value, 0, what); // again, to say where: throws
  }
}

function wire(v: unknown, depth: number, path: string | undefined): unknown {
  switch (typeof v) {
    case "object": {
      if (v === null) return v;
      if (depth >= WIRE_DEPTH) {
        return problem(
          path,
          `is nested more than ${WIRE_DEPTH} levels deep, or is a cycle (MessagePack cannot carry one)`,
        );
      }
      // (msgpackr tells plain objects and arrays by their constructor too.)
      const c = (v as { constructor?: unknown }).constructor;
      if (c === Object) {
        return wireObject(v as Record<string, unknown>, depth, path);
      }
      if (c === Array) return wireArray(v as unknown[], depth, path);
      return wireOther(v, Object.getPrototypeOf(v), depth, path);
    }
    case "number":
      return v === 0 && 1 / v < 0 ? NEG_ZERO : v;
    case "string":
      return wellFormed(v) ? v : new Utf16Form(v);
    case "boolean":
    case "undefined":
    case "bigint":
      return v;
    case "function":
      return problem(path, "is a function");
    default:
      return problem(path, "is a symbol");
  }
}

/** Whether `s` has no lone surrogate (short strings checked here: faster). */
function wellFormed(s: string): boolean {
  const n = s.length;
  if (n > 32) return s.isWellFormed();
  for (let i = 0; i < n; i++) {
    if ((s.charCodeAt(i) & 0xf800) === 0xd800) return s.isWellFormed();
  }
  return true;
}

function wireArray(
  a: unknown[],
  depth: number,
  path: string | undefined,
): unknown {
  const n = a.length;
  let out: unknown[] | undefined;
  for (let i = 0; i < n; i++) {
    const e = a[i];
    if (e === undefined && !(i in a)) return wireSparse(a, depth, path);
    const c = wire(e, depth + 1, path === undefined ? path : `${path}[${i}]`);
    // (A NaN is not itself, and needs no copy.)
    if (out === undefined && c !== e && c === c) out = a.slice(0, i);
    if (out !== undefined) out.push(c);
  }
  return out ?? a;
}

function wireSparse(
  a: unknown[],
  depth: number,
  path: string | undefined,
): SparseForm {
  const items: unknown[] = [a.length];
  for (const k in a) {
    const i = Number(k);
    if (
      !(Number.isInteger(i) && i >= 0 && i < a.length && Object.hasOwn(a, k))
    ) {
      continue; // not an index: not carried
    }
    items.push(
      i,
      wire(a[i], depth + 1, path === undefined ? path : `${path}[${i}]`),
    );
  }
  return new SparseForm(items);
}

function wireObject(
  o: Record<string, unknown>,
  depth: number,
  path: string | undefined,
): unknown {
  // Own enumerable string keys: what structuredClone (and msgpackr) take.
  // A for-in is the fast way to visit them, and visits nothing else when
  // the object's prototype is Object.prototype and that has no enumerable
  // property (checked once per value sent).
  if (!plainProto || Object.getPrototypeOf(o) !== Object.prototype) {
    return wireKeys(o, Object.keys(o), depth, path);
  }
  let out: Record<string, unknown> | undefined;
  let i = 0;
  for (const k in o) {
    if (k === "__proto__" || !wellFormed(k) || i === MAX_MAP) {
      return wireEntries(o, depth, path);
    }
    const e = o[k];
    // (Primitives here: most fields are, and a call costs.)
    let c: unknown = e;
    switch (typeof e) {
      case "number":
        if (e === 0 && 1 / e < 0) c = NEG_ZERO;
        break;
      case "string":
        if (!wellFormed(e)) c = new Utf16Form(e);
        break;
      case "boolean":
      case "undefined":
        break;
      default:
        c = wire(e, depth + 1, path === undefined ? path : `${path}.${k}`);
    }
    if (out === undefined && c !== e && c === c) {
      out = {};
      let j = 0;
      for (const before in o) {
        if (j++ === i) break;
        out[before] = o[before];
      }
    }
    if (out !== undefined) out[k] = c;
    i++;
  }
  return out ?? o;
}

/** `wireObject` for an object that is not plain: its own keys, as listed. */
function wireKeys(
  o: Record<string, unknown>,
  keys: string[],
  depth: number,
  path: string | undefined,
): unknown {
  if (keys.length > MAX_MAP) return wireEntries(o, depth, path);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === "__proto__" || !wellFormed(k)) return wireEntries(o, depth, path);
    const e = o[k];
    const c = wire(e, depth + 1, path === undefined ? path : `${path}.${k}`);
    if (out === undefined && c !== e && c === c) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = o[keys[j]];
    }
    if (out !== undefined) out[k] = c;
  }
  // A class instance or a null-prototype object that needs no copy:
  // msgpackr writes its own enumerable fields, as a plain object.
  return out ?? o;
}

/**
 * The most fields msgpackr writes as a map (its header holds 16 bits); an
 * object with more goes as a list of entries.
 */
const MAX_MAP = 0xffff;

/** Whether Object.prototype has no enumerable property (see `wireObject`). */
let plainProto = true;

function objectPrototypeIsClean(): boolean {
  for (const _ in Object.prototype) return false;
  return true;
}

function wireEntries(
  o: Record<string, unknown>,
  depth: number,
  path: string | undefined,
): ObjectForm {
  const entries: unknown[] = [];
  for (const k of Object.keys(o)) {
    entries.push(
      wire(k, depth + 1, path),
      wire(o[k], depth + 1, path === undefined ? path : `${path}.${k}`),
    );
  }
  return new ObjectForm(entries);
}

const SAB = typeof SharedArrayBuffer === "function"
  ? SharedArrayBuffer
  : undefined;

function wireOther(
  v: object,
  proto: object | null,
  depth: number,
  path: string | undefined,
): unknown {
  // A view crosses as the bytes it views, over memory of the receiver's own:
  // a view of shared memory too (its data; the sharing cannot cross to
  // another process, and a SharedArrayBuffer itself is refused below).
  if (ArrayBuffer.isView(v)) return v;
  if (v instanceof Date || v instanceof RegExp || v instanceof ArrayBuffer) {
    return v;
  }
  if (v instanceof Form) return v;
  if (Array.isArray(v)) return wireArray(v, depth, path);
  if (v instanceof Map) {
    const entries: unknown[] = [];
    let i = 0;
    for (const [k, x] of v) {
      entries.push(
        wire(k, depth + 1, path === undefined ? path : `${path}<key ${i}>`),
        wire(x, depth + 1, path === undefined ? path : `${path}<value ${i}>`),
      );
      i++;
    }
    return new MapForm(entries);
  }
  if (v instanceof Set) {
    let out: unknown[] | undefined;
    let i = 0;
    for (const x of v) {
      const c = wire(x, depth + 1, path === undefined ? path : `${path}<${i}>`);
      if (out === undefined && c !== x && c === c) out = [...v].slice(0, i);
      if (out !== undefined) out.push(c);
      i++;
    }
    if (out !== undefined) return new Set(out);
    return proto === Set.prototype ? v : new Set(v);
  }
  if (v instanceof Error) {
    const cause = Object.hasOwn(v, "cause")
      ? wire(
        (v as { cause?: unknown }).cause,
        depth + 1,
        path === undefined ? path : `${path}.cause`,
      )
      : undefined;
    return errorForm(v, cause);
  }
  if (v instanceof Number) {
    return new BoxForm([BOX_NUMBER, wire(v.valueOf(), depth + 1, path)]);
  }
  if (v instanceof String) {
    return new BoxForm([BOX_STRING, wire(v.valueOf(), depth + 1, path)]);
  }
  if (v instanceof Boolean) return new BoxForm([BOX_BOOLEAN, v.valueOf()]);
  if (v instanceof BigInt) return new BoxForm([BOX_BIGINT, v.valueOf()]);
  if (SAB !== undefined && v instanceof SAB) {
    return problem(
      path,
      "is a SharedArrayBuffer (another process cannot share memory)",
    );
  }
  const refused = refusedKind(v, proto);
  if (refused !== undefined) return problem(path, refused);
  // A class instance: a plain object of its own enumerable fields.
  return wireObject(v as Record<string, unknown>, depth, path);
}
