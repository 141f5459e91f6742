/**
 * The checks of what graph workers report to their engine (a node may send
 * anything). Each says why a report is malformed, or is undefined when it
 * is well formed: the engine then reads the report where it is (nothing is
 * made per report on its hot path). A worker that sends a malformed report
 * is dropped by the engine; a report that names no worker is only logged,
 * now and then.
 *
 * @module
 */

import { brief } from "./engine_reports.ts";
import { type MemoryStatus, memoryStatus } from "../memory/worker_memory.ts";
import type { EngineCore } from "./engine_core.ts";

/** Why a done report (`[id, seq, size, ms]`) is malformed, or undefined. */
export function badDone(m: unknown[]): string | undefined {
  const size = m[2];
  const ms = m[3];
  if (
    m.length !== 4 || typeof size !== "number" || typeof ms !== "number" ||
    !(ms >= 0 && ms < Infinity)
  ) {
    return `a malformed done report (${brief(m)})`;
  }
  return undefined;
}

/**
 * Why a failed report (`[id, seq, why, detail]`, where a `missing` input's
 * detail is its key) is malformed, or undefined.
 */
export function badFailed(m: unknown[]): string | undefined {
  const why = m[2];
  const ok = m.length === 4 &&
    (why === "error" || why === "timeout" ||
      (why === "missing" && typeof m[3] === "string"));
  return ok ? undefined : `a malformed failed report (${brief(m)})`;
}

/**
 * Why a skipped report (`[id, seqs]`) is malformed, or undefined: every
 * run it names must be one of the worker's `running` ones.
 */
export function badSkipped(
  m: unknown[],
  running: ReadonlyMap<number, unknown>,
): string | undefined {
  const seqs = m[1];
  if (
    m.length !== 2 || !Array.isArray(seqs) ||
    !seqs.every((x) => typeof x === "number" && running.has(x))
  ) {
    return `a malformed skipped report (${brief(m)})`;
  }
  return undefined;
}

/**
 * The memory status a memory report (`[id, ...status]`) carries, or why it
 * is malformed.
 */
export function memoryReport(m: unknown[]): MemoryStatus | string {
  return memoryStatus(m.slice(1)) ?? `a malformed memory report (${brief(m)})`;
}

/**
 * Why a pulled report (`[id, req, error?, kind?]`) is malformed, or
 * undefined: `req` must be a pull number given so far (up to `lastPull`).
 */
export function badPulled(
  m: unknown[],
  lastPull: number,
): string | undefined {
  const [, req, error, kind] = m;
  if (
    typeof req !== "number" || !(req > 0 && req <= lastPull) ||
    m.length > 4 || (kind !== undefined && kind !== "crossing") ||
    (error !== undefined && error !== null && typeof error !== "string")
  ) {
    return `a malformed pulled report (${brief(m)})`;
  }
  return undefined;
}

/**
 * A `what` report named no worker: whose it is cannot be told, so it is
 * ignored, and logged now and then (a peer that sends them by the million
 * must not flood the log).
 */
export function unattributedReport(
  core: Pick<EngineCore, "unattributed" | "logger">,
  msg: unknown,
  what: string,
): void {
  const n = ++core.unattributed;
  if (n <= 10 || n % 10_000 === 0) {
    core.logger(
      `a graph worker sent a malformed ${what} report (${n} so far): ignored (${
        brief(msg)
      })`,
    );
  }
}
