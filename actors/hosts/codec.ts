/**
 * The envelope codec: how envelopes and host control messages travel between
 * a parent and its worker and process hosts.
 *
 * On a link, envelopes go as compact tuples in batches (one `postMessage` or
 * one frame per microtask, not per message). A link joins two hosts, so an
 * address on the far side is written as "" instead of its host id: the
 * receiver reads "" in `to` as itself and in `from` as its peer. Frames for
 * processes are in `frames.ts`.
 *
 * Refs in a payload cross as their addresses, in a tagged form that both
 * structured clone (workers) and MessagePack (processes, nodes) carry as
 * plain data: `{ "~troupe/ref": [host, id, name?] }`. Finding them costs
 * nothing extra: the walk that checks every payload at the sender anyway
 * notes them. A payload without refs goes as it is; one with refs goes as a
 * copy with each ref in that form, and its tuple ends with a flag
 * (`HAS_REFS`), so that the receiver walks a payload to turn them back into
 * refs only when the flag says there is something to find.
 *
 * @module
 */

import type { Address, AskFailure, Envelope } from "../envelope.ts";
import type { DeadLetterReason } from "../dead_letters.ts";
import type { ErrorInfo, ExitReason } from "../errors.ts";
import { TroupeError } from "../errors.ts";
import { preview } from "../preview.ts";
import { isActorRef, refAddress } from "../ref_brand.ts";
import { takeTransfer, transfer } from "../transfer.ts";

/** Largest frame accepted by default: 64 MiB. */
export const MAX_FRAME = 64 * 1024 * 1024;

/**
 * Wire tag of a tell tuple: `[0, toHost, toId, name, payload]`, plus
 * `HAS_REFS` when the payload holds refs.
 */
export const TELL = 0;
/**
 * Wire tag of an ask tuple: `[1, toHost, toId, name, payload, fromHost,
 * corr]`, plus `HAS_REFS` when the payload holds refs.
 */
export const ASK = 1;
/** The last element of a tuple whose payload holds refs in their wire form. */
export const HAS_REFS = 1;
/** The key of a ref's wire form: `{ "~troupe/ref": [host, id, name?] }`. */
export const REF_KEY = "~troupe/ref";
const REPLY = 2;
const FAILURE = 3;
const STOP = 4;
const WATCH = 5;
const UNWATCH = 6;
const DOWN = 7;
const CONTROL = 9;

/** One item on a link: an envelope as a tuple, or a control message. */
export type WireItem = unknown[];

/** Control messages between a parent and a host. */
export type Control =
  | {
    t: "spawn";
    req: number;
    module: string;
    behavior: string;
    arg: unknown;
    /** The argument holds refs in their wire form. */
    refs?: boolean;
    name?: string;
    mailbox?: unknown;
    shutdownTimeout?: number;
    /**
     * The actor's proxy's address in the parent: its own ref's (`ctx.self`),
     * so that it is one actor to whoever holds it, across restarts.
     */
    proxy?: Address;
  }
  | { t: "spawned"; req: number; id: number }
  | { t: "spawn-failed"; req: number; error: ErrorInfo }
  | { t: "stop"; id: number; timeout?: number }
  | { t: "kill"; id: number }
  | { t: "exit"; id: number; reason: ExitReason; returned: WireItem[] }
  | { t: "shutdown"; timeout: number }
  | { t: "bye" }
  | { t: "dead-letter"; target: string; name: string; reason: DeadLetterReason }
  | { t: "gone"; detail: string }
  | { t: "ready"; host: string }
  | { t: "fatal"; error: ErrorInfo };

/**
 * Encode an envelope as a tuple for the link from `self` to `peer` (address
 * names are labels: dropped).
 */
export function envelopeToWire(
  e: Envelope,
  self: string,
  peer: string,
): WireItem {
  const to = e.to.host === peer ? "" : e.to.host;
  switch (e.kind) {
    case "tell":
      return e.refs
        ? [TELL, to, e.to.id, e.name, e.payload, HAS_REFS]
        : [TELL, to, e.to.id, e.name, e.payload];
    case "ask": {
      const item = [
        ASK,
        to,
        e.to.id,
        e.name,
        e.payload,
        e.from.host === self ? "" : e.from.host,
        e.corr,
      ];
      if (e.refs) item.push(HAS_REFS);
      return item;
    }
    case "reply":
      return e.refs
        ? [REPLY, to, e.corr, e.payload, HAS_REFS]
        : [REPLY, to, e.corr, e.payload];
    case "failure":
      return [FAILURE, to, e.corr, e.failure];
    case "stop":
      return [STOP, to, e.to.id];
    case "watch":
    case "unwatch":
      return [
        e.kind === "watch" ? WATCH : UNWATCH,
        to,
        e.to.id,
        e.from.host === self ? "" : e.from.host,
        e.corr,
      ];
    case "down":
      return [DOWN, to, e.corr, e.reason];
  }
}

/** Encode a control message. */
export function controlToWire(c: Control): WireItem {
  return [CONTROL, c];
}

/** A decoded wire item. */
export type Decoded =
  | { envelope: Envelope; control?: undefined }
  | { envelope?: undefined; control: Control };

/** A wire item that is not one: the frame came from a broken or hostile peer. */
export class WireError extends TroupeError {
  /** Build the error from what is wrong. */
  constructor(problem: string) {
    super(`malformed wire data: ${problem}`);
  }
}

function addr(host: unknown, id: unknown, blank: string): Address {
  if (typeof host !== "string" || !Number.isInteger(id)) {
    throw new WireError(`bad address ${preview([host, id])}`);
  }
  return { host: host === "" ? blank : host, id: id as number };
}

/**
 * Decode one wire item that came over the link from `peer` to `self`; a
 * `WireError` names what is wrong.
 */
export function fromWire(item: unknown, self: string, peer: string): Decoded {
  if (!Array.isArray(item)) throw new WireError("item is not an array");
  switch (item[0]) {
    case TELL: {
      const envelope: Envelope = {
        kind: "tell",
        to: addr(item[1], item[2], self),
        name: item[3],
        payload: item[4],
      };
      if (item.length > 5 && item[5] === HAS_REFS) envelope.refs = true;
      return { envelope };
    }
    case ASK: {
      const envelope: Envelope = {
        kind: "ask",
        to: addr(item[1], item[2], self),
        name: item[3],
        payload: item[4],
        from: addr(item[5], 0, peer),
        corr: item[6],
      };
      if (item.length > 7 && item[7] === HAS_REFS) envelope.refs = true;
      return { envelope };
    }
    case REPLY: {
      const envelope: Envelope = {
        kind: "reply",
        to: addr(item[1], 0, self),
        corr: item[2],
        payload: item[3],
      };
      if (item.length > 4 && item[4] === HAS_REFS) envelope.refs = true;
      return { envelope };
    }
    case FAILURE:
      return {
        envelope: {
          kind: "failure",
          to: addr(item[1], 0, self),
          corr: item[2],
          failure: item[3] as AskFailure,
        },
      };
    case STOP:
      return {
        envelope: { kind: "stop", to: addr(item[1], item[2], self) },
      };
    case WATCH:
    case UNWATCH:
      return {
        envelope: {
          kind: item[0] === WATCH ? "watch" : "unwatch",
          to: addr(item[1], item[2], self),
          from: addr(item[3], 0, peer),
          corr: item[4],
        },
      };
    case DOWN:
      return {
        envelope: {
          kind: "down",
          to: addr(item[1], 0, self),
          corr: item[2],
          reason: item[3],
        },
      };
    case CONTROL:
      if (typeof item[1] !== "object" || item[1] === null) {
        throw new WireError("control item without a body");
      }
      return { control: item[1] as Control };
    default:
      throw new WireError(`unknown item tag ${preview(item[0])}`);
  }
}

/**
 * Check an envelope about to leave on a link, and put the refs in its
 * payload in their wire form (`refs` set). A tell or ask whose payload
 * cannot cross throws a `CrossingError` at the sender; a reply that cannot cross
 * becomes a failure, so that the asker hears why instead of the link (or the
 * host) breaking on it.
 */
export function guardEnvelope(env: Envelope, msgpack: boolean): Envelope {
  if (env.kind !== "tell" && env.kind !== "ask" && env.kind !== "reply") {
    return env;
  }
  let ready: unknown;
  try {
    ready = prepare(env.payload, msgpack);
  } catch (e) {
    if (!(e instanceof CrossingError)) throw e;
    const problem = e.message;
    if (env.kind === "reply") {
      return {
        kind: "failure",
        to: env.to,
        corr: env.corr,
        failure: {
          type: "handler",
          error: {
            name: "CrossingError",
            message: `the reply cannot cross to the asker's host: ${
              problem.replace(/^payload/, "reply")
            }`,
          },
        },
      };
    }
    throw new CrossingError(
      `cannot send "${env.name}" to ${
        env.to.name ?? "actor"
      }#${env.to.id} on host ${env.to.host}: ${problem}`,
    );
  }
  // (By its type: a NaN payload is not itself.)
  if (!(ready instanceof RefPayload)) return env;
  return { ...env, payload: (ready as RefPayload).value, refs: true };
}

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

/**
 * Turn the refs in a payload that came marked `HAS_REFS` (or `refs`) back
 * into refs, in place, with `toRef` (the receiving system's `refFor`). A
 * malformed ref is a `WireError`.
 */
export function reviveRefs(
  value: unknown,
  toRef: (address: Address) => unknown,
): unknown {
  return revive(value, toRef, new Set());
}

function revive(
  v: unknown,
  toRef: (address: Address) => unknown,
  seen: Set<object>,
): unknown {
  if (typeof v !== "object" || v === null || seen.has(v)) return v;
  if (Array.isArray(v)) {
    seen.add(v);
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i], toRef, seen);
    return v;
  }
  if (v instanceof Map) {
    seen.add(v);
    const entries = [...v];
    v.clear();
    for (const [k, x] of entries) {
      v.set(revive(k, toRef, seen), revive(x, toRef, seen));
    }
    return v;
  }
  if (v instanceof Set) {
    seen.add(v);
    const items = [...v];
    v.clear();
    for (const x of items) v.add(revive(x, toRef, seen));
    return v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const o = v as Record<string, unknown>;
  if (Object.hasOwn(o, REF_KEY)) return toRef(refFromWire(o[REF_KEY]));
  seen.add(v);
  for (const k of Object.keys(o)) o[k] = revive(o[k], toRef, seen);
  return v;
}

/** The address in a ref's wire form; a `WireError` if it is not one. */
function refFromWire(x: unknown): Address {
  if (
    Array.isArray(x) && (x.length === 2 || x.length === 3) &&
    typeof x[0] === "string" && x[0] !== "" && Number.isInteger(x[1]) &&
    (x.length === 2 || typeof x[2] === "string")
  ) {
    return x.length === 2
      ? { host: x[0], id: x[1] }
      : { host: x[0], id: x[1], name: x[2] };
  }
  throw new WireError(`bad ref ${preview(x)}`);
}
