/**
 * A node's actors, as its heartbeat carries them to the scheduler: how many,
 * messages waiting, restarts, dead letters by reason, and its deepest
 * mailboxes. Bounded on both sides: the node sends at most `REPORT_TOP`
 * mailboxes with names cut to `REPORT_NAME_MAX` characters, and the
 * scheduler takes nothing bigger (`checkActorReport` refuses it with a
 * `TransportError` that says what was wrong).
 *
 * @module
 */

import type { ActorSystem } from "../../actors/system.ts";
import { TransportError } from "./wire_errors.ts";

/**
 * One deep mailbox of a node's actor.
 *
 * @example
 * ```ts
 * import type { MailboxReport } from "./actor_report.ts";
 * const m: MailboxReport = { actor: "store#3", depth: 4, capacity: 4 };
 * ```
 */
export interface MailboxReport {
  /** The actor, as `behaviour#id` (its registered name in quotes, if any). */
  readonly actor: string;
  /** Messages waiting in its mailbox. */
  readonly depth: number;
  /** Its mailbox's bound (`Infinity`: none). */
  readonly capacity: number;
}

/**
 * What a node says of its actor system.
 *
 * @example
 * ```ts
 * import type { ActorReport } from "./actor_report.ts";
 * const idle: ActorReport = { count: 1, mailboxes: 0, restarts: 0, deadLetters: {}, deepest: [] };
 * ```
 */
export interface ActorReport {
  /** Living actors. */
  readonly count: number;
  /** Messages waiting in all their mailboxes. */
  readonly mailboxes: number;
  /** Restarts by supervisors since the node joined. */
  readonly restarts: number;
  /** Messages that went nowhere, by reason, since the node joined. */
  readonly deadLetters: Readonly<Record<string, number>>;
  /** The deepest mailboxes (actors with messages waiting), deepest first. */
  readonly deepest: readonly MailboxReport[];
}

/**
 * Mailboxes a report names at most.
 *
 * @example
 * ```ts
 * import { REPORT_TOP } from "./actor_report.ts";
 * console.log(REPORT_TOP); // 5
 * ```
 */
export const REPORT_TOP = 5;
/**
 * Characters of an actor's name in a report at most.
 *
 * @example
 * ```ts
 * import { REPORT_NAME_MAX } from "./actor_report.ts";
 * console.log(REPORT_NAME_MAX); // 120
 * ```
 */
export const REPORT_NAME_MAX = 120;
/** Dead-letter reasons a report counts at most (the runtime has 7). */
const REASONS_MAX = 16;
const REASON = /^[a-z][a-z-]{0,39}$/;

/**
 * Start counting `system`'s restarts; the function returned makes a report
 * of it now (one pass over its actors), and `stop` ends the counting.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { actorReporter } from "./actor_report.ts";
 * await using system = new ActorSystem();
 * const { report, stop } = actorReporter(system);
 * console.log(report().count); // 0
 * stop();
 * ```
 */
export function actorReporter(
  system: ActorSystem,
): { report: () => ActorReport; stop: () => void } {
  let restarts = 0;
  const stop = system.subscribe((e) => {
    if (e.type === "restarted") restarts++;
  });
  const report = (): ActorReport => {
    let count = 0, mailboxes = 0;
    const deepest: MailboxReport[] = [];
    for (const a of system.actors()) {
      count++;
      mailboxes += a.mailboxSize;
      if (a.mailboxSize === 0) continue;
      const last = deepest[REPORT_TOP - 1];
      if (last !== undefined && last.depth >= a.mailboxSize) continue;
      const named = a.address.name === undefined
        ? a.behavior
        : `${a.behavior} "${a.address.name}"`;
      deepest.push({
        actor: `${named}#${a.address.id}`.slice(0, REPORT_NAME_MAX),
        depth: a.mailboxSize,
        capacity: a.mailboxCapacity,
      });
      deepest.sort((x, y) => y.depth - x.depth);
      if (deepest.length > REPORT_TOP) deepest.pop();
    }
    return {
      count,
      mailboxes,
      restarts,
      deadLetters: system.deadLetters.byReason,
      deepest,
    };
  };
  return { report, stop };
}

/** Whether `x` is a count: a whole number, not negative. */
function count(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/**
 * `x` as an actor report, or a `TransportError` (`protocol`) that names what
 * is wrong with it: a field missing or of the wrong kind, a count that is
 * none, more than `REPORT_TOP` mailboxes, a name longer than
 * `REPORT_NAME_MAX`. What it returns is a fresh object of the known fields
 * only.
 *
 * @example
 * ```ts
 * import { checkActorReport } from "./actor_report.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => checkActorReport({ count: -1 }), /protocol: actors report: count/);
 * ```
 */
export function checkActorReport(x: unknown): ActorReport {
  const bad = (what: string): never => {
    throw new TransportError("protocol", `actors report: ${what}`);
  };
  if (typeof x !== "object" || x === null || Array.isArray(x)) {
    return bad("not an object");
  }
  const r = x as Record<string, unknown>;
  for (const f of ["count", "mailboxes", "restarts"] as const) {
    if (!count(r[f])) bad(`${f} is not a count`);
  }
  const letters = r.deadLetters;
  if (
    typeof letters !== "object" || letters === null || Array.isArray(letters)
  ) return bad("deadLetters is not an object");
  const reasons = Object.entries(letters);
  if (reasons.length > REASONS_MAX) {
    bad(`${reasons.length} dead-letter reasons (at most ${REASONS_MAX})`);
  }
  const deadLetters: Record<string, number> = Object.create(null);
  for (const [reason, n] of reasons) {
    if (!REASON.test(reason)) bad("a dead-letter reason that is none");
    if (!count(n)) bad(`dead letters "${reason}" is not a count`);
    deadLetters[reason] = n as number;
  }
  if (!Array.isArray(r.deepest)) return bad("deepest is not a list");
  if (r.deepest.length > REPORT_TOP) {
    bad(`${r.deepest.length} mailboxes (at most ${REPORT_TOP})`);
  }
  const deepest = r.deepest.map((m: unknown): MailboxReport => {
    const { actor, depth, capacity } = (m ?? {}) as Record<string, unknown>;
    if (typeof actor !== "string" || actor.length > REPORT_NAME_MAX) {
      bad(`a mailbox's actor is not a name of at most ${REPORT_NAME_MAX}`);
    }
    if (!count(depth)) bad("a mailbox's depth is not a count");
    if (!(capacity === Infinity || (count(capacity) && capacity > 0))) {
      bad("a mailbox's capacity is not a bound");
    }
    return {
      actor: actor as string,
      depth: depth as number,
      capacity: capacity as number,
    };
  });
  return {
    count: r.count as number,
    mailboxes: r.mailboxes as number,
    restarts: r.restarts as number,
    deadLetters: { ...deadLetters },
    deepest,
  };
}
