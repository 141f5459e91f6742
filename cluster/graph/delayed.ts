/**
 * `delayed`: turn calls of tasks into a lazy task graph, as `dask.delayed`
 * does. Nothing runs until a scheduler computes the graph.
 *
 * @module
 */

import type { Task } from "../../actors/pool/tasks.ts";
import type { Future } from "./future.ts";
import { type DepSite, KEY, keyOf, type TaskKeys, taskKeys } from "./keys.ts";

/** Options of `delayed` (the signature spells them out). */
export type TaskOptions = NonNullable<Parameters<typeof delayed>[1]>;

/**
 * A value, or something that computes it: a `Delayed`, a `Future`, or an
 * array or plain object holding them. Task arguments accept these.
 *
 * @example
 * ```ts
 * import type { Lazy } from "@troupe/troupe";
 * const x: Lazy<number[]> = [1, 2, 3];
 * ```
 */
export type Lazy<T> =
  | T
  | Delayed<T>
  | Future<T>
  | (T extends readonly unknown[] ? { [K in keyof T]: Lazy<T[K]> }
    : T extends Record<string, unknown> ? { [K in keyof T]: Lazy<T[K]> }
    : never);

/** The parts of an array or plain object, each of which may be lazy. */
export type LazyParts<T> = T extends readonly unknown[]
  ? { [K in keyof T]: Lazy<T[K]> }
  : T extends Record<string, unknown> ? { [K in keyof T]: Lazy<T[K]> }
  : never;

/**
 * The arguments of a task, each of which may be lazy.
 *
 * @example
 * ```ts
 * import type { LazyArgs } from "./delayed.ts";
 * type AddArgs = LazyArgs<[number, number]>;
 * ```
 */
export type LazyArgs<A extends readonly unknown[]> = {
  [K in keyof A]: Lazy<A[K]>;
};

/**
 * One call of a task, not run yet: a node of a task graph. Its key is
 * deterministic (same task, same arguments, same key) unless named.
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import { delayed } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
 * const a = delayed(t.inc)(1);
 * assert.equal(a.key, delayed(t.inc)(1).key); // same call, same key
 * assert.notEqual(a.key, delayed(t.inc)(2).key);
 * ```
 */
export class Delayed<T = unknown> {
  /** The task key. */
  readonly key: string;
  /**
   * The task key, under the symbol that marks lazy values.
   *
   * @ignore Internal: read it as `.key`.
   */
  readonly [KEY]: string;
  /** The task it calls. */
  readonly task: Task;
  /** Its arguments as given (lazy values inside). */
  readonly args: readonly unknown[];
  /**
   * Where the lazy values sit in `args`.
   *
   * @ignore Internal: the engines read it.
   */
  readonly deps: readonly DepSite[];
  /** Its settings. */
  readonly options: Readonly<NonNullable<Parameters<typeof delayed>[1]>>;
  /** Type only: what it computes (never set). */
  declare readonly resultType?: T;

  /**
   * Use `delayed(task)(...args)`.
   *
   * @example
   * ```ts
   * import { defineTasks } from "@troupe/troupe";
   * import { Delayed } from "@troupe/troupe";
   *
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * const d = new Delayed<number>("one-1", t.one, [], [], {});
   * console.log(d.key); // "one-1"
   * ```
   */
  constructor(
    key: string,
    task: Task,
    args: readonly unknown[],
    deps: readonly DepSite[],
    options: Readonly<TaskOptions>,
  ) {
    this.key = key;
    this[KEY] = key;
    this.task = task;
    this.args = args;
    this.deps = deps;
    this.options = options;
  }

  /**
   * The key, for logs.
   *
   * @example
   * ```ts
   * import { defineTasks } from "@troupe/troupe";
   * import { delayed } from "@troupe/troupe";
   * export const t = defineTasks(import.meta.url, { one: () => 1 });
   * console.log(String(delayed(t.one, { key: "uno" })())); // Delayed(uno)
   * ```
   */
  toString(): string {
    return `Delayed(${this.key})`;
  }
}

const NO_OPTIONS: Readonly<TaskOptions> = Object.freeze({});

// Each task's module and name are hashed once, not on every call.
const keyings = new WeakMap<object, TaskKeys>();

/**
 * Make a task lazy: `delayed(task)(...args)` records the call as a graph
 * node instead of running it. Arguments may be values, other delayed values,
 * futures, and arrays or plain objects holding them; the result type flows
 * into the next call.
 *
 * @example Square and sum
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { createScheduler, delayed } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 *   sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
 * });
 * const squares = [1, 2, 3].map((x) => delayed(t.square)(x));
 * const total = delayed(t.sum)(squares);
 *
 * await using system = new ActorSystem();
 * const scheduler = createScheduler(system, { placement: "inline" });
 * const [value] = await scheduler.compute(total);
 * assert.equal(value, 14);
 * ```
 */
export function delayed<A extends unknown[], R>(
  task: Task<A, R>,
  options: {
    /** The task's key, instead of one derived from the task and arguments. */
    key?: string;
    /** Extra attempts after the task throws (or times out); default 0. */
    retries?: number;
    /**
     * Ms one attempt may take on a worker (`GraphTimeoutError` after); none by
     * default: a task runs as long as it takes.
     */
    timeout?: number;
    /** Higher runs first among ready tasks (default 0). */
    priority?: number;
    /**
     * Only these cluster nodes (by name) may run it; it waits until one of
     * them is a member.
     */
    workers?: string[];
    /**
     * Only nodes that have at least these resources (as `runNode`'s
     * `resources`, e.g. `{ GPU: 1 }`) may run it.
     */
    resources?: Record<string, number>;
  } = NO_OPTIONS,
): (...args: { [K in keyof A]: Lazy<A[K]> }) => Delayed<Awaited<R>> {
  if (
    typeof task !== "function" || typeof task.taskModule !== "string" ||
    typeof task.taskName !== "string"
  ) {
    throw new TypeError(
      "delayed expects a task made by defineTasks(import.meta.url, { ... })",
    );
  }
  checkOptions(options);
  let keying = keyings.get(task);
  if (keying === undefined) {
    keyings.set(task, keying = taskKeys(task.taskModule, task.taskName));
  }
  const keys = keying;
  return (...args: LazyArgs<A>): Delayed<Awaited<R>> => {
    const deps: DepSite[] = [];
    const derived = keyOf(keys, args, deps);
    const key = options.key ?? derived;
    return new Delayed<Awaited<R>>(
      key,
      task as unknown as Task,
      args,
      deps,
      options,
    );
  };
}

function checkOptions(o: TaskOptions): void {
  if (o.key !== undefined && (typeof o.key !== "string" || o.key === "")) {
    throw new TypeError(`a task key must be a non-empty string`);
  }
  if (
    o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)
  ) {
    throw new RangeError(`retries must be an integer >= 0, got ${o.retries}`);
  }
  if (o.timeout !== undefined && !(o.timeout > 0)) {
    throw new RangeError(`timeout must be > 0 ms, got ${o.timeout}`);
  }
  if (o.priority !== undefined && !Number.isFinite(o.priority)) {
    throw new RangeError(`priority must be a finite number, got ${o.priority}`);
  }
  if (
    o.workers !== undefined &&
    !(Array.isArray(o.workers) && o.workers.length > 0 &&
      o.workers.every((w) => typeof w === "string"))
  ) {
    throw new TypeError("workers must be a non-empty list of node names");
  }
  if (o.resources !== undefined && !validResources(o.resources)) {
    throw new TypeError(
      "resources must map names to amounts >= 0, as { GPU: 1 }",
    );
  }
}

/** Whether `r` maps resource names to finite amounts >= 0. */
export function validResources(r: unknown): r is Record<string, number> {
  return typeof r === "object" && r !== null && !Array.isArray(r) &&
    Object.values(r).every((v) =>
      typeof v === "number" && v >= 0 && Number.isFinite(v)
    );
}
