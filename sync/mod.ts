/**
 * Locks, semaphores, conditions, events, barriers, rwlocks, queues and
 * channels: Python's `threading` / `asyncio` toolbox for Deno.
 *
 * The same interfaces (`MutexLike`, `SemaphoreLike`, `QueueLike`, ...) have
 * several scopes:
 *
 * - **isolate scope** (`Mutex`, `ReentrantMutex`, `Semaphore`,
 *   `BoundedSemaphore`, `RWLock`, `Condition`, `Event`, `Barrier`, `Queue`,
 *   `LifoQueue`, `PriorityQueue`, `Channel`): async primitives for plain
 *   async code and local actors in one isolate;
 * - **shared scope** (`Shared*`): backed by a `SharedArrayBuffer`, so that
 *   worker actors and the main isolate contend on the same primitive.
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

export * from "./errors.ts";
export type * from "./types.ts";
export * from "./mutex.ts";
export * from "./reentrant_mutex.ts";
export * from "./semaphore.ts";
export * from "./rwlock.ts";
export * from "./condition.ts";
export * from "./event.ts";
export * from "./barrier.ts";
export * from "./queue.ts";
export * from "./channel.ts";

// shared scope
export * from "./shared_layout.ts";
export * from "./shared_mutex.ts";
export * from "./shared_semaphore.ts";
export * from "./shared_event.ts";
export * from "./shared_barrier.ts";
export * from "./shared_rwlock.ts";
export * from "./shared_condition.ts";
export * from "./shared_queue.ts";
