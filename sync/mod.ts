/**
 * Locks, semaphores, conditions, events, barriers, rwlocks, queues and
 * channels: Python's `threading` / `asyncio` toolbox for Deno.
 *
 * Each primitive has two scopes, with the same members (a user names the
 * class; tests/sync/scopes_test.ts holds each pair to one shape):
 *
 * - **isolate scope** (`Mutex`, `ReentrantMutex`, `Semaphore` (bounded or
 *   not), `RWLock`, `Condition`, `Event`, `Barrier`, `Queue`
 *   (FIFO, LIFO or priority), `Channel`): async primitives for plain
 *   async code and local actors in one isolate;
 * - **shared scope** (`Shared*`): backed by a `SharedArrayBuffer`, so that
 *   worker actors and the main isolate contend on the same primitive.
 *
 * sync/ is a leaf: it imports nothing else of troupe.
 *
 * Every wait takes `{ timeout, signal }` and rejects with a typed error
 * (`WaitTimeoutError`, `WaitAbortedError`); waiters are served FIFO unless a
 * primitive documents otherwise.
 *
 * @example
 * ```ts
 * import { Mutex, Queue } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const m = new Mutex();
 * const q = new Queue<number>({ maxSize: 4 });
 * let total = 0;
 * const consumer = (async () => {
 *   for await (const x of q) {
 *     using _held = await m.lock();
 *     total += x;
 *   }
 * })();
 * for (let i = 1; i <= 10; i++) await q.put(i);
 * q.close();
 * await consumer;
 * assert.equal(total, 55);
 * ```
 *
 * @module
 */

export {
  BrokenBarrierError,
  ClosedError,
  LayoutError,
  NotHeldError,
  OverReleaseError,
  SyncError,
  WaitAbortedError,
  WaitTimeoutError,
} from "./errors.ts";
export type { Guard, WaitOptions } from "./types.ts";
export { Mutex } from "./mutex.ts";
export { ReentrantMutex } from "./reentrant_mutex.ts";
export { Semaphore } from "./semaphore.ts";
export { RWLock } from "./rwlock.ts";
export { Condition } from "./condition.ts";
export { Event } from "./event.ts";
export { Barrier } from "./barrier.ts";
export { Queue } from "./queue.ts";
export { Channel, select } from "./channel.ts";

// shared scope
export {
  attachStruct,
  type SharedHandle,
  type SharedLayout,
  type SharedStruct,
  sharedStruct,
} from "./shared_layout.ts";
export { SharedMutex } from "./shared_mutex.ts";
export { SharedSemaphore } from "./shared_semaphore.ts";
export { SharedEvent } from "./shared_event.ts";
export { SharedBarrier } from "./shared_barrier.ts";
export { SharedRWLock } from "./shared_rwlock.ts";
export { SharedCondition } from "./shared_condition.ts";
export { SharedQueue } from "./shared_queue.ts";
