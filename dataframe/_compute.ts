/**
 * Where a dataframe's graph runs: a scheduler or a cluster client the
 * caller gives, or a local scheduler on this machine's cores (worker
 * hosts) made for the call and shut down after it. A task's error comes
 * back as the dataframe error it was (a malformed CSV field, a missing
 * column), its task failure as the cause.
 *
 * @module
 */

import { CsvParseError } from "./_csv_read.ts";
import { type HostPermissions, TaskFailedError } from "./_graph.ts";
import { withRunner as withGraphRunner } from "../cluster/graph/compute.ts";
import { ColumnNotFoundError, DTypeError } from "./_part.ts";
import type { Lazy } from "./_plan.ts";

/**
 * What computes a graph: a `Scheduler` (`createScheduler`) or a cluster
 * `Client` (`connect`, `localCluster(...).client()`): anything with their
 * `compute` and `persist`.
 */
export interface GraphRunner {
  /** Compute lazy values; their values in order. */
  compute(...outputs: unknown[]): Promise<unknown[]>;
  /** Start computing and keep the results where they are made: futures. */
  persist(...outputs: never[]): KeptResult[];
}

/** A result a runner keeps on its workers (a `Future`). */
export interface KeptResult {
  /** Its value, once computed. */
  result(): Promise<unknown>;
}

/**
 * Where and how `compute`, `persist` and the writers run.
 *
 * @example
 * ```ts
 * import type { ComputeOptions } from "@troupe/troupe/dataframe";
 * const options: ComputeOptions = { placement: "worker", workers: 2 };
 * ```
 */
export interface ComputeOptions {
  /**
   * Run on this scheduler or cluster client (left running). Without it, a
   * local scheduler is made for the call and closed after it.
   */
  scheduler?: GraphRunner;
  /** The local scheduler's placement (default `worker`: one Web Worker per core). */
  placement?: "worker" | "process" | "local" | "inline";
  /** The local scheduler's workers (default: one per core). */
  workers?: number;
  /** Permissions of the local scheduler's process hosts (read access to the data). */
  permissions?: HostPermissions;
}

/** Run `fn` with a graph runner: the given one, or a local one made for it. */
export async function withRunner<T>(
  options: ComputeOptions,
  fn: (
    run: (lazies: Lazy[]) => Promise<unknown[]>,
    runner: GraphRunner,
  ) => Promise<T>,
): Promise<T> {
  const given = options.scheduler;
  if (given !== undefined) {
    return await translate(() => fn(runWith(given), given));
  }
  const placement = options.placement ?? "worker";
  return await withGraphRunner({
    placement,
    workers: options.workers,
    permissions: placement === "process"
      ? withOwnFiles(options.permissions)
      : options.permissions,
  }, (made) => {
    const runner = made as unknown as GraphRunner;
    return translate(() => fn(runWith(runner), runner));
  });
}

/**
 * Folders a process host must read to run the dataframe's tasks: troupe's
 * (its tasks import the graph package, which imports the rest), added to
 * `permissions`.
 */
export const TASK_FOLDERS: readonly string[] = [
  new URL("../", import.meta.url),
].filter((u) => u.protocol === "file:").map((u) =>
  decodeURIComponent(u.pathname)
);

function withOwnFiles(p: HostPermissions = {}): HostPermissions {
  if (p.read === true) return p;
  return { ...p, read: [...(p.read || []), ...TASK_FOLDERS] };
}

function runWith(r: GraphRunner): (lazies: Lazy[]) => Promise<unknown[]> {
  return (lazies) =>
    lazies.length === 0 ? Promise.resolve([]) : r.compute(...lazies);
}

const CSV_MESSAGE = /^(.*):(\d+): column (\d+) \("(.*)"\): (.*)$/s;

/** A task's dataframe error as itself (its task failure as its cause). */
export function unwrap(e: unknown): unknown {
  if (!(e instanceof TaskFailedError)) return e;
  const cause = e.cause as Error | undefined;
  if (cause === undefined || typeof cause !== "object") return e;
  if (
    cause instanceof CsvParseError || cause instanceof ColumnNotFoundError ||
    cause instanceof DTypeError
  ) return cause;
  let out: Error | undefined;
  switch (cause.name) {
    case "CsvParseError": {
      const m = CSV_MESSAGE.exec(cause.message);
      if (m !== null) out = new CsvParseError(m[5], m[1], +m[2], +m[3], m[4]);
      break;
    }
    case "DTypeError":
      out = new DTypeError(cause.message);
      break;
    case "ColumnNotFoundError": {
      out = new Error(cause.message);
      Object.setPrototypeOf(out, ColumnNotFoundError.prototype);
      out.name = "ColumnNotFoundError";
      break;
    }
  }
  if (out === undefined) return e;
  if (cause.stack !== undefined) out.stack = cause.stack;
  Object.defineProperty(out, "cause", { value: e, configurable: true });
  return out;
}

async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw unwrap(e);
  }
}
