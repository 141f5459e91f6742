/**
 * What an operator asks of the worker nodes themselves, through the
 * scheduler: the last lines of a node's log (`Cluster.workerLogs`, `troupe
 * logs`, the dashboard's logs panel), and a reload of their task modules
 * (`Cluster.restartWorkers`, `troupe restart`). Each is a request on the
 * node's connection with a deadline (see `node_requests.ts`).
 *
 * @module
 */

import { LOG_LINES } from "../graph/worker_log.ts";
import { isNodeNamed } from "../graph/task_placement.ts";
import { WorkerRequestError } from "../wire/worker_request_error.ts";
import {
  NODE_REQUEST_MS,
  type NodeRequests,
  validLogLines,
} from "./node_requests.ts";

/**
 * A line of a worker's log, with the worker (the thread, for a node of
 * several) it came from.
 *
 * @example
 * ```ts
 * import type { WorkerLogLine } from "./worker_ops.ts";
 * const show = (l: WorkerLogLine) => `${new Date(l.time).toISOString()} ${l.worker} ${l.text}`;
 * ```
 */
export interface WorkerLogLine {
  /** The member it came from. */
  readonly worker: string;
  /** When it was written, in ms since the epoch. */
  readonly time: number;
  /** `info` (the node's logger) or `error` (a task that failed there). */
  readonly level: "info" | "error";
  /** What was written, at most 1,000 characters. */
  readonly text: string;
}

/**
 * What `restartWorkers` did: the workers that reloaded their task modules,
 * and those that did not (their error: no answer in time, say).
 *
 * @example
 * ```ts
 * import type { RestartResult } from "./worker_ops.ts";
 * const ok = (r: RestartResult) => r.failed.length === 0;
 * ```
 */
export interface RestartResult {
  /** The workers that reloaded. */
  readonly reloaded: string[];
  /** The workers that did not, and why. */
  readonly failed: { readonly worker: string; readonly error: string }[];
}

/** A member as these requests need it. */
interface Asked {
  name: string;
  requests: NodeRequests;
}

/** A request's deadline, checked (a client may send anything). */
function deadline(ms: unknown): number {
  if (ms === undefined) return NODE_REQUEST_MS;
  if (typeof ms !== "number" || !(ms > 0 && ms <= 600_000)) {
    throw new RangeError(
      `timeoutMs must be a number of ms above 0 and at most 600,000, got ${
        String(ms).slice(0, 40)
      }`,
    );
  }
  return ms;
}

/**
 * The last `lines` lines (default 100, at most `LOG_LINES`) of the log of
 * the node called `name` (all its threads, merged by time), asked of it
 * now; rejects with a `WorkerRequestError` when no node has that name or
 * one does not answer in time, or answers with nonsense.
 */
export async function workerLogs(
  members: Iterable<Asked>,
  name: string,
  options: { lines?: number; timeoutMs?: number } = {},
): Promise<WorkerLogLine[]> {
  const lines = options.lines ?? 100;
  if (!Number.isInteger(lines) || lines < 1 || lines > LOG_LINES) {
    throw new RangeError(
      `lines must be a whole number from 1 to ${LOG_LINES}, got ${
        String(lines).slice(0, 40)
      }`,
    );
  }
  const ms = deadline(options.timeoutMs);
  if (typeof name !== "string") throw new TypeError("a worker's name, please");
  const asked = [...members].filter((m) => isNodeNamed(m.name, name));
  if (asked.length === 0) {
    throw new WorkerRequestError(
      "unknown-worker",
      name.slice(0, 300),
      "no worker of that name in the cluster",
    );
  }
  const each = await Promise.all(asked.map(async (m) =>
    (await m.requests.ask(
      { t: "logs", lines },
      ms,
      (v) => validLogLines(v, lines),
    )).map((l) => ({ ...l, worker: m.name }))
  ));
  return each.flat().sort((a, b) => a.time - b.time).slice(-lines);
}

/**
 * Every node re-imports its task modules (fresh copies): tasks started
 * from now on run the new code; tasks running finish on the old. Resolves
 * once each has answered, or not in time.
 */
export async function restartWorkers(
  members: Iterable<Asked>,
  options: { timeoutMs?: number } = {},
): Promise<RestartResult> {
  const ms = deadline(options.timeoutMs);
  const all = [...members];
  const results = await Promise.allSettled(
    all.map((m) => m.requests.ask({ t: "reload" }, ms, () => true)),
  );
  const reloaded: string[] = [];
  const failed: { worker: string; error: string }[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") reloaded.push(all[i].name);
    else failed.push({ worker: all[i].name, error: String(r.reason?.message) });
  });
  return { reloaded, failed };
}
