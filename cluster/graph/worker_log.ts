/**
 * A worker's own log, kept in memory for an operator to fetch: the last
 * `LOG_LINES` lines of this isolate (a node's logger, and the errors of
 * the tasks that failed here), each cut to `LINE_CHARS` characters. A node
 * of several threads keeps one per thread. Bounded both ways, so a chatty
 * node or a task that throws a megabyte of message costs at most about
 * `LOG_LINES * LINE_CHARS` characters.
 *
 * @module
 */

/** Lines kept, the oldest dropped first. */
export const LOG_LINES = 500;
/** Characters kept of a line (the rest is cut, and `...` says so). */
export const LINE_CHARS = 1_000;

/**
 * A line of a worker's log: when (ms since the epoch), how bad, and what.
 *
 * @example
 * ```ts
 * import type { LogLine } from "./worker_log.ts";
 * const line: LogLine = { time: 0, level: "info", text: "joined" };
 * ```
 */
export interface LogLine {
  /** When it was written, in ms since the epoch. */
  readonly time: number;
  /** `info` (the node's logger) or `error` (a task that failed here). */
  readonly level: "info" | "error";
  /** What was written, at most `LINE_CHARS` characters. */
  readonly text: string;
}

const ring: LogLine[] = [];
/** Where the next line goes once the ring is full. */
let next = 0;

/**
 * Add a line to this isolate's log.
 *
 * @example
 * ```ts
 * import { logLine, recentLines } from "./worker_log.ts";
 * logLine("info", "joined 127.0.0.1:8786 as w1");
 * console.log(recentLines(1)[0].text); // "joined 127.0.0.1:8786 as w1"
 * ```
 */
export function logLine(level: LogLine["level"], text: string): void {
  const line = {
    time: Date.now(),
    level,
    text: text.length > LINE_CHARS
      ? `${text.slice(0, LINE_CHARS - 3)}...`
      : text,
  };
  if (ring.length < LOG_LINES) ring.push(line);
  else {
    ring[next] = line;
    next = (next + 1) % LOG_LINES;
  }
}

/**
 * The last `count` lines of this isolate's log (all, up to `LOG_LINES`),
 * oldest first.
 *
 * @example
 * ```ts
 * import { recentLines } from "./worker_log.ts";
 * console.log(recentLines(50).length <= 50); // true
 * ```
 */
export function recentLines(count: number = LOG_LINES): LogLine[] {
  const ordered = ring.length < LOG_LINES
    ? ring
    : [...ring.slice(next), ...ring.slice(0, next)];
  const n = Math.max(0, Math.min(Math.floor(count), ordered.length));
  return n === 0 ? [] : ordered.slice(ordered.length - n);
}
