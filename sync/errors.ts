/**
 * The typed errors of `sync/`. Each names the primitive and the operation,
 * so that a log line alone says what waited, for how long, and why it ended.
 *
 * `sync/` depends on nothing else in troupe (the cluster builds on it, never
 * the other way round), so these have their own base class.
 *
 * @module
 */

/**
 * The base class of every error `sync/` throws or rejects with.
 *
 * @example
 * ```ts
 * import { SyncError, WaitTimeoutError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new WaitTimeoutError("Mutex.acquire", 10) instanceof SyncError);
 * ```
 */
export class SyncError extends Error {
  /**
   * Create an error with a message and an optional cause.
   *
   * @example
   * ```ts
   * import { SyncError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SyncError("broken").name, "SyncError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A wait (acquire, get, put, wait) did not succeed before its timeout.
 *
 * @example
 * ```ts
 * import { WaitTimeoutError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const e = new WaitTimeoutError("Semaphore.acquire", 50);
 * assert.match(e.message, /Semaphore\.acquire timed out after 50 ms/);
 * ```
 */
export class WaitTimeoutError extends SyncError {
  /** What waited, as `Primitive.operation`. */
  readonly operation: string;
  /** The timeout that passed, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Build the error from the operation and its timeout.
   *
   * @example
   * ```ts
   * import { WaitTimeoutError } from "@troupe/troupe/sync";
   * new WaitTimeoutError("Queue.get", 100);
   * ```
   */
  constructor(operation: string, timeoutMs: number) {
    super(`${operation} timed out after ${timeoutMs} ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A wait was abandoned because its `AbortSignal` fired; the signal's reason
 * is the `cause`.
 *
 * @example
 * ```ts
 * import { WaitAbortedError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const e = new WaitAbortedError("Event.wait", "shutting down");
 * assert.equal(e.cause, "shutting down");
 * ```
 */
export class WaitAbortedError extends SyncError {
  /** What waited, as `Primitive.operation`. */
  readonly operation: string;
  /**
   * Build the error from the operation and the signal's reason.
   *
   * @example
   * ```ts
   * import { WaitAbortedError } from "@troupe/troupe/sync";
   * new WaitAbortedError("Mutex.acquire", new Error("stop"));
   * ```
   */
  constructor(operation: string, reason: unknown) {
    super(`${operation} was aborted: ${describe(reason)}`, { cause: reason });
    this.operation = operation;
  }
}

/**
 * A lock was released (or a condition used) by code that does not hold it.
 *
 * @example
 * ```ts
 * import { NotHeldError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * assert.match(new NotHeldError("Mutex.release").message, /not held/);
 * ```
 */
export class NotHeldError extends SyncError {
  /** The operation that needed the lock, as `Primitive.operation`. */
  readonly operation: string;
  /**
   * Build the error from the operation that needed the lock.
   *
   * @example
   * ```ts
   * import { NotHeldError } from "@troupe/troupe/sync";
   * new NotHeldError("Condition.wait");
   * ```
   */
  constructor(operation: string) {
    super(`${operation}: the lock is not held`);
    this.operation = operation;
  }
}

/**
 * A bounded semaphore (`{ bounded: true }`) was released more times than it
 * was acquired.
 *
 * @example
 * ```ts
 * import { OverReleaseError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * assert.match(new OverReleaseError(3).message, /above its bound of 3/);
 * ```
 */
export class OverReleaseError extends SyncError {
  /** The semaphore's bound (its initial value). */
  readonly bound: number;
  /**
   * Build the error from the semaphore's bound.
   *
   * @example
   * ```ts
   * import { OverReleaseError } from "@troupe/troupe/sync";
   * new OverReleaseError(2);
   * ```
   */
  constructor(bound: number) {
    super(
      `release would raise the bounded semaphore's value above its bound of ${bound}`,
    );
    this.bound = bound;
  }
}

/**
 * A `Barrier` is broken: a party timed out or was aborted, or `abort()` or
 * `reset()` was called while parties waited. Every waiter rejects with it,
 * as with Python's `threading.BrokenBarrierError`.
 *
 * @example
 * ```ts
 * import { BrokenBarrierError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * assert.match(new BrokenBarrierError("a party timed out").message, /broken/);
 * ```
 */
export class BrokenBarrierError extends SyncError {
  /**
   * Build the error from why the barrier broke.
   *
   * @example
   * ```ts
   * import { BrokenBarrierError } from "@troupe/troupe/sync";
   * new BrokenBarrierError("aborted");
   * ```
   */
  constructor(why: string, options?: ErrorOptions) {
    super(`the barrier is broken: ${why}`, options);
  }
}

/**
 * A queue or channel was closed: `put` after `close()`, or `get` on a closed
 * queue that has nothing left.
 *
 * @example
 * ```ts
 * import { ClosedError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * assert.match(new ClosedError("Queue.put").message, /closed/);
 * ```
 */
export class ClosedError extends SyncError {
  /** The operation that found it closed, as `Primitive.operation`. */
  readonly operation: string;
  /**
   * Build the error from the operation that found the queue closed.
   *
   * @example
   * ```ts
   * import { ClosedError } from "@troupe/troupe/sync";
   * new ClosedError("Channel.send");
   * ```
   */
  constructor(operation: string) {
    super(`${operation}: it is closed`);
    this.operation = operation;
  }
}

/**
 * A shared primitive was attached to a buffer laid out for something else
 * (another primitive, another version, or too small a buffer).
 *
 * @example
 * ```ts
 * import { LayoutError } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const e = new LayoutError("SharedMutex", "the buffer holds a SharedEvent");
 * assert.match(e.message, /SharedMutex/);
 * ```
 */
export class LayoutError extends SyncError {
  /** The primitive that was being attached. */
  readonly primitive: string;
  /**
   * Build the error from the primitive and what was wrong with the buffer.
   *
   * @example
   * ```ts
   * import { LayoutError } from "@troupe/troupe/sync";
   * new LayoutError("SharedSemaphore", "the buffer is 4 bytes, 16 needed");
   * ```
   */
  constructor(primitive: string, problem: string) {
    super(`cannot attach a ${primitive}: ${problem}`);
    this.primitive = primitive;
  }
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  return String(reason);
}
