/**
 * Why a request the scheduler makes of a worker node (its logs, a reload
 * of its task modules) failed.
 *
 * @module
 */

/**
 * What went wrong with a request to a worker: it did not answer within
 * the deadline (`timeout`), answered with something malformed
 * (`malformed`), said it could not (`failed`), left before answering
 * (`gone`), or no worker has that name (`unknown-worker`).
 *
 * @example
 * ```ts
 * import type { WorkerRequestErrorCode } from "./worker_request_error.ts";
 * const code: WorkerRequestErrorCode = "timeout";
 * ```
 */
export type WorkerRequestErrorCode = WorkerRequestError["code"];

/**
 * A request to a worker node failed: `code` says how, `worker` names it.
 *
 * @example
 * ```ts
 * import { WorkerRequestError } from "@troupe/troupe/cluster";
 * const e = new WorkerRequestError("timeout", "w1", "no answer within 5000 ms");
 * console.log(e.message); // "worker w1: no answer within 5000 ms"
 * ```
 */
export class WorkerRequestError extends Error {
  /**
   * How it failed: no answer within the deadline (`timeout`), an answer
   * that is malformed (`malformed`), the worker said it could not
   * (`failed`), it left before answering (`gone`), or no worker has that
   * name (`unknown-worker`).
   */
  readonly code:
    | "timeout"
    | "malformed"
    | "failed"
    | "gone"
    | "unknown-worker";
  /** The worker asked. */
  readonly worker: string;
  /**
   * The error `code` of a request to `worker`, and `why` in words.
   *
   * @example
   * ```ts
   * import { WorkerRequestError } from "@troupe/troupe/cluster";
   * console.log(new WorkerRequestError("gone", "w1", "it left").code); // "gone"
   * ```
   */
  constructor(code: WorkerRequestError["code"], worker: string, why: string) {
    super(`worker ${worker}: ${why}`);
    this.name = "WorkerRequestError";
    this.code = code;
    this.worker = worker;
  }
}

const CODES = new Set([
  "timeout",
  "malformed",
  "failed",
  "gone",
  "unknown-worker",
]);

/**
 * A `WorkerRequestError` as a client rebuilds it from the scheduler's
 * answer (`{ name, message, code, stack }`), its worker read off the
 * message.
 *
 * @example
 * ```ts
 * import { workerRequestErrorFromWire } from "./worker_request_error.ts";
 * const e = workerRequestErrorFromWire({ message: "worker w1: no answer", code: "timeout" });
 * console.log(e.code, e.worker); // "timeout" "w1"
 * ```
 */
export function workerRequestErrorFromWire(
  sent: { message: string; code?: unknown },
): WorkerRequestError {
  const code = typeof sent.code === "string" && CODES.has(sent.code)
    ? sent.code as WorkerRequestErrorCode
    : "failed";
  const match = /^worker (.*?): (.*)$/s.exec(sent.message);
  const e = new WorkerRequestError(
    code,
    match?.[1] ?? "?",
    match?.[2] ?? sent.message,
  );
  e.message = sent.message;
  return e;
}
