/**
 * The dispatcher: runs ready actors on the isolate's event loop.
 *
 * Ready actors wait in a FIFO run queue. Each turn gives one actor up to
 * `throughput` messages, then it goes to the back of the queue, so a busy
 * actor cannot starve the others. The whole drain runs in a microtask (no
 * timer per message), and after `sliceMs` of work it yields a macrotask
 * (`setImmediate`, about 3 us here, where a `setTimeout(0)` chain costs
 * 2 ms a hop) so that timers and I/O run while an actor drains a million
 * messages.
 *
 * @module
 */

import { Deque } from "./deque.ts";

/** What the dispatcher needs from an actor. */
export interface Runnable {
  /** Whether the runnable sits in the run queue. */
  queued: boolean;
  /**
   * Set for an actor with a throughput of its own (long handlers): after a
   * turn of 1 ms or more the drain yields to the event loop, so that the
   * answers of that turn go out before the next one starts.
   */
  readonly yields?: boolean;
  /** Process up to `budget` messages; return whether more are ready now. */
  run(budget: number): boolean;
}

/** Scheduling settings. */
export interface DispatcherOptions {
  /** Messages one actor may process per turn before others get theirs. */
  throughput?: number;
  /** Milliseconds of work before yielding to timers and I/O. */
  sliceMs?: number;
}

/** A run queue drained in microtasks, yielding to the event loop by time. */
export class Dispatcher {
  readonly throughput: number;
  readonly sliceMs: number;
  #ready = new Deque<Runnable>();
  #pending = false;
  #yielded: ReturnType<typeof setImmediate> | undefined;
  #closed = false;
  readonly #drain = () => this.#run();

  constructor(options: DispatcherOptions = {}) {
    this.throughput = options.throughput ?? 64;
    this.sliceMs = options.sliceMs ?? 8;
  }

  /** Put `r` in the run queue unless it is there already. */
  schedule(r: Runnable): void {
    if (r.queued || this.#closed) return;
    r.queued = true;
    this.#ready.push(r);
    if (!this.#pending) {
      this.#pending = true;
      queueMicrotask(this.#drain);
    }
  }

  /** Stop scheduling; drop the queue and any pending yield. */
  close(): void {
    this.#closed = true;
    if (this.#yielded !== undefined) clearImmediate(this.#yielded);
    this.#yielded = undefined;
    for (const r of this.#ready) r.queued = false;
    this.#ready.clear();
  }

  #run(): void {
    this.#yielded = undefined;
    const ready = this.#ready;
    // The clock is read only once a second turn is due: a ping-pong drain of
    // one message pays no 80 ns performance.now() call.
    let start = -1;
    while (ready.length > 0) {
      const r = ready.shift()!;
      r.queued = false;
      const t0 = r.yields === true ? performance.now() : 0;
      if (r.run(this.throughput)) {
        r.queued = true;
        ready.push(r);
      }
      if (ready.length === 0) break;
      if (r.yields === true && performance.now() - t0 >= 1) {
        if (this.#closed) break;
        this.#yielded = setImmediate(this.#drain);
        return;
      }
      const now = performance.now();
      if (start < 0) start = now;
      else if (now - start >= this.sliceMs) {
        if (this.#closed) break;
        this.#yielded = setImmediate(this.#drain);
        return; // #pending stays true: the immediate resumes the drain
      }
    }
    this.#pending = false;
  }
}
