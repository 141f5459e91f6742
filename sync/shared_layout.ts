/**
 * Laying out shared state in a `SharedArrayBuffer`: named fields of fixed
 * types, each a typed-array view over one buffer, behind a small header
 * that says what the buffer holds.
 *
 * The header (48 bytes) is: a magic number, the format version, a
 * fingerprint of the struct's name and fields, a counter that hands out ids
 * to the instances that attach (a `SharedMutex` records its holder by that
 * id), a random id of this struct, the struct's own revision (what a
 * primitive bumps when the meaning of its cells changes), and the name
 * itself (up to 24 ASCII bytes). Attaching a buffer built for another layout or another primitive
 * fails with a `LayoutError` that names what was expected and what was
 * found. Every shared primitive of `sync/` keeps its state in such a struct.
 *
 * @module
 */

import { LayoutError } from "./errors.ts";

/**
 * The typed array each field type is viewed through.
 *
 * @example
 * ```ts
 * import { sharedStruct } from "@troupe/troupe/sync";
 * import type { SharedArrayTypes } from "./shared_layout.ts";
 *
 * const s = sharedStruct({ hits: "i32" });
 * const hits: SharedArrayTypes["i32"] = s.views.hits;
 * Atomics.add(hits, 0, 1);
 * ```
 */
export interface SharedArrayTypes {
  /** Signed bytes. */
  i8: Int8Array;
  /** Unsigned bytes. */
  u8: Uint8Array;
  /** Signed 16-bit integers. */
  i16: Int16Array;
  /** Unsigned 16-bit integers. */
  u16: Uint16Array;
  /** Signed 32-bit integers (the type `Atomics.wait` and `notify` use). */
  i32: Int32Array;
  /** Unsigned 32-bit integers. */
  u32: Uint32Array;
  /** 32-bit floats. */
  f32: Float32Array;
  /** 64-bit floats. */
  f64: Float64Array;
  /** Signed 64-bit integers, as bigints. */
  i64: BigInt64Array;
  /** Unsigned 64-bit integers, as bigints. */
  u64: BigUint64Array;
}

/** The element type of a field: the typed array it is viewed through. */
export type SharedFieldType = keyof SharedArrayTypes;

/**
 * The fields of a struct, by name, in layout order: each one element of a
 * type (`"i32"`), or `[type, length]` for an array (`["f64", 8]`). Each
 * field is viewed through its typed array: `"i32"` an `Int32Array`, `"u64"`
 * a `BigUint64Array`, and so on.
 *
 * @example
 * ```ts
 * import { type SharedLayout, sharedStruct } from "@troupe/troupe/sync";
 *
 * const layout = { hits: "i32", samples: ["f64", 8] } as const satisfies SharedLayout;
 * console.log(sharedStruct(layout).views.samples.length); // 8
 * ```
 */
export type SharedLayout = Readonly<
  Record<
    string,
    | "i8"
    | "u8"
    | "i16"
    | "u16"
    | "i32"
    | "u32"
    | "f32"
    | "f64"
    | "i64"
    | "u64"
    | readonly [
      | "i8"
      | "u8"
      | "i16"
      | "u16"
      | "i32"
      | "u32"
      | "f32"
      | "f64"
      | "i64"
      | "u64",
      number,
    ]
  >
>;

/** One typed-array view per field (a scalar field is a view of length 1). */
export type SharedViews<L extends SharedLayout> = SharedStruct<L>["views"];

/**
 * Where a struct or a shared primitive lives: plain data that crosses to a
 * worker actor in a message (the buffer is shared, not copied). A
 * primitive's `handle` also names the primitive (`kind`), and a
 * `SharedCondition`'s carries its mutex's; attach with `attachStruct` or
 * the class's `from`.
 *
 * @example
 * ```ts
 * import { type SharedHandle, SharedMutex } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const h: SharedHandle = new SharedMutex().handle;
 * assert.equal(h.kind, "SharedMutex");
 * assert.ok(SharedMutex.from(h).uid > 0);
 * ```
 */
export interface SharedHandle {
  /** The buffer that holds the struct. */
  buffer: SharedArrayBuffer;
  /** Where the struct starts in it, in bytes (a multiple of 8; default 0). */
  offset?: number;
  /** The primitive it is for, e.g. `"SharedMutex"` (a primitive's handle). */
  kind?: string;
  /** The handle of the mutex a `SharedCondition` is bound to (its handle). */
  mutex?: SharedHandle;
}

/** A primitive's handle as it makes it: `kind` and `offset` always set. */
export type SharedPrimitiveHandle = SharedHandle & {
  kind: string;
  offset: number;
};

/**
 * A struct laid out in a `SharedArrayBuffer`, with a typed-array view per
 * field.
 *
 * @example
 * ```ts
 * import { sharedStruct, type SharedStruct } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const s: SharedStruct<{ total: "f64" }> = sharedStruct({ total: "f64" });
 * s.views.total[0] = 1.5;
 * assert.equal(s.views.total[0], 1.5);
 * ```
 */
export interface SharedStruct<L extends SharedLayout> {
  /** The buffer that holds it. */
  readonly buffer: SharedArrayBuffer;
  /** Where the struct (its header) starts, in bytes. */
  readonly offset: number;
  /** The name it was built with (what the header records). */
  readonly name: string;
  /** Bytes it takes, header included. */
  readonly byteLength: number;
  /** A random id of this struct, the same in every isolate that attaches. */
  readonly uid: number;
  /** One view per field. */
  readonly views: {
    readonly [K in keyof L]: (
      L[K] extends readonly [infer T, number] ? T : L[K]
    ) extends infer T ? T extends "i8" ? Int8Array
      : T extends "u8" ? Uint8Array
      : T extends "i16" ? Int16Array
      : T extends "u16" ? Uint16Array
      : T extends "i32" ? Int32Array
      : T extends "u32" ? Uint32Array
      : T extends "f32" ? Float32Array
      : T extends "f64" ? Float64Array
      : T extends "i64" ? BigInt64Array
      : T extends "u64" ? BigUint64Array
      : never
      : never;
  };
  /** Plain data to attach it elsewhere with `attachStruct`. */
  readonly handle: { buffer: SharedArrayBuffer; offset: number };
  /** A fresh id (1, 2, ...) from a counter in the header, unique per struct. */
  nextId(): number;
}

/** Options of `sharedStruct` and `attachStruct`. */
type SharedStructOptions = NonNullable<Parameters<typeof attachStruct>[2]>;

const MAGIC = 0x54525550; // "TRUP"
const VERSION = 1;
/**
 * Bytes of the header in front of every shared struct: 6 Int32 words (magic,
 * version, fingerprint, id counter, uid, revision), then 24 bytes of name.
 *
 * @example
 * ```ts
 * import { HEADER_BYTES } from "./shared_layout.ts";
 * import { sharedStruct } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sharedStruct({ n: "f64" }).byteLength, HEADER_BYTES + 8);
 * ```
 */
export const HEADER_BYTES = 48;
const H_MAGIC = 0;
const H_VERSION = 1;
const H_PRINT = 2;
const H_IDS = 3;
const H_UID = 4;
const H_REVISION = 5;
const NAME_AT = 24;
const NAME_BYTES = 24;

const SIZES: Record<SharedFieldType, number> = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  f32: 4,
  f64: 8,
  i64: 8,
  u64: 8,
};

type ArrayCtor = new (
  buffer: SharedArrayBuffer,
  offset: number,
  length: number,
) => SharedArrayTypes[SharedFieldType];

const CTORS: Record<SharedFieldType, ArrayCtor> = {
  i8: Int8Array,
  u8: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  f64: Float64Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
};

interface Placed {
  name: string;
  type: SharedFieldType;
  length: number;
  at: number; // bytes after the header
}

function place(layout: SharedLayout): { fields: Placed[]; bytes: number } {
  const fields: Placed[] = [];
  let at = 0;
  for (const [name, spec] of Object.entries(layout)) {
    const [type, length] = typeof spec === "string" ? [spec, 1] : spec;
    const size = SIZES[type];
    if (size === undefined) {
      throw new TypeError(`field ${name}: unknown type ${String(type)}`);
    }
    if (!Number.isInteger(length) || length < 1) {
      throw new RangeError(`field ${name}: length must be a positive integer`);
    }
    at = Math.ceil(at / size) * size;
    fields.push({ name, type, length, at });
    at += size * length;
  }
  return { fields, bytes: HEADER_BYTES + Math.ceil(at / 8) * 8 };
}

/** FNV-1a of the name and the fields, as a 32-bit integer. */
function fingerprint(name: string, fields: Placed[]): number {
  const text = `${name}{${
    fields.map((f) => `${f.name}:${f.type}x${f.length}`).join(",")
  }}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function checkName(name: string): void {
  if (
    name.length === 0 || name.length > NAME_BYTES || /[^\x20-\x7e]/.test(name)
  ) {
    throw new RangeError(
      `a shared struct's name is 1 to ${NAME_BYTES} printable ASCII characters: ${
        JSON.stringify(name)
      }`,
    );
  }
}

function revisionOf(options: SharedStructOptions): number {
  const r = options.revision ?? 0;
  if (!Number.isInteger(r) || r < 0 || r > 0x7fffffff) {
    throw new RangeError(`a revision is an integer >= 0: ${r}`);
  }
  return r;
}

/** How a header describes itself in a `LayoutError` message. */
function describe(
  name: string,
  print: number,
  version: number,
  revision: number,
): string {
  return `a ${name} (layout ${hex(print)}, version ${version}${
    revision === 0 ? "" : `, revision ${revision}`
  })`;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** Bytes a struct of `layout` takes, header included. */
export function sharedStructBytes(layout: SharedLayout): number {
  return place(layout).bytes;
}

/**
 * Lay out `layout` in a `SharedArrayBuffer` (a new one, or `buffer` at
 * `offset`) and write its header. Fields come in the order given, each
 * aligned to its element size; all start zeroed in a new buffer.
 *
 * @example
 * ```ts
 * import { attachStruct, sharedStruct } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const layout = { hits: "i32", total: "f64", slots: ["i32", 16] } as const;
 * const s = sharedStruct(layout, { name: "stats" });
 * Atomics.add(s.views.hits, 0, 1);
 * s.views.slots[3] = 7;
 *
 * // Elsewhere (a worker actor that got `s.handle` in a message):
 * const same = attachStruct(layout, s.handle, { name: "stats" });
 * assert.equal(Atomics.load(same.views.hits, 0), 1);
 * assert.equal(same.views.slots[3], 7);
 * ```
 */
export function sharedStruct<const L extends SharedLayout>(
  layout: L,
  options: {
    /**
     * What the buffer holds, recorded in the header and checked on attach
     * (up to 24 ASCII characters; default `"struct"`).
     */
    name?: string;
    /**
     * The revision of the layout, recorded in the header and checked on
     * attach (an integer from 0, the default): bump it when the meaning of the
     * fields changes even if their names and types do not.
     */
    revision?: number;
    /** Build it in this buffer (default: a new one of the right size). */
    buffer?: SharedArrayBuffer;
    /** At this offset in `buffer`, in bytes (a multiple of 8; default 0). */
    offset?: number;
  } = {},
): SharedStruct<L> {
  const name = options.name ?? "struct";
  checkName(name);
  const revision = revisionOf(options);
  const { fields, bytes } = place(layout);
  const offset = options.offset ?? 0;
  const buffer = options.buffer ?? new SharedArrayBuffer(offset + bytes);
  checkRoom(name, buffer, offset, bytes);
  const head = new Int32Array(buffer, offset, HEADER_BYTES / 4);
  const text = new Uint8Array(buffer, offset + NAME_AT, NAME_BYTES);
  text.fill(0);
  for (let i = 0; i < name.length; i++) text[i] = name.charCodeAt(i);
  Atomics.store(head, H_IDS, 0);
  Atomics.store(head, H_UID, (Math.random() * 0x7fffffff) | 1);
  Atomics.store(head, H_REVISION, revision);
  Atomics.store(head, H_VERSION, VERSION);
  Atomics.store(head, H_PRINT, fingerprint(name, fields));
  Atomics.store(head, H_MAGIC, MAGIC);
  return build<L>(name, buffer, offset, bytes, fields);
}

/**
 * Attach to a struct that `sharedStruct` built (here or in another
 * isolate). The header must say it holds `layout` under `options.name`:
 * otherwise a `LayoutError` names what was expected and what was found.
 *
 * @example
 * ```ts
 * import { attachStruct, LayoutError, sharedStruct } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const s = sharedStruct({ n: "i32" }, { name: "counter" });
 * assert.throws(
 *   () => attachStruct({ n: "f64" }, s.handle, { name: "counter" }),
 *   LayoutError,
 * );
 * assert.throws(
 *   () => attachStruct({ n: "i32" }, s.handle, { name: "gauge" }),
 *   /expected a gauge .* found a counter/,
 * );
 * ```
 */
export function attachStruct<const L extends SharedLayout>(
  layout: L,
  from: SharedHandle,
  options: {
    /**
     * What the buffer holds, recorded in the header and checked on attach
     * (up to 24 ASCII characters; default `"struct"`).
     */
    name?: string;
    /**
     * The revision of the layout, recorded in the header and checked on
     * attach (an integer from 0, the default): bump it when the meaning of the
     * fields changes even if their names and types do not.
     */
    revision?: number;
  } = {},
): SharedStruct<L> {
  const name = options.name ?? "struct";
  const revision = revisionOf(options);
  const { fields, bytes } = place(layout);
  const { buffer, offset } = checkHandle(name, from);
  checkRoom(name, buffer, offset, HEADER_BYTES);
  const found = readHeader(buffer, offset);
  const print = fingerprint(name, fields);
  const expected = describe(name, print, VERSION, revision);
  if (found.magic !== MAGIC) {
    throw new LayoutError(
      name,
      `expected ${expected} at byte ${offset}, found no troupe header there (magic ${
        hex(found.magic)
      })`,
    );
  }
  if (
    found.name !== name || found.print !== print ||
    found.version !== VERSION || found.revision !== revision
  ) {
    throw new LayoutError(
      name,
      `expected ${expected}, found ${
        describe(found.name, found.print, found.version, found.revision)
      }`,
    );
  }
  checkRoom(name, buffer, offset, bytes);
  return build<L>(name, buffer, offset, bytes, fields);
}

function checkHandle(
  name: string,
  from: SharedHandle,
): { buffer: SharedArrayBuffer; offset: number } {
  const buffer = (from as { buffer?: unknown } | null)?.buffer;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new LayoutError(
      name,
      `expected { buffer: SharedArrayBuffer, offset }, found ${
        buffer === undefined ? "no buffer" : `a ${typeof buffer} as buffer`
      }`,
    );
  }
  const offset = from.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
    throw new LayoutError(
      name,
      `the offset must be a non-negative multiple of 8, found ${offset}`,
    );
  }
  return { buffer, offset };
}

function checkRoom(
  name: string,
  buffer: SharedArrayBuffer,
  offset: number,
  bytes: number,
): void {
  if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
    throw new LayoutError(
      name,
      `the offset must be a non-negative multiple of 8, found ${offset}`,
    );
  }
  if (buffer.byteLength < offset + bytes) {
    throw new LayoutError(
      name,
      `the buffer is ${buffer.byteLength} bytes, ${
        offset + bytes
      } needed (${bytes} from byte ${offset})`,
    );
  }
}

function readHeader(buffer: SharedArrayBuffer, offset: number): {
  magic: number;
  version: number;
  print: number;
  revision: number;
  name: string;
} {
  const head = new Int32Array(buffer, offset, HEADER_BYTES / 4);
  const text = new Uint8Array(buffer, offset + NAME_AT, NAME_BYTES);
  let name = "";
  for (let i = 0; i < NAME_BYTES && text[i] !== 0; i++) {
    name += String.fromCharCode(text[i]);
  }
  return {
    magic: Atomics.load(head, H_MAGIC),
    version: Atomics.load(head, H_VERSION),
    print: Atomics.load(head, H_PRINT),
    revision: Atomics.load(head, H_REVISION),
    name: name || "?",
  };
}

function build<L extends SharedLayout>(
  name: string,
  buffer: SharedArrayBuffer,
  offset: number,
  byteLength: number,
  fields: Placed[],
): SharedStruct<L> {
  const head = new Int32Array(buffer, offset, HEADER_BYTES / 4);
  const views: Record<string, SharedArrayTypes[SharedFieldType]> = {};
  for (const f of fields) {
    views[f.name] = new CTORS[f.type](
      buffer,
      offset + HEADER_BYTES + f.at,
      f.length,
    );
  }
  return {
    buffer,
    offset,
    name,
    byteLength,
    uid: Atomics.load(head, H_UID),
    views: views as unknown as SharedViews<L>,
    handle: { buffer, offset },
    nextId: () => Atomics.add(head, H_IDS, 1) + 1,
  };
}
