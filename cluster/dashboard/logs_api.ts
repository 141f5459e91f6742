/**
 * `GET /api/logs?worker=NAME&lines=N` on the dashboard: the last `N`
 * (default 100, at most 500) lines of a worker's log as `{ worker, lines
 * }`, asked of the node now with a deadline (4 s: within the page's
 * patience, and within the server's write deadline). A name no node has is
 * 404, a node that does not answer in time 504, one that answers badly or
 * leaves 502, a bad query 400; each with `{ error }` saying why.
 *
 * @module
 */

import type { HttpResponse } from "./dashboard_http.ts";
import { WorkerRequestError } from "../wire/worker_request_error.ts";

/** What the logs are asked of: a `Cluster` (see `DashboardSource`). */
interface LogsSource {
  workerLogs?(
    name: string,
    options: { lines?: number; timeoutMs?: number },
  ): Promise<unknown[]>;
}

/** How long a node has to answer the dashboard, in ms. */
const LOGS_MS = 4_000;

const STATUS_OF: Record<string, number> = {
  "unknown-worker": 404,
  timeout: 504,
  malformed: 502,
  failed: 502,
  gone: 502,
};

function json(status: number, body: unknown): HttpResponse {
  return {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
    },
    body: JSON.stringify(body),
  };
}

/** The answer to `/api/logs` at `url` from `source`. */
export async function logsResponse(
  source: LogsSource,
  url: URL,
): Promise<HttpResponse> {
  const worker = url.searchParams.get("worker");
  if (worker === null || worker === "" || worker.length > 300) {
    return json(400, {
      error: "say which worker: ?worker=NAME (up to 300 characters)",
    });
  }
  const text = url.searchParams.get("lines") ?? "100";
  const lines = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(lines >= 1 && lines <= 500)) {
    return json(400, { error: `lines: a whole number from 1 to 500` });
  }
  if (source.workerLogs === undefined) {
    return json(501, { error: "this dashboard cannot ask workers for logs" });
  }
  try {
    const got = await source.workerLogs(worker, { lines, timeoutMs: LOGS_MS });
    return json(200, { worker, lines: got });
  } catch (e) {
    if (e instanceof WorkerRequestError) {
      return json(STATUS_OF[e.code] ?? 502, { error: e.message, code: e.code });
    }
    return json(500, { error: String((e as Error)?.message ?? e) });
  }
}
