/**
 * The log lines of the long-running commands (`troupe scheduler`): one line
 * per event, with a timestamp and a level, as text for a terminal or as
 * one JSON object per line for a log collector. Lines below the chosen
 * level are not written.
 *
 * @module
 */

import { escapeControl } from "../../actors/preview.ts";

/**
 * How much a log says, from least to most.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./log.ts";
 * const level: LogLevel = "info";
 * ```
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

/**
 * The levels, least first (what `--log-level` takes).
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from "./log.ts";
 * console.log(LOG_LEVELS.join("|")); // error|warn|info|debug
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = [
  "error",
  "warn",
  "info",
  "debug",
];

/**
 * How a line is written: `text` (`2026-01-01T00:00:00.000Z info node-1
 * joined ...`) or `json` (`{"time":...,"level":...,"msg":...,...fields}`).
 *
 * @example
 * ```ts
 * import type { LogFormat } from "./log.ts";
 * const format: LogFormat = "json";
 * ```
 */
export type LogFormat = "text" | "json";

/**
 * Writes log lines at or above its level.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger({ level: "info", write: () => {} });
 * log.info("node joined", { node: "node-1" });
 * ```
 */
export interface Logger {
  /** Log `msg` (with `fields`) at `level`. */
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Log at `error`. */
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Log at `warn`. */
  warn(msg: string, fields?: Record<string, unknown>): void;
  /** Log at `info`. */
  info(msg: string, fields?: Record<string, unknown>): void;
  /** Log at `debug`. */
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean;
}

/**
 * What a logger writes, and where.
 *
 * @example
 * ```ts
 * import type { LoggerOptions } from "./log.ts";
 * const options: LoggerOptions = { level: "debug", format: "json" };
 * ```
 */
export interface LoggerOptions {
  /** The least severe level written (default `info`). */
  level?: LogLevel;
  /** `text` (default) or `json`. */
  format?: LogFormat;
  /** Where each line goes, without its newline (default: stderr). */
  write?: (line: string) => void;
  /** The clock (default `Date.now`). */
  now?: () => number;
}

/** The longest a field's text may be in a line: a peer's words are bounded. */
const FIELD_CHARS = 2_000;

/**
 * A logger for `options`.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const log = createLogger({
 *   level: "warn",
 *   format: "json",
 *   write: (l) => lines.push(l),
 *   now: () => 0,
 * });
 * log.info("not written");
 * log.warn("node lost", { node: "n1" });
 * assert.deepEqual(JSON.parse(lines[0]), {
 *   time: "1970-01-01T00:00:00.000Z",
 *   level: "warn",
 *   msg: "node lost",
 *   node: "n1",
 * });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const json = options.format === "json";
  const write = options.write ?? writeStderr;
  const now = options.now ?? Date.now;
  const enabled = (level: LogLevel) => LOG_LEVELS.indexOf(level) <= threshold;
  const log = (
    level: LogLevel,
    msg: string,
    fields: Record<string, unknown> = {},
  ) => {
    if (!enabled(level)) return;
    const time = new Date(now()).toISOString();
    if (json) {
      const entry: Record<string, unknown> = { time, level, msg: bound(msg) };
      for (const [k, v] of Object.entries(fields)) {
        if (k in entry || v === undefined) continue;
        entry[k] = typeof v === "string" ? bound(v) : v;
      }
      write(JSON.stringify(entry));
      return;
    }
    // A line of text: what a peer said is kept to its printable characters.
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${quote(v)}`).join("");
    write(
      `${time} ${level.padEnd(5)} ${escapeControl(bound(msg))}${extra}`,
    );
  };
  return {
    log,
    enabled,
    error: (m, f) => log("error", m, f),
    warn: (m, f) => log("warn", m, f),
    info: (m, f) => log("info", m, f),
    debug: (m, f) => log("debug", m, f),
  };
}

/** `text` cut to `FIELD_CHARS`. */
function bound(text: string): string {
  return text.length <= FIELD_CHARS
    ? text
    : `${text.slice(0, FIELD_CHARS)}... (${text.length} chars)`;
}

/** A field's value in a text line: bare when it is one plain word. */
function quote(v: unknown): string {
  const text = typeof v === "string" ? bound(v) : JSON.stringify(v) ?? "";
  return /^[\w.:/@\-\[\]]+$/.test(text)
    ? text
    : JSON.stringify(escapeControl(text));
}

const encoder = new TextEncoder();

/** A line on stderr (written whole, so lines of two writers do not mix). */
function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}
