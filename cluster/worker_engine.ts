/**
 * The engine that computes task graphs on graph-worker actors (worker hosts
 * by default): it tracks every task's state, sends ready tasks to the worker
 * that already holds most of their inputs, keeps results where they were
 * made, releases them when nothing needs them, and recovers from a worker's
 * death by recomputing what was lost.
 *
 * Task states: `released` (not computed, or its value dropped), `waiting`
 * (for inputs), `ready`, `processing` (on a worker), `memory` (held by one or
 * more workers), `erred` and `cancelled` (final until forgotten).
 *
 * @module
 */

import {
  ActorDeadError,
  type ActorRef,
  type ActorSystem,
  AskTimeoutError,
  describeReason,
  type HostPermissions,
  type Placement,
  type Task,
} from "@troupe/troupe/actors";
import type { Delayed } from "./delayed.ts";
import {
  CancelledError,
  GraphTimeoutError,
  KilledWorkerError,
  TaskFailedError,
} from "./errors.ts";
import type { FutureStatus } from "./future.ts";
import type { Graph } from "./graph.ts";
import { GraphWorker } from "./graph_worker.ts";
import { fillArgs, KEY } from "./keys.ts";
import { ReadyQueue } from "./ready_queue.ts";

type State =
  | "released"
  | "waiting"
  | "ready"
  | "processing"
  | "memory"
  | "erred"
  | "cancelled";

/** One task the engine knows. */
export interface TaskRecord {
  key: string;
  node: Delayed;
  deps: TaskRecord[];
  /** Per dependency site of `node`, the key whose value goes there. */
  siteKeys: string[];
  dependents: Set<TaskRecord>;
  state: State;
  waitingOn: number;
  holders: WorkerRecord[];
  /** Holds from futures and computations. */
  wants: number;
  attempts: number;
  deaths: number;
  error?: Error;
  priority: number;
  generation: number;
  order: number;
  worker?: WorkerRecord;
  settled?: PromiseWithResolvers<void>;
  wire?: [unknown[], (string | number)[][]];
  computations: Computation[];
}

interface WorkerRecord {
  id: number;
  ref: ActorRef<typeof GraphWorker>;
  inFlight: number;
  alive: boolean;
  has: Set<TaskRecord>;
  running: Set<TaskRecord>;
  host?: string;
}

/**
 * Progress of one `compute` or `persist`.
 *
 * @example
 * ```ts
 * import type { Computation } from "@troupe/troupe/cluster";
 * const show = (c: Computation) => `${c.done}/${c.total} (${c.erred} failed)`;
 * ```
 */
export interface Computation {
  /** Which computation (counting from 1 per scheduler). */
  readonly id: number;
  /** Its tasks. */
  total: number;
  /** Tasks finished (or failed). */
  done: number;
  /** Of those, tasks that failed or were cancelled. */
  erred: number;
}

/**
 * Told as a computation's tasks finish.
 *
 * @example
 * ```ts
 * import type { ProgressListener } from "@troupe/troupe/cluster";
 * const log: ProgressListener = (p) => console.log(p.done, p.total);
 * ```
 */
export type ProgressListener = (progress: Readonly<Computation>) => void;

/** Settings of the engine. */
export interface WorkerEngineOptions {
  placement: Placement;
  workers: number;
  window: number;
  allowedFailures: number;
  permissions?: HostPermissions;
}

let engineSeq = 0;

/** Computes graphs on graph-worker actors. */
export class WorkerEngine {
  readonly #system: ActorSystem;
  readonly #options: WorkerEngineOptions;
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #workers: WorkerRecord[] = [];
  readonly #ready = new ReadyQueue<TaskRecord>();
  readonly #transfers = new Map<string, Promise<void>>();
  readonly #releases = new Map<WorkerRecord, string[]>();
  readonly #listeners = new Set<ProgressListener>();
  readonly #id = ++engineSeq;
  #workerSeq = 0;
  #generation = 0;
  #order = 0;
  #computations = 0;
  #closed = false;
  #flushQueued = false;

  constructor(system: ActorSystem, options: WorkerEngineOptions) {
    this.#system = system;
    this.#options = options;
    for (let i = 0; i < options.workers; i++) this.#spawnWorker();
  }

  /** Told of progress of every computation. */
  subscribe(listener: ProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tasks known, by state (for tests and the dashboard). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#tasks.values()) {
      out[r.state] = (out[r.state] ?? 0) + 1;
    }
    return out;
  }

  /** The worker actors (for tests). */
  get workerRefs(): ActorRef<typeof GraphWorker>[] {
    return this.#workers.map((w) => w.ref);
  }

  /**
   * Add `graph`, hold each of `roots` once, and start computing what is
   * needed. Returns the computation's progress record.
   */
  submit(graph: Graph, roots: readonly string[]): Computation {
    if (this.#closed) throw new TypeError("the scheduler is closed");
    for (const key of graph.external.keys()) {
      if (!this.#tasks.has(key)) {
        throw new TypeError(
          `future ${key} is not known to this scheduler (released, or from another one)`,
        );
      }
    }
    const computation: Computation = {
      id: ++this.#computations,
      total: graph.nodes.length,
      done: 0,
      erred: 0,
    };
    const generation = ++this.#generation;
    for (const node of graph.nodes) {
      let rec = this.#tasks.get(node.key);
      if (rec === undefined) {
        rec = this.#record(node, generation);
        this.#tasks.set(node.key, rec);
      }
      if (rec.state === "memory") computation.done++;
      else if (rec.state === "erred" || rec.state === "cancelled") {
        computation.done++;
        computation.erred++;
      } else rec.computations.push(computation);
    }
    for (const key of roots) this.#tasks.get(key)!.wants++;
    for (const key of roots) this.#need(this.#tasks.get(key)!);
    this.#pump();
    return computation;
  }

  #record(node: Delayed, generation: number): TaskRecord {
    const siteKeys = node.deps.map((site) => site.ref[KEY]);
    const deps: TaskRecord[] = [];
    for (const key of siteKeys) {
      const dep = this.#tasks.get(key)!;
      if (!deps.includes(dep)) deps.push(dep);
    }
    const rec: TaskRecord = {
      key: node.key,
      node,
      deps,
      siteKeys,
      dependents: new Set(),
      state: "released",
      waitingOn: 0,
      holders: [],
      wants: 0,
      attempts: 0,
      deaths: 0,
      priority: node.options.priority ?? 0,
      generation,
      order: ++this.#order,
      computations: [],
    };
    for (const d of deps) d.dependents.add(rec);
    return rec;
  }

  /** Make sure `root` will be (re)computed, with what it depends on. */
  #need(root: TaskRecord): void {
    const stack = [root];
    while (stack.length > 0) {
      const r = stack[stack.length - 1];
      if (r.state !== "released") {
        stack.pop();
        continue;
      }
      let pending = false;
      for (const d of r.deps) {
        if (d.state === "released") {
          stack.push(d);
          pending = true;
        }
      }
      if (pending) continue;
      stack.pop();
      const failed = r.deps.find((d) =>
        d.state === "erred" || d.state === "cancelled"
      );
      if (failed !== undefined) {
        this.#fail(r, failed.error!, failed.state === "cancelled");
        continue;
      }
      r.waitingOn = 0;
      for (const d of r.deps) if (d.state !== "memory") r.waitingOn++;
      if (r.waitingOn === 0) this.#makeReady(r);
      else r.state = "waiting";
    }
  }

  #makeReady(r: TaskRecord): void {
    r.state = "ready";
    this.#ready.push(r);
  }

  /** Send ready tasks to workers with room, best first. */
  #pump(): void {
    while (this.#ready.size > 0) {
      const r = this.#ready.peek()!;
      if (r.state !== "ready") {
        this.#ready.pop();
        continue;
      }
      const w = this.#choose(r);
      if (w === undefined) return; // every worker is full
      this.#ready.pop();
      this.#dispatch(r, w);
    }
  }

  /** The worker with room holding most of `r`'s inputs, then the least busy. */
  #choose(r: TaskRecord): WorkerRecord | undefined {
    let best: WorkerRecord | undefined;
    let bestHeld = -1;
    for (const w of this.#workers) {
      if (!w.alive || w.inFlight >= this.#options.window) continue;
      let held = 0;
      for (const d of r.deps) if (d.holders.includes(w)) held++;
      if (
        held > bestHeld || (held === bestHeld && w.inFlight < best!.inFlight)
      ) {
        best = w;
        bestHeld = held;
      }
    }
    return best;
  }

  #dispatch(r: TaskRecord, w: WorkerRecord): void {
    r.state = "processing";
    r.worker = w;
    w.inFlight++;
    w.running.add(r);
    const missing = r.deps.filter((d) => !d.holders.includes(w));
    if (missing.length === 0) return this.#send(r, w);
    Promise.all(missing.map((d) => this.#transfer(d, w))).then(
      () => this.#send(r, w),
      () => this.#undispatch(r, w),
    );
  }

  /** Copy `d`'s value to `w` (once, however many tasks there need it). */
  #transfer(d: TaskRecord, w: WorkerRecord): Promise<void> {
    const id = `${w.id} ${d.key}`;
    let t = this.#transfers.get(id);
    if (t === undefined) {
      const from = d.holders[0];
      if (from === undefined) {
        return Promise.reject(new Error(`${d.key} is held nowhere`));
      }
      t = from.ref.ask("fetch", [d.key]).then(([value]) => {
        if (!w.alive) throw new Error("the target worker died");
        w.ref.tell("put", [d.key, value]);
        if (!d.holders.includes(w)) d.holders.push(w);
        w.has.add(d);
      }, (e) => {
        // The holder died: its death reschedules what needed the value.
        if (e instanceof ActorDeadError) this.#workerDied(from, e.message);
        throw e;
      }).finally(() => this.#transfers.delete(id));
      this.#transfers.set(id, t);
    }
    return t;
  }

  /** A transfer failed (a worker died): put `r` back to be scheduled again. */
  #undispatch(r: TaskRecord, w: WorkerRecord): void {
    if (w.alive) {
      w.inFlight--;
      w.running.delete(r);
    }
    if (r.state !== "processing" || r.worker !== w) return;
    r.worker = undefined;
    r.state = "released";
    if (this.#needed(r)) this.#need(r);
    this.#pump();
  }

  #wire(r: TaskRecord): [unknown[], (string | number)[][]] {
    if (r.wire === undefined) {
      const paths = r.node.deps.map((s) => s.path as (string | number)[]);
      // Holes instead of the lazy values: a Delayed drags its whole graph.
      const args = r.node.deps.length === 0
        ? r.node.args as unknown[]
        : fillHoles(r.node.args, paths);
      r.wire = [args, paths];
    }
    return r.wire;
  }

  #send(r: TaskRecord, w: WorkerRecord): void {
    if (r.state !== "processing" || r.worker !== w || !w.alive) return;
    r.attempts++;
    const [args, paths] = this.#wire(r);
    const task = r.node.task as Task;
    const timeout = r.node.options.timeout;
    w.ref.ask(
      "run",
      [
        r.key,
        task.taskModule,
        task.taskName,
        args,
        paths,
        r.siteKeys,
        this.#options.placement === "local" ? task : undefined,
      ],
      timeout === undefined ? undefined : { timeout },
    ).then(
      () => this.#finished(r, w),
      (e) => this.#failed(r, w, e),
    );
  }

  #finished(r: TaskRecord, w: WorkerRecord): void {
    if (!w.alive) return; // its death already rescheduled the work
    w.inFlight--;
    w.running.delete(r);
    if (r.state !== "processing" || r.worker !== w) {
      // Cancelled or forgotten meanwhile: drop the stray copy.
      if (!r.holders.includes(w)) this.#releaseOn(w, r.key);
      return this.#pump();
    }
    r.state = "memory";
    r.worker = undefined;
    r.holders.push(w);
    w.has.add(r);
    this.#settle(r, false);
    for (const d of r.dependents) {
      if (d.state === "waiting" && --d.waitingOn === 0) this.#makeReady(d);
    }
    for (const d of r.deps) this.#maybeRelease(d);
    this.#maybeRelease(r);
    this.#pump();
  }

  #failed(r: TaskRecord, w: WorkerRecord, e: unknown): void {
    if (!w.alive) return;
    if (e instanceof ActorDeadError) return this.#workerDied(w, e.message);
    w.inFlight--;
    w.running.delete(r);
    if (r.state !== "processing" || r.worker !== w) return this.#pump();
    r.worker = undefined;
    const cause = e instanceof AskTimeoutError
      ? new GraphTimeoutError(r.key, r.node.options.timeout ?? 0)
      : (e as Error).name === "HandlerError"
      ? (e as Error).cause
      : e;
    if (r.attempts <= (r.node.options.retries ?? 0)) {
      this.#makeReady(r); // try again
    } else {
      this.#fail(
        r,
        new TaskFailedError(r.key, r.node.task.taskName, cause, r.attempts),
        false,
      );
    }
    this.#pump();
  }

  /** `r` failed (or was cancelled): so does every task waiting on it. */
  #fail(r: TaskRecord, error: Error, cancelled: boolean): void {
    const stack = [r];
    const touched: TaskRecord[] = [];
    r.state = cancelled ? "cancelled" : "erred";
    r.error = error;
    while (stack.length > 0) {
      const x = stack.pop()!;
      touched.push(x);
      this.#settle(x, true);
      for (const d of x.dependents) {
        if (
          d.state === "waiting" || d.state === "ready" || d.state === "released"
        ) {
          d.state = x.state;
          d.error = error;
          stack.push(d);
        }
      }
    }
    for (const x of touched) for (const d of x.deps) this.#maybeRelease(d);
  }

  #settle(r: TaskRecord, erred: boolean): void {
    r.settled?.resolve();
    r.settled = undefined;
    if (r.computations.length === 0) return;
    for (const c of r.computations) {
      c.done++;
      if (erred) c.erred++;
      if (this.#listeners.size > 0) {
        for (const l of this.#listeners) l(c);
      }
    }
    r.computations = [];
  }

  /** Whether something still needs `r`'s value. */
  #needed(r: TaskRecord): boolean {
    if (r.wants > 0) return true;
    for (const d of r.dependents) {
      if (
        d.state === "waiting" || d.state === "ready" || d.state === "processing"
      ) return true;
    }
    return false;
  }

  /**
   * Drop `r`'s value (or its pending work) once nothing needs it, and forget
   * it once nothing refers to it; then look at what it depended on.
   */
  #maybeRelease(start: TaskRecord): void {
    const stack = [start];
    while (stack.length > 0) {
      const r = stack.pop()!;
      if (this.#needed(r)) continue;
      if (r.state === "memory") {
        for (const w of r.holders) {
          w.has.delete(r);
          this.#releaseOn(w, r.key);
        }
        r.holders = [];
        r.state = "released";
      } else if (r.state === "waiting" || r.state === "ready") {
        r.state = "released"; // pending work nobody wants: not started
        for (const d of r.deps) stack.push(d);
      }
      if (
        r.dependents.size === 0 && r.wants === 0 && r.state !== "processing"
      ) {
        if (this.#tasks.get(r.key) === r) this.#tasks.delete(r.key);
        r.settled?.resolve();
        for (const d of r.deps) {
          d.dependents.delete(r);
          stack.push(d);
        }
      }
    }
  }

  /** Queue a release of `key` on `w`, sent once per turn per worker. */
  #releaseOn(w: WorkerRecord, key: string): void {
    if (!w.alive) return;
    let keys = this.#releases.get(w);
    if (keys === undefined) this.#releases.set(w, keys = []);
    keys.push(key);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        for (const [worker, ks] of this.#releases) {
          if (worker.alive) worker.ref.tell("release", ks);
        }
        this.#releases.clear();
      });
    }
  }

  #spawnWorker(): WorkerRecord {
    const placement = this.#options.placement;
    // Each worker on a host of its own: a task that crashes its host takes
    // only that worker down, and the replacement gets a fresh host.
    const host = placement === "local"
      ? undefined
      : `troupe-graph-${this.#id}-${++this.#workerSeq}`;
    const ref = this.#system.spawn(GraphWorker, undefined, {
      placement,
      host,
      permissions: this.#options.permissions,
      mailbox: { capacity: Infinity },
    });
    const w: WorkerRecord = {
      id: ++this.#workerSeq,
      ref,
      inFlight: 0,
      alive: true,
      has: new Set(),
      running: new Set(),
      host,
    };
    this.#workers.push(w);
    this.#system.watch(
      ref,
      (t) => this.#workerDied(w, describeReason(t.reason)),
    );
    return w;
  }

  /** A worker is gone: what it held is lost, what it ran is redone. */
  #workerDied(w: WorkerRecord, reason: string): void {
    if (!w.alive) return;
    w.alive = false;
    this.#workers.splice(this.#workers.indexOf(w), 1);
    this.#releases.delete(w);
    if (w.host !== undefined) {
      void this.#system.stopHost(w.host, { timeout: 0 });
    }
    if (this.#closed) return;
    this.#spawnWorker();
    const lost: TaskRecord[] = [];
    for (const r of w.has) {
      r.holders = r.holders.filter((h) => h !== w);
      if (r.holders.length === 0 && r.state === "memory") {
        r.state = "released";
        lost.push(r);
      }
    }
    w.has.clear();
    for (const r of lost) {
      for (const d of r.dependents) {
        if (d.state === "waiting") d.waitingOn++;
        else if (d.state === "ready") {
          d.state = "waiting";
          d.waitingOn = 1;
        }
      }
    }
    for (const r of w.running) {
      if (r.state !== "processing" || r.worker !== w) continue;
      r.worker = undefined;
      r.attempts--; // a death is not an attempt; it is counted apart
      if (++r.deaths >= this.#options.allowedFailures) {
        this.#fail(r, new KilledWorkerError(r.key, r.deaths, reason), false);
      } else r.state = "released";
    }
    w.running.clear();
    // Recompute what is still needed, lost values and interrupted tasks alike.
    for (const r of [...this.#tasks.values()]) {
      if (r.state === "released" && this.#needed(r)) this.#need(r);
    }
    for (const r of [...this.#tasks.values()]) {
      if (r.state === "waiting") {
        let missing = 0;
        for (const d of r.deps) if (d.state !== "memory") missing++;
        r.waitingOn = missing;
        if (missing === 0) this.#makeReady(r);
      }
    }
    this.#pump();
  }

  // ---- what futures and computations ask ----

  /** The status of `key`, as a future sees it. */
  statusOf(key: string): FutureStatus {
    const r = this.#tasks.get(key);
    if (r === undefined) return "cancelled";
    switch (r.state) {
      case "memory":
        return "finished";
      case "erred":
        return "error";
      case "cancelled":
        return "cancelled";
      default:
        return "pending";
    }
  }

  /** Resolves when `key` is no longer pending. */
  settled(key: string): Promise<void> {
    const r = this.#tasks.get(key);
    if (r === undefined || this.statusOf(key) !== "pending") {
      return Promise.resolve();
    }
    r.settled ??= Promise.withResolvers<void>();
    return r.settled.promise;
  }

  /**
   * The values of `keys`, fetched from where they live (one ask per
   * worker); waits for keys still being (re)computed, and rejects with the
   * error of a key that failed.
   */
  async values(keys: readonly string[]): Promise<unknown[]> {
    const out = new Array<unknown>(keys.length);
    const have = new Array<boolean>(keys.length).fill(false);
    while (true) {
      const byWorker = new Map<WorkerRecord, number[]>();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < keys.length; i++) {
        if (have[i]) continue;
        const r = this.#tasks.get(keys[i]);
        if (r === undefined) throw new CancelledError(keys[i]);
        if (r.state === "erred" || r.state === "cancelled") throw r.error!;
        if (r.state !== "memory") {
          // Lost with a worker and being recomputed: wait for it.
          pending.push(this.settled(r.key));
          continue;
        }
        const w = r.holders[0];
        let list = byWorker.get(w);
        if (list === undefined) byWorker.set(w, list = []);
        list.push(i);
      }
      if (byWorker.size === 0 && pending.length === 0) return out;
      await Promise.all([...byWorker].map(async ([w, idx]) => {
        try {
          const vs = await w.ref.ask("fetch", idx.map((i) => keys[i]));
          idx.forEach((i, j) => {
            out[i] = vs[j];
            have[i] = true;
          });
        } catch (e) {
          if (!(e instanceof ActorDeadError)) throw e;
          this.#workerDied(w, e.message); // recomputed, then fetched again
        }
      }));
      await Promise.all(pending);
    }
  }

  /** Hold `key` once more. */
  hold(key: string): void {
    const r = this.#tasks.get(key);
    if (r !== undefined) r.wants++;
  }

  /** Drop one hold on `key`. */
  release(key: string): void {
    const r = this.#tasks.get(key);
    if (r === undefined || r.wants === 0) return;
    r.wants--;
    this.#maybeRelease(r);
  }

  /** Cancel `key` and what only it needed. */
  cancel(key: string): void {
    const r = this.#tasks.get(key);
    if (r === undefined) return;
    if (r.state === "erred" || r.state === "cancelled") return;
    const wasProcessing = r.state === "processing";
    if (r.state === "memory") {
      for (const w of r.holders) {
        w.has.delete(r);
        this.#releaseOn(w, r.key);
      }
      r.holders = [];
    }
    if (wasProcessing) r.worker = undefined; // its result will be dropped
    this.#fail(r, new CancelledError(key), true);
    this.#pump();
  }

  /** Stop the workers (and their hosts). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#tasks.values()) {
      if (this.statusOf(r.key) === "pending") {
        this.#fail(r, new CancelledError(r.key), true);
      }
    }
    const workers = [...this.#workers];
    await Promise.all(workers.map((w) => this.#system.stop(w.ref)));
    for (const w of workers) w.alive = false;
    await Promise.all(
      workers.map((w) =>
        w.host === undefined ? undefined : this.#system.stopHost(w.host)
      ),
    );
  }
}

/** A copy of `args` with `null` at each of `paths`. */
function fillHoles(
  args: readonly unknown[],
  paths: readonly (readonly (string | number)[])[],
): unknown[] {
  return fillArgs(args, paths, paths.map(() => null));
}
