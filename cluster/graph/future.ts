/**
 * Futures: handles to tasks a scheduler runs eagerly (`submit`, `map`,
 * `persist`), as Dask's futures are. A future can be awaited, cancelled,
 * released, and passed as an argument to other tasks; `gather`, `wait` and
 * `asCompleted` work on many at once.
 *
 * @module
 */

import { KEY } from "./keys.ts";

/**
 * Where a future's task is: `pending` (waiting or running), `finished`,
 * `error`, or `cancelled`.
 *
 * @example
 * ```ts
 * import type { FutureStatus } from "./future.ts";
 * const s: FutureStatus = "finished";
 * ```
 */
export type FutureStatus = "pending" | "finished" | "error" | "cancelled";

/**
 * What a future asks of the scheduler that made it.
 *
 * @example
 * ```ts
 * import type { FutureOwner } from "./future.ts";
 * type Methods = keyof FutureOwner;
 * ```
 */
export interface FutureOwner {
  /** The status of `key`. */
  statusOf(key: string): FutureStatus;
  /** Resolves when `key` is no longer pending (never rejects). */
  settled(key: string): Promise<void>;
  /** The value of `key` (fetched from where it lives), or its error. */
  resultOf(key: string): Promise<unknown>;
  /** Stop `key` unless something else needs it. */
  cancel(key: string): void;
  /** Drop one hold on `key`'s result. */
  release(key: string): void;
  /** The values of many keys at once (fewer round trips), if it can. */
  resultsOf?(keys: readonly string[]): Promise<unknown[]>;
}

// Which scheduler made each future (for `gather`, which batches per owner).
const owners = new WeakMap<Future<unknown>, FutureOwner>();

// A future that is garbage collected lets go of its result.
const finalizer = new FinalizationRegistry<
  { owner: FutureOwner; key: string }
>(({ owner, key }) => owner.release(key));

/**
 * A task being computed by a scheduler; holds its result there until
 * released (or garbage collected).
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local" });
 * const f = scheduler.submit(t.inc, 1);
 * const g = scheduler.submit(t.inc, f); // a future as an argument
 * assert.equal(await g.result(), 3);
 * assert.equal(f.status, "finished");
 * ```
 */
export class Future<T = unknown> {
  /** The task key. */
  readonly key: string;
  /**
   * The task key, under the symbol that marks lazy values.
   *
   * @ignore Internal: read it as `.key`.
   */
  readonly [KEY]: string;
  readonly #owner: FutureOwner;
  #released = false;
  /** Type only: what it computes (never set). */
  declare readonly resultType?: T;

  /**
   * Futures come from a scheduler's `submit`, `map` and `persist`.
   *
   * @example
   * ```ts
   * import { Future } from "@troupe/troupe";
   * import type { FutureOwner } from "./future.ts";
   * const owner: FutureOwner = {
   *   statusOf: () => "finished",
   *   settled: () => Promise.resolve(),
   *   resultOf: () => Promise.resolve(42),
   *   cancel: () => {},
   *   release: () => {},
   * };
   * console.log(await new Future<number>("answer", owner).result()); // 42
   * ```
   */
  constructor(key: string, owner: FutureOwner) {
    this.key = key;
    this[KEY] = key;
    this.#owner = owner;
    owners.set(this, owner);
    finalizer.register(this, { owner, key }, this);
  }

  /**
   * Where the task is.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const f = scheduler.submit(t.one);
   * await f.result();
   * console.log(f.status); // "finished"
   * ```
   */
  get status(): "pending" | "finished" | "error" | "cancelled" {
    return this.#owner.statusOf(this.key);
  }

  /**
   * Whether the task is no longer pending.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const f = scheduler.submit(t.one);
   * await f.result();
   * console.log(f.done); // true
   * ```
   */
  get done(): boolean {
    return this.status !== "pending";
  }

  /**
   * Resolves when the task is no longer pending; never rejects.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const f = scheduler.submit(t.one);
   * await f.settled();
   * console.log(f.status); // "finished"
   * ```
   */
  settled(): Promise<void> {
    return this.#kept(this.#owner.settled(this.key));
  }

  /**
   * The task's result; rejects with `TaskFailedError` (naming the failing
   * key), `KilledWorkerError` or `CancelledError`.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * console.log(await scheduler.submit(t.one).result()); // 1
   * ```
   */
  result(): Promise<T> {
    if (this.#released) {
      return Promise.reject(
        new TypeError(`future ${this.key} was released; its result is gone`),
      );
    }
    return this.#kept(this.#owner.resultOf(this.key) as Promise<T>);
  }

  /**
   * `p`, holding this future (and so its key) until `p` settles: in
   * `await scheduler.submit(f, x).result()` nothing else refers to the
   * future, and a collection while the task ran released its key, and the
   * result came back a `CancelledError`.
   */
  #kept<V>(p: Promise<V>): Promise<V> {
    return p.finally(() => this.#touch());
  }

  #touch(): void {}

  /**
   * Cancel the task: work not started does not start (unless another future
   * or computation needs it); the result rejects with `CancelledError`.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { CancelledError, createScheduler } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   * export const t = defineTasks(import.meta.url, {
   *   nap: (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)),
   * });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local", workers: 1 });
   * const first = scheduler.submit(t.nap, 20);
   * const second = scheduler.submit(t.nap, 30);
   * second.cancel();
   * await assert.rejects(second.result(), CancelledError);
   * assert.equal(await first.result(), 20);
   * ```
   */
  cancel(): void {
    this.#owner.cancel(this.key);
  }

  /**
   * Whether `release()` was called (its result is gone).
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const f = scheduler.submit(t.one);
   * f.release();
   * console.log(f.isReleased); // true
   * ```
   */
  get isReleased(): boolean {
    return this.#released;
  }

  /**
   * Let go of the result (also done when the future is garbage collected).
   * Idempotent.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * const f = scheduler.submit(t.one);
   * await f.result();
   * f.release();
   * ```
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    finalizer.unregister(this);
    this.#owner.release(this.key);
  }

  /**
   * `using f = scheduler.submit(...)` releases it at the end of the block.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineTasks } from "@troupe/troupe";
   * import { createScheduler } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * await using system = new ActorSystem();
   * await using scheduler = createScheduler(system, { placement: "local" });
   * {
   *   using f = scheduler.submit(t.one);
   *   console.log(await f.result()); // 1
   * }
   * ```
   */
  [Symbol.dispose](): void {
    this.release();
  }

  /**
   * The key, for logs.
   *
   * @example
   * ```ts
   * import { Future } from "@troupe/troupe";
   * import type { FutureOwner } from "./future.ts";
   * const owner = { statusOf: () => "pending", settled: () => Promise.resolve(), resultOf: () => Promise.resolve(), cancel() {}, release() {} } as FutureOwner;
   * console.log(String(new Future("k", owner))); // Future(k)
   * ```
   */
  toString(): string {
    return `Future(${this.key})`;
  }
}

/**
 * The results of many futures, in order; rejects with the first error.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, gather } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 * export const t = defineTasks(import.meta.url, { sq: (x: number) => x * x });
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local" });
 * assert.deepEqual(await gather(scheduler.map(t.sq, [1, 2, 3])), [1, 4, 9]);
 * ```
 */
export async function gather<T>(
  futures: readonly Future<T>[],
): Promise<T[]> {
  // One request per scheduler (and per worker there), not one per future.
  const byOwner = new Map<FutureOwner, number[]>();
  futures.forEach((f, i) => {
    const owner = owners.get(f);
    if (owner?.resultsOf === undefined) return;
    let list = byOwner.get(owner);
    if (list === undefined) byOwner.set(owner, list = []);
    list.push(i);
  });
  const out = new Array<T>(futures.length);
  const batched = new Set<number>();
  await Promise.all([...byOwner].map(async ([owner, idx]) => {
    for (const i of idx) {
      // A released future fails as `result()` would.
      if (futures[i].isReleased) await futures[i].result();
    }
    const values = await owner.resultsOf!(idx.map((i) => futures[i].key));
    idx.forEach((i, j) => {
      out[i] = values[j] as T;
      batched.add(i);
    });
  }));
  await Promise.all(futures.map(async (f, i) => {
    if (!batched.has(i)) out[i] = await f.result();
  }));
  return out;
}

/**
 * What `wait` returns: the futures that are done and those that are not.
 *
 * @example
 * ```ts
 * import type { WaitResult } from "./future.ts";
 * type Done = WaitResult<number>["done"];
 * ```
 */
export interface WaitResult<T> {
  /** No longer pending. */
  done: Future<T>[];
  /** Still pending. */
  notDone: Future<T>[];
}

/**
 * Wait until all futures (or the first) are done, or `timeout` ms pass;
 * never rejects for a task's error (look at `status`).
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, wait } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 * export const t = defineTasks(import.meta.url, {
 *   nap: (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)),
 * });
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local", workers: 2 });
 * const fs = [scheduler.submit(t.nap, 1), scheduler.submit(t.nap, 200)];
 * const { done } = await wait(fs, { returnWhen: "first" });
 * assert.equal(done[0], fs[0]);
 * await wait(fs);
 * ```
 */
export async function wait<T>(
  futures: readonly Future<T>[],
  options: { returnWhen?: "all" | "first"; timeout?: number } = {},
): Promise<{
  /** No longer pending. */
  done: Future<T>[];
  /** Still pending. */
  notDone: Future<T>[];
}> {
  const all = futures.map((f) => f.settled());
  const goal = options.returnWhen === "first"
    ? Promise.race(all)
    : Promise.all(all);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waits: Promise<unknown>[] = [goal];
  if (options.timeout !== undefined) {
    waits.push(new Promise((r) => timer = setTimeout(r, options.timeout)));
  }
  try {
    await Promise.race(waits);
  } finally {
    clearTimeout(timer);
  }
  const done: Future<T>[] = [];
  const notDone: Future<T>[] = [];
  for (const f of futures) (f.done ? done : notDone).push(f);
  return { done, notDone };
}

/**
 * The futures in the order they complete.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { asCompleted, createScheduler } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 * export const t = defineTasks(import.meta.url, {
 *   nap: (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)),
 * });
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "local", workers: 3 });
 * const order: number[] = [];
 * for await (const f of asCompleted(scheduler.map(t.nap, [60, 1, 30]))) {
 *   order.push(await f.result());
 * }
 * assert.deepEqual(order, [1, 30, 60]);
 * ```
 */
export async function* asCompleted<T>(
  futures: Iterable<Future<T>>,
): AsyncGenerator<Future<T>> {
  const queue: Future<T>[] = [];
  let wake: (() => void) | undefined;
  let left = 0;
  for (const f of futures) {
    left++;
    f.settled().then(() => {
      queue.push(f);
      wake?.();
    });
  }
  while (left > 0) {
    if (queue.length === 0) {
      await new Promise<void>((r) => wake = r);
      wake = undefined;
      continue;
    }
    left--;
    yield queue.shift()!;
  }
}
