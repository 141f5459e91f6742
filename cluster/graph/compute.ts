/**
 * `compute(outputs)`: run a graph and get its values in the shape it was
 * given, on a scheduler made for the call (and closed after it) unless the
 * options name one. The one place that makes that default scheduler:
 * array/ and dataframe/ `compute()` use it too.
 *
 * @module
 */

import { ActorSystem } from "../../actors/system.ts";
import type { Computed, SchedulerOptions } from "./scheduler.ts";
import type { Delayed } from "./delayed.ts";
import type { Future } from "./future.ts";

/**
 * What runs a graph: a `Scheduler` (createScheduler) or a cluster `Client`
 * (connect). Both have these methods; the graph layer names neither's class
 * so that it need not import the cluster.
 *
 * @example
 * ```ts
 * import { ActorSystem, createScheduler } from "@troupe/troupe";
 * import type { GraphRunner } from "./compute.ts";
 * await using system = new ActorSystem();
 * await using scheduler = createScheduler(system, { placement: "inline" });
 * const runner: GraphRunner = scheduler;
 * console.log(await runner.compute(1)); // [1]
 * ```
 */
export interface GraphRunner {
  /** The values of `outputs`, in their shapes. */
  compute<T extends readonly unknown[]>(...outputs: T): Promise<Computed<T>>;
  /** Start `outputs` and hold their results on the workers. */
  persist<T extends readonly (Delayed<unknown> | Future<unknown>)[]>(
    ...outputs: T
  ): unknown;
}

/**
 * Where `compute` runs (internal: `compute`'s signature spells it out; the
 * array and dataframe `compute()` take it too).
 */
export type ComputeOptions = NonNullable<Parameters<typeof compute>[1]>;

/**
 * Run `use` with the runner `options` name, or with one made for the call
 * and closed after it (with its actor system).
 */
export async function withRunner<T>(
  options: ComputeOptions | undefined,
  use: (runner: GraphRunner) => Promise<T>,
  made: { callerWorkers?: number } = {},
): Promise<T> {
  const given = options?.scheduler;
  if (given !== undefined) {
    if (
      typeof (given as Partial<GraphRunner>).compute !== "function" ||
      typeof (given as Partial<GraphRunner>).persist !== "function"
    ) {
      throw new TypeError(
        "scheduler must be a Scheduler (createScheduler) or a cluster Client (connect)",
      );
    }
    return await use(given);
  }
  // Imported here, not above: a worker that imports task modules which
  // import this one never needs the scheduler.
  const { createScheduler } = await import("./scheduler.ts");
  await using system = new ActorSystem();
  const { withCallerWorkers } = await import("./caller_workers.ts");
  const settings = {
    placement: options?.placement ?? "worker",
    workers: options?.workers,
    permissions: options?.permissions,
  } as const;
  // A collection's default may put a worker on this thread: it starts on
  // the tasks at once, while the worker hosts start (100 ms and more each).
  await using scheduler = createScheduler(
    system,
    options?.placement === undefined && made.callerWorkers
      ? withCallerWorkers(settings, made.callerWorkers)
      : settings,
  );
  return await use(scheduler);
}

/**
 * The value of `output`, in its shape: a delayed value or a future gives
 * its value; an array or a plain object of them gives the same array or
 * object of values (nested structures are resolved inside); anything else
 * is returned as it is. Runs on `options.scheduler` (a scheduler or a
 * cluster client you keep open) when given, else on a scheduler made for
 * the call (of `placement`, `workers` and `permissions`) and shut down
 * after it.
 *
 * @example
 * ```ts
 * import { compute, defineTasks, delayed } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   square: (x: number) => x * x,
 * });
 * const sq = delayed(t.square);
 * const here = { placement: "inline" } as const;
 * assert.equal(await compute(sq(3), here), 9);
 * assert.deepEqual(await compute([sq(1), sq(2)], here), [1, 4]);
 * assert.deepEqual(await compute({ a: sq(4), b: 5 }, here), { a: 16, b: 5 });
 * ```
 */
export async function compute<T>(
  output: T,
  options?: {
    /** A scheduler or cluster client to run on (it stays open). */
    scheduler?: {
      /** The values of `outputs`, in their shapes. */
      compute<T extends readonly unknown[]>(
        ...outputs: T
      ): Promise<Computed<T>>;
      /** Start `outputs` and hold their results on the workers. */
      persist<T extends readonly (Delayed<unknown> | Future<unknown>)[]>(
        ...outputs: T
      ): unknown;
    };
    /** The placement of the scheduler made for the call (default `worker`). */
    placement?: SchedulerOptions["placement"];
    /** Its workers (default: one per core). */
    workers?: number;
    /** Permissions of its worker and process hosts (read access to task modules). */
    permissions?: SchedulerOptions["permissions"];
  },
): Promise<Computed<T>> {
  return await withRunner(options, async (runner) => {
    const [value] = await runner.compute(output);
    return value as Computed<T>;
  });
}
