/**
 * The actor that runs graph tasks on a worker, process or local host. It
 * keeps the results it makes (by key) until the scheduler releases them, so
 * a task's inputs are usually already where it runs; values cross hosts only
 * when a task needs one made elsewhere (or the caller asks for a result).
 *
 * @module
 */

import {
  type Behavior,
  defineActor,
  type Handlers,
} from "@troupe/troupe/actors";
import type { Task } from "@troupe/troupe/actors";
import { fillArgs } from "./keys.ts";
import { localStores, pullFrom } from "./peer_data.ts";

type AnyFn = (...args: unknown[]) => unknown;

interface WorkerState {
  store: Map<string, unknown>;
  tasks: Map<string, AnyFn | Promise<AnyFn>>;
}

/**
 * What `run` carries: the key, the task (module URL and name, or the
 * function itself for a worker in the caller's isolate), the arguments with
 * holes where dependencies go, the holes' paths and the dependencies' keys.
 *
 * @example
 * ```ts
 * import type { RunMessage } from "@troupe/troupe/cluster";
 * const msg: RunMessage = ["inc-1", "file:///tasks.ts", "inc", [null], [[0]], ["one-1"]];
 * ```
 */
export type RunMessage = [
  key: string,
  module: string,
  name: string,
  args: unknown[],
  paths: (string | number)[][],
  deps: string[],
  local?: Task,
];

/**
 * The messages a graph worker handles.
 *
 * @example
 * ```ts
 * import type { GraphWorkerHandlers } from "@troupe/troupe/cluster";
 * type Names = keyof GraphWorkerHandlers; // "run" | "fetch" | "put" | "release" | "pull"
 * ```
 */
export interface GraphWorkerHandlers extends Handlers<unknown> {
  /**
   * Run a task on values held here; keep its result under its key. Answers
   * about how many bytes the result takes (for placing its dependents).
   */
  run: (state: unknown, msg: RunMessage) => number | Promise<number>;
  /** The values of `keys` (they must be held here). */
  fetch: (state: unknown, keys: string[]) => unknown[];
  /** Hold `value` under `key` (an input made elsewhere). */
  put: (state: unknown, msg: [string, unknown]) => void;
  /** Drop the values of `keys`. */
  release: (state: unknown, keys: string[]) => void;
  /**
   * Fetch `keys` from the node serving data at `address` (another node's
   * graph worker), directly, and hold them.
   */
  pull: (state: unknown, msg: [string[], string]) => Promise<void>;
}

/**
 * About how many bytes `v` takes: exact for binary data and strings, a
 * shallow estimate for arrays (sampled when long) and objects. Cheap,
 * since every result is measured.
 */
function sizeOf(v: unknown, depth = 0): number {
  switch (typeof v) {
    case "string":
      return 2 * v.length + 8;
    case "object":
      break;
    default:
      return 8;
  }
  if (v === null) return 8;
  if (ArrayBuffer.isView(v)) return v.byteLength + 16;
  if (v instanceof ArrayBuffer) return v.byteLength + 16;
  if (depth > 1) return 64;
  if (Array.isArray(v)) {
    const n = v.length;
    if (n === 0) return 16;
    const sample = Math.min(n, 16);
    let bytes = 0;
    for (let i = 0; i < sample; i++) bytes += sizeOf(v[i], depth + 1);
    return 16 + Math.round((bytes / sample) * n);
  }
  let bytes = 16;
  let fields = 0;
  for (const k in v as object) {
    bytes += 2 * k.length +
      sizeOf((v as Record<string, unknown>)[k], depth + 1);
    if (++fields > 32) break;
  }
  return bytes;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === "object" || typeof x === "function") &&
    typeof (x as PromiseLike<unknown>).then === "function";
}

function resolve(s: WorkerState, module: string, name: string) {
  const id = `${module}#${name}`;
  let fn = s.tasks.get(id);
  if (fn === undefined) {
    fn = (import(module) as Promise<Record<string, unknown>>).then(
      (exports) => {
        for (const value of Object.values(exports)) {
          const candidates = typeof value === "function"
            ? [value]
            : typeof value === "object" && value !== null
            ? Object.values(value)
            : [];
          for (const c of candidates) {
            const t = c as Partial<Task>;
            if (
              typeof c === "function" && t.taskModule === module &&
              t.taskName === name
            ) {
              s.tasks.set(id, c as AnyFn);
              return c as AnyFn;
            }
          }
        }
        throw new TypeError(
          `module ${module} exports no task "${name}" (export the object defineTasks returns)`,
        );
      },
    );
    fn.catch(() => s.tasks.delete(id));
    s.tasks.set(id, fn);
  }
  return fn;
}

function inputs(s: WorkerState, key: string, deps: string[]): unknown[] {
  const values = new Array(deps.length);
  for (let i = 0; i < deps.length; i++) {
    const v = s.store.get(deps[i]);
    if (v === undefined && !s.store.has(deps[i])) {
      throw new Error(`input ${deps[i]} of ${key} is not held on this worker`);
    }
    values[i] = v;
  }
  return values;
}

/**
 * Runs graph tasks for a scheduler and holds their results.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe/actors";
 * import { GraphWorker } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
 * await using system = new ActorSystem();
 * const w = system.spawn(GraphWorker);
 * w.tell("put", ["one", 1]);
 * await w.ask("run", ["two", t.inc.taskModule, "inc", [null], [[0]], ["one"], t.inc]);
 * assert.deepEqual(await w.ask("fetch", ["two"]), [2]);
 * ```
 */
export const GraphWorker: Behavior<void, unknown, GraphWorkerHandlers> =
  defineActor<void, unknown, GraphWorkerHandlers>({
    name: "troupe.graph-worker",
    module: import.meta.url,
    init: (): WorkerState => {
      const store = new Map<string, unknown>();
      localStores.add(store); // (other nodes read it through peer_data.ts)
      return { store, tasks: new Map() };
    },
    onStop: (state) => {
      localStores.delete((state as WorkerState).store);
    },
    handlers: {
      run: (state, [key, module, name, args, paths, deps, local]) => {
        const s = state as WorkerState;
        const values = inputs(s, key, deps);
        const call = deps.length === 0 ? args : fillArgs(args, paths, values);
        const found = local ?? resolve(s, module, name);
        const finish = (fn: AnyFn): number | Promise<number> => {
          const r = fn(...call);
          if (!isThenable(r)) {
            s.store.set(key, r);
            return sizeOf(r);
          }
          return Promise.resolve(r).then((v) => {
            s.store.set(key, v);
            return sizeOf(v);
          });
        };
        return isThenable(found)
          ? Promise.resolve(found).then(finish)
          : finish(found as AnyFn);
      },
      fetch: (state, keys) => inputs(state as WorkerState, "fetch", keys),
      put: (state, [key, value]) => {
        (state as WorkerState).store.set(key, value);
      },
      release: (state, keys) => {
        const store = (state as WorkerState).store;
        for (const k of keys) store.delete(k);
      },
      pull: async (state, [keys, address]) => {
        const values = await pullFrom(address, keys);
        const store = (state as WorkerState).store;
        keys.forEach((k, i) => store.set(k, values[i]));
      },
    },
    onError: "resume",
    // One task per turn: after a long task its answer leaves at once, and
    // the scheduler can send the next (and the dependents) meanwhile.
    throughput: 1,
  });
