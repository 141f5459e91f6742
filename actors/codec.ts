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
 * @module
 */

import type { Address, AskFailure, Envelope } from "./envelope.ts";
import type { DeadLetterReason } from "./dead_letters.ts";
import type { ErrorInfo, ExitReason } from "./errors.ts";
import { TroupeError } from "./errors.ts";

/** Largest frame accepted by default: 64 MiB. */
export const MAX_FRAME = 64 * 1024 * 1024;

/** Wire tag of a tell tuple: `[0, toHost, toId, name, payload]`. */
export const TELL = 0;
/** Wire tag of an ask tuple: `[1, toHost, toId, name, payload, fromHost, corr]`. */
export const ASK = 1;
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
    name?: string;
    mailbox?: unknown;
    shutdownTimeout?: number;
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
      return [TELL, to, e.to.id, e.name, e.payload];
    case "ask":
      return [
        ASK,
        to,
        e.to.id,
        e.name,
        e.payload,
        e.from.host === self ? "" : e.from.host,
        e.corr,
      ];
    case "reply":
      return [REPLY, to, e.corr, e.payload];
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
    throw new WireError(`bad address ${JSON.stringify([host, id])}`);
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
    case TELL:
      return {
        envelope: {
          kind: "tell",
          to: addr(item[1], item[2], self),
          name: item[3],
          payload: item[4],
        },
      };
    case ASK:
      return {
        envelope: {
          kind: "ask",
          to: addr(item[1], item[2], self),
          name: item[3],
          payload: item[4],
          from: addr(item[5], 0, peer),
          corr: item[6],
        },
      };
    case REPLY:
      return {
        envelope: {
          kind: "reply",
          to: addr(item[1], 0, self),
          corr: item[2],
          payload: item[3],
        },
      };
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
      throw new WireError(`unknown item tag ${JSON.stringify(item[0])}`);
  }
}

/**
 * Check an envelope about to leave on a link. A tell or ask whose payload
 * cannot cross throws a `TypeError` at the sender; a reply that cannot cross
 * becomes a failure, so that the asker hears why instead of the link (or the
 * host) breaking on it.
 */
export function guardEnvelope(env: Envelope, msgpack: boolean): Envelope {
  if (env.kind !== "tell" && env.kind !== "ask" && env.kind !== "reply") {
    return env;
  }
  const problem = serializationProblem(env.payload, msgpack);
  if (problem === undefined) return env;
  if (env.kind === "reply") {
    return {
      kind: "failure",
      to: env.to,
      corr: env.corr,
      failure: {
        type: "handler",
        error: {
          name: "TypeError",
          message: `the reply cannot cross to the asker's host: ${
            problem.replace(/^payload/, "reply")
          }`,
        },
      },
    };
  }
  throw new TypeError(
    `cannot send "${env.name}" to ${
      env.to.name ?? "actor"
    }#${env.to.id} on host ${env.to.host}: ${problem}`,
  );
}

/**
 * Why `value` cannot cross an isolate boundary, or `undefined` when it can.
 * Checked at the sender, so that `tell` fails there with a clear error
 * instead of poisoning a whole batch later.
 */
export function serializationProblem(
  value: unknown,
  msgpack: boolean,
): string | undefined {
  return problemAt(value, "payload", msgpack, new Set(), 0);
}

function problemAt(
  v: unknown,
  path: string,
  msgpack: boolean,
  seen: Set<object>,
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
  if (depth > 64) return `${path} is nested more than 64 levels deep`;
  if (seen.has(o)) {
    return msgpack
      ? `${path} is a cycle (MessagePack cannot carry one)`
      : undefined;
  }
  if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) return undefined;
  if (
    typeof SharedArrayBuffer !== "undefined" && o instanceof SharedArrayBuffer
  ) {
    return msgpack
      ? `${path} is a SharedArrayBuffer (a process cannot share memory)`
      : undefined;
  }
  if (o instanceof Date || o instanceof RegExp || o instanceof Error) {
    return undefined;
  }
  if (o instanceof Promise) return `${path} is a Promise`;
  if (o instanceof WeakMap || o instanceof WeakSet) {
    return `${path} is a WeakMap/WeakSet`;
  }
  seen.add(o);
  try {
    if (o instanceof Map) {
      if (msgpack) {
        return `${path} is a Map (MessagePack would deliver a plain object; send its entries, [...map])`;
      }
      let i = 0;
      for (const [k, val] of o) {
        const p = problemAt(k, `${path}<key ${i}>`, msgpack, seen, depth + 1) ??
          problemAt(val, `${path}<value ${i}>`, msgpack, seen, depth + 1);
        if (p !== undefined) return p;
        i++;
      }
      return undefined;
    }
    if (o instanceof Set) {
      let i = 0;
      for (const val of o) {
        const p = problemAt(val, `${path}<${i++}>`, msgpack, seen, depth + 1);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const p = problemAt(o[i], `${path}[${i}]`, msgpack, seen, depth + 1);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${
        proto?.constructor?.name ?? "class"
      } instance (only plain data crosses hosts; send its fields)`;
    }
    for (const k of Object.keys(o)) {
      const p = problemAt(
        (o as Record<string, unknown>)[k],
        `${path}.${k}`,
        msgpack,
        seen,
        depth + 1,
      );
      if (p !== undefined) return p;
    }
    return undefined;
  } finally {
    seen.delete(o);
  }
}
