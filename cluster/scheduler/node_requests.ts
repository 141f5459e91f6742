/**
 * Requests the scheduler makes of a node on its connection, each answered
 * once: `{ t: "logs", id, lines }` (the last lines of its log) and
 * `{ t: "reload", id }` (re-import its task modules). The node answers `{
 * t: "reply", id, value }` or `{ t: "reply", id, error }`. Every request
 * has a deadline; an answer is checked before it is used (see
 * `validLogLines`); a node that answers late, never, or with nonsense
 * fails that request with a `WorkerRequestError`, and nothing else.
 *
 * @module
 */

import type { FramedConnection } from "../wire/framing.ts";
import { WorkerRequestError } from "../wire/worker_request_error.ts";
import { LINE_CHARS, LOG_LINES, type LogLine } from "../graph/worker_log.ts";

/** How long a node has to answer, by default, in ms. */
export const NODE_REQUEST_MS = 5_000;

/** Requests to one node, and where its answers go. */
export interface NodeRequests {
  /**
   * Send `message` (an `id` is added) and resolve to the node's answer,
   * checked by `check` (which throws on a malformed one), within `ms`.
   */
  ask<T>(
    message: Record<string, unknown>,
    ms: number,
    check: (value: unknown) => T,
  ): Promise<T>;
  /** Whether `value` was a node's answer (then it has been handled). */
  answered(value: unknown): boolean;
  /** The node left: every request in flight fails. */
  close(): void;
}

/** Requests to the node `name` on `conn`. */
export function nodeRequests(
  conn: FramedConnection,
  name: string,
): NodeRequests {
  let seq = 0;
  const pending = new Map<
    number,
    { settle: (value: unknown, error?: WorkerRequestError) => void }
  >();
  return {
    ask<T>(
      message: Record<string, unknown>,
      ms: number,
      check: (value: unknown) => T,
    ): Promise<T> {
      const { promise, resolve, reject } = Promise.withResolvers<T>();
      if (conn.isClosed) {
        reject(new WorkerRequestError("gone", name, "it has left"));
        return promise;
      }
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new WorkerRequestError(
            "timeout",
            name,
            `no answer to "${message.t}" within ${ms} ms`,
          ),
        );
      }, ms);
      pending.set(id, {
        settle: (value, error) => {
          clearTimeout(timer);
          pending.delete(id);
          if (error !== undefined) return reject(error);
          try {
            resolve(check(value));
          } catch (e) {
            reject(
              new WorkerRequestError(
                "malformed",
                name,
                `a malformed answer to "${message.t}": ${(e as Error).message}`,
              ),
            );
          }
        },
      });
      conn.send({ ...message, id });
      return promise;
    },
    answered(value) {
      const m = value as { t?: unknown; id?: unknown; error?: unknown };
      if (m?.t !== "reply") return false;
      const p = typeof m.id === "number" ? pending.get(m.id) : undefined;
      if (p === undefined) return true; // (late: its asker has given up)
      if (m.error !== undefined) {
        p.settle(
          undefined,
          new WorkerRequestError(
            "failed",
            name,
            typeof m.error === "string"
              ? m.error.slice(0, LINE_CHARS)
              : "it could not, and said nothing readable",
          ),
        );
      } else p.settle((m as { value?: unknown }).value);
      return true;
    },
    close() {
      for (const p of [...pending.values()]) {
        p.settle(
          undefined,
          new WorkerRequestError("gone", name, "it left before answering"),
        );
      }
    },
  };
}

/**
 * `value` as log lines, if it is at most `max` of them, each a time, a
 * known level and a text of at most `LINE_CHARS` characters; else it
 * throws, saying what is wrong.
 */
export function validLogLines(value: unknown, max: number): LogLine[] {
  if (!Array.isArray(value)) throw new TypeError("not a list of lines");
  if (value.length > Math.min(max, LOG_LINES)) {
    throw new TypeError(`${value.length} lines, for at most ${max}`);
  }
  return value.map((l, i) => {
    const { time, level, text } = (l ?? {}) as Record<string, unknown>;
    if (
      typeof time !== "number" || !Number.isFinite(time) ||
      (level !== "info" && level !== "error") ||
      typeof text !== "string" || text.length > LINE_CHARS
    ) {
      throw new TypeError(
        `line ${i} is not { time, level: "info" | "error", text } of at most ${LINE_CHARS} characters`,
      );
    }
    return { time, level, text };
  });
}
