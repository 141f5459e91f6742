/**
 * Deterministic task keys: the same task with the same arguments gets the
 * same key, so shared sub-graphs are computed once. An argument list is
 * turned into canonical text (dependencies by their key, containers by their
 * contents) and hashed; the walk also finds where the dependencies sit.
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

function identity(x: object): string {
  let id = identities.get(x);
  if (id === undefined) identities.set(x, id = ++identitySeq);
  return `#${id}`;
}

/**
 * The canonical text of `args`, pushing each dependency (with its path) to
 * `sites`.
 */
export function scanArgs(args: readonly unknown[], sites: DepSite[]): string {
  const path: (string | number)[] = [];
  let out = "";
  for (let i = 0; i < args.length; i++) {
    path.push(i);
    out += canon(args[i], path, sites) + ",";
    path.pop();
  }
  return out;
}

function canon(
  x: unknown,
  path: (string | number)[],
  sites: DepSite[],
): string {
  switch (typeof x) {
    case "number":
      return Object.is(x, -0) ? "n-0" : "n" + x;
    case "string":
      return "s" + x.length + ":" + x;
    case "boolean":
      return x ? "T" : "F";
    case "undefined":
      return "U";
    case "bigint":
      return "b" + x;
    case "symbol":
      return "y" + String(x.description);
    case "function":
      return "f" + identity(x);
  }
  if (x === null) return "N";
  const obj = x as object;
  if (KEY in obj) {
    sites.push({ path: [...path], ref: obj as Keyed });
    return "@" + (obj as Keyed)[KEY];
  }
  if (Array.isArray(obj)) {
    let s = "[";
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      s += canon(obj[i], path, sites) + ",";
      path.pop();
    }
    return s + "]";
  }
  if (ArrayBuffer.isView(obj)) {
    const bytes = new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength);
    return "v" + obj.constructor.name + obj.byteLength + ":" + hashBytes(bytes);
  }
  if (obj instanceof ArrayBuffer) {
    return "a" + obj.byteLength + ":" + hashBytes(new Uint8Array(obj));
  }
  if (obj instanceof Date) return "d" + obj.getTime();
  if (obj instanceof Map) {
    let s = "M{";
    for (const [k, v] of obj) {
      s += canon(k, path, sites) + "=>";
      path.push(k as string);
      s += canon(v, path, sites) + ",";
      path.pop();
    }
    return s + "}";
  }
  if (obj instanceof Set) {
    let s = "S{";
    for (const v of obj) s += canon(v, path, sites) + ",";
    return s + "}";
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) {
    let s = "{";
    for (const k in obj) {
      path.push(k);
      s += k.length + ":" + k + "=" +
        canon((obj as Record<string, unknown>)[k], path, sites) + ",";
      path.pop();
    }
    return s + "}";
  }
  return "o" + identity(obj);
}

/** A 53-bit hash of a string (cyrb53), in base 36. */
export function hashText(text: string): string {
  let h1 = 0xdeadbeef ^ 0, h2 = 0x41c6ce57 ^ 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function hashBytes(bytes: Uint8Array): string {
  let h1 = 0xdeadbeef ^ 0, h2 = 0x41c6ce57 ^ 0;
  for (let i = 0; i < bytes.length; i++) {
    h1 = Math.imul(h1 ^ bytes[i], 2654435761);
    h2 = Math.imul(h2 ^ bytes[i], 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  return ((h2 >>> 0).toString(36)) + ((h1 >>> 0).toString(36));
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
