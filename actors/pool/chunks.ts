/**
 * A pool's chunked map: cut the input into chunks and keep every runner
 * busy with them, retrying a dead runner's chunk elsewhere, failing or
 * aborting the whole map at once. The pool lends it what it needs
 * (`ChunkPool`); its own state stays private to the pool.
 *
 * @module
 */

import {
  ActorDeadError,
  AskTimeoutError,
  errorFromInfo,
  TroupeError,
  UnguardedMainError,
} from "../errors.ts";
import type { ActorRef, AskOptions } from "../ref.ts";
import { ROUTE_HOOK, type RouteHook } from "./route_hook.ts";
import type { Router } from "./router.ts";
import type { ChunkResult, TaskRunner } from "./task_runner.ts";
import { isTask, type Task } from "./tasks.ts";
import { MapAbortedError, TaskError, TaskTimeoutError } from "./errors.ts";
import type { MapOptions } from "./options.ts";
import { type Packed, packRange } from "./numbers.ts";

/** What a map needs of its pool. */
export interface ChunkPool {
  /** The router in front of the runners. */
  readonly router: Router<typeof TaskRunner>;
  /** Runners on this event loop (the task itself can be passed). */
  readonly local: boolean;
  /** Runners with hosts of their own (a busy one may be killed). */
  readonly ownHosts: boolean;
  /** How many runners there are now. */
  size(): number;
  /** Throw unless the pool takes work. */
  open(): void;
  /** A piece of work starts (a close waits for it). */
  enter(): void;
  /** A piece of work is over. */
  leave(): void;
  /** A fresh token naming one map's chunks at the runners. */
  nextToken(): number;
  /** Kill a busy runner (the pool replaces it). */
  kill(r: Runner, timeoutMs?: number): void;
  /** The error to report for `e` (the pool's own reason when it is gone). */
  why(e: unknown): unknown;
  /** Retire runners that have run enough messages. */
  recycle(): void;
}

/** A task runner of a pool. */
export type Runner = ActorRef<typeof TaskRunner>;

/** Cut `list` into chunks and keep every runner of `pool` busy with them. */
export async function runChunks(
  pool: ChunkPool,
  task: Task,
  list: unknown[],
  star: boolean,
  options: MapOptions,
  onChunk: (start: number, results: ArrayLike<unknown>) => void,
): Promise<void> {
  checkTask(task);
  pool.open();
  const total = list.length;
  if (total === 0) return;
  pool.enter();
  try {
    const size = pool.size();
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
    if (onAbort === "kill" && !pool.local && !pool.ownHosts) {
      throw new TypeError(
        'onAbort "kill" needs a pool with ownHosts: true, so that killing a busy runner\'s host touches no other actor',
      );
    }
    // Cut before anything is awaited: the map takes the items as they were
    // when it was called, whatever the caller does to its list meanwhile. A
    // runner elsewhere gets numbers packed (see numbers.ts).
    const chunks: (Packed | undefined)[] = [];
    for (let at = 0; at < total; at += chunksize) {
      chunks.push(
        star || pool.local
          ? list.slice(at, at + chunksize)
          : packRange(list, at, at + chunksize),
      );
    }
    let next = 0; // the next chunk to send
    let done = 0;
    let failure: unknown;
    const abortError = () =>
      new MapAbortedError(task.taskName, done, total, signal!.reason);
    if (signal?.aborted) throw abortError();
    const busy = new Map<Runner, number>(); // runner -> chunks in flight
    // Names this map's chunks at the runners, so that a cancel finds them.
    const token = pool.nextToken();
    /**
     * The map is over (it failed or was aborted): no chunk is sent or
     * retried, and the runners drop its chunks that have not started
     * (except where `kill` kills them).
     */
    const fail = (e: unknown, kill = false): void => {
      if (failure !== undefined) return;
      failure = e;
      for (const r of busy.keys()) {
        if (kill) pool.kill(r);
        else r.tell("cancel", token);
      }
    };
    // Each lane sends its next chunk when the last one came back: about two
    // chunks per runner in flight keeps them all busy.
    const lane = async () => {
      while (failure === undefined && next < chunks.length) {
        const start = next * chunksize;
        const chunk = chunks[next]!;
        chunks[next++] = undefined; // (its memory goes with its answer)
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
          r = await pool.router.ask(
            "chunk",
            [
              task.taskModule,
              task.taskName,
              chunk,
              star,
              pool.local ? task : undefined,
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
            if (runner !== undefined) pool.kill(runner, 100);
            fail(new TaskTimeoutError(task.taskName, start, taskTimeout));
          } else fail(wrapFailure(task, start, pool.why(e)));
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
        pool.recycle();
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
    pool.leave();
  }
}

export function checkTask(task: unknown): asserts task is Task {
  if (!isTask(task)) {
    throw new TypeError(
      "expected a task made by defineTasks(import.meta.url, { ... })",
    );
  }
}

/** Turn a runner's failure into a TaskError (or keep a dead-runner error). */
export function wrapFailure(task: Task, index: number, e: unknown): Error {
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
 * The items of a map: a list is taken as it is (the map cuts it into
 * chunks before it awaits anything, so a change the caller makes later
 * does not reach it), another iterable is read into one.
 */
export function listOf<T>(items: Iterable<T>): T[] {
  return Array.isArray(items) ? items : [...items];
}
