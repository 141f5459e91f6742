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

import type { ActorRef } from "../../actors/ref.ts";
import type { ActorSystem } from "../../actors/system.ts";
import type { Task } from "../../actors/pool/tasks.ts";
import type { Delayed } from "./delayed.ts";
import {
  CancelledError,
  GraphTimeoutError,
  TaskFailedError,
} from "./errors.ts";
import type { FutureStatus } from "./future.ts";
import type { Graph } from "./graph.ts";
import type { GraphWorker, RunFailure, RunMessage } from "./graph_worker.ts";
import { KEY } from "./keys.ts";
import { type TaskRun, TaskStream } from "./task_stream.ts";
import { FailureLog } from "./failures.ts";
import { EngineMetrics } from "./metrics.ts";
import {
  type Computation,
  countGroup,
  newComputation,
  type ProgressListener,
  type SchedulerStatus,
} from "./computation.ts";
import {
  current,
  needed,
  reported,
  runArgs,
  type TaskRecord,
  workerName,
  type WorkerRecord,
} from "./engine_records.ts";
import {
  placeReady,
  rootsPastTarget,
  runWindow,
  spreadRoots,
  stealFrom,
} from "./task_placement.ts";
import { brief, errorFromWorker, Reports } from "./engine_reports.ts";
import {
  cannotCross,
  DEFAULT_BYTES_PER_MS,
  type Pull,
} from "./value_transfers.ts";
import type { GraphOutline, TaskGraph } from "./graph_snapshot.ts";
import type { EngineCore, WorkerEngineOptions } from "./engine_core.ts";
import {
  armHosts,
  badPeer,
  lostCopy,
  spawnWorker,
  stopWorkers,
} from "./engine_workers.ts";
import {
  computationGraph,
  engineStatus,
  stateCounts,
} from "./engine_status.ts";
import { RETIRE_MS, retireNode } from "./node_retirement.ts";
import { futureStatus, values } from "./engine_values.ts";
import {
  pullEnded,
  transfer,
  undispatch,
  unmovable,
} from "./engine_transfers.ts";
import {
  badDone,
  badFailed,
  badPulled,
  badSkipped,
  memoryReport,
  unattributedReport,
} from "./report_checks.ts";

export type { WorkerEngineOptions } from "./engine_core.ts";

let engineSeq = 0;

/** Tasks a worker with nothing queued steals up to (see `#pump`). */
const STEAL_AHEAD = 2;

/**
 * Computes graphs on graph-worker actors. Its hot path (placing, sending,
 * finishing and releasing tasks) is here, on its own fields; its cold work
 * is in plain functions that take its `EngineCore` (the same books): the
 * workers' start, loss and stop (`engine_workers.ts`), the copies of
 * values between them (`engine_transfers.ts`), a node's retirement
 * (`node_retirement.ts`), gathering values (`engine_values.ts`), the
 * checks of what workers report (`report_checks.ts`) and the status
 * snapshot (`engine_status.ts`).
 */
export class WorkerEngine {
  readonly #system: ActorSystem;
  readonly #options: WorkerEngineOptions;
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #workers: WorkerRecord[] = [];
  readonly #releases = new Map<WorkerRecord, string[]>();
  readonly #listeners = new Set<ProgressListener>();
  #generation = 0;
  #order = 0;
  #computations = 0;
  /** Values moved between workers: node to node, or through here. */
  readonly #transferred = { direct: 0, relayed: 0 };
  /** Computations not finished yet (for `status`). */
  readonly #running = new Set<Computation>();
  /** The last computations that finished, oldest first (for `status`). */
  #lastFinished: Computation[] = [];
  /** The graphs of those, by id (for `graphOf`). */
  readonly #outlines = new Map<number, GraphOutline>();
  #flushQueued = false;
  /** Average result size (bytes) of each root task (by name). */
  readonly #rootBytes = new Map<string, number>();
  /** No kind's root bytes exceed this (an average never passes its max). */
  #rootBytesMax = 0;
  /** Average duration (ms) of each task (by name) on a busy worker. */
  readonly #durations = new Map<string, number>();
  /** Recent task runs, for the dashboard's task stream. */
  // (5 minutes of runs at ~70 tasks/s; the dashboard pages through them)
  readonly #stream = new TaskStream(20_000);
  /** Tasks that failed for good, for the dashboard and the log. */
  readonly failures: FailureLog = new FailureLog();
  /** Task durations and bytes moved, for `/metrics`. */
  readonly metrics: EngineMetrics = new EngineMetrics();
  /** Live workers by the id their reports carry. */
  readonly #byId = new Map<number, WorkerRecord>();
  /** Where the workers' reports come in. */
  readonly #reports: ActorRef<typeof Reports>;
  /** Pulls under way, by number. */
  readonly #pulls = new Map<number, Pull>();
  /**
   * The engine's state as its cold parts take it: the same maps and lists
   * as the fields above, the flags and counters only they (and `close`)
   * change, and the moves they call back.
   */
  readonly #core: EngineCore;

  constructor(system: ActorSystem, options: WorkerEngineOptions) {
    this.#system = system;
    this.#options = options;
    this.#reports = system.spawn(Reports, {
      done: (m) => this.#onDone(m),
      failed: (m) => this.#onFailed(m),
      skipped: (m) => this.#onSkipped(m),
      pulled: (m) => this.#onPulled(m),
      memory: (m) => this.#onMemory(m),
    }, { mailbox: { capacity: Infinity } });
    this.#core = {
      system,
      options,
      id: ++engineSeq,
      reports: this.#reports,
      tasks: this.#tasks,
      workers: this.#workers,
      byId: this.#byId,
      releases: this.#releases,
      pulls: this.#pulls,
      transfers: new Map(),
      transferred: this.#transferred,
      metrics: this.metrics,
      durations: this.#durations,
      running: this.#running,
      unplaced: [],
      closed: false,
      workerSeq: 0,
      unattributed: 0,
      deferredHosts: 0,
      pullSeq: 0,
      bandwidth: DEFAULT_BYTES_PER_MS,
      logger: options.logger ?? ((m) => console.warn(m)),
      need: (r) => this.#need(r),
      makeReady: (r) => this.#makeReady(r),
      fail: (r, error, cancelled) => this.#fail(r, error, cancelled),
      pump: () => this.#pump(),
      flushReleases: (w) => this.#flushReleases(w),
      settled: (key) => this.settled(key),
    };
    const here = Math.min(options.callerWorkers ?? 0, options.workers);
    for (let i = 0; i < here; i++) {
      spawnWorker(this.#core, undefined, {}, "local");
    }
    if (here > 0 && (options.hostsAfterMs ?? 0) > 0) {
      this.#core.deferredHosts = options.workers - here;
    } else {
      for (let i = here; i < options.workers; i++) spawnWorker(this.#core);
    }
  }

  /** Told of progress of every computation. */
  subscribe(listener: ProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tasks known, by state (for tests and the dashboard). */
  counts(): Record<string, number> {
    return stateCounts(this.#tasks);
  }

  /** A snapshot of workers, task states and running computations. */
  status(): SchedulerStatus {
    return engineStatus(this.#core, this.#lastFinished, this.#stream);
  }

  /** The oldest `max` task runs that ended at or after `since` (for the dashboard). */
  runsSince(since: number, max: number): TaskRun[] {
    return this.#stream.since(since, max, true);
  }

  /** The worker actors (for tests). */
  get workerRefs(): ActorRef<typeof GraphWorker>[] {
    return this.#workers.map((w) => w.ref);
  }

  /**
   * Add `graph`, hold each of `roots` once, and start computing what is
   * needed. Returns the computation's progress record.
   */
  submit(graph: Graph, outputs: readonly string[]): Computation {
    const computation = newComputation(
      graph,
      ++this.#computations,
      this.#core.closed,
      (key) => this.#tasks.has(key),
      this.#options.placement === "node",
    );
    const generation = ++this.#generation;
    const roots: TaskRecord[] = [];
    const outline: GraphOutline = { keys: [], names: [], deps: [] };
    this.#outlines.set(computation.id, outline);
    for (const node of graph.nodes) {
      let rec = this.#tasks.get(node.key);
      if (rec === undefined) {
        rec = this.#record(node, generation);
        this.#tasks.set(node.key, rec);
        if (rec.deps.length === 0) roots.push(rec);
      }
      outline.keys.push(node.key);
      outline.names.push(node.task.taskName);
      outline.deps.push(rec.siteKeys);
      countGroup(computation, node.task.taskName, "total");
      if (rec.state === "memory") {
        computation.done++;
        countGroup(computation, node.task.taskName, "done");
      } else if (rec.state === "erred" || rec.state === "cancelled") {
        computation.done++;
        computation.erred++;
        countGroup(computation, node.task.taskName, "done");
        countGroup(computation, node.task.taskName, "erred");
      } else rec.computations.push(computation);
    }
    if (computation.done < computation.total) this.#running.add(computation);
    else this.#ended(computation);
    spreadRoots(roots, this.#workers);
    for (const key of outputs) this.#tasks.get(key)!.wants++;
    for (const key of outputs) this.#need(this.#tasks.get(key)!);
    this.#pump();
    if (computation.done < computation.total) armHosts(this.#core);
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
      runSeq: 0,
      sentAt: 0,
      bytes: 1,
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

  /**
   * `r` can run: queue it on the worker it should run on. A task without
   * inputs goes to the worker its block of the graph was given (see
   * `spreadRoots`); another goes where most of its inputs are, then to the
   * worker with the least work.
   */
  #makeReady(r: TaskRecord): void {
    r.state = "ready";
    const w = placeReady(r, this.#workers);
    if (w === undefined) {
      this.#core.unplaced.push(r); // no worker yet: the next one to join takes it
      return;
    }
    r.queuedOn = w;
    w.queue.push(r);
  }

  /**
   * Send each worker its queued tasks while it has room; a worker with
   * nothing to do takes (steals) queued work from the busiest one, when
   * that is worth moving its inputs (see `worthStealing`).
   */
  #pump(): void {
    for (const w of this.#workers) if (w.alive) this.#fill(w);
    for (const thief of this.#workers) {
      if (!thief.alive || thief.retiring || thief.starting) continue;
      if (thief.queue.size > 0) continue;
      if (thief.memory?.paused) continue;
      // Up to two in flight, as any worker has (one running, one behind
      // it): a thief given one task at a time waits a round trip through
      // the scheduler between tasks, and a scheduler on a busy thread (the
      // caller's worker) answers late.
      while (thief.inFlight < STEAL_AHEAD) {
        let victim: WorkerRecord | undefined;
        for (const w of this.#workers) {
          if (
            w !== thief && w.alive && w.queue.size > (victim?.queue.size ?? 0)
          ) victim = w;
        }
        if (victim === undefined) break;
        const r = stealFrom(
          victim,
          thief,
          this.#core.bandwidth,
          this.#durations,
        );
        if (r === undefined) break;
        this.#dispatch(r, thief);
      }
    }
    this.#unstall();
  }

  /** Dispatch `w`'s queued tasks while it has room. */
  #fill(w: WorkerRecord, unstall = false): void {
    while (w.queue.size > 0) {
      const r = w.queue.peek()!;
      if (r.state !== "ready" || r.queuedOn !== w) {
        w.queue.pop(); // stale: ran elsewhere, or cancelled
        continue;
      }
      if (w.inFlight >= runWindow(r, this.#durations, this.#options.window)) {
        return;
      }
      // Memory: a paused worker takes nothing (unless `unstall`: one task);
      // one at its target takes no new root task while it has work (what
      // it holds must go first).
      if (w.memory?.paused && !(unstall && w.inFlight === 0)) return;
      if (
        r.deps.length === 0 && w.inFlight > 0 &&
        rootsPastTarget(
          w,
          r,
          this.#options.memory,
          this.#rootBytes,
          this.#rootBytesMax,
        )
      ) {
        return;
      }
      w.queue.pop();
      this.#dispatch(r, w);
    }
  }

  /**
   * Every live worker idle, with work queued only where it is paused: what
   * the paused ones hold cannot be spilled (class instances, a spill
   * directory that cannot be written), and waiting would stop the graph
   * for good. One task goes to a paused worker (it may free what it holds).
   */
  #unstall(): void {
    if (this.#workers.some((x) => x.alive && x.inFlight > 0)) return;
    const w = this.#workers.find((x) =>
      x.alive && x.queue.size > 0 && x.memory?.paused
    );
    if (w !== undefined) this.#fill(w, true);
  }

  #dispatch(r: TaskRecord, w: WorkerRecord): void {
    r.state = "processing";
    r.worker = w;
    r.runSeq = 0;
    r.queuedOn = undefined;
    const missing = r.deps.filter((d) => !d.holders.includes(w));
    if (missing.length === 0) {
      w.inFlight++;
      return this.#send(r, w);
    }
    // While its inputs travel (the holder answers between its own tasks),
    // the task takes no slot: `w` keeps busy with work it can start now.
    w.incoming.add(r);
    Promise.all(missing.map((d) => transfer(this.#core, d, w))).then(
      () => {
        w.incoming.delete(r);
        if (r.state !== "processing" || r.worker !== w || !w.alive) return;
        w.inFlight++;
        this.#send(r, w);
      },
      (e) =>
        cannotCross(e) === undefined
          ? undispatch(this.#core, r, w)
          : unmovable(this.#core, r, w, e),
    );
  }

  /**
   * Tell `w` to run `r`. No deadline: the run takes as long as it takes
   * (unless its `timeout` says otherwise, which the worker keeps), and the
   * worker's death is heard by watching it.
   */
  #send(r: TaskRecord, w: WorkerRecord): void {
    if (r.state !== "processing" || r.worker !== w || !w.alive) return;
    r.attempts++;
    r.sentAt = performance.now();
    this.#flushReleases(w);
    const [args, paths] = runArgs(r);
    const task = r.node.task as Task;
    const timeout = r.node.options.timeout;
    const seq = ++w.runs;
    r.runSeq = seq;
    w.running.set(seq, r);
    const msg: RunMessage = [
      seq,
      r.key,
      task.taskModule,
      task.taskName,
      args,
      paths,
      r.siteKeys,
    ];
    if (w.placement === "local") msg.push(timeout, task);
    else if (timeout !== undefined) msg.push(timeout);
    try {
      w.ref.tell("run", msg);
    } catch (e) {
      // An argument that cannot cross to the worker (a function, say) fails
      // the task, naming why: sending it again would fail the same way.
      if (cannotCross(e) === undefined) throw e;
      reported(w, seq);
      queueMicrotask(() => unmovable(this.#core, r, w, e, "an argument"));
    }
  }

  /** Note a run in the task stream (times from `performance.now()`). */
  #ran(
    r: TaskRecord,
    w: WorkerRecord,
    start: number,
    end: number,
    ok: boolean,
    bytesOut?: number,
  ): void {
    const origin = performance.timeOrigin;
    let bytesIn = 0;
    for (const d of r.deps) bytesIn += d.bytes;
    this.metrics.ran((end - start) / 1000, ok);
    this.#stream.record({
      worker: workerName(w),
      task: r.node.task.taskName,
      key: r.key,
      start: origin + start,
      end: origin + end,
      ok,
      bytesIn,
      bytesOut,
    });
  }

  // ---- what the workers report (checked: a node may send anything) ----

  /** The live worker a report names, or undefined (a stale one: ignored). */
  #reporter(msg: unknown, what: string): WorkerRecord | undefined {
    if (!Array.isArray(msg) || typeof msg[0] !== "number") {
      unattributedReport(this.#core, msg, what);
      return undefined;
    }
    const w = this.#byId.get(msg[0]);
    return w?.alive ? w : undefined;
  }

  #onDone(msg: unknown): void {
    const w = this.#reporter(msg, "done");
    if (w === undefined) return;
    const m = msg as unknown[];
    const bad = badDone(m);
    if (bad !== undefined) return badPeer(this.#core, w, bad);
    const seq = m[1];
    const r = reported(w, seq);
    if (r === undefined) {
      return badPeer(
        this.#core,
        w,
        `a done report of a run it was not given (${brief(seq)})`,
      );
    }
    this.#finished(r, w, seq as number, m[2] as number, m[3] as number);
  }

  #onFailed(msg: unknown): void {
    const w = this.#reporter(msg, "failed");
    if (w === undefined) return;
    const m = msg as unknown[];
    const bad = badFailed(m);
    if (bad !== undefined) return badPeer(this.#core, w, bad);
    const [, seq, why, detail] = m;
    const r = reported(w, seq);
    if (r === undefined) {
      return badPeer(
        this.#core,
        w,
        `a failed report of a run it was not given (${brief(seq)})`,
      );
    }
    this.#failed(r, w, seq as number, why as RunFailure, detail);
  }

  #onSkipped(msg: unknown): void {
    const w = this.#reporter(msg, "skipped");
    if (w === undefined) return;
    const bad = badSkipped(msg as unknown[], w.running);
    if (bad !== undefined) return badPeer(this.#core, w, bad);
    for (const seq of (msg as number[][])[1]) {
      const r = reported(w, seq)!;
      if (current(r, w, seq)) {
        // (Only runs nobody wants are cancelled; this one is wanted again.)
        r.worker = undefined;
        r.attempts--;
        r.state = "released";
        this.#need(r);
      }
    }
    this.#pump();
  }

  #onMemory(msg: unknown): void {
    const w = this.#reporter(msg, "memory");
    if (w === undefined) return;
    const memory = memoryReport(msg as unknown[]);
    if (typeof memory === "string") return badPeer(this.#core, w, memory);
    const was = w.memory;
    w.memory = memory;
    // Resumed, or below its target again: it takes work again.
    if (was !== undefined && (was.paused || was.full)) this.#pump();
  }

  #onPulled(msg: unknown): void {
    const w = this.#reporter(msg, "pulled");
    if (w === undefined) return;
    const m = msg as unknown[];
    const bad = badPulled(m, this.#core.pullSeq);
    if (bad !== undefined) return badPeer(this.#core, w, bad);
    pullEnded(this.#core, w, m);
  }

  #finished(
    r: TaskRecord,
    w: WorkerRecord,
    seq: number,
    size: number,
    ms: number,
  ): void {
    const now = performance.now();
    // How long it ran, as the worker measured it: round trips and waits in
    // the worker's queue are not the task's (a duration that counted them
    // would make instant tasks look long under load, and worth moving).
    const name = r.node.task.taskName;
    this.#ran(r, w, Math.max(r.sentAt, now - ms), now, true, size);
    const avg = this.#durations.get(name);
    this.#durations.set(name, avg === undefined ? ms : 0.8 * avg + 0.2 * ms);
    w.lastDone = now;
    if (!current(r, w, seq)) {
      // Cancelled or forgotten meanwhile: drop the stray copy.
      this.#dropStray(w, r.key);
      return this.#pump();
    }
    r.state = "memory";
    r.worker = undefined;
    r.bytes = size > 0 && size < Infinity ? size : 1;
    if (r.deps.length === 0) {
      const was = this.#rootBytes.get(name);
      this.#rootBytes.set(
        name,
        was === undefined ? r.bytes : 0.8 * was + 0.2 * r.bytes,
      );
      if (r.bytes > this.#rootBytesMax) this.#rootBytesMax = r.bytes;
    }
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

  /**
   * `w` made a value of `key` nobody asked of it: drop it there, unless the
   * task of that key now counts on that copy (held there, or running there).
   */
  #dropStray(w: WorkerRecord, key: string): void {
    const now = this.#tasks.get(key);
    if (now !== undefined) {
      if (now.holders.includes(w)) return;
      if (now.state === "processing" && now.worker === w) return;
    }
    this.#releaseOn(w, key);
  }

  #failed(
    r: TaskRecord,
    w: WorkerRecord,
    seq: number,
    why: RunFailure,
    detail: unknown,
  ): void {
    const now = performance.now();
    this.#ran(r, w, Math.max(r.sentAt, w.lastDone ?? 0), now, false);
    w.lastDone = now;
    if (!current(r, w, seq)) return this.#pump();
    r.worker = undefined;
    if (why === "missing") {
      // An input is not where it was thought to be: make it again (this run
      // was no attempt), then this task.
      r.attempts--;
      r.state = "released";
      const dep = this.#tasks.get(detail as string);
      if (dep !== undefined && r.deps.includes(dep)) {
        lostCopy(this.#core, dep, w);
      }
      if (needed(r)) this.#need(r);
      return this.#pump();
    }
    const cause = why === "timeout"
      ? new GraphTimeoutError(r.key, r.node.options.timeout ?? 0)
      : w.placement === "local"
      ? detail
      : errorFromWorker(detail);
    if (r.attempts <= (r.node.options.retries ?? 0)) {
      this.#makeReady(r); // try again
    } else {
      this.failures.record({
        key: r.key,
        task: r.node.task.taskName,
        worker: workerName(w),
        error: cause,
        time: Date.now(),
        computations: r.computations.map((c) => c.id),
      });
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
      countGroup(c, r.node.task.taskName, "done");
      if (erred) countGroup(c, r.node.task.taskName, "erred");
      if (c.done >= c.total) this.#ended(c);
      if (this.#listeners.size > 0) {
        for (const l of this.#listeners) l(c);
      }
    }
    r.computations = [];
  }

  /** `c` finished: keep it among the last few, for `status`. */
  #ended(c: Computation): void {
    c.ended = Date.now();
    this.#running.delete(c);
    this.#lastFinished.push(c);
    if (this.#lastFinished.length > 8) {
      this.#outlines.delete(this.#lastFinished.shift()!.id);
    }
  }

  /**
   * The graph of computation `id` (running, or among the last finished)
   * now, grouped by task name past `max` tasks; undefined when it is not
   * kept.
   */
  graphOf(id: number, max: number): TaskGraph | undefined {
    return computationGraph(
      this.#core,
      this.#lastFinished,
      this.#outlines,
      id,
      max,
    );
  }

  /**
   * Drop `r`'s value (or its pending work) once nothing needs it, and forget
   * it once nothing refers to it; then look at what it depended on.
   */
  #maybeRelease(start: TaskRecord): void {
    const stack = [start];
    while (stack.length > 0) {
      const r = stack.pop()!;
      if (needed(r)) continue;
      if (r.state === "memory") {
        for (const w of r.holders) {
          w.has.delete(r);
          this.#releaseOn(w, r.key);
        }
        r.holders = [];
        r.state = "released";
      } else if (
        r.state === "waiting" || r.state === "ready" ||
        r.state === "processing"
      ) {
        // Pending work nobody wants: not started, or (sent ahead to a worker)
        // dropped there before it starts.
        if (r.state === "processing") this.#abandon(r);
        r.state = "released";
        // Its computations count it as ended (not computed), so that they
        // finish and leave the list of running ones.
        this.#settle(r, true);
        for (const d of r.deps) stack.push(d);
      }
      if (
        r.dependents.size === 0 && r.wants === 0
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
        for (const worker of [...this.#releases.keys()]) {
          this.#flushReleases(worker);
        }
      });
    }
  }

  /**
   * Send `w` the releases queued for it. Called before anything else goes
   * to `w`, so that a release never arrives after a later message that
   * makes the same key again (a run, a put).
   */
  #flushReleases(w: WorkerRecord): void {
    const keys = this.#releases.get(w);
    if (keys === undefined) return;
    this.#releases.delete(w);
    if (w.alive) w.ref.tell("release", keys);
  }

  /**
   * Add a worker on the attached node `node` (a cluster member): the engine
   * uses it until it dies, and does not replace it (membership does).
   */
  addNode(
    node: string,
    resources: Record<string, number> = {},
    data?: string,
  ): void {
    if (this.#core.closed) return;
    spawnWorker(this.#core, node, resources).data = data;
    // Work that had no worker to go to goes now.
    const waiting = this.#core.unplaced;
    this.#core.unplaced = [];
    for (const r of waiting) if (r.state === "ready") this.#makeReady(r);
    this.#pump();
  }

  /**
   * For a cluster: `drop` closes the connection of a node that broke the
   * protocol; `logger` gets the reasons.
   */
  watchNodes(
    drop: (node: string, reason: string) => void,
    logger: (message: string) => void,
  ): void {
    this.#core.onBadNode = drop;
    this.#core.logger = logger;
  }

  /**
   * The attached node `node` is leaving in good order: it takes no more
   * work, its running tasks finish there, the results only it holds are
   * copied to the others, then it is dropped, all within `ms`, no death
   * counted (see `node_retirement.ts`). Resolves once it is out.
   */
  retireNode(node: string, ms: number = RETIRE_MS): Promise<void> {
    return retireNode(this.#core, node, ms);
  }

  // ---- what futures and computations ask ----

  /** The status of `key`, as a future sees it. */
  statusOf(key: string): FutureStatus {
    return futureStatus(this.#tasks.get(key));
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
  values(keys: readonly string[], last = false): Promise<unknown[]> {
    return values(this.#core, keys, last);
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
    if (r.state === "memory") {
      for (const w of r.holders) {
        w.has.delete(r);
        this.#releaseOn(w, r.key);
      }
      r.holders = [];
    }
    if (r.state === "processing") this.#abandon(r); // not started: it won't
    this.#fail(r, new CancelledError(key), true);
    this.#pump();
  }

  /**
   * Cancel the running computations whose id or name is `which`: each of
   * their tasks not done is cancelled (in every computation that shares
   * it). Returns the computations cancelled (copies, as they ended).
   */
  cancelComputations(which: string): Computation[] {
    const hit = [...this.#running].filter((c) =>
      String(c.id) === which || c.name === which
    );
    if (hit.length === 0) return [];
    for (const r of [...this.#tasks.values()]) {
      if (r.computations.some((c) => hit.includes(c))) this.cancel(r.key);
    }
    return hit.map((c) => ({ ...c }));
  }

  /**
   * Nobody wants `r`'s run any more: if it was sent ahead and has not
   * started, the worker drops it (and says so); if it runs, its result will
   * be dropped when it comes.
   */
  #abandon(r: TaskRecord): void {
    const w = r.worker;
    r.worker = undefined;
    if (w !== undefined && w.alive && r.runSeq > 0) {
      this.#flushReleases(w);
      w.ref.tell("cancel", [r.runSeq]);
    }
  }

  /** Stop the workers (and their hosts). */
  async close(): Promise<void> {
    if (this.#core.closed) return;
    this.#core.closed = true;
    clearTimeout(this.#core.hostsTimer);
    this.#core.hostsTimer = undefined;
    for (const r of this.#tasks.values()) {
      if (this.statusOf(r.key) === "pending") {
        this.#fail(r, new CancelledError(r.key), true);
      }
    }
    await stopWorkers(this.#core);
  }
}
