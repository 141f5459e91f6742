/**
 * Deterministic task keys: the same task with the same arguments gets the
 * same key, so shared sub-graphs are computed once; two different calls
 * never get the same key, since they would silently share one result.
 *
 * A key is the task's name and 128 bits of MurmurHash3 (`hash128.ts`) over
 * a canonical encoding of the call, written into one reusable byte buffer:
 * a format version, a digest of the task (its module URL and name), then
 * the arguments. The encoding is unambiguous: every value starts with a
 * type tag, and every variable-length part has its length or an end mark,
 * so no two different argument lists make the same bytes.
 *
 * - Numbers: an int32 as 4 bytes, any other as its exact float64 bits. `-0`
 *   and `0` differ (a task can tell them apart, and they cross every
 *   placement as themselves); every NaN is one NaN, since JavaScript cannot
 *   tell NaNs apart (a NaN's bits are only seen inside a typed array, whose
 *   bytes are hashed as they are).
 * - Strings: their UTF-16 code units, one byte each when all are below 256,
 *   else two (UTF-8 would turn a lone surrogate into U+FFFD and so make two
 *   different strings one).
 * - Bigints by value; booleans, `null`, `undefined`; array holes apart from
 *   `undefined`.
 * - Arrays, plain objects, Maps and Sets by what they hold, in their own
 *   order: `{a, b}` and `{b, a}` get different keys (a task can see the
 *   order, so they are not the same call). An object's own enumerable
 *   string keys are what counts, as for `structuredClone`.
 * - Typed arrays, `DataView`s and `ArrayBuffer`s by kind and bytes (the
 *   bytes a view spans: what crosses to a host); over 1 KiB, their bytes are
 *   hashed where they lie and the digest goes in. `Date`s by time, RegExps
 *   by source and flags, tasks (`defineTasks`) by module and name.
 * - Dependencies (a `Delayed` or `Future`) by their key.
 * - Objects with no canonical form (class instances, functions, shared
 *   memory and views of it, unregistered symbols) by identity: the same
 *   object gives the same key within this isolate.
 *
 * The walk that encodes the arguments also finds where the dependencies
 * sit.
 *
 * @module
 */

import { hex128, murmur128 } from "./hash128.ts";
import { VIEW_NAMES } from "../../actors/hosts/view_kinds.ts";

/** The key of a lazy value (a `Delayed` or a `Future`), under a symbol. */
export const KEY: unique symbol = Symbol.for("troupe.graph.key");

/** Anything that stands for a task's result: it has a key. */
export interface Keyed {
  /** The task key (internal: read it as `.key`).
   * @ignore */
  readonly [KEY]: string;
}

/** A dependency found in an argument list: where it sits and what it is. */
export interface DepSite {
  /** Indexes and property names from the argument list down to it. */
  readonly path: readonly (string | number)[];
  /** The lazy value found there. */
  readonly ref: Keyed;
}

/** Whether `x` is a lazy value. */
export function isKeyed(x: unknown): x is Keyed {
  return typeof x === "object" && x !== null && KEY in x;
}

/** Bump when the encoding changes, so that old and new keys never meet. */
const FORMAT = 1;
/** Arguments nested deeper than this are refused (most likely a cycle). */
const MAX_DEPTH = 100;
/** Byte arrays longer than this are hashed in place, not copied. */
const INLINE_BYTES = 1024;
/** The seed of a task's digest, and of a long byte array's. */
const TASK_SEED = 0x7461736b;
const BYTES_SEED = 0x62797465;

// Type tags: the first byte of every encoded value.
const T_UNDEFINED = 1;
const T_NULL = 2;
const T_FALSE = 3;
const T_TRUE = 4;
const T_INT = 5;
const T_FLOAT = 6;
const T_STR8 = 7;
const T_STR16 = 8;
const T_BIGINT64 = 9;
const T_BIGINT = 10;
const T_DEP = 11;
const T_IDENTITY = 12;
const T_SYMBOL = 13;
const T_ARRAY = 14;
const T_HOLE = 15;
const T_OBJECT = 16;
const T_MAP = 17;
const T_SET = 18;
const T_DATE = 19;
const T_REGEXP = 20;
const T_VIEW = 21;
const T_VIEW_DIGEST = 22;
const T_BUFFER = 23;
const T_BUFFER_DIGEST = 24;
const T_TASK = 25;
/** Ends an object's entries: never the first byte of a key. */
const END = 0;

/** Typed array kinds and `DataView`, by prototype (subclasses are not here). */
const VIEW_KINDS = new Map<object, number>();
VIEW_NAMES.forEach((name, kind) => {
  const ctor = (globalThis as Record<string, unknown>)[name];
  if (kind > 0 && typeof ctor === "function") {
    VIEW_KINDS.set(ctor.prototype, kind);
  }
});

const NO_SITES: DepSite[] = [];

// Paths of top-level arguments, shared (a path is never changed).
const TOP: (readonly number[])[] = Array.from({ length: 16 }, (_, i) => [i]);

// Objects with no canonical form are keyed by identity: the same object
// gives the same key within this isolate.
const identities = new WeakMap<WeakKey, number>();
let identitySeq = 0;

function identity(x: WeakKey): number {
  let id = identities.get(x);
  if (id === undefined) identities.set(x, id = ++identitySeq);
  return id;
}

/**
 * The byte buffer a call is encoded into, reused from call to call (a
 * getter that builds a graph while a call is encoded gets its own).
 */
class Encoder {
  buf = new Uint8Array(512);
  view = new DataView(this.buf.buffer);
  pos = 0;
  readonly words = new Uint32Array(4);
  sites: DepSite[] = NO_SITES;
  readonly path: (string | number)[] = [];

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  u32(n: number): void {
    this.room(4);
    this.view.setUint32(this.pos, n, true);
    this.pos += 4;
  }

  f64(x: number): void {
    this.room(8);
    if (x !== x) {
      // One NaN for all (the canonical quiet NaN).
      this.view.setUint32(this.pos, 0, true);
      this.view.setUint32(this.pos + 4, 0x7ff80000, true);
    } else this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  number(x: number): void {
    if ((x | 0) === x && (x !== 0 || 1 / x > 0)) {
      this.room(5);
      this.buf[this.pos] = T_INT;
      this.view.setInt32(this.pos + 1, x, true);
      this.pos += 5;
    } else {
      this.byte(T_FLOAT);
      this.f64(x);
    }
  }

  string(s: string): void {
    const n = s.length;
    this.room(5 + n);
    const start = this.pos;
    const buf = this.buf;
    buf[start] = T_STR8;
    this.view.setUint32(start + 1, n, true);
    let p = start + 5;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) return this.string16(s, start);
      buf[p++] = c;
    }
    this.pos = p;
  }

  string16(s: string, start: number): void {
    const n = s.length;
    this.pos = start;
    this.room(5 + 2 * n);
    const buf = this.buf;
    buf[start] = T_STR16;
    this.view.setUint32(start + 1, n, true);
    let p = start + 5;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      buf[p++] = c & 255;
      buf[p++] = c >>> 8;
    }
    this.pos = p;
  }

  bigint(x: bigint): void {
    if (BigInt.asIntN(64, x) === x) {
      this.room(9);
      this.buf[this.pos] = T_BIGINT64;
      this.view.setBigInt64(this.pos + 1, x, true);
      this.pos += 9;
      return;
    }
    this.byte(T_BIGINT);
    this.byte(x < 0n ? 1 : 0);
    this.string((x < 0n ? -x : x).toString(16));
  }

  bytes(tag: number, digestTag: number, kind: number, b: Uint8Array): void {
    const n = b.byteLength;
    if (n <= INLINE_BYTES) {
      this.room(6 + n);
      this.buf[this.pos] = tag;
      this.buf[this.pos + 1] = kind;
      this.view.setUint32(this.pos + 2, n, true);
      this.buf.set(b, this.pos + 6);
      this.pos += 6 + n;
      return;
    }
    murmur128(b, 0, n, BYTES_SEED, this.words);
    this.room(26);
    this.buf[this.pos] = digestTag;
    this.buf[this.pos + 1] = kind;
    this.view.setFloat64(this.pos + 2, n, true);
    for (let i = 0; i < 4; i++) {
      this.view.setUint32(this.pos + 10 + 4 * i, this.words[i], true);
    }
    this.pos += 26;
  }

  identity(x: WeakKey): void {
    this.byte(T_IDENTITY);
    this.u32(identity(x));
  }

  dep(x: Keyed): void {
    const path = this.path;
    this.sites.push({
      path: path.length === 1 && (path[0] as number) < 16
        ? TOP[path[0] as number]
        : path.slice(),
      ref: x,
    });
    this.byte(T_DEP);
    this.string(x[KEY]);
  }

  value(x: unknown, depth: number): void {
    switch (typeof x) {
      case "number":
        return this.number(x);
      case "string":
        return this.string(x);
      case "boolean":
        return this.byte(x ? T_TRUE : T_FALSE);
      case "undefined":
        return this.byte(T_UNDEFINED);
      case "bigint":
        return this.bigint(x);
      case "symbol": {
        const name = Symbol.keyFor(x);
        if (name === undefined) return this.identity(x);
        this.byte(T_SYMBOL);
        return this.string(name);
      }
      case "function": {
        const t = x as { taskModule?: unknown; taskName?: unknown };
        if (
          typeof t.taskModule === "string" && typeof t.taskName === "string"
        ) {
          this.byte(T_TASK);
          this.string(t.taskModule);
          return this.string(t.taskName);
        }
        return this.identity(x);
      }
    }
    if (x === null) return this.byte(T_NULL);
    if (depth > MAX_DEPTH) {
      throw new TypeError(
        `a task argument is nested more than ${MAX_DEPTH} levels deep (at ${
          describePath(this.path)
        }), or holds a cycle`,
      );
    }
    const obj = x as object;
    if (KEY in obj) return this.dep(obj as Keyed);
    if (Array.isArray(obj)) {
      const n = obj.length;
      this.byte(T_ARRAY);
      this.u32(n);
      const path = this.path;
      for (let i = 0; i < n; i++) {
        const v = obj[i];
        if (v === undefined && !(i in obj)) {
          this.byte(T_HOLE);
          continue;
        }
        path.push(i);
        this.value(v, depth + 1);
        path.pop();
      }
      return;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto === Object.prototype || proto === null) {
      this.byte(T_OBJECT);
      this.byte(proto === null ? 1 : 0);
      const path = this.path;
      for (const k in obj) {
        if (!Object.hasOwn(obj, k)) continue;
        this.string(k);
        path.push(k);
        this.value((obj as Record<string, unknown>)[k], depth + 1);
        path.pop();
      }
      return this.byte(END);
    }
    if (ArrayBuffer.isView(obj)) {
      const kind = VIEW_KINDS.get(proto);
      // A subclass (Buffer, say) may behave otherwise, and shared memory
      // changes under its key: both by identity.
      if (kind === undefined || !(obj.buffer instanceof ArrayBuffer)) {
        return this.identity(obj);
      }
      return this.bytes(
        T_VIEW,
        T_VIEW_DIGEST,
        kind,
        new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength),
      );
    }
    if (proto === ArrayBuffer.prototype) {
      return this.bytes(
        T_BUFFER,
        T_BUFFER_DIGEST,
        0,
        new Uint8Array(obj as ArrayBuffer),
      );
    }
    if (proto === Map.prototype) {
      const map = obj as Map<unknown, unknown>;
      this.byte(T_MAP);
      this.u32(map.size);
      const path = this.path;
      for (const [k, v] of map) {
        if (isKeyed(k)) throw lazyIn("a Map key", path);
        this.value(k, depth + 1);
        path.push(k as string);
        this.value(v, depth + 1);
        path.pop();
      }
      return;
    }
    if (proto === Set.prototype) {
      const set = obj as Set<unknown>;
      this.byte(T_SET);
      this.u32(set.size);
      for (const v of set) {
        if (isKeyed(v)) throw lazyIn("a Set element", this.path);
        this.value(v, depth + 1);
      }
      return;
    }
    if (proto === Date.prototype) {
      this.byte(T_DATE);
      return this.f64((obj as Date).getTime());
    }
    if (proto === RegExp.prototype) {
      this.byte(T_REGEXP);
      this.string((obj as RegExp).source);
      return this.string((obj as RegExp).flags);
    }
    this.identity(obj);
  }

  /** The key hash of a call: the task's digest, then the arguments. */
  /** Hash a call (the task's digest, then the arguments) into `words`. */
  call(task: Uint32Array, args: readonly unknown[], sites: DepSite[]): void {
    this.pos = 0;
    this.sites = sites;
    this.room(21);
    this.buf[0] = FORMAT;
    for (let i = 0; i < 4; i++) this.view.setUint32(1 + 4 * i, task[i], true);
    this.pos = 17;
    this.u32(args.length);
    const path = this.path;
    path.length = 0;
    for (let i = 0; i < args.length; i++) {
      path.push(i);
      this.value(args[i], 0);
      path.pop();
    }
    murmur128(this.buf, 0, this.pos, 0, this.words);
    // A buffer grown for one huge argument is not kept.
    if (this.buf.length > 1 << 20) {
      this.buf = new Uint8Array(512);
      this.view = new DataView(this.buf.buffer);
    }
  }
}

function describePath(path: readonly (string | number)[]): string {
  let s = `argument ${path[0]}`;
  for (let i = 1; i < path.length && i < 8; i++) {
    s += typeof path[i] === "number" ? `[${path[i]}]` : `.${String(path[i])}`;
  }
  return path.length > 8 ? s + "..." : s;
}

function lazyIn(where: string, path: readonly (string | number)[]): TypeError {
  return new TypeError(
    `a lazy value cannot be ${where} (at ${
      describePath(path)
    }): put it in an array, an object or a Map's value`,
  );
}

const shared = new Encoder();
let sharedBusy = false;

function encoder(): Encoder {
  if (sharedBusy) return new Encoder();
  sharedBusy = true;
  return shared;
}

function done(e: Encoder): void {
  if (e === shared) sharedBusy = false;
}

/**
 * What a task's keys are made from: the digest of the task (its module URL
 * and name), from which each call's hash starts, and the key's characters
 * (`name-`, then 32 hex digits filled in for each call), so that a key is
 * made as one flat string.
 */
export interface TaskKeys {
  /** The digest of the task. */
  readonly digest: Uint32Array;
  /** The key's character codes: the prefix, then room for the hash. */
  readonly codes: number[];
}

/** The makings of the keys of the task `name` of `module`. */
export function taskKeys(module: string, name: string): TaskKeys {
  const e = encoder();
  const digest = new Uint32Array(4);
  try {
    e.pos = 0;
    e.byte(FORMAT);
    e.string(module);
    e.string(name);
    murmur128(e.buf, 0, e.pos, TASK_SEED, digest);
  } finally {
    done(e);
  }
  const prefix = `${name}-`;
  const codes: number[] = [];
  for (let i = 0; i < prefix.length; i++) codes.push(prefix.charCodeAt(i));
  for (let i = 0; i < 32; i++) codes.push(0);
  return { digest, codes };
}

const HEX_CODES = [..."0123456789abcdef"].map((c) => c.charCodeAt(0));

/**
 * The key of a call of a task on `args`: the task's name, "-", and 32 hex
 * digits of the call's hash; where the dependencies in `args` sit is pushed
 * to `sites`. Throws a `TypeError` for arguments nested too deep (or
 * cyclic) and for a lazy value where its place cannot be found again (a Map
 * key, a Set element).
 */
export function keyOf(
  task: TaskKeys,
  args: readonly unknown[],
  sites: DepSite[],
): string {
  const e = encoder();
  try {
    e.call(task.digest, args, sites);
    const codes = task.codes;
    let at = codes.length - 32;
    for (let i = 0; i < 4; i++) {
      const w = e.words[i];
      for (let shift = 28; shift >= 0; shift -= 4) {
        codes[at++] = HEX_CODES[(w >>> shift) & 15];
      }
    }
    // One flat string (a concatenation would make a rope, flattened again
    // each time the key is hashed or compared first).
    return codes.length <= 4096
      ? String.fromCharCode.apply(null, codes)
      : String.fromCharCode(...codes.slice(0, -32)) + hex128(e.words);
  } finally {
    e.sites = NO_SITES;
    done(e);
  }
}

const NO_TASK = taskKeys("", "");

const TOKEN = taskKeys("troupe", "tokenize");

/**
 * A deterministic token of `values` (as Dask's `tokenize`): 32 hex digits
 * of the same 128-bit hash over the same canonical encoding as task keys,
 * so that different values give different tokens. For keys that
 * collections build themselves (`name-token-i-j`).
 */
export function tokenize(...values: readonly unknown[]): string {
  return keyOf(TOKEN, values, []).slice(-32);
}

/** Where the lazy values sit in `values` (as in an argument list). */
export function depSites(values: readonly unknown[]): DepSite[] {
  const sites: DepSite[] = [];
  keyOf(NO_TASK, values, sites);
  return sites;
}

/**
 * Replace the values at `sites` in a copy of `args` (containers on the way
 * are copied, the rest is shared): the argument list a task is called with.
 */
export function fillArgs(
  args: readonly unknown[],
  paths: readonly (readonly (string | number)[])[],
  values: readonly unknown[],
): unknown[] {
  const out = args.slice();
  for (let d = 0; d < paths.length; d++) {
    const path = paths[d];
    if (path.length === 1) {
      out[path[0] as number] = values[d];
      continue;
    }
    let holder: unknown = out;
    for (let i = 0; i < path.length - 1; i++) {
      const inner = get(holder, path[i]);
      const copy = Array.isArray(inner)
        ? inner.slice()
        : inner instanceof Map
        ? new Map(inner)
        : { ...(inner as object) };
      set(holder, path[i], copy);
      holder = copy;
    }
    set(holder, path[path.length - 1], values[d]);
  }
  return out;
}

function get(holder: unknown, step: string | number): unknown {
  return holder instanceof Map
    ? holder.get(step)
    : (holder as Record<string | number, unknown>)[step];
}

function set(holder: unknown, step: string | number, value: unknown): void {
  if (holder instanceof Map) holder.set(step, value);
  else (holder as Record<string | number, unknown>)[step] = value;
}
