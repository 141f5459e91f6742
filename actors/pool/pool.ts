/**
 * Pools: `multiprocessing.Pool` and `concurrent.futures` for troupe.
 *
 * A pool runs tasks (functions made with `defineTasks`) on N task-runner
 * actors of any placement. `map` and its friends cut their input into chunks
 * (so 100,000 tiny items cost a few dozen messages, not 100,000) and keep
 * every runner busy; `submit` sends one task per message, batched by the
 * link. A runner that dies has its work retried on another (you are told),
 * and a bounded queue makes `submit` wait (or refuse) when it is full.
 *
 * The `Pool` class holds what its calls share; its parts are in files of
 * their own: the runners (spawned, replaced, recycled: runners.ts), the
 * chunked map (chunks.ts), results as they come (result_stream.ts) and
 * submits that wait (submit_queue.ts).
 *
 * @module
 */

import { Deque } from "../deque.ts";
import { AskTimeoutError, TroupeError } from "../errors.ts";
import type { ActorRef, AskOptions } from "../ref.ts";
import { ROUTE_HOOK, type RouteHook } from "./route_hook.ts";
import type { Router } from "./router.ts";
import type { ActorSystem } from "../system.ts";
import type { TaskRunner } from "./task_runner.ts";
import type { Task } from "./tasks.ts";
import {
  checkTask,
  type ChunkPool,
  listOf,
  runChunks,
  type Runner,
  wrapFailure,
} from "./chunks.ts";
import { PoolFullError, TaskTimeoutError } from "./errors.ts";
import type { MapOptions, PoolOptions, RunOptions } from "./options.ts";
import {
  killRunner,
  type PoolRunners,
  recycle,
  startRunners,
  stopRunners,
  whyFailed,
} from "./runners.ts";
import { streamResults } from "./result_stream.ts";
import {
  type HeldSubmit,
  letNextIn,
  type RoomWaiter,
  SEND_AHEAD,
  waitForRoom,
} from "./submit_queue.ts";

/**
 * A pool of task runners.
 *
 * @example Map a task over many items
 * ```ts
 * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
 * export const tasks = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   add: (a: number, b: number) => a + b,
 * });
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * const pool = createPool(system, { size: 2, placement: "local" });
 * assert.deepEqual(await pool.map(tasks.square, [1, 2, 3]), [1, 4, 9]);
 * assert.equal(await pool.submit(tasks.add, 2, 3), 5);
 * await pool.close();
 * ```
 */
export class Pool implements AsyncDisposable {
  /** Its runners: spawned, replaced, recycled and stopped by runners.ts. */
  readonly #r: PoolRunners;
  // The runners' router, list and placement, read per submit.
  readonly #router: Router<typeof TaskRunner>;
  readonly #runners: Runner[];
  readonly #local: boolean;
  readonly #maxQueue: number;
  readonly #whenFull: "wait" | "reject";
  #queued = 0;
  /** Names the work of one map (or cancellable run) at the runners. */
  #tokens = 0;
  // A Deque: with 100,000 submits queued, Array.shift made this O(n^2).
  #waiting: Deque<RoomWaiter> = new Deque();
  /** Takes no more work (`close` or `terminate`). */
  #closed = false;
  /** Maps, submits and runs given and not over, for `close`. */
  #inFlight = 0;
  #idle: PromiseWithResolvers<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Plain submits sent to the runners and not settled. */
  #sent = 0;
  /**
   * Plain submits past `SEND_AHEAD` per runner, held here until a sent one
   * settles: 100,000 submits at once kept 100,000 envelopes and pending
   * asks alive, and the collector spent 40% of a run copying them.
   */
  #held: Deque<HeldSubmit> = new Deque();

  /**
   * Use `createPool`.
   *
   * @example
   * ```ts
   * import { ActorSystem, Pool } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const pool = new Pool(system, { size: 1, placement: "local" });
   * await pool.close();
   * ```
   */
  constructor(system: ActorSystem, options: PoolOptions = {}) {
    const r = this.#r = startRunners(system, options);
    this.#router = r.router;
    this.#runners = r.list;
    this.#local = r.local;
    this.#maxQueue = options.maxQueue ?? 65_536;
    this.#whenFull = options.whenFull ?? "wait";
  }

  /**
   * The pool's runners (their actors), for stats and supervision.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 2, placement: "local" });
   * console.log(pool.runners.length); // 2
   * await pool.close();
   * ```
   */
  get runners(): ActorRef[] {
    return [...this.#runners];
  }

  /**
   * Run `task(...args)` on a runner; resolves to its result. On a full queue
   * it waits (or rejects with `PoolFullError`, per `whenFull`).
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   square: (x: number) => x * x,
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 1, placement: "local" });
   * console.log(await pool.submit(tasks.add, 1, 2)); // 3
   * await pool.close();
   * ```
   */
  submit<A extends unknown[], R>(
    task: Task<A, R>,
    ...args: A
  ): Promise<Awaited<R>> {
    return this.#call(task, args, {});
  }

  /**
   * Like `submit`, with a timeout and an `AbortSignal`: `run(task, args,
   * options)`. The timeout rejects with `TaskTimeoutError` (the runner
   * finishes the call; its result is ignored).
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 1, placement: "local" });
   * console.log(await pool.run(tasks.add, [1, 2], { timeout: 1_000 })); // 3
   * await pool.close();
   * ```
   */
  run<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    options: {
      /**
       * Ms the task may take once sent (`TaskTimeoutError` after; default: no
       * limit).
       */
      timeout?: number;
      /**
       * Gives up waiting, for room in the queue or for the answer; a task that
       * has not started when the abort reaches its runner does not start.
       */
      signal?: AbortSignal;
    } = {},
  ): Promise<Awaited<R>> {
    return this.#call(task, args, options);
  }

  // Not async: 100,000 submits in flight held 100,000 suspended frames of
  // this function, and the garbage collector spent most of a run copying
  // them. A promise and its handlers are all a submit holds while it waits.
  #call<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    options: RunOptions,
  ): Promise<Awaited<R>> {
    let full: boolean;
    try {
      checkTask(task);
      this.#open();
      if (!Array.isArray(args)) {
        throw new TypeError(`run takes the task's arguments as a list`);
      }
      options.signal?.throwIfAborted();
      full = this.#queued >= this.#maxQueue;
      if (full && this.#whenFull === "reject") {
        throw new PoolFullError(this.#maxQueue);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    this.#inFlight++; // given: a close waits for it
    if (!full) return this.#send(task, args, options);
    return waitForRoom(this.#waiting, options.signal).then(
      () => this.#send(task, args, options),
      (e) => {
        this.#leave();
        throw e;
      },
    );
  }

  /**
   * Send one call, or hold it when enough plain submits are out already (a
   * call with a timeout or a signal always goes: its clock and its cancel
   * are the runner's business).
   */
  #send<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    options: RunOptions,
  ): Promise<Awaited<R>> {
    if (
      options.timeout === undefined && options.signal === undefined &&
      this.#sent >= SEND_AHEAD * this.#runners.length
    ) {
      this.#queued++; // (counted toward maxQueue as a sent call is)
      const { promise, resolve, reject } = Promise.withResolvers<
        Awaited<R>
      >();
      this.#held.push({
        task: task as Task<unknown[], unknown>,
        args,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      return promise;
    }
    return this.#ask(task, args, options);
  }

  /** Send one call (it has room in the queue); it leaves when it settles. */
  #ask<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    { timeout, signal }: RunOptions,
  ): Promise<Awaited<R>> {
    this.#queued++;
    const plain = timeout === undefined && signal === undefined;
    if (plain) this.#sent++;
    let runner: Runner | undefined;
    let token = 0;
    // No deadline unless the caller gave one (see #run).
    const askOptions: AskOptions & { [ROUTE_HOOK]?: RouteHook } = {
      timeout: timeout ?? Infinity,
    };
    if (signal !== undefined) {
      // Cancellable: an abort drops the call if it has not started.
      askOptions.signal = signal;
      token = ++this.#tokens;
      askOptions[ROUTE_HOOK] = {
        routed: (ref) => (runner = ref as Runner),
        settled: () => {},
        mayRetry: () => !signal.aborted,
      };
    }
    const settled = (): void => {
      this.#queued--;
      if (plain) {
        this.#sent--;
        const h = this.#held.shift();
        if (h !== undefined) {
          this.#queued--; // (#ask counts it again)
          this.#ask(h.task, h.args, {}).then(h.resolve, h.reject);
        }
      }
      letNextIn(this.#waiting);
      recycle(this.#r);
      this.#leave();
    };
    return this.#router.ask("call", [
      task.taskModule,
      task.taskName,
      args,
      this.#local ? task as Task : undefined,
      token,
    ], askOptions).then(
      (value) => {
        settled();
        return value as Awaited<R>;
      },
      (e) => {
        let error: unknown;
        if (e instanceof AskTimeoutError && timeout !== undefined) {
          error = new TaskTimeoutError(task.taskName, -1, timeout);
        } else {
          if (signal?.aborted && runner !== undefined) {
            runner.tell("cancel", token);
          }
          error = wrapFailure(task, -1, whyFailed(this.#r, e));
        }
        settled();
        throw error;
      },
    );
  }

  /**
   * The same as `submit` (as `Pool.apply_async` is to `submit` in Python).
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   square: (x: number) => x * x,
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 1, placement: "local" });
   * console.log(await pool.apply(tasks.square, 9)); // 81
   * await pool.close();
   * ```
   */
  apply<A extends unknown[], R>(
    task: Task<A, R>,
    ...args: A
  ): Promise<Awaited<R>> {
    return this.submit(task, ...args);
  }

  /**
   * `task(item)` for every item, results in input order.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   square: (x: number) => x * x,
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 2, placement: "local" });
   * console.log(await pool.map(tasks.square, [1, 2, 3])); // [1, 4, 9]
   * await pool.close();
   * ```
   */
  async map<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options: MapOptions = {},
  ): Promise<Awaited<R>[]> {
    const list = listOf(items);
    const out = new Array<Awaited<R>>(list.length);
    await this.#run(task, list, false, options, (start, results) => {
      for (let i = 0; i < results.length; i++) {
        out[start + i] = results[i] as Awaited<R>;
      }
    });
    return out;
  }

  /**
   * `task(...args)` for every argument list, results in input order.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   square: (x: number) => x * x,
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 2, placement: "local" });
   * console.log(await pool.starmap(tasks.add, [[1, 2], [3, 4]])); // [3, 7]
   * await pool.close();
   * ```
   */
  async starmap<A extends unknown[], R>(
    task: Task<A, R>,
    items: Iterable<A>,
    options: MapOptions = {},
  ): Promise<Awaited<R>[]> {
    const list = listOf(items);
    const out = new Array<Awaited<R>>(list.length);
    await this.#run(task, list, true, options, (start, results) => {
      for (let i = 0; i < results.length; i++) {
        out[start + i] = results[i] as Awaited<R>;
      }
    });
    return out;
  }

  /**
   * Results as an async iterable, in input order, as soon as each is ready.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   square: (x: number) => x * x,
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 2, placement: "local" });
   * for await (const y of pool.imap(tasks.square, [1, 2, 3])) console.log(y);
   * await pool.close();
   * ```
   */
  imap<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options: MapOptions = {},
  ): AsyncIterable<Awaited<R>> {
    return streamResults(this.#chunkPool(), task, items, options, true);
  }

  /**
   * Results as an async iterable, in completion order.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const tasks = defineTasks(import.meta.url, {
   *   square: (x: number) => x * x,
   *   add: (a: number, b: number) => a + b,
   * });
   * await using system = new ActorSystem();
   * const pool = createPool(system, { size: 2, placement: "local" });
   * const seen = [];
   * for await (const y of pool.imapUnordered(tasks.square, [1, 2, 3])) seen.push(y);
   * console.log(seen.sort()); // [1, 4, 9]
   * await pool.close();
   * ```
   */
  imapUnordered<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options: MapOptions = {},
  ): AsyncIterable<Awaited<R>> {
    return streamResults(this.#chunkPool(), task, items, options, false);
  }

  /**
   * Take no more work; once the work already given (maps, submits, runs,
   * however long they take) is done, stop the runners. Resolves then.
   * Idempotent. `terminate` stops them without waiting.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * await createPool(system, { size: 1, placement: "local" }).close();
   * ```
   */
  close(): Promise<void> {
    this.#closed = true;
    return this.#closing ??= (async () => {
      if (this.#inFlight > 0) {
        this.#idle = Promise.withResolvers<void>();
        await this.#idle.promise;
      }
      await this.terminate();
    })();
  }

  /**
   * `close()` at the end of an `await using` block: the work given is
   * done, then the runners stop.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
   * await using system = new ActorSystem();
   * {
   *   await using pool = createPool(system, { size: 1, placement: "local" });
   *   console.log(await pool.submit(t.inc, 1)); // 2
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Stop the runners now: work in flight fails (each runner finishes its
   * current message within the system's shutdown timeout, else it is
   * killed). Idempotent.
   *
   * @example
   * ```ts
   * import { ActorSystem, createPool } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * await createPool(system, { size: 1, placement: "local" }).terminate();
   * ```
   */
  async terminate(): Promise<void> {
    this.#closed = true;
    await stopRunners(this.#r);
  }

  /** One piece of work given to the pool is over. */
  #leave(): void {
    if (--this.#inFlight === 0) this.#idle?.resolve();
  }

  #open(): void {
    if (this.#closed) throw new TroupeError("the pool is closed");
    if (this.#r.broken) throw this.#r.startError;
  }

  /** What a map needs of this pool (chunks.ts), made at the first map. */
  #chunkPool(): ChunkPool {
    return this.#chunks ??= {
      router: this.#router,
      local: this.#local,
      ownHosts: this.#r.ownHosts,
      size: () => this.#runners.length,
      open: () => this.#open(),
      enter: () => void this.#inFlight++,
      leave: () => this.#leave(),
      nextToken: () => ++this.#tokens,
      kill: (r, timeoutMs) => killRunner(this.#r, r, timeoutMs),
      why: (e) => whyFailed(this.#r, e),
      recycle: () => recycle(this.#r),
    };
  }

  #chunks: ChunkPool | undefined;

  /** Cut `list` into chunks and keep every runner busy with them. */
  #run(
    task: Task,
    list: unknown[],
    star: boolean,
    options: MapOptions,
    onChunk: (start: number, results: ArrayLike<unknown>) => void,
  ): Promise<void> {
    return runChunks(this.#chunkPool(), task, list, star, options, onChunk);
  }
}

/**
 * A pool of `size` task runners on `placement` (default: one per core, on
 * worker hosts).
 *
 * @example
 * ```ts
 * import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";
 * export const tasks = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   add: (a: number, b: number) => a + b,
 * });
 * await using system = new ActorSystem();
 * const pool = createPool(system, { size: 2, placement: "local" });
 * console.log(await pool.map(tasks.square, [1, 2, 3])); // [1, 4, 9]
 * await pool.close();
 * ```
 */
export function createPool(
  system: ActorSystem,
  options: PoolOptions = {},
): Pool {
  return new Pool(system, options);
}
