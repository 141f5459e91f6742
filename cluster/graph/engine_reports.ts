/**
 * Where the graph workers' reports reach the worker engine: the reports
 * actor of one engine, the random ids reports name their worker by, and
 * the reading of what a peer sent (a remote error rebuilt, any value cut
 * short for a log line). Everything here may come from a bad peer.
 *
 * @module
 */

import { errorFromInfo } from "../../actors/errors.ts";
import { defineActor } from "../../actors/behavior.ts";
import type { GraphReports } from "./graph_worker.ts";

/** The longest reason logged for a worker that broke the protocol. */
export const REASON_CHARS = 200;

/** What the reports actor hands the engine (checked there: peers send them). */
export interface ReportSink {
  done(msg: unknown): void;
  failed(msg: unknown): void;
  skipped(msg: unknown): void;
  pulled(msg: unknown): void;
  memory(msg: unknown): void;
}

/** Receives the graph workers' reports for one engine, in this isolate. */
export const Reports = defineActor<ReportSink, ReportSink, GraphReports>({
  name: "troupe.graph-reports",
  module: import.meta.url,
  init: (sink) => sink,
  handlers: {
    done: (sink, msg) => (sink as ReportSink).done(msg),
    failed: (sink, msg) => (sink as ReportSink).failed(msg),
    skipped: (sink, msg) => (sink as ReportSink).skipped(msg),
    pulled: (sink, msg) => (sink as ReportSink).pulled(msg),
    memory: (sink, msg) => (sink as ReportSink).memory(msg),
  },
  onError: "resume",
});

/** A random whole number below 2^53. */
export function randomId(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi & 0x1fffff) * 2 ** 32 + lo;
}

/** A peer's value, short enough for a log line. */
export function brief(x: unknown): string {
  let text: string;
  try {
    text = typeof x === "string"
      ? JSON.stringify(x.slice(0, 80))
      : Array.isArray(x)
      ? `an array of ${x.length}`
      : x === null || typeof x !== "object"
      ? String(x).slice(0, 80)
      : `an object with keys ${
        Object.keys(x).slice(0, 8).join(",").slice(0, 80)
      }`;
  } catch {
    text = typeof x;
  }
  return text;
}

/** The error a remote worker reported (its `ErrorInfo`), rebuilt. */
export function errorFromWorker(detail: unknown): Error {
  const info = detail as { name?: unknown; message?: unknown; stack?: unknown };
  if (
    info !== null && typeof info === "object" &&
    typeof info.name === "string" && typeof info.message === "string"
  ) {
    return errorFromInfo({
      name: info.name,
      message: info.message,
      stack: typeof info.stack === "string" ? info.stack : undefined,
    });
  }
  return new Error(`a task failed with ${brief(detail)}`);
}
