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

import { type Behavior, defineActor, type Handlers } from "../behavior.ts";
import type { ActorContext } from "../context.ts";
import { Deque } from "../deque.ts";
import {
  ActorDeadError,
  AskTimeoutError,
  errorFromInfo,
  TroupeError,
  UnguardedMainError,
} from "../errors.ts";
import { failReply, setForward } from "../forward.ts";
import type { HostPermissions, Placement } from "../hosts/hosts.ts";
import type { ActorRef, AnyRef, AskOptions } from "../ref.ts";
import { ROUTE_HOOK, type RouteHook } from "./route_hook.ts";
import { createRouter, NoRouteeError, type Router } from "./router.ts";
import { leastConnection } from "./routing.ts";
import type { ActorSystem } from "../system.ts";
import { type ChunkResult, TaskRunner } from "./task_runner.ts";
import { isTask, type Task } from "./tasks.ts";

/**
 * Settings of a pool.
 *
 * @example
 * ```ts
 * import type { PoolOptions } from "@troupe/troupe";
 * const opts: PoolOptions = { size: 2, placement: "worker", maxQueue: 10_000 };
 * ```
 */
export interface PoolOptions {
  /** How many runners (default: one per core). */
  size?: number;
  /** Where they run (default `worker`). */
  placement?: Placement;
  /** Permissions of their hosts (process and worker placement). */
  permissions?: HostPermissions;
  /**
   * Task modules a process runner must be able to read (their folders are
   * granted). Tasks given to `map`/`submit` from other folders fail there.
   */
  modules?: string[];
  /** Most `submit`s waiting for a runner (default 65,536). */
  maxQueue?: number;
  /** A `submit` on a full queue waits (default) or rejects with `PoolFullError`. */
  whenFull?: "wait" | "reject";
  /** How often work on a runner that died is sent to another (default 2). */
  retries?: number;
  /** Told of each retry: which task, which runner died, why. */
  onRetry?: (task: string, runner: AnyRef, error: Error) => void;
  /**
   * Replace a runner after it has taken this many messages (a map chunk or a
   * submit counts once, as `maxtasksperchild` does): a fresh runner, on a
   * fresh host of its own, takes its place between tasks.
   */
  recycleAfter?: number;
  /**
   * Replace a runner whose isolate's heap is above this many MiB, between
   * tasks (checked as work completes, at most every 20 ms per runner).
   * Worker and process placement only: local runners share this isolate.
   */
  recycleAboveHeapMb?: number;
  /**
   * Give each runner a worker or process host of its own (implied by
   * `recycleAfter` and `recycleAboveHeapMb`). Needed for `onAbort: "kill"`,
   * so that killing a busy runner's host touches nothing else.
   */
  ownHosts?: boolean;
}

/**
 * Settings of one `map`, `starmap`, `imap` or `imapUnordered`.
 *
 * @example
 * ```ts
 * import type { MapOptions } from "@troupe/troupe";
 * const opts: MapOptions = { chunksize: 100, onProgress: (done, total) => console.log(done, total) };
 * ```
 */
export interface MapOptions {
  /** Items per message (default: adaptive, about 4 chunks per runner, as `multiprocessing` does). */
  chunksize?: number;
  /**
   * Stops the map: it rejects with `MapAbortedError` at once, no further
   * chunk is sent, and no item that has not started when the abort reaches
   * its runner starts (the runners drop the chunks they hold for it); items
   * running then finish or are killed, as `onAbort` says. An already
   * aborted signal starts nothing.
   */
  signal?: AbortSignal;
  /** Ms one chunk may take (default: no limit). */
  timeout?: number;
  /**
   * Ms each item may take: the map fails with `TaskTimeoutError` naming the
   * item. An async task is given up at its deadline; a synchronous one
   * cannot be cut short inside its isolate, so it fails when it returns,
   * and a runner that does not return within `taskTimeout` x chunk + 1 s is
   * taken to be stuck: its host is killed (that frees the core of a process
   * host; Deno cannot stop a Web Worker stuck in a loop) and replaced.
   */
  taskTimeout?: number;
  /**
   * What an abort does to chunks already running: `"finish"` (default) lets
   * them run and ignores their results; `"kill"` kills the runners busy with
   * this map (their hosts, for a pool with `ownHosts`) and replaces them.
   */
  onAbort?: "finish" | "kill";
  /** Called as items complete, with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * A pool's queue is full and its `whenFull` is `reject`.
 *
 * @example
 * ```ts
 * import { PoolFullError } from "@troupe/troupe";
 * console.log(new PoolFullError(10).message);
 * ```
 */
export class PoolFullError extends TroupeError {
  /** Build the error from the queue bound. */
  constructor(maxQueue: number) {
    super(`the pool's queue is full (${maxQueue} waiting)`);
  }
}

/**
 * A task failed on an item of a map: which task, which item, the original
 * error as `cause`.
 *
 * @example
 * ```ts
 * import { TaskError } from "@troupe/troupe";
 * const e = new TaskError("double", 7, new RangeError("no"));
 * console.log(e.message); // task "double" failed on item 7: RangeError: no
 * ```
 */
export class TaskError extends TroupeError {
  /** The task's name. */
  readonly task: string;
  /** The index of the item it failed on (-1 for a `submit`). */
  readonly index: number;
  /** Build the error from the task, the item index and the thrown error. */
  constructor(task: string, index: number, cause: Error) {
    super(
      `task "${task}" failed${
        index >= 0 ? ` on item ${index}` : ""
      }: ${cause.name}: ${cause.message}`,
      { cause },
    );
    this.task = task;
    this.index = index;
  }
}

/**
 * A task took longer than its `taskTimeout` (a map) or `timeout` (`run`):
 * which task, which item (-1 for `run`), and the limit.
 *
 * @example
 * ```ts
 * import { TaskTimeoutError } from "@troupe/troupe";
 * const e = new TaskTimeoutError("fetch", 3, 100);
 * console.log(e.message); // task "fetch" timed out on item 3 after 100 ms
 * ```
 */
export class TaskTimeoutError extends TroupeError {
  /** The task's name. */
  readonly task: string;
  /** The index of the item that overran (-1 for `run`). */
  readonly index: number;
  /** The limit that passed, in ms. */
  readonly timeoutMs: number;
  /** Build the error from the task, the item index and the limit. */
  constructor(task: string, index: number, timeoutMs: number) {
    super(
      `task "${task}" timed out${
        index >= 0 ? ` on item ${index}` : ""
      } after ${timeoutMs} ms`,
    );
    this.task = task;
    this.index = index;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Settings of one `run`.
 *
 * @example
 * ```ts
 * import type { RunOptions } from "@troupe/troupe";
 * const opts: RunOptions = { timeout: 1_000, signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface RunOptions {
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
}

/**
 * The map was stopped through its signal; `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * import { MapAbortedError } from "@troupe/troupe";
 * console.log(new MapAbortedError("double", 10, 100, "stop").message);
 * ```
 */
export class MapAbortedError extends TroupeError {
  /** Build the error from the task, progress and the signal's reason. */
  constructor(task: string, done: number, total: number, reason: unknown) {
    super(`map of "${task}" was aborted after ${done} of ${total} items`, {
      cause: reason,
    });
  }
}

type Runner = ActorRef<typeof TaskRunner>;

let poolSeq = 0;

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
      logic: leastConnection(),
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
  get runners(): AnyRef[] {
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
    options: RunOptions = {},
  ): Promise<Awaited<R>> {
    return this.#call(task, args, options);
  }

  async #call<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    { timeout, signal }: RunOptions,
  ): Promise<Awaited<R>> {
    checkTask(task);
    this.#open();
    if (!Array.isArray(args)) {
      throw new TypeError(`run takes the task's arguments as a list`);
    }
    signal?.throwIfAborted();
    const full = this.#queued >= this.#maxQueue;
    if (full && this.#whenFull === "reject") {
      throw new PoolFullError(this.#maxQueue);
    }
    this.#inFlight++; // given: a close waits for it
    try {
      if (full) await this.#room(signal);
      this.#queued++;
      let runner: Runner | undefined;
      let token = 0;
      try {
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
        return await this.#router.ask("call", [
          task.taskModule,
          task.taskName,
          args,
          this.#local ? task as Task : undefined,
          token,
        ], askOptions) as Awaited<R>;
      } catch (e) {
        if (e instanceof AskTimeoutError && timeout !== undefined) {
          throw new TaskTimeoutError(task.taskName, -1, timeout);
        }
        if (signal?.aborted && runner !== undefined) {
          runner.tell("cancel", token);
        }
        throw wrapFailure(task, -1, this.#why(e));
      } finally {
        this.#queued--;
        this.#next();
        this.#recycle();
      }
    } finally {
      this.#leave();
    }
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
    const list = [...items];
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
    const list = [...items];
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
  async #run(
    task: Task,
    list: unknown[],
    star: boolean,
    options: MapOptions,
    onChunk: (start: number, results: unknown[]) => void,
  ): Promise<void> {
    checkTask(task);
    this.#open();
    const total = list.length;
    if (total === 0) return;
    this.#inFlight++;
    try {
      const size = this.#runners.length;
      const chunksize = options.chunksize ??
        Math.max(1, Math.min(65_536, Math.ceil(total / (size * 4))));
      if (!(Number.isInteger(chunksize) && chunksize >= 1)) {
        throw new RangeError(
          `chunksize must be an integer >= 1, got ${chunksize}`,
        );
      }
      const { signal, timeout, onProgress, taskTimeout } = options;
      const onAbort = options.onAbort ?? "finish";
      if (taskTimeout !== undefined && !(taskTimeout > 0)) {
        throw new RangeError(`taskTimeout must be > 0 ms, got ${taskTimeout}`);
      }
      if (onAbort !== "finish" && onAbort !== "kill") {
        throw new TypeError(
          `onAbort must be "finish" or "kill", got ${String(onAbort)}`,
        );
      }
      if (onAbort === "kill" && !this.#local && !this.#ownHosts) {
        throw new TypeError(
          'onAbort "kill" needs a pool with ownHosts: true, so that killing a busy runner\'s host touches no other actor',
        );
      }
      let next = 0;
      let done = 0;
      let failure: unknown;
      const abortError = () =>
        new MapAbortedError(task.taskName, done, total, signal!.reason);
      if (signal?.aborted) throw abortError();
      const busy = new Map<Runner, number>(); // runner -> chunks in flight
      // Names this map's chunks at the runners, so that a cancel finds them.
      const token = ++this.#tokens;
      /**
       * The map is over (it failed or was aborted): no chunk is sent or
       * retried, and the runners drop its chunks that have not started
       * (except where `kill` kills them).
       */
      const fail = (e: unknown, kill = false): void => {
        if (failure !== undefined) return;
        failure = e;
        for (const r of busy.keys()) {
          if (kill) this.#kill(r);
          else r.tell("cancel", token);
        }
      };
      // Each lane sends its next chunk when the last one came back: about two
      // chunks per runner in flight keeps them all busy.
      const lane = async () => {
        while (failure === undefined && next < total) {
          const start = next;
          const chunk = list.slice(start, start + chunksize);
          next += chunk.length;
          let runner: Runner | undefined;
          const hook: RouteHook = {
            routed: (ref) => {
              runner = ref as Runner;
              busy.set(runner, (busy.get(runner) ?? 0) + 1);
            },
            settled: (ref) => {
              const n = (busy.get(ref as Runner) ?? 1) - 1;
              if (n > 0) busy.set(ref as Runner, n);
              else busy.delete(ref as Runner);
            },
            // Once the map has failed or was aborted, nothing is resent.
            mayRetry: () => failure === undefined,
          };
          // A chunk's deadline: the caller's, or enough for every item to
          // use its taskTimeout (past that the runner is stuck), or none: a
          // task takes as long as it takes, and a dead runner is known by its
          // death, never by a deadline.
          const askOptions: AskOptions & { [ROUTE_HOOK]: RouteHook } = {
            [ROUTE_HOOK]: hook,
            timeout: timeout ??
              (taskTimeout === undefined
                ? Infinity
                : taskTimeout * chunk.length + 1_000),
          };
          let r: ChunkResult;
          try {
            r = await this.#router.ask(
              "chunk",
              [
                task.taskModule,
                task.taskName,
                chunk,
                star,
                this.#local ? task : undefined,
                taskTimeout ?? 0,
                token,
              ],
              askOptions,
            );
          } catch (e) {
            if (
              e instanceof AskTimeoutError && timeout === undefined &&
              taskTimeout !== undefined
            ) {
              if (runner !== undefined) this.#kill(runner, 100);
              fail(new TaskTimeoutError(task.taskName, start, taskTimeout));
            } else fail(wrapFailure(task, start, this.#why(e)));
            return;
          }
          // Over meanwhile (or this chunk was cancelled): ignored.
          if (failure !== undefined || "cancelledAt" in r) return;
          if ("failedAt" in r) {
            fail(
              "timedOut" in r
                ? new TaskTimeoutError(
                  task.taskName,
                  start + r.failedAt,
                  r.timedOut,
                )
                : new TaskError(
                  task.taskName,
                  start + r.failedAt,
                  errorFromInfo(r.error),
                ),
            );
            return;
          }
          onChunk(start, r.results);
          this.#recycle();
          done += r.results.length;
          onProgress?.(done, total);
        }
      };
      // Two chunks per runner in flight keep it busy while one travels; small
      // chunks need more in flight, or round trips bound the rate.
      const perRunner = Math.max(2, Math.ceil(32 / chunksize));
      const lanes = Promise.all(
        Array.from(
          { length: Math.min(size * perRunner, Math.ceil(total / chunksize)) },
          lane,
        ),
      );
      if (signal === undefined) {
        await lanes;
      } else {
        // An abort answers at once, without waiting for chunks in flight.
        const aborted = Promise.withResolvers<void>();
        const abort = () => {
          fail(abortError(), onAbort === "kill");
          aborted.resolve();
        };
        signal.addEventListener("abort", abort, { once: true });
        try {
          await Promise.race([lanes, aborted.promise]);
        } finally {
          signal.removeEventListener("abort", abort);
        }
      }
      if (failure !== undefined) throw failure;
    } finally {
      this.#leave();
    }
  }

  async *#stream<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options: MapOptions,
    ordered: boolean,
  ): AsyncGenerator<Awaited<R>> {
    const list = [...items];
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

function checkTask(task: unknown): asserts task is Task {
  if (!isTask(task)) {
    throw new TypeError(
      "expected a task made by defineTasks(import.meta.url, { ... })",
    );
  }
}

/** Turn a runner's failure into a TaskError (or keep a dead-runner error). */
function wrapFailure(task: Task, index: number, e: unknown): Error {
  if (e instanceof TroupeError && e.name === "HandlerError") {
    const cause = (e.cause as Error) ?? e;
    // Not the task's failure: the program's, where the runner loaded it.
    if (cause instanceof UnguardedMainError) return cause;
    return new TaskError(task.taskName, index, cause);
  }
  if (e instanceof ActorDeadError) return e;
  return e instanceof Error ? e : new Error(String(e));
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

/**
 * The messages a pool actor handles: the pool's methods, with their
 * arguments as a list.
 *
 * @example
 * ```ts
 * import type { PoolHandlers } from "./pool.ts";
 * type Names = keyof PoolHandlers; // "map" | "starmap" | "submit"
 * ```
 */
export interface PoolHandlers extends Handlers<unknown> {
  /** `pool.map(task, items, options)`. */
  map: (
    state: unknown,
    msg: [Task<[never]>, unknown[], MapOptions?],
  ) => Promise<unknown[]>;
  /** `pool.starmap(task, items, options)`. */
  starmap: (
    state: unknown,
    msg: [Task, unknown[][], MapOptions?],
  ) => Promise<unknown[]>;
  /** `pool.submit(task, ...args)`. */
  submit: (state: unknown, msg: [Task, ...unknown[]]) => Promise<unknown>;
}

/**
 * A pool that is an actor: it has an address (named, watched, supervised),
 * its runners stop with it, and a supervisor's restart gives it fresh ones.
 * Messages are not queued behind each other: every `map` or `submit` goes
 * to the pool at once, as calls on a `Pool` do.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { definePool } from "./pool.ts";
 * import assert from "node:assert/strict";
 *
 * export const tasks = defineTasks(import.meta.url, { square: (x: number) => x * x });
 * await using system = new ActorSystem();
 * const pool = system.spawn(definePool({ size: 2, placement: "local" }), undefined, { name: "squares" });
 * assert.deepEqual(await pool.ask("map", [tasks.square, [1, 2, 3]]), [1, 4, 9]);
 * ```
 */
export function definePool(
  options: PoolOptions & { name?: string } = {},
): Behavior<void, unknown, PoolHandlers> {
  const call = (pool: Pool, name: string, msg: unknown[]): Promise<unknown> => {
    // Messages carry untyped arguments: the task checks them where it runs.
    const [task, ...rest] = msg as [Task<unknown[]>, ...unknown[]];
    switch (name) {
      case "map":
        return pool.map(
          task as Task<[unknown]>,
          rest[0] as unknown[],
          rest[1] as MapOptions,
        );
      case "starmap":
        return pool.starmap(
          task,
          rest[0] as unknown[][],
          rest[1] as MapOptions,
        );
      default:
        return pool.submit(task, ...rest);
    }
  };
  const behavior = defineActor<void, unknown, PoolHandlers>({
    name: options.name ?? "pool",
    init: (_: void, ctx: ActorContext) => ({
      pool: new Pool(ctx.system, options),
    }),
    handlers: {
      map: (s, msg) =>
        call((s as { pool: Pool }).pool, "map", msg) as Promise<unknown[]>,
      starmap: (s, msg) =>
        call((s as { pool: Pool }).pool, "starmap", msg) as Promise<unknown[]>,
      submit: (s, msg) => call((s as { pool: Pool }).pool, "submit", msg),
    },
    // An actor's stop is now, not after the work it was given.
    onStop: (s) => (s as { pool: Pool }).pool.terminate(),
    onRestart: (s) => (s as { pool: Pool }).pool.terminate(),
  });
  // Passed on at once, not one at a time: a long map must not hold up submits.
  setForward(behavior, (state, name, payload, reply) => {
    const pool = (state as { pool: Pool }).pool;
    if (name !== "map" && name !== "starmap" && name !== "submit") {
      reply?.fail({
        type: "unknown-message",
        known: ["map", "starmap", "submit"],
      });
      return;
    }
    let done: Promise<unknown>;
    try {
      if (!Array.isArray(payload)) {
        throw new TypeError(
          `a pool's "${name}" takes its arguments as a list: [task, ...]`,
        );
      }
      done = call(pool, name, payload);
    } catch (e) {
      done = Promise.reject(e); // bad arguments: the asker hears why
    }
    if (reply === undefined) done.catch(() => {});
    else done.then((v) => reply.resolve(v), (e) => failReply(reply, e));
  });
  return behavior;
}
