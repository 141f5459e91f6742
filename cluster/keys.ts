/**
 * Deterministic task keys: the same task with the same arguments gets the
 * same key, so shared sub-graphs are computed once. An argument list is
 * hashed by content (dependencies by their key, containers by what they
 * hold, other objects by identity); the same walk finds where the
 * dependencies sit.
 *
 * @module
 */

/** The key of a lazy value (a `Delayed` or a `Future`), under a symbol. */
export const KEY: unique symbol = Symbol.for("troupe.graph.key");

/** Anything that stands for a task's result: it has a key. */
export interface Keyed {
  /** The task key. */
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

// Objects with no canonical form (class instances, functions) are keyed by
// identity: the same object gives the same key within this isolate.
const identities = new WeakMap<object, number>();
let identitySeq = 0;

function identity(x: object): number {
  let id = identities.get(x);
  if (id === undefined) identities.set(x, id = ++identitySeq);
  return id;
}

// The hash (cyrb53's mixing, fed with tags, numbers and characters) is kept
// in two module-level words while one argument list is walked: no text is
// built, so a call with small arguments costs a few hundred nanoseconds.
let h1 = 0;
let h2 = 0;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(word: number): void {
  h1 = Math.imul(h1 ^ word, 2654435761);
  h2 = Math.imul(h2 ^ word, 1597334677);
}

function mixText(text: string): void {
  mix(text.length);
  for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
}

function mixNumber(x: number): void {
  if ((x | 0) === x && !Object.is(x, -0)) {
    mix(1);
    mix(x);
  } else {
    f64[0] = x;
    mix(2);
    mix(u32[0]);
    mix(u32[1]);
  }
}

function mixBytes(bytes: Uint8Array): void {
  mix(bytes.length);
  for (let i = 0; i < bytes.length; i++) mix(bytes[i]);
}

function digest(): string {
  let a = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  a ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  let b = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  b ^= Math.imul(a ^ (a >>> 13), 3266489909);
  return (4294967296 * (2097151 & b) + (a >>> 0)).toString(36);
}

/**
 * The seed of a hash over `text` (a task's module and name), so that each
 * call hashes only its arguments.
 */
export function seedOf(text: string): [number, number] {
  h1 = 0xdeadbeef;
  h2 = 0x41c6ce57;
  mixText(text);
  return [h1, h2];
}

// Paths of top-level arguments, shared (a path is never changed).
const TOP: (readonly number[])[] = Array.from({ length: 16 }, (_, i) => [i]);

/**
 * Hash `args` from `seed`, pushing each dependency (with its path) to
 * `sites`; the hash in base 36.
 */
export function hashArgs(
  seed: readonly [number, number],
  args: readonly unknown[],
  sites: DepSite[],
): string {
  h1 = seed[0];
  h2 = seed[1];
  mix(args.length);
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (typeof x === "object" && x !== null && KEY in x) {
      // The common case, a dependency as a direct argument.
      sites.push({ path: i < 16 ? TOP[i] : [i], ref: x as Keyed });
      mix(9);
      mixText((x as Keyed)[KEY]);
    } else walk(x, [i], sites);
  }
  return digest();
}

/** The canonical hash of `text` (for anything keyed by a string). */
export function hashText(text: string): string {
  seedOf(text);
  return digest();
}

function walk(x: unknown, path: (string | number)[], sites: DepSite[]): void {
  switch (typeof x) {
    case "number":
      return mixNumber(x);
    case "string":
      mix(3);
      return mixText(x);
    case "boolean":
      return mix(x ? 4 : 5);
    case "undefined":
      return mix(6);
    case "bigint":
      mix(7);
      return mixText(x.toString(36));
    case "symbol":
      mix(8);
      return mixText(String(x.description));
    case "function":
      mix(10);
      return mix(identity(x));
  }
  if (x === null) return mix(11);
  const obj = x as object;
  if (KEY in obj) {
    sites.push({ path: [...path], ref: obj as Keyed });
    mix(9);
    return mixText((obj as Keyed)[KEY]);
  }
  if (Array.isArray(obj)) {
    mix(12);
    mix(obj.length);
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      walk(obj[i], path, sites);
      path.pop();
    }
    return;
  }
  if (ArrayBuffer.isView(obj)) {
    mix(13);
    mixText(obj.constructor.name);
    return mixBytes(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength));
  }
  if (obj instanceof ArrayBuffer) {
    mix(14);
    return mixBytes(new Uint8Array(obj));
  }
  if (obj instanceof Date) {
    mix(15);
    return mixNumber(obj.getTime());
  }
  if (obj instanceof Map) {
    mix(16);
    mix(obj.size);
    for (const [k, v] of obj) {
      walk(k, path, sites);
      path.push(k as string);
      walk(v, path, sites);
      path.pop();
    }
    return;
  }
  if (obj instanceof Set) {
    mix(17);
    mix(obj.size);
    for (const v of obj) walk(v, path, sites);
    return;
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) {
    mix(18);
    for (const k in obj) {
      mixText(k);
      path.push(k);
      walk((obj as Record<string, unknown>)[k], path, sites);
      path.pop();
    }
    return mix(19);
  }
  mix(20);
  mix(identity(obj));
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
