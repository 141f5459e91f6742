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
 * (crossing.ts) notes them. A payload without refs goes as it is; one with refs goes as a
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
import { CrossingError, prepare, REF_KEY, RefPayload } from "./crossing.ts";

// What may cross is checked in crossing.ts; the error stays importable from
// here too, for the files of cluster/ that import it so.
export { CrossingError } from "./crossing.ts";

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
