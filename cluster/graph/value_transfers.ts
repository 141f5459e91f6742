/**
 * Moving values between the worker engine's workers: pulls from one node's
 * data server to another under way, the error of a value whose worker is
 * gone, telling a value that cannot cross to a host, and the bandwidth
 * measured from what moved (which work stealing weighs).
 *
 * @module
 */

import { HandlerError } from "../../actors/errors.ts";
import { CrossingError } from "../../actors/hosts/codec.ts";
import type { WorkerRecord } from "./engine_records.ts";

/** Bytes per ms a value is taken to move at before any is measured (100 MB/s). */
export const DEFAULT_BYTES_PER_MS = 100_000;
/** Values smaller than this move in about a round trip: their speed is not measured. */
const MEASURED_BYTES = 256 * 1024;

/**
 * The bandwidth (bytes per ms) seen once a value of `bytes` took `ms` to
 * move, from the one seen before (small values are not measured).
 */
export function nextBandwidth(
  bandwidth: number,
  bytes: number,
  ms: number,
): number {
  if (bytes < MEASURED_BYTES || !(ms > 0)) return bandwidth;
  return 0.7 * bandwidth + 0.3 * (bytes / ms);
}

/** A pull of a value to one node from another's data server, under way. */
export interface Pull {
  resolve: () => void;
  reject: (e: Error) => void;
  from: WorkerRecord;
  to: WorkerRecord;
}

/** A value that could not reach a worker because one of the two is gone. */
export class WorkerGone extends Error {}

/**
 * Why a value could not be moved, when it failed because it cannot cross
 * to the other host (it is still where it was, and trying again will not
 * help); else undefined.
 */
export function cannotCross(e: unknown): string | undefined {
  if (e instanceof CrossingError) return e.message;
  if (e instanceof HandlerError && e.original.name === "CrossingError") {
    return e.original.message;
  }
  return undefined;
}

/** `work` settled, or `ms` passed (whichever comes first). */
export async function deadline(
  work: Promise<unknown>,
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    work,
    new Promise<void>((resolve) =>
      timer = setTimeout(resolve, Math.max(0, ms))
    ),
  ]);
  clearTimeout(timer);
}
