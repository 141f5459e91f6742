/**
 * Progress of a remote cluster's computations for `progressBar`, read by
 * polling the cluster's status: a client hears of its results, not of each
 * task as it finishes, so `troupe run --scheduler` draws its bar from
 * `client.status()` (or from a dashboard's JSON API, with `--dashboard`).
 *
 * @module
 */

import type { ClusterStatus } from "../cluster/scheduler/cluster.ts";
import type { Computation } from "../cluster/graph/computation.ts";
import type { ProgressSource } from "../cluster/graph/progress.ts";
import { type DashboardTarget, fetchStatus } from "./dashboard_api.ts";

/** Where the status comes from: a dashboard, or a function (a client's). */
export type StatusOrigin =
  | DashboardTarget
  | ((signal: AbortSignal) => Promise<ClusterStatus>);

/**
 * A `ProgressSource` that polls a dashboard: `start()` notes the
 * computations the cluster has already seen, then the source reports every
 * later one (its own and any other client's started meanwhile) as its
 * counts change. `flush()` polls once more (to draw the end), and disposing
 * it stops polling.
 *
 * @example
 * ```ts
 * import { DashboardProgress } from "./dashboard_progress.ts";
 * const progress = new DashboardProgress({ url: new URL("http://127.0.0.1:8787/") });
 * console.log(typeof progress.subscribe); // "function"
 * ```
 */
export class DashboardProgress implements ProgressSource, Disposable {
  readonly #read: (signal: AbortSignal) => Promise<ClusterStatus>;
  readonly #intervalMs: number;
  readonly #listeners = new Set<(c: Readonly<Computation>) => void>();
  /** The highest computation id seen before `start`. */
  #baseline = Infinity;
  readonly #last = new Map<number, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;
  readonly #abort = new AbortController();

  /**
   * A source for the dashboard `target`, polled every `intervalMs`
   * (default 200).
   *
   * @example
   * ```ts
   * import { DashboardProgress } from "./dashboard_progress.ts";
   * using _progress = new DashboardProgress(
   *   { url: new URL("http://127.0.0.1:8787/") },
   *   { intervalMs: 500 },
   * );
   * ```
   */
  constructor(target: StatusOrigin, options: { intervalMs?: number } = {}) {
    this.#read = typeof target === "function"
      ? target
      : (signal) => fetchStatus(target, { signal });
    this.#intervalMs = options.intervalMs ?? 200;
  }

  /**
   * Read the dashboard once to note what it has seen so far; rejects with
   * a `DashboardError` when it cannot be read. Polling starts after it.
   *
   * @example
   * ```ts ignore
   * import { DashboardProgress } from "./dashboard_progress.ts";
   * const progress = new DashboardProgress({ url: new URL("http://127.0.0.1:8787/") });
   * const status = await progress.start();
   * console.log(status.address);
   * ```
   */
  async start(): Promise<{ address: string }> {
    const status = await this.#read(this.#abort.signal);
    this.#baseline = Math.max(0, ...status.computations.map((c) => c.id));
    this.#schedule();
    return status;
  }

  /**
   * Call `listener` with each later computation as its counts change.
   *
   * @example
   * ```ts
   * import { DashboardProgress } from "./dashboard_progress.ts";
   * const progress = new DashboardProgress({ url: new URL("http://127.0.0.1:8787/") });
   * const stop = progress.subscribe((c) => console.log(c.done, c.total));
   * stop();
   * ```
   */
  subscribe(listener: (c: Readonly<Computation>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Poll once more now (after the last one under way), so the counts are
   * the latest.
   *
   * @example
   * ```ts ignore
   * await progress.flush();
   * ```
   */
  async flush(): Promise<void> {
    await this.#polling;
    if (!this.#stopped) await this.#poll();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        this.#schedule();
      });
    }, this.#intervalMs);
  }

  async #poll(): Promise<void> {
    let status;
    try {
      status = await this.#read(this.#abort.signal);
    } catch {
      return; // a missed poll: the next one may do
    }
    // The scheduler's times on this clock (its clock may be another
    // machine's): as far before now as they were before its snapshot.
    const shift = Date.now() - status.time;
    for (const c of status.computations) {
      if (c.id <= this.#baseline) continue;
      if (c.started !== undefined) c.started += shift;
      if (c.ended !== undefined) c.ended += shift;
      const seen = `${c.total}/${c.done}/${c.erred}`;
      if (this.#last.get(c.id) === seen) continue;
      this.#last.set(c.id, seen);
      for (const l of this.#listeners) l(c);
    }
  }

  /**
   * Stop polling (a fetch under way is aborted).
   *
   * @example
   * ```ts
   * import { DashboardProgress } from "./dashboard_progress.ts";
   * const progress = new DashboardProgress({ url: new URL("http://127.0.0.1:8787/") });
   * progress[Symbol.dispose]();
   * ```
   */
  [Symbol.dispose](): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }
}
