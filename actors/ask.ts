/**
 * Pending asks and their deadlines.
 *
 * A `setTimeout` per ask costs about 1.5 us in Deno and a `performance.now()`
 * about 80 ns, while a whole round trip should take a few hundred. Asks with
 * the same timeout expire in the order they were made, so each distinct
 * timeout keeps one intrusive linked list and one ticking timer: adding and
 * settling an ask are O(1) and touch neither a timer nor the clock.
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
  /** The tick of its deadline list at which it expires. */
  deadline = 0;
  prev: PendingAsk | undefined;
  next: PendingAsk | undefined;
  list: DeadlineList | undefined;
  /** For an ask sent to another host: its correlation id and table. */
  corr = 0;
  outbound: Map<number, unknown> | undefined;
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

/**
 * The asks that share one timeout, oldest first. The list counts ticks of a
 * timer (T/16, within 1..100 ms) instead of reading the clock per ask: an ask
 * stamped at tick k expires once `need` more ticks have fired. Ticks never
 * come early, so an ask never expires before its timeout, and at most about
 * two ticks after it. The timer runs only while asks are pending.
 */
class DeadlineList {
  readonly timeoutMs: number;
  readonly #tickMs: number;
  readonly #need: number;
  head: PendingAsk | undefined;
  tail: PendingAsk | undefined;
  #tick = 0;
  #timer: Timer | undefined;
  readonly #untimed: boolean;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    // No deadline: the list only holds the asks, for the system's shutdown.
    this.#untimed = timeoutMs === Infinity;
    this.#tickMs = Math.max(1, Math.min(100, Math.floor(timeoutMs / 16)));
    // +1: the first tick after an ask may come at once.
    this.#need = Math.ceil(timeoutMs / this.#tickMs) + 1;
  }

  add(ask: PendingAsk): void {
    ask.deadline = this.#tick + this.#need;
    ask.list = this;
    ask.prev = this.tail;
    if (this.tail === undefined) this.head = ask;
    else this.tail.next = ask;
    this.tail = ask;
    if (this.#timer === undefined && !this.#untimed) {
      this.#timer = setTimeout(this.#fire, this.#tickMs);
    }
  }

  remove(ask: PendingAsk): void {
    const { prev, next } = ask;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    ask.prev = ask.next = ask.list = undefined;
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #fire = (): void => {
    const tick = ++this.#tick;
    while (this.head !== undefined && this.head.deadline <= tick) {
      this.head.expire(this.timeoutMs);
    }
    // Keep ticking while asks wait; stop (and let the process exit) after.
    this.#timer = this.head === undefined
      ? undefined
      : setTimeout(this.#fire, this.#tickMs);
  };
}

/**
 * All deadline lists of one system, by timeout. An ask with no deadline
 * (`Infinity`) waits in a list with no timer: it ends with its reply, its
 * target's death, its link's loss, its signal or the system's shutdown.
 */
export class Deadlines {
  #lists = new Map<number, DeadlineList>();

  /** Start the clock on `ask`, which must settle within `timeoutMs`. */
  track(ask: PendingAsk, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList(timeoutMs);
      this.#lists.set(timeoutMs, list);
    }
    list.add(ask);
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
