/**
 * MessagePack for every link between hosts: the shared-memory lane of a
 * worker (`lane.ts`), the pipes of a process host (`frames.ts`) and cluster
 * connections (`cluster/framing.ts`) all encode and decode with this one
 * msgpackr configuration, so that a value is the same value on every
 * placement.
 *
 * Encoding: a value arrives as `structuredClone` would deliver it, or
 * `toWire` refuses it with a `CrossingError` that names the part at fault
 * (a function, a symbol, a Promise, a WeakMap, shared memory, a platform
 * object such as a URL, a cycle, nesting past 100 levels). msgpackr carries
 * most values as they are; `toWire` walks each value once and, only where
 * msgpackr alone would change it, swaps in a form that an extension below
 * carries: `-0`, a Map (msgpackr writes Maps and objects alike), an array
 * with holes, a string with a lone surrogate (UTF-8 has no place for one),
 * an object with an own `__proto__` key, an Error (name, message, stack and
 * cause, as `structuredClone` keeps them), a boxed primitive. Typed arrays of
 * every kind, `DataView`s and `ArrayBuffer`s go as their raw bytes, never
 * element by element; a class instance goes as a plain object of its own
 * enumerable fields, as `structuredClone` makes it.
 *
 * Where MessagePack differs from `structuredClone`, on purpose:
 * - a value reached twice in one message arrives as two equal copies (the
 *   decoder takes no shared references, see below), and a cycle is refused;
 * - a typed array view arrives as its own bytes (`byteOffset` 0, a buffer of
 *   exactly its length), not with the whole buffer it was a view of;
 * - non-index properties of an array are not carried.
 *
 * Decoding (`unpack`) takes only what this encoder writes, so that a peer's
 * frame costs time and memory in proportion to its size: before msgpackr
 * reads a byte, a scan refuses msgpackr's record definitions, shared
 * references and string bundles (each lets a few bytes stand for much more
 * work), unknown extensions, map keys other than strings, nesting deeper
 * than `maxDepth`, and lengths that run past the end of the frame; a
 * failure is a `DecodeError` that says what was wrong.
 *
 * msgpackr keeps its extensions in one table per isolate: troupe registers
 * its own there (types 0x20 to 0x27), and its Error and typed array
 * encodings replace msgpackr's for every Packr in the isolate.
 *
 * @module
 */

// The "/pack" entry is msgpackr's plain-JS build: the default one reads an
// environment variable at import, which a least-privilege host may not.
import {
  addExtension,
  Packr,
  RESERVE_START_SPACE,
  Unpackr,
} from "msgpackr/pack";
import { CrossingError, refusedKind } from "./codec.ts";

/** How deep a value may nest to be sent (a deeper one is most likely a cycle). */
export const WIRE_DEPTH = 100;
/** How deep a frame may nest to be decoded (a value, and what holds it). */
export const DECODE_DEPTH = 128;

/** A frame a peer sent that this decoder does not take; says why. */
export class DecodeError extends Error {
  /** Build the error from what is wrong. */
  constructor(problem: string, options?: ErrorOptions) {
    super(problem, options);
    this.name = "DecodeError";
  }
}

// ---- the forms toWire swaps in ---------------------------------------------

/** The base of the forms `toWire` makes: already ready for the wire. */
class Form {}

/** `-0` (msgpackr writes it as the integer 0). */
class NegZero extends Form {}
const NEG_ZERO = new NegZero();

/** A Map: its entries, key then value, in order. */
class MapForm extends Form {
  constructor(readonly entries: unknown[]) {
    super();
  }
}

/** An array with holes: its length, then index and value of each element. */
class SparseForm extends Form {
  constructor(readonly items: unknown[]) {
    super();
  }
}

/** An object whose keys msgpackr would change: key then value, in order. */
class ObjectForm extends Form {
  constructor(readonly entries: unknown[]) {
    super();
  }
}

/** A string with a lone surrogate: its UTF-16 code units. */
class Utf16Form extends Form {
  constructor(readonly text: string) {
    super();
  }
}

/** An Error as `structuredClone` keeps it. */
class ErrorForm extends Form {
  constructor(readonly fields: unknown[]) {
    super();
  }
}

/** A boxed primitive (`new Number(1)` and the like). */
class BoxForm extends Form {
  constructor(readonly fields: [number, unknown]) {
    super();
  }
}

// ---- extensions ------------------------------------------------------------

const T_NEG_ZERO = 0x20;
const T_MAP = 0x21;
const T_SPARSE = 0x22;
const T_OBJECT = 0x23;
const T_ERROR = 0x24;
const T_BOX = 0x25;
const T_UTF16 = 0x26;
const T_BYTES = 0x27;
/** Extension types that tag the one value after them (fixext 1). */
const TAGS = new Set([T_NEG_ZERO, T_MAP, T_SPARSE, T_OBJECT, T_ERROR, T_BOX]);
/** msgpackr's own tags this encoder writes: Set and RegExp. */
const MSGPACKR_SET = 0x73;
const MSGPACKR_REGEXP = 0x78;
const MSGPACKR_BIGINT = 0x42;
const TIMESTAMP = 0xff;

/** Byte views by kind; 2 (Uint8Array) goes as MessagePack bin instead. */
const VIEWS: (
  | (new (buffer: ArrayBuffer) => ArrayBufferView)
  | undefined
)[] = [
  undefined, // 0: the ArrayBuffer itself
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  (globalThis as { Float16Array?: new (b: ArrayBuffer) => ArrayBufferView })
    .Float16Array,
  DataView,
];
const VIEW_NAMES = [
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
const TypedArray = Object.getPrototypeOf(Uint8Array);
const typedArrayName = Object.getOwnPropertyDescriptor(
  TypedArray.prototype,
  Symbol.toStringTag,
)!.get!;

interface Room {
  target: Uint8Array;
  targetView: DataView;
  position: number;
}
type Allocate = (size: number) => Room;

function viewKind(v: ArrayBufferView | ArrayBuffer): number {
  if (v instanceof ArrayBuffer) return 0;
  if (v instanceof DataView) return 13;
  return VIEW_NAMES.indexOf(typedArrayName.call(v));
}

/** Write a byte view or buffer as its raw bytes: bin for bytes, else an ext. */
function writeBytes(
  v: ArrayBufferView | ArrayBuffer,
  allocate: Allocate,
): void {
  const kind = viewKind(v);
  const bytes = v instanceof ArrayBuffer
    ? new Uint8Array(v)
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const n = bytes.length;
  if (kind === 2) {
    const head = n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
    const { target, targetView, position } = allocate(head + n);
    let p = position;
    if (head === 2) {
      target[p++] = 0xc4;
      target[p++] = n;
    } else if (head === 3) {
      target[p++] = 0xc5;
      targetView.setUint16(p, n);
      p += 2;
    } else {
      target[p++] = 0xc6;
      targetView.setUint32(p, n);
      p += 4;
    }
    target.set(bytes, p);
    return;
  }
  const len = n + 1; // the kind, then the bytes
  const head = len < 0x100 ? 3 : len < 0x10000 ? 4 : 6;
  const { target, targetView, position } = allocate(head + len);
  let p = position;
  if (head === 3) {
    target[p++] = 0xc7;
    target[p++] = len;
  } else if (head === 4) {
    target[p++] = 0xc8;
    targetView.setUint16(p, len);
    p += 2;
  } else {
    target[p++] = 0xc9;
    targetView.setUint32(p, len);
    p += 4;
  }
  target[p++] = T_BYTES;
  target[p++] = kind;
  target.set(bytes, p);
}

function readBytes(data: Uint8Array): unknown {
  if (data.length < 1) throw new DecodeError("a byte array without its kind");
  const kind = data[0];
  const name = VIEW_NAMES[kind];
  if (name === undefined) {
    throw new DecodeError(`unknown byte view kind ${kind}`);
  }
  // A copy: aligned, and owned by the value (not a view of the frame).
  const buffer = data.slice(1).buffer;
  if (kind === 0) return buffer;
  const View = VIEWS[kind];
  if (View === undefined) {
    throw new DecodeError(`a ${name} came, and this runtime has none`);
  }
  try {
    return new View(buffer);
  } catch (e) {
    throw new DecodeError(
      `a ${name} of ${buffer.byteLength} bytes (${(e as Error).message})`,
    );
  }
}

function writeUtf16(form: Utf16Form, allocate: Allocate): void {
  const s = form.text;
  const len = 2 * s.length;
  const head = len < 0x100 ? 3 : len < 0x10000 ? 4 : 6;
  const { target, targetView, position } = allocate(head + len);
  let p = position;
  if (head === 3) {
    target[p++] = 0xc7;
    target[p++] = len;
  } else if (head === 4) {
    target[p++] = 0xc8;
    targetView.setUint16(p, len);
    p += 2;
  } else {
    target[p++] = 0xc9;
    targetView.setUint32(p, len);
    p += 4;
  }
  target[p++] = T_UTF16;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    target[p++] = c & 255;
    target[p++] = c >>> 8;
  }
}

function readUtf16(data: Uint8Array): string {
  if (data.length % 2 !== 0) throw new DecodeError("odd UTF-16 byte count");
  const units = new Uint16Array(data.length / 2);
  for (let i = 0; i < units.length; i++) {
    units[i] = data[2 * i] | data[2 * i + 1] << 8;
  }
  let s = "";
  for (let i = 0; i < units.length; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      units.subarray(i, i + 8192) as unknown as number[],
    );
  }
  return s;
}

function list(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x)) throw new DecodeError(`${what} is not a list`);
  return x;
}

function readMap(x: unknown): Map<unknown, unknown> {
  const e = list(x, "a Map's entries");
  if (e.length % 2 !== 0) throw new DecodeError("a Map's entries are odd");
  const m = new Map();
  for (let i = 0; i < e.length; i += 2) m.set(e[i], e[i + 1]);
  return m;
}

/** The longest array length JavaScript has. */
const MAX_LENGTH = 2 ** 32 - 1;

function readSparse(x: unknown): unknown[] {
  const items = list(x, "a sparse array");
  const length = items[0];
  if (
    !(Number.isInteger(length) && (length as number) >= 0 &&
      (length as number) <= MAX_LENGTH) || items.length % 2 !== 1
  ) {
    throw new DecodeError("a sparse array without a valid length");
  }
  const a = new Array(length as number);
  for (let i = 1; i < items.length; i += 2) {
    const at = items[i];
    if (
      !(Number.isInteger(at) && (at as number) >= 0 &&
        (at as number) < a.length)
    ) {
      throw new DecodeError("a sparse array's index is out of range");
    }
    a[at as number] = items[i + 1];
  }
  return a;
}

function readObject(x: unknown): Record<string, unknown> {
  const e = list(x, "an object's entries");
  if (e.length % 2 !== 0) throw new DecodeError("an object's entries are odd");
  const o: Record<string, unknown> = {};
  for (let i = 0; i < e.length; i += 2) {
    if (typeof e[i] !== "string") {
      throw new DecodeError("an object key is not a string");
    }
    Object.defineProperty(o, e[i] as string, {
      value: e[i + 1],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return o;
}

/** The Error types `structuredClone` keeps; any other arrives as an Error. */
const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};
const DOM_EXCEPTION = "DOMException";

function errorForm(e: Error, cause: unknown): ErrorForm {
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

function readError(x: unknown): Error {
  const [type, message, stack, hasCause, cause, domName] = list(x, "an Error");
  if (
    typeof type !== "string" ||
    (message !== null && typeof message !== "string") ||
    (stack !== null && typeof stack !== "string")
  ) {
    throw new DecodeError("a malformed Error");
  }
  // Its stack is the sender's: none is captured here.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let e: Error;
  try {
    if (type === DOM_EXCEPTION && typeof DOMException === "function") {
      e = new DOMException(message ?? undefined, String(domName));
    } else {
      const Ctor = Object.hasOwn(ERRORS, type) ? ERRORS[type] : Error;
      e = hasCause === 1
        ? new Ctor(message ?? undefined, { cause })
        : new Ctor(message ?? undefined);
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (stack !== null) e.stack = stack;
  return e;
}

const BOX_NUMBER = 0;
const BOX_STRING = 1;
const BOX_BOOLEAN = 2;
const BOX_BIGINT = 3;

function readBox(x: unknown): object {
  const [kind, value] = list(x, "a boxed primitive");
  const ok = kind === BOX_NUMBER
    ? typeof value === "number"
    : kind === BOX_STRING
    ? typeof value === "string"
    : kind === BOX_BOOLEAN
    ? typeof value === "boolean"
    : kind === BOX_BIGINT && typeof value === "bigint";
  if (!ok) throw new DecodeError("a malformed boxed primitive");
  return Object(value);
}

addExtension({
  Class: NegZero,
  type: T_NEG_ZERO,
  write: () => 0,
  read: () => -0,
});
addExtension({
  Class: MapForm,
  type: T_MAP,
  write: (f: MapForm) => f.entries,
  read: readMap,
});
addExtension({
  Class: SparseForm,
  type: T_SPARSE,
  write: (f: SparseForm) => f.items,
  read: readSparse,
});
addExtension({
  Class: ObjectForm,
  type: T_OBJECT,
  write: (f: ObjectForm) => f.entries,
  read: readObject,
});
addExtension({
  Class: ErrorForm,
  type: T_ERROR,
  write: (f: ErrorForm) => f.fields,
  read: readError,
});
addExtension({
  Class: BoxForm,
  type: T_BOX,
  write: (f: BoxForm) => f.fields,
  read: readBox,
});
addExtension({
  Class: Utf16Form,
  type: T_UTF16,
  pack: writeUtf16 as never,
  unpack: readUtf16,
});
for (const Class of [TypedArray, DataView, ArrayBuffer]) {
  addExtension({
    Class,
    type: T_BYTES,
    pack: writeBytes as never,
    unpack: readBytes,
  });
}

// ---- the walk --------------------------------------------------------------

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
  const keys = Object.keys(o);
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
  if (ArrayBuffer.isView(v)) {
    if (SAB !== undefined && v.buffer instanceof SAB) {
      return problem(
        path,
        "is a view of a SharedArrayBuffer (another process cannot share memory)",
      );
    }
    return v;
  }
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

// ---- packing ---------------------------------------------------------------

const packr = new Packr({
  useRecords: false,
  moreTypes: true,
  useToJSON: false,
  // Maps of their own size, from Object.keys: own enumerable fields (what
  // structuredClone takes), any number of them, and faster to write than
  // msgpackr's default (a for-in with a hasOwnProperty call per key).
  variableMapSize: true,
  // (toWire refuses functions first; this is the backstop.)
  writeFunction: () => {
    throw new CrossingError("a function cannot cross to another host");
  },
});

/**
 * Encode a value made ready by `toWire`. With `reserve`, the result starts
 * with that many free bytes (for a length prefix). The bytes are valid
 * until the next call only when they are copied or sent at once: msgpackr
 * reuses its buffer after a while.
 */
export function packWire(ready: unknown, reserve = 0): Uint8Array {
  return reserve === 0
    ? packr.pack(ready)
    : packr.pack(ready, RESERVE_START_SPACE | reserve);
}

/** `packWire(toWire(value, what))`. */
export function pack(value: unknown, what = "value"): Uint8Array {
  return packr.pack(toWire(value, what));
}

// ---- unpacking -------------------------------------------------------------

// No records, no shared references: a frame means the same to any reader
// and nothing is remembered between frames.
const copying = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  structuredClone: false,
  copyBuffers: true,
});
const viewing = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  structuredClone: false,
});

/** How `unpack` reads. */
export interface UnpackOptions {
  /**
   * Byte arrays are copied out of `bytes` (true, the default: `bytes` is a
   * buffer that is reused) or are views of it (false: `bytes` belongs to
   * the value from now on).
   */
  copy?: boolean;
  /** The deepest nesting taken (default `DECODE_DEPTH`). */
  maxDepth?: number;
}

/**
 * Decode one value that a peer sent. Throws a `DecodeError` that says what
 * was wrong, before anything is built for a frame this encoder would not
 * have made.
 */
export function unpack(
  bytes: Uint8Array,
  options: UnpackOptions = {},
): unknown {
  scan(bytes, options.maxDepth ?? DECODE_DEPTH);
  try {
    return (options.copy === false ? viewing : copying).unpack(bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(
      `undecodable MessagePack (${(e as Error)?.message ?? String(e)})`,
      { cause: e },
    );
  }
}

/**
 * Check that `b` is one MessagePack value made of what this encoder writes,
 * nested at most `maxDepth` deep, every length within the bytes: a loop
 * over the bytes, no recursion, nothing allocated but the stack of counts.
 */
export function scan(b: Uint8Array, maxDepth: number): void {
  const end = b.length;
  // Values still to read at each level (level 0 holds the one top value),
  // and for a map's level whether the next item is a key.
  const left = new Float64Array(maxDepth + 2);
  const keyNext = new Uint8Array(maxDepth + 2);
  let depth = 0;
  left[0] = 1;
  let p = 0;
  for (;;) {
    while (left[depth] === 0) {
      if (depth === 0) {
        if (p !== end) {
          throw new DecodeError(`${end - p} bytes after the value`);
        }
        return;
      }
      depth--;
    }
    left[depth]--;
    if (p >= end) throw pastEnd(p, end);
    const t = b[p++];
    const kv = keyNext[depth];
    if (kv === 1) {
      keyNext[depth] = 2; // the value after it
      if (!(t >= 0xa0 && t <= 0xbf) && !(t >= 0xd9 && t <= 0xdb)) {
        throw new DecodeError(
          `a map key that is not a string, at byte ${p - 1}`,
        );
      }
    } else if (kv === 2) keyNext[depth] = 1;
    let items = -1; // a container's items, when `t` opens one
    let map = false;
    if (t < 0x80 || t >= 0xe0) continue; // fixint
    if (t < 0x90) {
      items = t & 0x0f;
      map = true;
    } else if (t < 0xa0) items = t & 0x0f;
    else if (t < 0xc0) {
      p += t & 0x1f;
      if (p > end) throw pastEnd(p, end);
      continue;
    } else {
      let n = 0; // bytes to skip
      switch (t) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          continue;
        case 0xc4: // bin 8
        case 0xd9: // str 8
          n = 1 + (p < end ? b[p] : 0);
          break;
        case 0xc5: // bin 16
        case 0xda: // str 16
          n = 2 + (p + 2 <= end ? b[p] << 8 | b[p + 1] : 0);
          break;
        case 0xc6: // bin 32
        case 0xdb: // str 32
          n = 4 + (p + 4 <= end ? uint32(b, p) : 0);
          break;
        case 0xc7: // ext 8
        case 0xc8: // ext 16
        case 0xc9: { // ext 32
          const w = t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4;
          if (p + w + 1 > end) throw pastEnd(p + w + 1, end);
          const len = w === 1
            ? b[p]
            : w === 2
            ? b[p] << 8 | b[p + 1]
            : uint32(b, p);
          const type = b[p + w];
          if (
            type !== T_BYTES && type !== T_UTF16 && type !== MSGPACKR_BIGINT &&
            !(type === TIMESTAMP && len === 12)
          ) throw badExtension(type, p + w);
          n = w + 1 + len;
          break;
        }
        case 0xca: // float 32
        case 0xce: // uint 32
        case 0xd2: // int 32
          n = 4;
          break;
        case 0xcb: // float 64
        case 0xcf: // uint 64
        case 0xd3: // int 64
          n = 8;
          break;
        case 0xcc: // uint 8
        case 0xd0: // int 8
          n = 1;
          break;
        case 0xcd: // uint 16
        case 0xd1: // int 16
          n = 2;
          break;
        case 0xd4: { // fixext 1
          if (p + 2 > end) throw pastEnd(p + 2, end);
          const type = b[p];
          p += 2;
          if (type === 0 || type === MSGPACKR_BIGINT) continue; // undefined
          if (type === TIMESTAMP && b[p - 1] === 0xff) continue; // invalid Date
          if (
            !TAGS.has(type) && type !== MSGPACKR_SET && type !== MSGPACKR_REGEXP
          ) throw badExtension(type, p - 2);
          items = 1; // the tagged value, one level down
          break;
        }
        case 0xd5: // fixext 2
        case 0xd6: // fixext 4
        case 0xd7: // fixext 8
        case 0xd8: { // fixext 16
          const len = t === 0xd5 ? 2 : t === 0xd6 ? 4 : t === 0xd7 ? 8 : 16;
          if (p >= end) throw pastEnd(p + 1, end);
          const type = b[p];
          if (
            !(type === MSGPACKR_BIGINT || type === T_BYTES ||
              type === T_UTF16 ||
              (type === TIMESTAMP && (len === 4 || len === 8)))
          ) throw badExtension(type, p);
          n = 1 + len;
          break;
        }
        case 0xdc: // array 16
        case 0xde: // map 16
          if (p + 2 > end) throw pastEnd(p + 2, end);
          items = b[p] << 8 | b[p + 1];
          p += 2;
          map = t === 0xde;
          break;
        case 0xdd: // array 32
        case 0xdf: // map 32
          if (p + 4 > end) throw pastEnd(p + 4, end);
          items = uint32(b, p);
          p += 4;
          map = t === 0xdf;
          break;
        default: // 0xc1: never used (msgpackr's string bundles)
          throw new DecodeError(
            `byte 0x${t.toString(16)} at ${p - 1} is not taken`,
          );
      }
      if (items < 0) {
        p += n;
        if (p > end) throw pastEnd(p, end);
        continue;
      }
    }
    if (map) items *= 2;
    // Each item takes a byte at least: a length past the end is a lie.
    if (items > end - p) {
      throw new DecodeError(
        `a ${map ? "map" : "list"} of ${items} items in ${end - p} bytes`,
      );
    }
    if (items === 0) continue;
    if (depth + 1 > maxDepth) {
      throw new DecodeError(`nested deeper than ${maxDepth} levels`);
    }
    depth++;
    left[depth] = items;
    keyNext[depth] = map ? 1 : 0;
  }
}

function pastEnd(at: number, end: number): DecodeError {
  return new DecodeError(
    `a length runs past the end of the ${end}-byte frame (to byte ${at})`,
  );
}

function uint32(b: Uint8Array, p: number): number {
  return (b[p] << 24 | b[p + 1] << 16 | b[p + 2] << 8 | b[p + 3]) >>> 0;
}

function badExtension(type: number, p: number): DecodeError {
  const what = type === 0x72
    ? " (a record definition)"
    : type === 0x70 || type === 0x69
    ? " (a shared reference)"
    : type === 0x62
    ? " (a string bundle)"
    : "";
  return new DecodeError(
    `extension type 0x${type.toString(16)}${what} at byte ${p} is not taken`,
  );
}
