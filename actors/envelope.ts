/**
 * Addresses and envelopes: the plain data every transport carries.
 *
 * Nothing here holds a closure or a class instance, so an envelope survives
 * `structuredClone`, `postMessage` and MessagePack unchanged. In one isolate
 * the runtime skips building envelopes altogether (see `cell.ts`); they are the
 * form a message takes when it has to leave the isolate.
 *
 * @module
 */

import type { ErrorInfo, ExitReason } from "./errors.ts";
import { preview } from "./preview.ts";

/**
 * Where an actor lives: the host (one isolate running an `ActorSystem`) and its
 * id there. Ids are never reused within a host.
 *
 * @example
 * ```ts
 * import type { Address } from "@troupe/troupe";
 * const a: Address = { host: "main", id: 7, name: "counter" };
 * ```
 */
export interface Address {
  /** The host id of the system that runs the actor. */
  readonly host: string;
  /** The actor's id on that host; `0` is the system itself. */
  readonly id: number;
  /** The registered name, when the actor has one. */
  readonly name?: string;
}

/**
 * A short label for logs and error messages: `name#id`, plus `@host` for
 * another host.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./envelope.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAddress({ host: "h1", id: 3, name: "db" }), "db#3@h1");
 * assert.equal(formatAddress({ host: "h1", id: 3 }, "h1"), "actor#3");
 * ```
 */
export function formatAddress(address: Address, localHost?: string): string {
  const base = `${address.name ?? "actor"}#${address.id}`;
  return address.host === localHost ? base : `${base}@${address.host}`;
}

/**
 * How a failed `ask` crosses hosts: which typed error to rebuild, and its data.
 *
 * @example
 * ```ts
 * import type { AskFailure } from "./envelope.ts";
 * const f: AskFailure = { type: "handler", error: { name: "Error", message: "boom" } };
 * ```
 */
export type AskFailure =
  | { type: "handler"; error: ErrorInfo }
  | { type: "dead"; reason: ExitReason }
  | { type: "unknown-message"; known: string[] }
  | { type: "mailbox-full"; capacity: number };

/**
 * One message between hosts. `tell` and `ask` go to an actor; `reply` and
 * `failure` answer an ask by its correlation id; `stop` asks an actor to stop.
 * `watch` asks to hear of an actor's death, `unwatch` takes that back, and
 * `down` is the notice (to the watcher's host, by the watch's correlation id).
 * `refs` is set by a link's decoder when the payload holds refs in their
 * wire form (`{ "~troupe/ref": [host, id, name?] }`); the system that
 * delivers it turns them back into refs.
 *
 * @example
 * ```ts
 * import type { Envelope } from "./envelope.ts";
 * const env: Envelope = {
 *   kind: "ask",
 *   to: { host: "h2", id: 5 },
 *   from: { host: "h1", id: 0 },
 *   name: "get",
 *   payload: undefined,
 *   corr: 1,
 * };
 * ```
 */
export type Envelope =
  | {
    kind: "tell";
    to: Address;
    name: string;
    payload: unknown;
    from?: Address;
    refs?: boolean;
  }
  | {
    kind: "ask";
    to: Address;
    name: string;
    payload: unknown;
    from: Address;
    corr: number;
    refs?: boolean;
  }
  | {
    kind: "reply";
    to: Address;
    corr: number;
    payload: unknown;
    refs?: boolean;
  }
  | { kind: "failure"; to: Address; corr: number; failure: AskFailure }
  | { kind: "stop"; to: Address }
  | { kind: "watch"; to: Address; from: Address; corr: number }
  | { kind: "unwatch"; to: Address; from: Address; corr: number }
  | { kind: "down"; to: Address; corr: number; reason: ExitReason };

const KINDS = new Set([
  "tell",
  "ask",
  "reply",
  "failure",
  "stop",
  "watch",
  "unwatch",
  "down",
]);

function isAddress(x: unknown): x is Address {
  if (typeof x !== "object" || x === null) return false;
  const a = x as Record<string, unknown>;
  return typeof a.host === "string" && Number.isInteger(a.id) &&
    (a.name === undefined || typeof a.name === "string");
}

/**
 * Check that untrusted data (a decoded frame) is a well-formed envelope, and
 * say what is wrong when it is not. Returns `undefined` when it is valid.
 *
 * @example
 * ```ts
 * import { envelopeProblem } from "./envelope.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(envelopeProblem({ kind: "stop", to: { host: "h", id: 1 } }), undefined);
 * assert.match(envelopeProblem({ kind: "tell" }) ?? "", /"to"/);
 * ```
 */
export function envelopeProblem(x: unknown): string | undefined {
  if (typeof x !== "object" || x === null) return "envelope is not an object";
  const e = x as Record<string, unknown>;
  if (typeof e.kind !== "string" || !KINDS.has(e.kind)) {
    return `unknown envelope kind ${preview(e.kind)}`;
  }
  if (!isAddress(e.to)) return `envelope "to" is not an address`;
  switch (e.kind) {
    case "ask":
      if (!isAddress(e.from)) return `ask envelope "from" is not an address`;
      if (!Number.isInteger(e.corr)) return `ask envelope has no "corr" id`;
      // falls through: an ask also carries a message name
    case "tell":
      if (typeof e.name !== "string") return `envelope "name" is not a string`;
      return undefined;
    case "reply":
    case "failure":
      if (!Number.isInteger(e.corr)) {
        return `${e.kind} envelope has no "corr" id`;
      }
      if (e.kind === "failure") {
        const problem = failureProblem(e.failure);
        if (problem !== undefined) return `failure envelope: ${problem}`;
      }
      return undefined;
    case "watch":
    case "unwatch":
      if (!isAddress(e.from)) {
        return `${e.kind} envelope "from" is not an address`;
      }
      if (!Number.isInteger(e.corr)) {
        return `${e.kind} envelope has no "corr" id`;
      }
      return undefined;
    case "down":
      if (!Number.isInteger(e.corr)) return `down envelope has no "corr" id`;
      if (reasonProblem(e.reason) !== undefined) {
        return `down envelope: ${reasonProblem(e.reason)}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

// A peer's failure or exit reason is read by code that switches on its
// type: one of no known shape is refused here, where it comes in.
function failureProblem(f: unknown): string | undefined {
  if (typeof f !== "object" || f === null) return `no "failure"`;
  const x = f as Record<string, unknown>;
  switch (x.type) {
    case "handler":
      return errorInfoProblem(x.error, "handler failure");
    case "dead":
      return reasonProblem(x.reason);
    case "unknown-message":
      return Array.isArray(x.known) &&
          x.known.every((k) => typeof k === "string")
        ? undefined
        : `unknown-message failure has no list of known names`;
    case "mailbox-full":
      return typeof x.capacity === "number"
        ? undefined
        : `mailbox-full failure has no capacity`;
    default:
      return `unknown failure type ${preview(x.type)}`;
  }
}

function reasonProblem(r: unknown): string | undefined {
  if (typeof r !== "object" || r === null) return `no exit "reason"`;
  const x = r as Record<string, unknown>;
  switch (x.type) {
    case "normal":
    case "not-found":
    case "shutdown":
    case "killed":
      return undefined;
    case "failed":
      return errorInfoProblem(x.error, "failed exit reason");
    case "host-down":
      return typeof x.host === "string" && typeof x.detail === "string"
        ? undefined
        : `host-down exit reason has no host and detail`;
    default:
      return `unknown exit reason type ${preview(x.type)}`;
  }
}

function errorInfoProblem(e: unknown, what: string): string | undefined {
  return typeof e === "object" && e !== null &&
      typeof (e as { name?: unknown }).name === "string" &&
      typeof (e as { message?: unknown }).message === "string"
    ? undefined
    : `${what} has no error (name and message)`;
}
