/**
 * The actor a pool runs its tasks on: it imports task modules by URL (once)
 * and runs a task on one argument list, or on a whole chunk of them.
 *
 * @module
 */

import { type Behavior, defineActor, type Handlers } from "../behavior.ts";
import { type ErrorInfo, errorInfo } from "../errors.ts";
import { setPeek } from "../forward.ts";
import { importForHost } from "../main_guard.ts";
import { missingTask, noteImport } from "./module_staleness.ts";
import { findTask, type Task } from "./tasks.ts";
import { type Packed, packResults } from "./numbers.ts";

/**
 * What a chunk came back with: every result, where it failed, or where it
 * stopped because its map was cancelled.
 */
export type ChunkResult =
  | { results: Packed }
  | { failedAt: number; error: ErrorInfo }
  | { failedAt: number; timedOut: number }
  | { cancelledAt: number };

type AnyFn = (...args: unknown[]) => unknown;

interface RunnerState {
  tasks: Map<string, Task | Promise<Task>>;
  /**
   * Maps (and runs) cancelled while work of theirs may still wait here, by
   * token: added when the `cancel` arrives (see `setPeek`), removed when it
   * is handled, in turn, after everything of theirs that came before it.
   */
  cancelled: Set<number> | undefined;
}

/** Whether work sent with `token` was cancelled (0: not cancellable). */
function isCancelled(s: RunnerState, token: number): boolean {
  return s.cancelled !== undefined && token !== 0 && s.cancelled.has(token);
}

function resolveTask(
  s: RunnerState,
  module: string,
  name: string,
): Task | Promise<Task> {
  const key = `${module}#${name}`;
  let t = s.tasks.get(key);
  if (t === undefined) {
    noteImport(module);
    t = importForHost(module).catch((e) => {
      // A process runner reads only what it was given: say how to give it.
      const denied = e instanceof Deno.errors.NotCapable ||
        (e instanceof TypeError && /Requires read access/.test(e.message));
      if (denied) {
        throw new TypeError(
          `this runner's host may not read task module ${module}: give the pool \`modules: [import.meta.url]\` (of the module that defines the tasks) or \`permissions: { read: [...] }\` (${
            (e as Error).message
          })`,
          { cause: e },
        );
      }
      throw e;
    }).then(async (exports) => {
      const found = findTask(exports, module, name);
      if (found === undefined) throw await missingTask(module, name);
      s.tasks.set(key, found);
      return found;
    });
    t.catch(() => s.tasks.delete(key));
    s.tasks.set(key, t);
  }
  return t;
}

/** `p`, or `TIMED_OUT` when it has not settled within `ms`. */
function within<T>(
  p: PromiseLike<T>,
  ms: number,
): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const TIMED_OUT: unique symbol = Symbol("timed out");

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === "object" &&
    typeof (x as PromiseLike<unknown>).then === "function";
}

/**
 * The messages a task runner handles (its state is private). A runner in the
 * pool's own isolate gets the task function itself as the last element, so
 * that it needs no import.
 *
 * @example
 * ```ts
 * import type { TaskRunnerHandlers } from "./task_runner.ts";
 * type Names = keyof TaskRunnerHandlers; // "call" | "chunk" | "heap"
 * ```
 */
export interface TaskRunnerHandlers extends Handlers<unknown> {
  /**
   * Run `name` from `module` on one argument list (not at all when the call
   * was cancelled by its `token` before it started).
   */
  call: (
    state: unknown,
    msg: [string, string, unknown[], Task?, number?],
  ) => unknown;
  /**
   * Run `name` on each item of a chunk, in order (`star`: each item is an
   * argument list). Stops at the first item that throws, or that takes
   * longer than `taskTimeout` ms (when it is above 0), or before the first
   * item not started once its map is cancelled (by its `token`).
   */
  chunk: (
    state: unknown,
    msg: [string, string, Packed, boolean, Task?, number?, number?],
  ) => Promise<ChunkResult>;
  /**
   * Work sent with `token` that has not started does not start. Seen on
   * arrival, ahead of the work queued before it; handled in turn, when all
   * of that has been dropped.
   */
  cancel: (state: unknown, token: number) => void;
  /** The heap this runner's isolate uses, in bytes. */
  heap: (state: unknown) => number;
}

/**
 * Runs tasks for a pool, on any placement.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { TaskRunner } from "./task_runner.ts";
 * await using system = new ActorSystem();
 * const runner = system.spawn(TaskRunner);
 * ```
 */
export const TaskRunner: Behavior<void, unknown, TaskRunnerHandlers> =
  defineActor<void, unknown, TaskRunnerHandlers>({
    name: "troupe.task-runner",
    module: import.meta.url,
    init: (): RunnerState => ({ tasks: new Map(), cancelled: undefined }),
    handlers: {
      call: (state, [module, name, args, local, token = 0]) => {
        const s = state as RunnerState;
        if (isCancelled(s, token)) return undefined; // its asker gave up
        // Synchronous when the task is known: no promise per call.
        const found = local ?? resolveTask(s, module, name);
        return isThenable(found)
          ? found.then((t) => (t as unknown as AnyFn)(...args))
          : (found as unknown as AnyFn)(...args);
      },
      chunk: async (
        state,
        [module, name, items, star, local, limit = 0, token = 0],
      ) => {
        const s = state as RunnerState;
        if (isCancelled(s, token)) return { cancelledAt: 0 };
        let found = local ?? resolveTask(s, module, name);
        if (isThenable(found)) found = await found;
        const task = found as unknown as AnyFn;
        const results = new Array(items.length);
        for (let i = 0; i < items.length; i++) {
          // Checked before each item: a cancel can arrive while one awaits.
          if (isCancelled(s, token)) return { cancelledAt: i };
          try {
            const t0 = limit > 0 ? performance.now() : 0;
            let r = star ? task(...(items[i] as unknown[])) : task(items[i]);
            // An async task is given up at its deadline (its promise cannot
            // be cancelled, only ignored); a synchronous one cannot be cut
            // short, so one that overran is failed when it returns.
            if (isThenable(r)) r = limit > 0 ? await within(r, limit) : await r;
            if (
              limit > 0 && (r === TIMED_OUT || performance.now() - t0 > limit)
            ) return { failedAt: i, timedOut: limit };
            results[i] = r;
          } catch (e) {
            return { failedAt: i, error: errorInfo(e) };
          }
        }
        // Numbers go back packed to a caller elsewhere, as they came.
        return {
          results: local === undefined ? packResults(results) : results,
        };
      },
      heap: () => Deno.memoryUsage().heapUsed,
      cancel: (state, token) => {
        const s = state as RunnerState;
        s.cancelled?.delete(token);
        if (s.cancelled?.size === 0) s.cancelled = undefined;
      },
    },
    onError: "resume",
  });

// A cancel is seen as it arrives: the work it cancels waits in the mailbox
// ahead of it, and must be dropped, not run, when its turn comes.
setPeek(TaskRunner, (state, name, token) => {
  if (name === "cancel" && typeof token === "number" && token !== 0) {
    ((state as RunnerState).cancelled ??= new Set()).add(token);
  }
});
