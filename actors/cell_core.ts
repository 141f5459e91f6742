/**
 * What the parts of a cell share: its lifecycle states, its rarely used
 * state (`Extras`), and `CellCore`, the cell as the plain functions that do
 * its cold work see it (start and restart, exit and stop, death watch, the
 * proxy side, a full mailbox). `Cell` (cell.ts) is the one `CellCore`; its
 * hot path (queueing a message, the run loop, an ask's reply) keeps its own
 * private fields and methods, so no message pays for the indirection.
 *
 * @module
 */

import type { Deque } from "./deque.ts";
import type { Runnable } from "./dispatcher.ts";
import type { ExitReason } from "./errors.ts";
import type { Mailbox } from "./mailbox.ts";
import type { ReplyTo } from "./reply.ts";
import type { CellLike, Leftover, Runtime } from "./runtime.ts";
import type { Termination, WatchRecord } from "./watch.ts";

// A cell's lifecycle: STARTING (running `init`/`onStart`) → RUNNING → either
// SUSPENDED (exited under a supervisor, waiting for its decision; a restart
// brings it back to STARTING with the same address and mailbox) or STOPPING →
// DEAD. Only DEAD is a death: watchers hear of it once.
export const STARTING = 0;
export const RUNNING = 1;
export const SUSPENDED = 2;
export const STOPPING = 3;
export const DEAD = 4;

/** A system message: runs in the actor's turn, before user messages. */
export type SysTask = () => unknown;

export const RESOLVED: Promise<void> = Promise.resolve();

export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === "object" &&
    typeof (x as PromiseLike<unknown>).then === "function";
}

/** The supervisor side of a supervised cell: where its exits are reported. */
export interface SupervisorLink<C = CellCore> {
  childExited(child: C, incarnation: number, reason: ExitReason): void;
}

/** The parts of a cell that most actors never need. */
export interface Extras<C extends CellCore = CellCore> {
  sys: Deque<SysTask> | undefined;
  children: Set<C> | undefined;
  watchers: WatchRecord[] | undefined;
  watching: Map<CellLike, WatchRecord> | undefined;
  /** Watches on actors of other hosts, by address: their unwatch. */
  remoteWatching: Map<string, () => void> | undefined;
  controller: AbortController | undefined;
  idle: PromiseWithResolvers<void> | undefined;
  started: PromiseWithResolvers<void> | undefined;
  terminating: Promise<void> | undefined;
  inflightName: string | undefined;
  inflightReply: ReplyTo | undefined;
  stopOrder: (() => C[]) | undefined;
  /** Why the current incarnation failed to start, for `whenStarted`. */
  startError: unknown;
  /** Set by a host: takes the messages still queued when the actor dies. */
  handBack: ((reason: ExitReason, left: Leftover[]) => void) | undefined;
}

/** Fresh rarely used state. */
export function newExtras<C extends CellCore>(): Extras<C> {
  return {
    sys: undefined,
    children: undefined,
    watchers: undefined,
    watching: undefined,
    remoteWatching: undefined,
    controller: undefined,
    idle: undefined,
    started: undefined,
    terminating: undefined,
    inflightName: undefined,
    inflightReply: undefined,
    stopOrder: undefined,
    startError: undefined,
    handBack: undefined,
  };
}

/**
 * A cell as its cold parts see it: its fields, its package-internal views
 * of its private state, and the moves of the class they call back.
 */
export interface CellCore extends CellLike, Runnable {
  readonly rt: Runtime<CellCore>;
  readonly parent: CellCore | undefined;
  readonly supervisor: SupervisorLink | undefined;
  state: unknown;
  status: number;
  busy: boolean;
  epoch: number;
  incarnation: number;
  received: number;
  failed: number;
  restarts: number;
  exitReason: ExitReason | undefined;
  /** Its rarely used state, if any was needed yet. */
  readonly rare: Extras | undefined;
  /** Its rarely used state, made on first use. */
  extras(): Extras;
  /** Its mailbox, if a message ever came. */
  readonly mailbox: Mailbox | undefined;
  /** Its mailbox, made if no message came yet. */
  openMailbox(): Mailbox;
  /** Whether it is running with a message or a system task ready now. */
  hasWork(): boolean;
  start(): void | Promise<void>;
  exit(reason: ExitReason): void;
  terminate(reason: ExitReason, timeoutMs?: number): Promise<void>;
  kill(): void;
  enqueueSystem(task: SysTask): void;
  orphan(child: CellCore): void;
  notify(notice: Termination): void;
}

/** An address as a map key. */
export function addressKey(a: { id: number; host: string }): string {
  return `${a.id}@${a.host}`;
}
