/**
 * How the shared primitives wait: on a sequence word in the
 * `SharedArrayBuffer`, with `Atomics.waitAsync` (never `Atomics.wait`, which
 * would block an event loop), a timeout and an `AbortSignal`.
 *
 * Each primitive keeps, per thing to wait for, two Int32 cells: a sequence
 * number that every state change which may let a waiter on bumps, and the
 * number of sleepers (so that a change with nobody asleep costs no
 * `notify`). A waiter reads the sequence, tries, and if it must wait, sleeps
 * only while the sequence is unchanged: a change between its try and its
 * sleep is never lost.
 *
 * `Atomics.waitAsync` has no cancellation, and a waiter that gives up (its
 * timeout or signal) may already have been picked by a `notify(…, 1)` meant
 * for someone who can use it. So a waiter that gives up wakes every sleeper
 * of that word: they find the state unchanged and sleep again, and the wake
 * that it may have swallowed is not lost. Its own `waitAsync` resolves at
 * once, so nothing is left pending in V8.
 *
 * While a wait is pending a timer is armed (its timeout, or a long
 * keep-alive): a pending `waitAsync` alone does not keep Deno's event loop
 * alive. Every timer and listener is removed when the wait ends.
 *
 * Internal to `sync/`.
 *
 * @module
 */

import { WaitAbortedError, WaitTimeoutError } from "./errors.ts";
import type { Guard, WaitOptions } from "./types.ts";

/** Cells a wait channel takes: the sequence, then the sleeper count. */
export const CHANNEL = 2;
/**
 * How long a waiter spins (tries again without yielding) before it sleeps,
 * in ms. A sleeper needs a thread wake-up (tens of microseconds) to come
 * back, while a holder that releases and takes the lock again in a loop
 * leaves it free for well under a microsecond: without a spin the holder
 * keeps it, and the lock rarely changes hands. The spin blocks this
 * isolate's event loop for at most this long.
 */
const SPIN_MS = 0.05;
/** The keep-alive of a wait without timeout (re-armed by an interval). */
const KEEP_ALIVE_MS = 1 << 30;

/** A wait in progress: what waits, and until when. */
export class Deadline {
  readonly op: string;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly end: number;
  constructor(op: string, options: WaitOptions | undefined) {
    this.op = op;
    this.timeout = options?.timeout;
    this.signal = options?.signal;
    if (this.timeout !== undefined && !(this.timeout >= 0)) {
      throw new RangeError(`${op}: timeout must be >= 0, got ${this.timeout}`);
    }
    this.end = this.timeout === undefined
      ? Infinity
      : performance.now() + this.timeout;
  }
  timedOut(): WaitTimeoutError {
    return new WaitTimeoutError(this.op, this.timeout ?? 0);
  }
  aborted(): WaitAbortedError {
    return new WaitAbortedError(this.op, this.signal?.reason);
  }
  /** What is left of the timeout, as options for a nested wait. */
  rest(): WaitOptions {
    return {
      timeout: this.end === Infinity
        ? undefined
        : Math.max(0, this.end - performance.now()),
      signal: this.signal,
    };
  }
}

/**
 * Bump the sequence at `cells[at]` and wake up to `count` sleepers on it
 * (`Infinity`: all of them).
 */
export function wake(cells: Int32Array, at: number, count: number): void {
  Atomics.add(cells, at, 1);
  if (Atomics.load(cells, at + 1) > 0) Atomics.notify(cells, at, count);
}

/**
 * Wait until `attempt()` returns true, sleeping on the channel at
 * `cells[at]` between tries. Rejects with `WaitTimeoutError` or
 * `WaitAbortedError`, leaving nothing pending.
 */
export async function waitUntil(
  cells: Int32Array,
  at: number,
  attempt: () => boolean,
  deadline: Deadline,
): Promise<void> {
  if (deadline.signal?.aborted) throw deadline.aborted();
  for (;;) {
    if (spin(attempt, deadline)) return;
    const seq = Atomics.load(cells, at);
    if (attempt()) return;
    if (deadline.end <= performance.now()) throw deadline.timedOut();
    await sleepOn(cells, at, seq, deadline);
  }
}

/**
 * Sleep on the channel at `cells[at]` while its sequence holds `seq`
 * (counted as a sleeper meanwhile), until a `wake`, the deadline or the
 * signal; rejects on the latter two.
 */
export async function sleepOn(
  cells: Int32Array,
  at: number,
  seq: number,
  deadline: Deadline,
): Promise<void> {
  Atomics.add(cells, at + 1, 1);
  try {
    await sleep(cells, at, seq, deadline);
  } finally {
    Atomics.sub(cells, at + 1, 1);
  }
}

/** Try for up to `SPIN_MS` (less when the deadline is nearer). */
export function spin(attempt: () => boolean, deadline: Deadline): boolean {
  const end = Math.min(performance.now() + SPIN_MS, deadline.end);
  do {
    for (let i = 0; i < 64; i++) if (attempt()) return true;
  } while (performance.now() < end);
  return false;
}

/**
 * Sleep while `cells[at]` holds `seq`, until a notify, the deadline or the
 * signal; on giving up, wake every sleeper of that word (see the module
 * doc) and reject.
 */
function sleep(
  cells: Int32Array,
  at: number,
  seq: number,
  deadline: Deadline,
): Promise<void> {
  const result = Atomics.waitAsync(cells, at, seq);
  if (!result.async) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const signal = deadline.signal;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      clearInterval(timer);
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const giveUp = (error: Error): void => {
      if (!finish()) return;
      Atomics.notify(cells, at);
      reject(error);
    };
    const onAbort = (): void => giveUp(deadline.aborted());
    const timer = deadline.end === Infinity
      ? setInterval(() => {}, KEEP_ALIVE_MS)
      : setTimeout(
        () => giveUp(deadline.timedOut()),
        Math.max(0, deadline.end - performance.now()),
      );
    signal?.addEventListener("abort", onAbort, { once: true });
    result.value.then(() => {
      if (finish()) resolve();
    });
  });
}

/**
 * A guard that runs `release` once, on `release()` or at the end of a
 * `using` / `await using` block.
 */
export function guard(release: () => void): Guard {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    release();
  };
  return {
    release: once,
    [Symbol.dispose]: once,
    [Symbol.asyncDispose]: (): Promise<void> => {
      once();
      return Promise.resolve();
    },
  };
}

/** The attach-from-handle that `from()` of each primitive uses. */
let pending: unknown;

/** Run `make` (a constructor call) so that it attaches to `value`. */
export function attaching<T>(value: unknown, make: () => T): T {
  pending = value;
  try {
    return make();
  } finally {
    pending = undefined;
  }
}

/** What `attaching` handed to the constructor now running, once. */
export function takeAttached<T>(): T | undefined {
  const v = pending as T | undefined;
  pending = undefined;
  return v;
}
