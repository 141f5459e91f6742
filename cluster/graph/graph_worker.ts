/**
 * The actor that runs graph tasks on a worker, process or local host. It
 * keeps the results it makes (by key) until the scheduler releases them, so
 * a task's inputs are usually already where it runs; values cross hosts only
 * when a task needs one made elsewhere (or the caller asks for a result).
 *
 * Runs are told, not asked: they queue inside the worker, one runs at a
 * time, and each ends with a report to the scheduler. So no handler waits
 * for a task (a fetch or a cancel is handled while one runs), a cancel
 * reaches the runs sent ahead that have not started, and a task has no
 * deadline but its own `timeout`: a worker that dies is known by its death.
 *
 * @module
 */

import type { ActorRef } from "../../actors/ref.ts";
import {
  type Behavior,
  defineActor,
  type Handlers,
} from "../../actors/behavior.ts";
import { CrossingError } from "../../actors/hosts/codec.ts";
import { errorInfo } from "../../actors/errors.ts";
import type { Task } from "../../actors/pool/tasks.ts";
import { importForHost } from "../../actors/main_guard.ts";
import { missingTask, noteImport } from "../../actors/pool/module_staleness.ts";
import { GraphTimeoutError } from "./errors.ts";
import { logLine } from "./worker_log.ts";
import { taskModuleVersion, versionedUrl } from "./task_modules.ts";
import { fillArgs } from "./keys.ts";
import type { HeldStore } from "../memory/held_store.ts";
import type { MemoryReport, WorkerMemory } from "../memory/worker_memory.ts";
import { openWorkerStore, type WorkerStore } from "../memory/worker_store.ts";
import { localStores } from "../wire/local_stores.ts";
import { movableBuffers } from "./take.ts";
import { takeTransfer, transfer } from "../../actors/transfer.ts";

type AnyFn = (...args: unknown[]) => unknown;

/** How often a thread of long runs lets timers and posted messages in. */
const TURN_MS = 20;

/**
 * Call `then` after a turn of the event loop in which Deno hands this
 * thread what was posted to it: a message to itself takes ~15 us, where a
 * timer takes 1-2 ms.
 */
function turn(then: () => void): void {
  // A channel of its own, closed when the message comes: nothing stays open
  // to keep the event loop alive (or a test's resource check unhappy).
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {
    port1.close();
    port2.close();
    then();
  };
  port2.postMessage(0);
}

interface WorkerState {
  store: HeldStore;
  held: WorkerStore;
  /** The buffers a task marked to move with its result, by key (see take). */
  moves: Map<string, Transferable[]>;
  /** Tasks by `module#name`, with the version of their module (see task_modules.ts). */
  tasks: Map<string, { version: number; fn: AnyFn | Promise<AnyFn> }>;
  id: number;
  reports: ActorRef<Behavior<unknown, unknown, GraphReports>>;
  self: ActorRef<typeof GraphWorker>;
  /** Runs not started, by number, in arrival order. */
  queue: Map<number, RunMessage>;
  /** A run is under way. */
  running: boolean;
  /** A `next` is on its way to start the next run. */
  waking: boolean;
  /** When the thread last let timers and I/O in between runs (see `end`). */
  lastTurn: number;
}

/**
 * What `run` carries: the run's number (its answer names it), the key, the
 * task (module URL and name, or the function itself for a worker in the
 * caller's isolate), the arguments with holes where dependencies go, the
 * holes' paths, the dependencies' keys, and the task's timeout in ms (none:
 * it runs as long as it takes).
 *
 * @example
 * ```ts
 * import type { RunMessage } from "./graph_worker.ts";
 * const msg: RunMessage = [1, "inc-1", "file:///tasks.ts", "inc", [null], [[0]], ["one-1"]];
 * ```
 */
export type RunMessage = [
  seq: number,
  key: string,
  module: string,
  name: string,
  args: unknown[],
  paths: (string | number)[][],
  deps: string[],
  timeout?: number,
  local?: Task,
];

/**
 * Why a run failed, as its `failed` report says: the task threw or
 * rejected (`error`), ran past its timeout (`timeout`), or an input was not
 * held on the worker (`missing`: the report's last item is that input's key).
 *
 * @example
 * ```ts
 * import type { RunFailure } from "./graph_worker.ts";
 * const kind: RunFailure = "timeout";
 * ```
 */
export type RunFailure = "error" | "timeout" | "missing";

/**
 * What a graph worker tells its scheduler (the `reports` actor it was
 * spawned with), each with the worker's id first: a run finished (`done`,
 * with about how many bytes its result takes), failed (`failed`, with the
 * error: the thrown value itself on a worker in the scheduler's isolate, its
 * `ErrorInfo` elsewhere), or was cancelled before it started (`skipped`);
 * `done` says how long the task ran, as measured there;
 * a pull ended (`pulled`, with an error message if it failed).
 *
 * @example
 * ```ts
 * import type { GraphReports } from "./graph_worker.ts";
 * type Names = keyof GraphReports; // "done" | "failed" | "skipped" | "pulled"
 * ```
 */
export interface GraphReports extends Handlers<unknown> {
  /**
   * `[worker, run, bytes, ms]`: the run's result is held; it takes about
   * `bytes`, and the task ran for `ms` (measured where it ran).
   */
  done: (state: unknown, msg: [number, number, number, number]) => void;
  /** `[worker, run, why, error or missing key]`: the run failed. */
  failed: (
    state: unknown,
    msg: [number, number, RunFailure, unknown],
  ) => void;
  /** `[worker, runs]`: these runs were cancelled before they started. */
  skipped: (state: unknown, msg: [number, number[]]) => void;
  /**
   * `[worker, pull, error?, "crossing"?]`: the pull is held, or failed
   * (`"crossing"`: the value cannot cross to this host).
   */
  pulled: (state: unknown, msg: [number, number, string?, "crossing"?]) => void;
  /**
   * `[worker, ...counters]`: its memory (see `MemoryReport`), when it
   * changed (at once when it pauses or resumes).
   */
  memory: (state: unknown, msg: [number, ...MemoryReport]) => void;
}

/**
 * What a graph worker is spawned with: its id (first in each report) and
 * where its reports go.
 *
 * @example
 * ```ts
 * import type { GraphWorkerArg } from "./graph_worker.ts";
 * const ids = (a: GraphWorkerArg) => a.id;
 * ```
 */
export interface GraphWorkerArg {
  /** Its id, first in each report. */
  id: number;
  /** The actor its reports go to. */
  reports: ActorRef<Behavior<unknown, unknown, GraphReports>>;
  /**
   * Its memory limit and spill directory (null: none; default: its node's,
   * else none).
   */
  memory?: WorkerMemory | null;
}

/**
 * The messages a graph worker handles. `run`, `cancel`, `put`, `release`,
 * `pull` and `drop-peer` are tells; `fetch` is an ask. No handler waits for
 * a task: runs queue inside the worker and one runs at a time, so a fetch, a
 * put or a cancel is handled while a task runs (at once, unless the task
 * holds the thread), and a cancel reaches runs that have not started.
 *
 * @example
 * ```ts
 * import type { GraphWorkerHandlers } from "./graph_worker.ts";
 * type Names = keyof GraphWorkerHandlers; // "run" | "fetch" | "put" | ...
 * ```
 */
export interface GraphWorkerHandlers extends Handlers<unknown> {
  /**
   * Queue a run of a task on values held here; its result is kept under its
   * key, and a `done` (or `failed`) report says so.
   */
  run: (state: unknown, msg: RunMessage) => void;
  /** Drop queued runs (by number) before they start; `skipped` says which. */
  cancel: (state: unknown, runs: number[]) => void;
  /** Start the next queued run (the worker tells itself). */
  next: (state: unknown, _: undefined) => void;
  /** The values of `keys` (they must be held here). */
  fetch: (state: unknown, keys: string[]) => unknown[];
  /**
   * The values of `keys`, dropped here (the scheduler's last want of them):
   * buffers that nothing here reads again move instead of being copied.
   */
  take: (state: unknown, keys: string[]) => unknown[];
  /** Hold `value` under `key` (an input made elsewhere). */
  put: (state: unknown, msg: [string, unknown]) => void;
  /** Drop the values of `keys`. */
  release: (state: unknown, keys: string[]) => void;
  /**
   * `[pull, keys, address]`: fetch `keys` from the node serving data at
   * `address` (another node's graph worker), directly, and hold them; a
   * `pulled` report says when.
   */
  pull: (state: unknown, msg: [number, string[], string]) => void;
  /**
   * Close the connection to the node serving data at `address` (it is gone
   * or silent): pulls from it fail at once.
   */
  "drop-peer": (state: unknown, address: string) => void;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === "object" || typeof x === "function") &&
    typeof (x as PromiseLike<unknown>).then === "function";
}

function resolve(s: WorkerState, module: string, name: string) {
  const id = `${module}#${name}`;
  // (a new version when the file changed on disk, or after a restart)
  const version = taskModuleVersion(module);
  const known = s.tasks.get(id);
  if (known !== undefined && known.version === version) return known.fn;
  const url = versionedUrl(module, version);
  // (As a host loads it: a program's unguarded main fails at once.)
  noteImport(module);
  const fn = importForHost(url).then(
    async (exports) => {
      for (const value of Object.values(exports)) {
        const candidates = typeof value === "function"
          ? [value]
          : typeof value === "object" && value !== null
          ? Object.values(value)
          : [];
        for (const c of candidates) {
          const t = c as Partial<Task>;
          if (
            typeof c === "function" &&
            (t.taskModule === url || t.taskModule === module) &&
            t.taskName === name
          ) {
            s.tasks.set(id, { version, fn: c as AnyFn });
            return c as AnyFn;
          }
        }
      }
      // (a fresh copy read now: it does not have the task)
      throw version === 0 ? await missingTask(module, name) : new TypeError(
        `module ${module} exports no task "${name}" (in its copy on disk now; export the object defineTasks returns)`,
      );
    },
  );
  fn.catch(() => {
    if (s.tasks.get(id)?.fn === fn) s.tasks.delete(id);
  });
  s.tasks.set(id, { version, fn });
  return fn;
}

/** The longest delay a timer takes (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where a run's inputs are missing: the key of the first not held here. */
class MissingInput extends Error {
  constructor(readonly dep: string, key: string) {
    super(`input ${dep} of ${key} is not held on this worker`);
  }
}

function inputs(s: WorkerState, key: string, deps: string[]): unknown[] {
  const values = new Array(deps.length);
  for (let i = 0; i < deps.length; i++) {
    const v = s.store.get(deps[i]);
    if (v === undefined && !s.store.has(deps[i])) {
      throw new MissingInput(deps[i], key);
    }
    values[i] = v;
  }
  return values;
}

/** Report a failed run: the error itself to a local scheduler, else its info. */
function failed(
  s: WorkerState,
  msg: RunMessage,
  why: RunFailure,
  error: unknown,
): void {
  const local = typeof msg[8] === "function";
  if (why !== "missing") {
    // (kept for an operator: `troupe logs`, the dashboard's logs panel)
    const e = error as Error;
    logLine(
      "error",
      `task ${msg[1]} (${msg[3]}) failed: ${
        e instanceof Error ? e.stack ?? `${e.name}: ${e.message}` : String(e)
      }`,
    );
  }
  s.reports.tell("failed", [
    s.id,
    msg[0],
    why,
    why === "missing"
      ? (error as MissingInput).dep
      : local
      ? error
      : errorInfo(error),
  ]);
}

/**
 * Start the next queued run, if any and none is running. A sync task runs
 * here, to its end; an async one runs on while other messages are handled.
 */
function start(s: WorkerState): void {
  if (s.running) return;
  let msg: RunMessage | undefined;
  for (const [seq, m] of s.queue) {
    s.queue.delete(seq);
    msg = m;
    break;
  }
  if (msg === undefined) return;
  s.running = true;
  const [seq, key, module, name, args, paths, deps] = msg;
  const timeout = typeof msg[7] === "number" ? msg[7] : undefined;
  const local = typeof msg[8] === "function" ? msg[8] : undefined;
  const began = performance.now();
  let over = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const end = (ok: boolean, value: unknown) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    s.running = false;
    const ms = performance.now() - began;
    if (ok && timeout !== undefined && ms > timeout) {
      // A task that held the thread past its timeout: it failed all the same.
      failed(s, msg, "timeout", new GraphTimeoutError(key, timeout));
    } else if (ok) {
      const bytes = Math.max(1, s.store.set(key, value));
      // The mark is kept here, off the value: it must not move the value
      // anywhere else (a local worker's results are the caller's objects).
      const marked = takeTransfer(value);
      if (marked !== undefined) s.moves.set(key, marked);
      else s.moves.delete(key);
      s.reports.tell("done", [s.id, seq, bytes, ms]);
    } else if (value instanceof MissingInput) {
      failed(s, msg, "missing", value);
    } else failed(s, msg, "error", value);
    if (s.queue.size === 0) return;
    // The next run starts through the mailbox, after what has arrived meanwhile
    // (a cancel of it, say); after a long run, after the event loop has
    // handed over what came while this thread was busy.
    s.waking = true;
    const next = () => s.self.tell("next", undefined);
    if (ms < 1) next();
    else if (performance.now() - s.lastTurn < TURN_MS) setImmediate(next);
    else {
      // A chain of immediates kept Deno from handing this thread what
      // other threads posted (a worker host's ready and replies waited
      // 250-900 ms on the caller's thread): now and then a message turn
      // lets them in.
      s.lastTurn = performance.now();
      turn(next);
    }
  };
  const call = (fn: AnyFn) => {
    let r: unknown;
    try {
      const call = deps.length === 0
        ? args
        : fillArgs(args, paths, inputs(s, key, deps));
      r = fn(...call);
    } catch (e) {
      return end(false, e);
    }
    if (!isThenable(r)) return end(true, r);
    if (timeout !== undefined && timeout < MAX_TIMER_MS) {
      // Only a task with a timeout has a timer.
      timer = setTimeout(
        () => end(false, new GraphTimeoutError(key, timeout)),
        timeout,
      );
    }
    Promise.resolve(r).then((v) => end(true, v), (e) => end(false, e));
  };
  let found: AnyFn | Promise<AnyFn>;
  try {
    found = (local as AnyFn | undefined) ?? resolve(s, module, name);
  } catch (e) {
    return end(false, e);
  }
  if (isThenable(found)) {
    (found as Promise<AnyFn>).then(call, (e) => end(false, e));
  } else call(found as AnyFn);
}

/**
 * Runs graph tasks for a scheduler and holds their results.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor, defineTasks } from "@troupe/troupe";
 * import { GraphWorker } from "./graph_worker.ts";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
 * await using system = new ActorSystem();
 * const done = Promise.withResolvers<number>();
 * const reports = system.spawn(defineActor({
 *   init: () => ({}),
 *   handlers: {
 *     done: (_s, [, , bytes]: number[]) => done.resolve(bytes),
 *     failed: () => {},
 *     skipped: () => {},
 *     pulled: () => {},
 *   },
 * }));
 * const w = system.spawn(GraphWorker, { id: 1, reports });
 * w.tell("put", ["one", 1]);
 * w.tell("run", [1, "two", t.inc.taskModule, "inc", [null], [[0]], ["one"], undefined, t.inc]);
 * await done.promise;
 * assert.deepEqual(await w.ask("fetch", ["two"]), [2]);
 * ```
 */
export const GraphWorker: Behavior<
  GraphWorkerArg,
  unknown,
  GraphWorkerHandlers
> = defineActor<GraphWorkerArg, unknown, GraphWorkerHandlers>({
  name: "troupe.graph-worker",
  module: import.meta.url,
  init: ({ id, reports, memory }, ctx): WorkerState => {
    const held = openWorkerStore(
      memory,
      (r) => reports.tell("memory", [id, ...r]),
    );
    const store = held.store;
    localStores.add(store); // (other nodes read it through peer_data.ts)
    return {
      store,
      held,
      moves: new Map(),
      tasks: new Map(),
      id,
      reports,
      self: ctx.self as ActorRef<typeof GraphWorker>,
      queue: new Map(),
      running: false,
      waking: false,
      lastTurn: 0,
    };
  },
  onStop: (state) => {
    const s = state as WorkerState;
    localStores.delete(s.store);
    s.queue.clear();
    s.held.close();
  },
  handlers: {
    run: (state, msg) => {
      const s = state as WorkerState;
      s.queue.set(msg[0], msg);
      if (!s.running && !s.waking) start(s);
    },
    cancel: (state, runs) => {
      const s = state as WorkerState;
      const skipped = runs.filter((seq) => s.queue.delete(seq));
      if (skipped.length > 0) s.reports.tell("skipped", [s.id, skipped]);
    },
    next: (state) => {
      const s = state as WorkerState;
      s.waking = false;
      start(s);
    },
    fetch: (state, keys) => inputs(state as WorkerState, "fetch", keys),
    take: (state, keys) => {
      const s = state as WorkerState;
      const values = inputs(s, "take", keys);
      const marks = keys.map((k) => s.moves.get(k));
      for (const k of keys) {
        s.store.delete(k);
        s.moves.delete(k);
      }
      const moving = movableBuffers(marks, s.store.inMemory());
      return moving.length > 0 ? transfer(values, moving) : values;
    },
    put: (state, [key, value]) => {
      (state as WorkerState).store.set(key, value);
      (state as WorkerState).moves.delete(key);
    },
    release: (state, keys) => {
      const { store, moves } = state as WorkerState;
      for (const k of keys) {
        store.delete(k);
        moves.delete(k);
      }
    },
    pull: (state, [req, keys, address]) => {
      const s = state as WorkerState;
      // Loaded when first needed: only cluster nodes pull.
      import("../wire/peer_data.ts").then((m) => m.pullFrom(address, keys))
        .then((
          values,
        ) => {
          keys.forEach((k, i) => {
            s.store.set(k, values[i]);
            s.moves.delete(k);
          });
          s.reports.tell("pulled", [s.id, req]);
        }, (e) => {
          const report: unknown[] = [
            s.id,
            req,
            String((e as Error)?.message ?? e),
          ];
          // A value that cannot cross stays where it is: the scheduler fails
          // the task that needs it instead of asking again.
          if (e instanceof CrossingError) report.push("crossing");
          s.reports.tell("pulled", report as [number, number, string]);
        });
    },
    "drop-peer": (_state, address) => {
      void import("../wire/peer_data.ts").then((m) => m.closePeer(address));
    },
  },
  onError: "resume",
  // One message per turn: after a long task its report leaves at once.
  throughput: 1,
});
