/**
 * MessagePack for every link between hosts: the shared-memory lane of a
 * worker (`lane.ts`), the pipes of a process host (`frames.ts`) and cluster
 * connections (`cluster/framing.ts`) all encode and decode with this one
 * msgpackr configuration, so that a value is the same value on every
 * placement.
 *
 * Encoding: a value arrives as `structuredClone` would deliver it, or
 * `toWire` (`wire_form.ts`) refuses it with a `CrossingError` that names the
 * part at fault (a function, a symbol, a Promise, a WeakMap, shared memory,
 * a platform object such as a URL, a cycle, nesting past 100 levels).
 * msgpackr carries most values as they are; where it alone would change a
 * value, `toWire` swaps in a form that an extension below carries. Typed
 * arrays of every kind, `DataView`s and `ArrayBuffer`s go as their raw
 * bytes, never element by element; a class instance goes as a plain object
 * of its own enumerable fields, as `structuredClone` makes it.
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
 * reads a byte, `scan` (`msgpack_scan.ts`) refuses msgpackr's record
 * definitions, shared references and string bundles, unknown extensions,
 * map keys other than strings, deep nesting and lengths that run past the
 * end of the frame; a failure is a `DecodeError` that says what was wrong.
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
import { CrossingError } from "./crossing.ts";
import {
  DEFER_MIN,
  deferring,
  leaveOut,
  packDeferred,
} from "./byte_segments.ts";
import {
  DECODE_DEPTH,
  DecodeError,
  scan,
  T_BOX,
  T_BYTES,
  T_ERROR,
  T_MAP,
  T_NEG_ZERO,
  T_OBJECT,
  T_SPARSE,
  T_UTF16,
} from "./msgpack_scan.ts";
import {
  BOX_BIGINT,
  BOX_BOOLEAN,
  BOX_NUMBER,
  BOX_STRING,
  BoxForm,
  DOM_EXCEPTION,
  ErrorForm,
  ERRORS,
  MapForm,
  NegZero,
  ObjectForm,
  SparseForm,
  toWire,
  Utf16Form,
} from "./wire_form.ts";
import { VIEW_NAMES } from "./view_kinds.ts";

export { DECODE_DEPTH, DecodeError, scan } from "./msgpack_scan.ts";
export { toWire, WIRE_DEPTH } from "./wire_form.ts";

// ---- extensions ------------------------------------------------------------

/** Byte views by kind; 2 (Uint8Array) goes as MessagePack bin instead. */
const VIEWS = VIEW_NAMES.map((name, kind) =>
  kind === 0 ? undefined : (globalThis as unknown as Record<
    string,
    (new (buffer: ArrayBuffer) => ArrayBufferView) | undefined
  >)[name]
);
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
  // A big view's bytes are written from its own memory (byte_segments.ts).
  const defer = n >= DEFER_MIN && deferring();
  if (kind === 2) {
    const head = n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
    const { target, targetView, position } = allocate(
      defer ? head : head + n,
    );
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
    if (defer) leaveOut(target, p, bytes);
    else target.set(bytes, p);
    return;
  }
  const len = n + 1; // the kind, then the bytes
  const head = len < 0x100 ? 3 : len < 0x10000 ? 4 : 6;
  const { target, targetView, position } = allocate(
    defer ? head + 1 : head + len,
  );
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
  if (defer) leaveOut(target, p, bytes);
  else target.set(bytes, p);
}

function readBytes(data: Uint8Array): unknown {
  if (data.length < 1) throw new DecodeError("a byte array without its kind");
  const kind = data[0];
  const name = VIEW_NAMES[kind];
  if (name === undefined) {
    throw new DecodeError(`unknown byte view kind ${kind}`);
  }
  // A copy: aligned, and owned by the value (not a view of the frame).
  // (Uint8Array's slice: a Node Buffer's slice is a view of its pool.)
  const buffer = Uint8Array.prototype.slice.call(data, 1).buffer;
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

// ---- packing ---------------------------------------------------------------

const packr = new Packr({
  useRecords: false,
  moreTypes: true,
  useToJSON: false,
  // (toWire refuses functions first; this is the backstop.)
  writeFunction: () => {
    throw new CrossingError("a function cannot cross to another host");
  },
});

/**
 * Encode a value made ready by `toWire`. With `reserve`, the result starts
 * with that many free bytes (for a length prefix). The bytes stay valid:
 * msgpackr writes each result after the one before in its buffer, and
 * takes a new buffer when that one is full.
 */
export function packWire(ready: unknown, reserve = 0): Uint8Array {
  return reserve === 0
    ? packr.pack(ready)
    : packr.pack(ready, RESERVE_START_SPACE | reserve);
}

/**
 * `packWire`, with the bytes of big byte arrays (64 KiB and more) left as
 * segments of their own (their own memory, not copied): the encoding is
 * the concatenation of the segments. One segment when there was none.
 */
export function packWireSegments(ready: unknown, reserve = 0): Uint8Array[] {
  return packDeferred(() => packWire(ready, reserve)) ??
    [packWire(ready, reserve)];
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
