/**
 * The in-process engine (`placement: "inline"`, as Dask's synchronous
 * scheduler): tasks run one after another in this isolate, in graph order,
 * called directly. For debugging (a stack trace goes straight to the task)
 * and for graphs of tiny tasks, where sending them anywhere costs more than
 * running them. Intermediate results are dropped as soon as their last
 * dependent has run.
 *
 * @module
 */

import {
  CancelledError,
  GraphTimeoutError,
  TaskFailedError,
} from "./errors.ts";
import {
  type Computation,
  newComputation,
  type ProgressListener,
} from "./computation.ts";
import type { FutureStatus } from "./future.ts";
import type { Graph } from "./graph.ts";
import { fillArgs, KEY } from "./keys.ts";
import { takeTransfer } from "../../actors/transfer.ts";

type AnyFn = (...args: unknown[]) => unknown;

interface Held {
  status: FutureStatus;
  value?: unknown;
  error?: Error;
  wants: number;
  settled: PromiseWithResolvers<void>;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === "object" || typeof x === "function") &&
    typeof (x as PromiseLike<unknown>).then === "function";
}

/** Runs graphs in this isolate, one task at a time. */
export class InlineEngine {
  readonly #held = new Map<string, Held>();
  readonly #listeners = new Set<ProgressListener>();
  #computations = 0;
  #closed = false;

  /** Told of progress of every computation. */
  subscribe(listener: ProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Run `graph` now; `roots` are held until released. */
  submit(graph: Graph, roots: readonly string[]): Computation {
    const computation = newComputation(
      graph,
      ++this.#computations,
      this.#closed,
      (key) => this.#held.has(key),
    );
    const fresh: string[] = [];
    for (const key of roots) {
      let h = this.#held.get(key);
      if (h === undefined) {
        h = {
          status: "pending",
          wants: 0,
          settled: Promise.withResolvers<void>(),
        };
        this.#held.set(key, h);
        fresh.push(key);
      }
      h.wants++;
    }
    if (fresh.length > 0) void this.#run(graph, new Set(fresh), computation);
    else computation.done = computation.total;
    return computation;
  }

  async #run(
    graph: Graph,
    roots: Set<string>,
    computation: Computation,
  ): Promise<void> {
    // How many dependents (plus one per root) still need each result.
    const uses = new Map<string, number>();
    for (const node of graph.nodes) {
      for (const site of node.deps) {
        const k = site.ref[KEY];
        uses.set(k, (uses.get(k) ?? 0) + 1);
      }
    }
    const results = new Map<string, unknown>();
    const errors = new Map<string, Error>();
    const notify = this.#listeners.size > 0;
    for (const node of graph.nodes) {
      const key = node.key;
      const held = this.#held.get(key);
      if (held !== undefined && held.status !== "pending") {
        // Persisted earlier: use it.
        if (held.status === "finished") results.set(key, held.value);
        else errors.set(key, held.error!);
        computation.done++;
        if (notify) { for (const l of this.#listeners) l(computation); }
        continue;
      }
      if (roots.size > 0 && this.#allCancelled(roots)) break;
      const deps = node.deps;
      let error: Error | undefined;
      let values: unknown[] | undefined;
      if (deps.length > 0) {
        values = new Array(deps.length);
        for (let i = 0; i < deps.length; i++) {
          const k = deps[i].ref[KEY];
          let e = errors.get(k);
          if (e === undefined && !results.has(k)) {
            // A future of an earlier submission: wait for it to settle
            // (it runs on), and take its value or its error.
            const h = this.#held.get(k);
            if (h?.status === "pending") await h.settled.promise;
            if (h === undefined || h.status === "cancelled") {
              e = h?.error ?? new CancelledError(k);
            } else if (h.status === "error") e = h.error;
            else values[i] = h.value;
          } else if (e === undefined) values[i] = results.get(k);
          if (e !== undefined) {
            error = e;
            break;
          }
        }
        // It may have been cancelled while it waited.
        if (roots.size > 0 && this.#allCancelled(roots)) break;
      }
      let value: unknown;
      if (error === undefined) {
        const args = values === undefined ? node.args as unknown[] : fillArgs(
          node.args,
          deps.map((d) => d.path),
          values,
        );
        const retries = node.options.retries ?? 0;
        const timeout = node.options.timeout;
        for (let attempt = 1;; attempt++) {
          try {
            let r = (node.task as unknown as AnyFn)(...args);
            if (isThenable(r)) {
              // (A timer longer than 2^31 - 1 ms would fire at once.)
              r = timeout === undefined || timeout >= 2 ** 31 - 1
                ? await r
                : await within(r, timeout, key);
            }
            // A task's mark to move its result (transfer) means nothing
            // here: taken, so that it never moves a value the caller holds.
            takeTransfer(r);
            value = r;
            break;
          } catch (e) {
            if (attempt > retries) {
              error = new TaskFailedError(key, node.task.taskName, e, attempt);
              break;
            }
          }
        }
      }
      computation.done++;
      if (error !== undefined) {
        errors.set(key, error);
        computation.erred++;
      } else results.set(key, value);
      if (held !== undefined) this.#settle(held, value, error);
      if (notify) { for (const l of this.#listeners) l(computation); }
      // Drop inputs nobody else needs.
      for (const site of deps) {
        const k = site.ref[KEY];
        const left = uses.get(k)! - 1;
        uses.set(k, left);
        if (left === 0) results.delete(k);
      }
    }
    for (const key of roots) {
      const h = this.#held.get(key);
      if (h?.status === "pending") {
        this.#settle(h, undefined, new CancelledError(key), "cancelled");
      }
    }
  }

  #allCancelled(roots: Set<string>): boolean {
    for (const k of roots) {
      if (this.#held.get(k)?.status !== "cancelled") return false;
    }
    return true;
  }

  #settle(
    h: Held,
    value: unknown,
    error: Error | undefined,
    status?: FutureStatus,
  ): void {
    if (h.status !== "pending") return;
    h.status = status ?? (error === undefined ? "finished" : "error");
    h.value = value;
    h.error = error;
    h.settled.resolve();
  }

  /** The status of `key`, as a future sees it. */
  statusOf(key: string): FutureStatus {
    return this.#held.get(key)?.status ?? "cancelled";
  }

  /** Resolves when `key` is no longer pending. */
  settled(key: string): Promise<void> {
    return this.#held.get(key)?.settled.promise ?? Promise.resolve();
  }

  /** The values of `keys`; rejects with the error of one that failed. */
  async values(keys: readonly string[]): Promise<unknown[]> {
    const out = new Array<unknown>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const h = this.#held.get(keys[i]);
      if (h === undefined) throw new CancelledError(keys[i]);
      if (h.status === "pending") await h.settled.promise;
      if (h.error !== undefined) throw h.error;
      out[i] = h.value;
    }
    return out;
  }

  /** Hold `key` once more. */
  hold(key: string): void {
    const h = this.#held.get(key);
    if (h !== undefined) h.wants++;
  }

  /** Drop one hold on `key`. */
  release(key: string): void {
    const h = this.#held.get(key);
    if (h === undefined) return;
    if (--h.wants <= 0) this.#held.delete(key);
  }

  /** Cancel `key` if it has not run yet. */
  cancel(key: string): void {
    const h = this.#held.get(key);
    if (h === undefined) return;
    this.#settle(h, undefined, new CancelledError(key), "cancelled");
  }

  /** Forget everything. */
  close(): Promise<void> {
    this.#closed = true;
    for (const [key, h] of this.#held) {
      this.#settle(h, undefined, new CancelledError(key), "cancelled");
    }
    this.#held.clear();
    return Promise.resolve();
  }
}

/** `p`, or a `GraphTimeoutError` when it has not settled within `ms`. */
function within(p: PromiseLike<unknown>, ms: number, key: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GraphTimeoutError(key, ms)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
