/**
 * The one door from arrays to troupe's task graphs: everything the array
 * package uses of `cluster/` and `actors/` comes through here, so that a
 * move of those folders changes this file only.
 *
 * @module
 */

import { ActorSystem } from "../actors/system.ts";
export { preview } from "../actors/preview.ts";
import { defineTasks, type Task } from "../actors/pool/tasks.ts";
import { transfer } from "../actors/transfer.ts";
// The graph files themselves, not cluster/mod.ts: workers import the array
// tasks, and through this file they would load all of the cluster (TCP,
// dashboard, cluster-wide sync) for nothing.
import { Delayed } from "../cluster/graph/delayed.ts";
import type { Future } from "../cluster/graph/future.ts";
import {
  type DepSite,
  KEY,
  type Keyed,
  tokenize as tokenizeValues,
} from "../cluster/graph/keys.ts";
import type {
  Scheduler,
  SchedulerOptions,
} from "../cluster/graph/scheduler.ts";
import type { Client } from "../cluster/client/client.ts";
import {
  type ComputeOptions as GraphComputeOptions,
  withRunner as withGraphRunner,
} from "../cluster/graph/compute.ts";

export { ActorSystem, defineTasks, Delayed, KEY, transfer };
export type { Client, Future, Keyed, Scheduler, SchedulerOptions, Task };

/** Whether `x` is a lazy value of the graphs (a `Delayed` or a `Future`). */
export function isKeyed(x: unknown): x is Keyed {
  return typeof x === "object" && x !== null && KEY in x;
}

/** The key of a lazy value. */
export function keyOf(x: Keyed): string {
  return x[KEY];
}

/**
 * A graph node with an explicit key: `task(...args)`, where the lazy values
 * among `args` (top level only) are its dependencies. Built directly, so
 * that no argument (a chunk of data, a program) is hashed again.
 */
export function taskNode<T>(
  key: string,
  task: Task,
  args: readonly unknown[],
): Delayed<T> {
  const deps: DepSite[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (isKeyed(a)) deps.push({ path: [i], ref: a });
  }
  return new Delayed<T>(key, task, args, deps, {});
}

/** A deterministic token (a 128-bit hash) of the parts, in order. */
export function tokenize(...parts: readonly (string | number)[]): string {
  return tokenizeValues(...parts);
}

/** A deterministic token of binary data (every byte counts). */
export function tokenizeData(data: ArrayBufferView): string {
  return tokenizeValues("troupe.array.data", data);
}

/**
 * What computes graphs: a local `Scheduler` or a cluster `Client` (both
 * have `compute` and `persist`).
 */
export interface GraphRunner {
  /** Compute lazy values; their values in order. */
  compute(...outputs: readonly unknown[]): Promise<unknown>;
  /** Start computing and keep the results where they are: futures. */
  persist(...outputs: readonly Delayed<unknown>[]): unknown;
}

/**
 * Where a computation runs: `scheduler` (a `Scheduler` or a cluster
 * `Client`); without it, a scheduler made for the call and closed after
 * it, with `placement` and `workers`. By default (no `placement`) that is
 * one worker per core: one on the caller's thread, which starts on the
 * tasks at once, the others on Web Workers, started when the work left
 * after the first 100 ms is worth it (a short computation never waits for
 * or pays for one), which take work from it once they are up.
 *
 * @example
 * ```ts
 * import type { ComputeOptions } from "@troupe/troupe/array";
 * const here: ComputeOptions = { placement: "inline" };
 * ```
 */
export interface ComputeOptions {
  /** A scheduler or cluster client to run on (it stays open). */
  scheduler?: Scheduler | Client;
  /** The placement of the scheduler made for the call (default `worker`). */
  placement?: SchedulerOptions["placement"];
  /** Its workers (default: one per core). */
  workers?: number;
}

/**
 * Run `use` with the runner `options` name, or with one made for the call
 * and closed after it (with its actor system): the graph layer's default.
 */
export async function withRunner<T>(
  options: ComputeOptions | undefined,
  use: (runner: GraphRunner) => Promise<T>,
): Promise<T> {
  return await withGraphRunner(
    options as GraphComputeOptions | undefined,
    (runner) => use(runner as unknown as GraphRunner),
    { callerWorkers: 1 },
  );
}
