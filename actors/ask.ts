/**
 * Pending asks and their deadlines.
 *
 * A `setTimeout` per ask costs about 1.5 us in Deno, more than the whole round
 * trip should. Asks with the same timeout expire in the order they were made,
 * so each distinct timeout keeps one intrusive linked list and one timer for
 * its head: adding and settling an ask are O(1) and touch no timer. When a
 * list empties its timer is unref'd, so a finished program is not held open
 * until the last deadline.
 *
 * @module
 */

import type { Timer } from "./timer.ts";
import type { AskFailure } from "./envelope.ts";
import { AskAbortedError, AskTimeoutError } from "./errors.ts";
import { failureToError, type ReplyTo } from "./reply.ts";

/** Receives replies that arrived after their ask had settled. */
export interface LateReplySink {
  lateReply(target: string, messageName: string, value: unknown): void;
}

/** Something with a label for messages: the asked actor. */
export interface Labeled {
  readonly label: string;
}

/** One outstanding ask: a promise plus its place in a deadline list. */
export class PendingAsk implements ReplyTo {
  readonly promise: Promise<unknown>;
  readonly messageName: string;
  settled = false;
  deadline = 0;
  prev: PendingAsk | undefined;
  next: PendingAsk | undefined;
  list: DeadlineList | undefined;
  /** For an ask sent to another host: its correlation id and table. */
  corr = 0;
  host: string | undefined;
  outbound: Map<number, PendingAsk> | undefined;
  #resolve!: (v: unknown) => void;
  #reject!: (e: unknown) => void;
  #late: LateReplySink;
  #target: Labeled;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  constructor(target: Labeled, messageName: string, late: LateReplySink) {
    this.#target = target;
    this.messageName = messageName;
    this.#late = late;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The asked actor's label (computed only when an error needs it). */
  get target(): string {
    return this.#target.label;
  }

  /** Reject when `signal` aborts. */
  bindSignal(signal: AbortSignal): void {
    if (signal.aborted) {
      this.#abort(signal.reason);
      return;
    }
    this.#signal = signal;
    this.#onAbort = () => this.#abort(signal.reason);
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  resolve(value: unknown): void {
    if (this.settled) {
      this.#late.lateReply(this.target, this.messageName, value);
      return;
    }
    this.#settle();
    this.#resolve(value);
  }

  fail(failure: AskFailure, thrown?: unknown): void {
    this.reject(
      failureToError(this.target, this.messageName, failure, thrown),
    );
  }

  /** Reject with a ready-made error (ignored when already settled). */
  reject(error: Error): void {
    if (this.settled) return;
    this.#settle();
    this.#reject(error);
  }

  /** Called by the deadline list when the deadline has passed. */
  expire(timeoutMs: number): void {
    this.reject(
      new AskTimeoutError(this.target, this.messageName, timeoutMs),
    );
  }

  #abort(reason: unknown): void {
    this.reject(new AskAbortedError(this.target, this.messageName, reason));
  }

  #settle(): void {
    this.settled = true;
    this.list?.remove(this);
    this.outbound?.delete(this.corr);
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener("abort", this.#onAbort);
      this.#signal = this.#onAbort = undefined;
    }
  }
}

/** The asks that share one timeout, oldest (earliest deadline) first. */
class DeadlineList {
  readonly timeoutMs: number;
  head: PendingAsk | undefined;
  tail: PendingAsk | undefined;
  #timer: Timer | undefined;
  #timerRef = false;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  add(ask: PendingAsk, now: number): void {
    ask.deadline = now + this.timeoutMs;
    ask.list = this;
    ask.prev = this.tail;
    if (this.tail === undefined) this.head = ask;
    else this.tail.next = ask;
    this.tail = ask;
    if (this.#timer === undefined) {
      this.#arm(this.timeoutMs);
    } else if (!this.#timerRef) {
      Deno.refTimer(this.#timer);
      this.#timerRef = true;
    }
  }

  remove(ask: PendingAsk): void {
    const { prev, next } = ask;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    ask.prev = ask.next = ask.list = undefined;
    if (this.head === undefined && this.#timer !== undefined) {
      Deno.unrefTimer(this.#timer);
      this.#timerRef = false;
    }
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, ms));
    this.#timerRef = true;
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    // Timers may fire a little early; a deadline within 1 ms counts as passed.
    while (this.head !== undefined && this.head.deadline <= now + 1) {
      this.head.expire(this.timeoutMs);
    }
    if (this.head !== undefined) this.#arm(this.head.deadline - now);
  }
}

/** All deadline lists of one system, by timeout. */
export class Deadlines {
  #lists = new Map<number, DeadlineList>();

  /** Start the clock on `ask`, which must settle within `timeoutMs`. */
  track(ask: PendingAsk, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList(timeoutMs);
      this.#lists.set(timeoutMs, list);
    }
    list.add(ask, performance.now());
  }

  /** Reject every pending ask with `error` and clear every timer. */
  close(error: () => Error): void {
    for (const list of this.#lists.values()) {
      while (list.head !== undefined) list.head.reject(error());
      list.clear();
    }
    this.#lists.clear();
  }
}
