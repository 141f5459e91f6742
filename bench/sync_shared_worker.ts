/**
 * The worker side of `bench/sync_shared_bench.ts`: a plain Web Worker that
 * runs one lock loop when told to, and posts its time back.
 *
 * Each loop does `n` times: take the lock, read-increment-write a shared
 * counter (not atomically: a lock that does not exclude loses counts),
 * note whether the lock changed hands (the previous holder's index in the
 * buffer), release. `shared-yield` awaits one microtask after each release
 * (`navigator.locks` and the lock server await far more than that anyway).
 *
 * @module
 */

import { type SharedHandle, SharedMutex } from "@troupe/troupe/sync";

/** What the bench posts to start a loop. */
export interface LoopOrder {
  /** Which lock: a `SharedMutex`, `navigator.locks`, or the lock server. */
  kind: "shared" | "shared-yield" | "locks" | "server";
  /** This worker's index (1 or 2). */
  me: number;
  /** Iterations. */
  n: number;
  /** Int32 cells: counter, last holder, handoffs, go flag. */
  cells: SharedArrayBuffer;
  /** The mutex, for `shared`. */
  mutex?: SharedHandle;
}

declare const self: {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(data: unknown): void;
};

/** `navigator.locks`, which Deno has but its type library does not name. */
export const locks = (navigator as unknown as {
  locks: { request(name: string, f: () => void): Promise<void> };
}).locks;

const COUNT = 0;
const LAST = 1;
const HANDOFFS = 2;
const GO = 3;

/** The critical section every loop runs. */
function critical(c: Int32Array, me: number): void {
  c[COUNT] = c[COUNT] + 1;
  if (c[LAST] !== me) {
    c[LAST] = me;
    c[HANDOFFS]++;
  }
}

/** Grants from the lock server (the main isolate), one at a time. */
let granted: (() => void) | undefined;

async function run(order: LoopOrder): Promise<void> {
  const c = new Int32Array(order.cells);
  const { n, me } = order;
  // Start together: both workers wait for the go flag.
  Atomics.add(c, GO, 1);
  while (Atomics.load(c, GO) < 2) { /* spin: the other is about to start */ }
  const t0 = performance.now();
  if (order.kind === "shared") {
    const m = SharedMutex.from(order.mutex!);
    for (let i = 0; i < n; i++) {
      await m.acquire();
      critical(c, me);
      m.release();
    }
  } else if (order.kind === "shared-yield") {
    // The same, with one microtask turn after each release (as any code
    // that does something between two critical sections has).
    const m = SharedMutex.from(order.mutex!);
    for (let i = 0; i < n; i++) {
      await m.acquire();
      critical(c, me);
      m.release();
      await null;
    }
  } else if (order.kind === "locks") {
    const body = (): void => critical(c, me);
    for (let i = 0; i < n; i++) {
      await locks.request("troupe-bench", body);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const grant = new Promise<void>((resolve) => granted = resolve);
      self.postMessage({ type: "acquire", me });
      await grant;
      critical(c, me);
      self.postMessage({ type: "release", me });
    }
  }
  self.postMessage({ type: "done", ms: performance.now() - t0 });
}

self.onmessage = (e: MessageEvent) => {
  if (e.data === "granted") {
    granted?.();
    return;
  }
  run(e.data as LoopOrder).catch((err) => {
    self.postMessage({ type: "error", message: String(err) });
  });
};
