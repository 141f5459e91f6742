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
 * @module
 */

import { Deque } from "../deque.ts";
import { ActorDeadError, AskTimeoutError, TroupeError } from "../errors.ts";
import type { ActorRef, AskOptions } from "../ref.ts";
import { ROUTE_HOOK, type RouteHook } from "./route_hook.ts";
import { createRouter, NoRouteeError, type Router } from "./router.ts";
import type { ActorSystem } from "../system.ts";
import { TaskRunner } from "./task_runner.ts";
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

let poolSeq = 0;

/** Plain submits out at once per runner; the rest wait in the pool. */
const SEND_AHEAD = 128;

/** A plain submit waiting for one of the sent ones to settle. */
interface HeldSubmit {
  task: Task<unknown[], unknown>;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

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
  readonly #system: ActorSystem;
  readonly #router: Router<typeof TaskRunner>;
  readonly #runners: Runner[];
  readonly #maxQueue: number;
  readonly #whenFull: "wait" | "reject";
  /** Runners in this isolate get the task function, not its module URL. */
  readonly #local: boolean;
  #queued = 0;
  /** Names the work of one map (or cancellable run) at the runners. */
  #tokens = 0;
  /** Runners that failed to start, until their death is handled. */
  readonly #notStarted = new Map<Runner, unknown>();
  /** Runners that failed to start, in a row. */
  #startFailures = 0;
  /** Why the last runner that failed to start did. */
  #startError: unknown;
  /** No runner can start (see `#startFailures`): work fails at once. */
  #broken = false;
  #spawnRunner!: () => Runner;
  readonly #recycleAfter: number | undefined;
  readonly #heapLimit: number | undefined;
  readonly #heapChecks = new Map<Runner, number>(); // runner -> last check
  readonly #ownHosts: boolean;
  readonly #recycling = new Set<Runner>();
  readonly #hostOf = new Map<Runner, string>();
  // A Deque: with 100,000 submits queued, Array.shift made this O(n^2).
  #waiting: Deque<{ go: () => void; gone: boolean }> = new Deque();
  /** Takes no more work (`close` or `terminate`). */
  #closed = false;
  /** Its runners are stopping: none is replaced. */
  #stopping = false;
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
    const size = options.size ?? (navigator.hardwareConcurrency || 1);
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(`pool size must be an integer >= 1, got ${size}`);
    }
    this.#system = system;
    this.#maxQueue = options.maxQueue ?? 65_536;
    this.#whenFull = options.whenFull ?? "wait";
    const placement = options.placement ?? "worker";
    this.#local = placement === "local";
    let permissions = options.permissions;
    if (placement === "process" && options.modules !== undefined) {
      const read = permissions?.read;
      const dirs = options.modules.map((m) => new URL(".", m).pathname);
      permissions = {
        ...permissions,
        read: read === true ? true : [...(read || []), ...dirs],
      };
    }
    const heapMb = options.recycleAboveHeapMb;
    if (heapMb !== undefined) {
      if (!(heapMb > 0)) {
        throw new RangeError(`recycleAboveHeapMb must be > 0, got ${heapMb}`);
      }
      if (placement === "local") {
        throw new TypeError(
          "recycleAboveHeapMb needs worker or process placement: local runners share this isolate's heap",
        );
      }
    }
    this.#heapLimit = heapMb === undefined ? undefined : heapMb * 1024 * 1024;
    // Recycled runners each get a host of their own, so that replacing one
    // gives a fresh isolate (and frees what the old one held).
    const ownHosts = placement !== "local" &&
      (options.ownHosts === true || options.recycleAfter !== undefined ||
        heapMb !== undefined);
    this.#ownHosts = ownHosts;
    const poolId = ++poolSeq;
    let runnerSeq = 0;
    const spawnRunner = (): Runner => {
      const host = ownHosts
        ? `troupe-pool-${poolId}-${++runnerSeq}`
        : undefined;
      const ref = system.spawn(TaskRunner, undefined, {
        placement,
        permissions,
        host,
        mailbox: { capacity: Infinity },
      });
      if (host !== undefined) this.#hostOf.set(ref, host);
      // (Settles before the watch below hears of a failed start.)
      system.whenStarted(ref).then(
        () => void (this.#startFailures = 0),
        (e) => this.#notStarted.set(ref, e),
      );
      // A runner that dies (its host crashed, say) is replaced: the router
      // drops the dead one, the new one joins.
      system.watch(ref, () => {
        this.#heapChecks.delete(ref);
        const startError = this.#notStarted.get(ref);
        this.#notStarted.delete(ref);
        if (this.#stopping || this.#recycling.has(ref)) return;
        const own = this.#hostOf.get(ref);
        this.#hostOf.delete(ref);
        if (own !== undefined) void this.#system.stopHost(own, { timeout: 0 });
        if (startError !== undefined) {
          // One that could not start is replaced, but not for ever: once as
          // many in a row as the pool has runners failed, the pool is
          // broken, and its work fails with why.
          this.#startError = startError;
          if (++this.#startFailures >= size) {
            this.#broken = true;
            return;
          }
        }
        this.#replace(ref);
      });
      return ref;
    };
    this.#spawnRunner = spawnRunner;
    this.#recycleAfter = options.recycleAfter;
    if (
      this.#recycleAfter !== undefined &&
      !(Number.isInteger(this.#recycleAfter) && this.#recycleAfter >= 1)
    ) {
      throw new RangeError(
        `recycleAfter must be an integer >= 1, got ${this.#recycleAfter}`,
      );
    }
    this.#runners = Array.from({ length: size }, spawnRunner);
    this.#router = createRouter(system, this.#runners, {
      routing: "least-connection",
      retries: options.retries ?? 2,
      onRetry: options.onRetry === undefined
        ? undefined
        // Named by the task, not by the message ("chunk", "call") that
        // carried it: a runner's messages name their task second.
        : (_name, runner, e, payload) =>
          options.onRetry!((payload as [string, string])[1], runner, e),
    });
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
    return this.#room(options.signal).then(
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
      this.#next();
      this.#recycle();
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
          error = wrapFailure(task, -1, this.#why(e));
        }
        settled();
        throw error;
      },
    );
  }

  /** Wait for room in the queue (or for the signal). */
  #room(signal?: AbortSignal): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const entry = {
      gone: false,
      go: () => {
        signal?.removeEventListener("abort", abort);
        resolve();
      },
    };
    const abort = () => {
      entry.gone = true; // skipped when its turn comes
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
    this.#waiting.push(entry);
    return promise;
  }

  /** Let the next waiting `submit` in. */
  #next(): void {
    while (this.#waiting.length > 0) {
      const entry = this.#waiting.shift()!;
      if (!entry.gone) return entry.go();
    }
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
    return this.#stream(task, items, options, true);
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
    return this.#stream(task, items, options, false);
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
    if (this.#stopping) return;
    this.#stopping = true;
    this.#router.close();
    await Promise.all(this.#runners.map((r) => this.#system.stop(r)));
    // Runners with hosts of their own (recycling) take their hosts along.
    await Promise.all(
      [...this.#hostOf.values()].map((h) => this.#system.stopHost(h)),
    );
    this.#hostOf.clear();
  }

  /** One piece of work given to the pool is over. */
  #leave(): void {
    if (--this.#inFlight === 0) this.#idle?.resolve();
  }

  #open(): void {
    if (this.#closed) throw new TroupeError("the pool is closed");
    if (this.#broken) throw this.#startError;
  }

  /**
   * The error work on the runners failed with, or, when they are gone, why:
   * the pool was terminated, or runners could not start.
   */
  #why(e: unknown): unknown {
    if (
      this.#stopping &&
      (e instanceof NoRouteeError || e instanceof ActorDeadError)
    ) {
      return new TroupeError("the pool was terminated", { cause: e });
    }
    const gone = e instanceof NoRouteeError ||
      (e instanceof ActorDeadError && this.#broken);
    return gone && this.#startError !== undefined ? this.#startError : e;
  }

  /** Put a fresh runner in `old`'s place. */
  #replace(old: Runner): Runner {
    const fresh = this.#spawnRunner();
    const i = this.#runners.indexOf(old);
    if (i >= 0) this.#runners[i] = fresh;
    this.#router.add(fresh);
    return fresh;
  }

  /**
   * Retire runners that have taken `recycleAfter` messages: a fresh one
   * joins first, the old one finishes what it has, then it and its host stop.
   */
  #recycle(): void {
    if (this.#stopping) return;
    const limit = this.#recycleAfter;
    if (limit !== undefined) {
      for (const r of this.#runners) {
        if (this.#system.stats(r).received >= limit) this.#retire(r);
      }
    }
    if (this.#heapLimit !== undefined) this.#checkHeaps(this.#heapLimit);
  }

  /** Ask runners for their heap (queued behind their work, so between tasks). */
  #checkHeaps(limit: number): void {
    const now = performance.now();
    for (const r of this.#runners) {
      const last = this.#heapChecks.get(r);
      if (last !== undefined && (last < 0 || now - last < 20)) continue;
      this.#heapChecks.set(r, -1); // a check is in flight
      // Queued behind the runner's work, which may take minutes.
      r.ask("heap", undefined, { timeout: Infinity }).then(
        (bytes) => {
          if (!this.#heapChecks.has(r)) return; // died meanwhile
          this.#heapChecks.set(r, performance.now());
          if (bytes > limit) this.#retire(r);
        },
        () => this.#heapChecks.delete(r), // stopped or dead: nothing to check
      );
    }
  }

  /** A fresh runner joins; `r` finishes what it has, then it and its host stop. */
  #retire(r: Runner): void {
    if (this.#stopping || this.#recycling.has(r)) return;
    this.#recycling.add(r);
    this.#heapChecks.delete(r);
    this.#replace(r);
    void (async () => {
      await this.#router.drain(r);
      await this.#system.stop(r);
      const host = this.#hostOf.get(r);
      this.#hostOf.delete(r);
      this.#recycling.delete(r);
      if (host !== undefined) await this.#system.stopHost(host);
    })();
  }

  /** Kill a runner busy with cancelled or stuck work; the watch replaces it. */
  #kill(r: Runner, timeoutMs = 0): void {
    const host = this.#hostOf.get(r);
    if (host !== undefined) {
      void this.#system.stopHost(host, { timeout: timeoutMs });
    } else if (this.#local) this.#system.kill(r);
    // A shared host: stopping the runner kills the host if it is stuck.
    else void this.#system.stop(r, { timeout: timeoutMs });
  }

  /** Cut `list` into chunks and keep every runner busy with them. */
  #run(
    task: Task,
    list: unknown[],
    star: boolean,
    options: MapOptions,
    onChunk: (start: number, results: ArrayLike<unknown>) => void,
  ): Promise<void> {
    this.#chunks ??= {
      router: this.#router,
      local: this.#local,
      ownHosts: this.#ownHosts,
      size: () => this.#runners.length,
      open: () => this.#open(),
      enter: () => void this.#inFlight++,
      leave: () => this.#leave(),
      nextToken: () => ++this.#tokens,
      kill: (r, timeoutMs) => this.#kill(r, timeoutMs),
      why: (e) => this.#why(e),
      recycle: () => this.#recycle(),
    };
    return runChunks(this.#chunks, task, list, star, options, onChunk);
  }

  /** What a map needs of this pool (chunks.ts), made at the first map. */
  #chunks: ChunkPool | undefined;

  async *#stream<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options: MapOptions,
    ordered: boolean,
  ): AsyncGenerator<Awaited<R>> {
    const list = listOf(items);
    const ready: (Awaited<R> | undefined)[] = new Array(list.length);
    const have: boolean[] = new Array(list.length).fill(false);
    const fresh: number[] = [];
    let freshAt = 0; // read index: shift() on a long array is O(n)
    let wake: (() => void) | undefined;
    let finished = false;
    let error: unknown;
    // A consumer that stops early (a `break`) stops the map as an abort does.
    const left = new AbortController();
    const signal = options.signal === undefined
      ? left.signal
      : AbortSignal.any([options.signal, left.signal]);
    const running = this.#run(task, list, false, { ...options, signal }, (
      start,
      results,
    ) => {
      for (let i = 0; i < results.length; i++) {
        ready[start + i] = results[i] as Awaited<R>;
        have[start + i] = true;
        fresh.push(start + i);
      }
      wake?.();
    }).then(
      () => {
        finished = true;
        wake?.();
      },
      (e) => {
        error = e;
        finished = true;
        wake?.();
      },
    );
    let cursor = 0;
    try {
      while (true) {
        if (ordered) {
          while (cursor < list.length && have[cursor]) {
            const v = ready[cursor];
            ready[cursor++] = undefined;
            yield v as Awaited<R>;
          }
          if (cursor === list.length) break;
        } else {
          while (freshAt < fresh.length) {
            const i = fresh[freshAt++];
            const v = ready[i];
            ready[i] = undefined;
            cursor++;
            yield v as Awaited<R>;
          }
          if (cursor === list.length) break;
        }
        if (finished) {
          if (error !== undefined) throw error;
          if (freshAt === fresh.length && (!ordered || !have[cursor])) break;
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      // Left before the end (not thrown out by the map's own failure).
      if (cursor < list.length && !finished) {
        left.abort("the consumer stopped");
      }
    }
    await running;
    if (error !== undefined) throw error;
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
