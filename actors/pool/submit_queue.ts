/**
 * A pool's submits that wait: those held in the pool past `SEND_AHEAD` per
 * runner (so that 100,000 submits at once do not keep 100,000 envelopes
 * and pending asks alive), and those waiting for room in a full queue
 * (`whenFull: "wait"`), in order, where an aborted one leaves its place.
 *
 * @module
 */

import type { Deque } from "../deque.ts";
import type { Task } from "./tasks.ts";

/** Plain submits out at once per runner; the rest wait in the pool. */
export const SEND_AHEAD = 128;

/** A plain submit waiting for one of the sent ones to settle. */
export interface HeldSubmit {
  task: Task<unknown[], unknown>;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** A submit waiting for room in the queue. */
export interface RoomWaiter {
  go: () => void;
  /** Aborted: skipped when its turn comes. */
  gone: boolean;
}

/** Wait in `waiting` for room in the queue (or for the signal). */
export function waitForRoom(
  waiting: Deque<RoomWaiter>,
  signal?: AbortSignal,
): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const entry: RoomWaiter = {
    gone: false,
    go: () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    },
  };
  const abort = () => {
    entry.gone = true; // skipped when its turn comes
    reject(signal!.reason);
  };
  signal?.addEventListener("abort", abort, { once: true });
  waiting.push(entry);
  return promise;
}

/** Let the next submit waiting for room in. */
export function letNextIn(waiting: Deque<RoomWaiter>): void {
  while (waiting.length > 0) {
    const entry = waiting.shift()!;
    if (!entry.gone) return entry.go();
  }
}
