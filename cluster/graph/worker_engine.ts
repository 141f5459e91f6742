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

import { ActorDeadError, describeReason } from "../../actors/errors.ts";
import type { ActorRef } from "../../actors/ref.ts";
import type { ActorSystem } from "../../actors/system.ts";
import { CrossingError } from "../../actors/hosts/codec.ts";
import type { HostPermissions, Placement } from "../../actors/hosts/hosts.ts";
import type { Task } from "../../actors/pool/tasks.ts";
import type { Delayed } from "./delayed.ts";
import {
  CancelledError,
  GraphTimeoutError,
  KilledWorkerError,
  TaskFailedError,
} from "./errors.ts";
import type { FutureStatus } from "./future.ts";
import type { Graph } from "./graph.ts";
import { GraphWorker, type RunMessage } from "./graph_worker.ts";
import { KEY } from "./keys.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { memoryStatus } from "../memory/worker_memory.ts";
import {
  type EngineMemory,
  removeWorkerSpaces,
  workerMemory,
  workerPermissions,
} from "../memory/engine_memory.ts";
import { type TaskRun, TaskStream } from "./task_stream.ts";
import { FailureLog } from "./failures.ts";
import { EngineMetrics } from "./metrics.ts";
import {
  type Computation,
  countGroup,
  newComputation,
  type ProgressListener,
  type SchedulerStatus,
  STREAM_MS,
} from "./computation.ts";
import {
  HeldSet,
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
  takeQueued,
} from "./task_placement.ts";
import {
  brief,
  errorFromWorker,
  randomId,
  REASON_CHARS,
  Reports,
} from "./engine_reports.ts";
import {
  cannotCross,
  deadline,
  DEFAULT_BYTES_PER_MS,
  nextBandwidth,
  type Pull,
  WorkerGone,
} from "./value_transfers.ts";
import {
  type GraphOutline,
  graphSnapshot,
  type TaskGraph,
} from "./graph_snapshot.ts";

/** Settings of the engine. */
export interface WorkerEngineOptions {
  placement: Placement;
  workers: number;
  window: number;
  allowedFailures: number;
  permissions?: HostPermissions;
  /**
   * How many of `workers` run on the caller's event loop (`local`), the
   * others where `placement` says: they take tasks at once, while the hosts
   * of the others start (see `caller_workers.ts`).
   */
  callerWorkers?: number;
  /**
   * With caller workers: the others' hosts start once work has been
   * outstanding this long (ms; default 0, at once).
   */
  hostsAfterMs?: number;
  /** Where a worker that broke the protocol is reported (default `console.warn`). */
  logger?: (message: string) => void;
  /** The memory limit of each worker and where they spill (none: no limit). */
  memory?: EngineMemory;
}

/**
 * How long a node's retirement may take, in ms (as long as a node waits for
 * it: `LEAVE_MS`): its running tasks have two thirds of it to finish, the
 * copies of its results the rest; then it is dropped all the same, what
 * was not copied lost (and recomputed where needed), no death counted.
 */
const RETIRE_MS = 30_000;

/**
 * How long a worker host takes to be of use (ms): creating it, loading its
 * modules, its first tasks cold. Deferred hosts start only for more work.
 */
const HOST_START_MS = 200;

let engineSeq = 0;

/** Computes graphs on graph-worker actors. */
export class WorkerEngine {
  readonly #system: ActorSystem;
  readonly #options: WorkerEngineOptions;
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #workers: WorkerRecord[] = [];
  readonly #transfers = new Map<string, Promise<void>>();
  readonly #releases = new Map<WorkerRecord, string[]>();
  readonly #listeners = new Set<ProgressListener>();
  readonly #id = ++engineSeq;
  #workerSeq = 0;
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
  #closed = false;
  #flushQueued = false;
  /** Worker hosts not started yet (see `hostsAfterMs`), and their timer. */
  #deferredHosts = 0;
  #hostsTimer?: ReturnType<typeof setTimeout>;
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
  /** Ready tasks waiting for a worker to exist (cluster with no members). */
  #unplaced: TaskRecord[] = [];
  /** Live workers by the id their reports carry. */
  readonly #byId = new Map<number, WorkerRecord>();
  /** Where the workers' reports come in. */
  readonly #reports: ActorRef<typeof Reports>;
  /** Pulls under way, by number. */
  readonly #pulls = new Map<number, Pull>();
  #pullSeq = 0;
  /** Malformed reports that named no worker. */
  #unattributed = 0;
  /** Bytes per ms values moved at between workers lately. */
  #bandwidth = DEFAULT_BYTES_PER_MS;
  #logger: (message: string) => void;
  /** Told when a cluster node broke the protocol: it is to be dropped. */
  #onBadNode?: (node: string, reason: string) => void;

  constructor(system: ActorSystem, options: WorkerEngineOptions) {
    this.#system = system;
    this.#options = options;
    this.#logger = options.logger ?? ((m) => console.warn(m));
    this.#reports = system.spawn(Reports, {
      done: (m) => this.#onDone(m),
      failed: (m) => this.#onFailed(m),
      skipped: (m) => this.#onSkipped(m),
      pulled: (m) => this.#onPulled(m),
      memory: (m) => this.#onMemory(m),
    }, { mailbox: { capacity: Infinity } });
    const here = Math.min(options.callerWorkers ?? 0, options.workers);
    for (let i = 0; i < here; i++) this.#spawnWorker(undefined, {}, "local");
    if (here > 0 && (options.hostsAfterMs ?? 0) > 0) {
      this.#deferredHosts = options.workers - here;
    } else {
      for (let i = here; i < options.workers; i++) this.#spawnWorker();
    }
  }

  /**
   * Work was submitted: if hosts are still to start, look again once it
   * has been outstanding `hostsAfterMs`, and start them if what is left
   * would keep the caller's workers busy longer than a host takes to start
   * (a graph done by then, or nearly, never pays for one).
   */
  #armHosts(): void {
    if (this.#deferredHosts === 0 || this.#hostsTimer !== undefined) return;
    this.#hostsTimer = setTimeout(() => {
      this.#hostsTimer = undefined;
      if (this.#closed || this.#running.size === 0) return;
      if (this.#callerMsLeft() < HOST_START_MS) {
        this.#armHosts();
        return;
      }
      const n = this.#deferredHosts;
      this.#deferredHosts = 0;
      for (let i = 0; i < n; i++) this.#spawnWorker();
    }, this.#options.hostsAfterMs);
  }

  /**
   * About how long the caller's workers would take for the tasks left: as
   * many tasks as the running computations have left, each as long as the
   * kinds measured so far on average (none measured: as long as it gets).
   */
  #callerMsLeft(): number {
    if (this.#durations.size === 0) return Infinity;
    let sum = 0;
    for (const ms of this.#durations.values()) sum += ms;
    let left = 0;
    for (const c of this.#running) left += c.total - c.done;
    const here = this.#workers.filter((w) => w.alive).length;
    return left * (sum / this.#durations.size) / Math.max(1, here);
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

  /** A snapshot of workers, task states and running computations. */
  status(): SchedulerStatus {
    return {
      workers: this.#workers.filter((w) => w.alive).map((w) => ({
        name: workerName(w),
        inFlight: w.inFlight,
        queued: w.queue.size,
        held: w.has.size,
        ...(w.memory === undefined ? {} : { heldMemory: { ...w.memory } }),
        ...(w.retiring ? { retiring: true } : {}),
      })),
      tasks: this.counts(),
      transfers: { ...this.#transferred },
      computations: [...this.#lastFinished, ...this.#running]
        .sort((a, b) => a.id - b.id)
        .map((c) => ({ ...c })),
      stream: this.#stream.since(Date.now() - STREAM_MS, 500),
    };
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
      this.#closed,
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
    if (computation.done < computation.total) this.#armHosts();
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
      this.#unplaced.push(r); // no worker yet: the next one to join takes it
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
      if (thief.inFlight > 0 || thief.queue.size > 0) continue;
      if (thief.memory?.paused) continue;
      let victim: WorkerRecord | undefined;
      for (const w of this.#workers) {
        if (
          w !== thief && w.alive && w.queue.size > (victim?.queue.size ?? 0)
        ) victim = w;
      }
      if (victim === undefined) continue;
      const r = stealFrom(victim, thief, this.#bandwidth, this.#durations);
      if (r !== undefined) this.#dispatch(r, thief);
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
    Promise.all(missing.map((d) => this.#transfer(d, w))).then(
      () => {
        w.incoming.delete(r);
        if (r.state !== "processing" || r.worker !== w || !w.alive) return;
        w.inFlight++;
        this.#send(r, w);
      },
      (e) =>
        cannotCross(e) === undefined
          ? this.#undispatch(r, w)
          : this.#unmovable(r, w, e),
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
      const moved = () => {
        if (!w.alive) throw new WorkerGone("the target worker is gone");
        if (!d.holders.includes(w)) d.holders.push(w);
        w.has.add(d);
      };
      // Node to node when both are cluster nodes and the holder serves its
      // values; else through here (fetch, then put).
      const direct = w.node !== undefined && from.data !== undefined;
      const began = performance.now();
      const bytes = d.bytes;
      this.#flushReleases(w);
      t = (direct
        ? this.#pull(d.key, from, w).then(() => {
          this.#transferred.direct++;
          moved();
        })
        // No deadline: a fetch waits as long as the value takes to come,
        // and ends if the holder dies.
        : from.ref.ask("fetch", [d.key], { timeout: Infinity }).then(
          (values) => {
            if (!Array.isArray(values) || values.length !== 1) {
              this.#badPeer(from, "answered a fetch with something else");
              throw new WorkerGone("the holder broke the protocol");
            }
            if (!w.alive) throw new WorkerGone("the target worker is gone");
            this.#flushReleases(w);
            w.ref.tell("put", [d.key, values[0]]);
            this.#transferred.relayed++;
            moved();
          },
        )).then(() => this.#measured(bytes, performance.now() - began), (e) => {
          // The holder died: its death reschedules what needed the value. Or
          // it does not have the value after all: then it is lost there. (A
          // value that cannot cross is still there: see `#unmovable`.)
          if (e instanceof WorkerGone) throw e;
          if (e instanceof ActorDeadError) this.#workerDied(from, e.message);
          else if (cannotCross(e) === undefined) this.#lostCopy(d, from);
          throw e;
        }).finally(() => this.#transfers.delete(id));
      this.#transfers.set(id, t);
    }
    return t;
  }

  /** Have `to` pull `key` from `from`'s data server (node to node). */
  #pull(key: string, from: WorkerRecord, to: WorkerRecord): Promise<void> {
    const req = ++this.#pullSeq;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pulls.set(req, { resolve, reject, from, to });
    to.ref.tell("pull", [req, [key], from.data!]);
    return promise;
  }

  /** A value of `bytes` took `ms` to move: update the bandwidth seen. */
  #measured(bytes: number, ms: number): void {
    this.metrics.moved(bytes);
    this.#bandwidth = nextBandwidth(this.#bandwidth, bytes, ms);
  }

  /**
   * An input of `r` cannot cross to `w` (it holds a function, say): `r`
   * fails, naming why, instead of waiting for a copy that never comes.
   */
  #unmovable(
    r: TaskRecord,
    w: WorkerRecord,
    e: unknown,
    what = "an input",
  ): void {
    w.incoming.delete(r);
    if (r.state !== "processing" || r.worker !== w) return;
    r.worker = undefined;
    this.#fail(
      r,
      new TaskFailedError(
        r.key,
        r.node.task.taskName,
        new CrossingError(
          `${what} cannot cross to its worker: ${cannotCross(e)}`,
        ),
        r.attempts,
      ),
      false,
    );
    this.#pump();
  }

  /** A transfer failed (a worker died): put `r` back to be scheduled again. */
  #undispatch(r: TaskRecord, w: WorkerRecord): void {
    w.incoming.delete(r);
    if (r.state !== "processing" || r.worker !== w) return;
    r.worker = undefined;
    r.state = "released";
    if (this.#needed(r)) this.#need(r);
    this.#pump();
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
      this.#reported(w, seq);
      queueMicrotask(() => this.#unmovable(r, w, e, "an argument"));
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
      // Whose it is cannot be told: it is ignored, and logged now and then
      // (a peer that sends them by the million must not flood the log).
      const n = ++this.#unattributed;
      if (n <= 10 || n % 10_000 === 0) {
        this.#logger(
          `a graph worker sent a malformed ${what} report (${n} so far): ignored (${
            brief(msg)
          })`,
        );
      }
      return undefined;
    }
    const w = this.#byId.get(msg[0]);
    return w?.alive ? w : undefined;
  }

  /** The run `seq` of `w` is over: take it off its books. */
  #reported(w: WorkerRecord, seq: unknown): TaskRecord | undefined {
    if (typeof seq !== "number") return undefined;
    const r = w.running.get(seq);
    if (r === undefined) return undefined;
    w.running.delete(seq);
    w.inFlight--;
    w.onRunEnded?.();
    return r;
  }

  /** Whether `r`'s run `seq` on `w` is still the one that counts. */
  #current(r: TaskRecord, w: WorkerRecord, seq: number): boolean {
    return r.state === "processing" && r.worker === w && r.runSeq === seq;
  }

  #onDone(msg: unknown): void {
    const w = this.#reporter(msg, "done");
    if (w === undefined) return;
    const m = msg as unknown[];
    const [, seq, size, ms] = m;
    if (
      m.length !== 4 || typeof size !== "number" || typeof ms !== "number" ||
      !(ms >= 0 && ms < Infinity)
    ) {
      return this.#badPeer(w, `a malformed done report (${brief(msg)})`);
    }
    const r = this.#reported(w, seq);
    if (r === undefined) {
      return this.#badPeer(
        w,
        `a done report of a run it was not given (${brief(seq)})`,
      );
    }
    this.#finished(r, w, seq as number, size, ms);
  }

  #onFailed(msg: unknown): void {
    const w = this.#reporter(msg, "failed");
    if (w === undefined) return;
    const m = msg as unknown[];
    const [, seq, why, detail] = m;
    const ok = m.length === 4 &&
      (why === "error" || why === "timeout" ||
        (why === "missing" && typeof detail === "string"));
    if (!ok) {
      return this.#badPeer(w, `a malformed failed report (${brief(msg)})`);
    }
    const r = this.#reported(w, seq);
    if (r === undefined) {
      return this.#badPeer(
        w,
        `a failed report of a run it was not given (${brief(seq)})`,
      );
    }
    this.#failed(r, w, seq as number, why, detail);
  }

  #onSkipped(msg: unknown): void {
    const w = this.#reporter(msg, "skipped");
    if (w === undefined) return;
    const seqs = (msg as unknown[])[1];
    if (
      (msg as unknown[]).length !== 2 || !Array.isArray(seqs) ||
      !seqs.every((x) => typeof x === "number" && w.running.has(x))
    ) {
      return this.#badPeer(w, `a malformed skipped report (${brief(msg)})`);
    }
    for (const seq of seqs) {
      const r = this.#reported(w, seq)!;
      if (this.#current(r, w, seq)) {
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
    const memory = memoryStatus((msg as unknown[]).slice(1));
    if (memory === undefined) {
      return this.#badPeer(w, `a malformed memory report (${brief(msg)})`);
    }
    const was = w.memory;
    w.memory = memory;
    // Resumed, or below its target again: it takes work again.
    if (was !== undefined && (was.paused || was.full)) this.#pump();
  }

  #onPulled(msg: unknown): void {
    const w = this.#reporter(msg, "pulled");
    if (w === undefined) return;
    const m = msg as unknown[];
    const [, req, error, kind] = m;
    if (
      typeof req !== "number" || !(req > 0 && req <= this.#pullSeq) ||
      m.length > 4 || (kind !== undefined && kind !== "crossing") ||
      (error !== undefined && error !== null && typeof error !== "string")
    ) {
      return this.#badPeer(w, `a malformed pulled report (${brief(msg)})`);
    }
    const pull = this.#pulls.get(req);
    // (Not there: it ended already, its holder gone; this is its late end.)
    if (pull === undefined || pull.to !== w) return;
    this.#pulls.delete(req);
    if (typeof error === "string") {
      pull.reject(
        kind === "crossing" ? new CrossingError(error) : new Error(error),
      );
    } else pull.resolve();
  }

  /**
   * `w` broke the protocol (a node sent what no worker sends): it is
   * dropped as a bad peer, with a reason in the log, and its work goes
   * elsewhere. The scheduler goes on.
   */
  #badPeer(w: WorkerRecord, reason: string): void {
    if (!w.alive) return;
    const why = `graph worker ${workerName(w)} sent ${
      reason.slice(0, REASON_CHARS)
    }: dropped`;
    this.#logger(why);
    if (w.node !== undefined) this.#onBadNode?.(w.node, why);
    else if (w.host === undefined) void this.#system.stop(w.ref);
    this.#workerDied(w, why);
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
    if (!this.#current(r, w, seq)) {
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
    why: "error" | "timeout" | "missing",
    detail: unknown,
  ): void {
    const now = performance.now();
    this.#ran(r, w, Math.max(r.sentAt, w.lastDone ?? 0), now, false);
    w.lastDone = now;
    if (!this.#current(r, w, seq)) return this.#pump();
    r.worker = undefined;
    if (why === "missing") {
      // An input is not where it was thought to be: make it again (this run
      // was no attempt), then this task.
      r.attempts--;
      r.state = "released";
      const dep = this.#tasks.get(detail as string);
      if (dep !== undefined && r.deps.includes(dep)) this.#lostCopy(dep, w);
      if (this.#needed(r)) this.#need(r);
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
    const outline = this.#outlines.get(id);
    const c = [...this.#running, ...this.#lastFinished].find((c) =>
      c.id === id
    );
    if (outline === undefined || c === undefined) return undefined;
    return graphSnapshot(c, outline, (key) => this.#tasks.get(key)?.state, max);
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
    if (this.#closed) return;
    this.#spawnWorker(node, resources).data = data;
    // Work that had no worker to go to goes now.
    const waiting = this.#unplaced;
    this.#unplaced = [];
    for (const r of waiting) if (r.state === "ready") this.#makeReady(r);
    this.#pump();
  }

  /** `w`'s host is up: it takes tasks (and steals) from now on. */
  #started(w: WorkerRecord): void {
    w.starting = false;
    if (this.#closed || !w.alive) return;
    const waiting = this.#unplaced;
    this.#unplaced = [];
    for (const r of waiting) if (r.state === "ready") this.#makeReady(r);
    this.#pump();
  }

  #spawnWorker(
    node?: string,
    resources: Record<string, number> = {},
    where: Placement = this.#options.placement,
  ): WorkerRecord {
    const placement = node === undefined ? where : "node";
    // Each worker on a host of its own: a task that crashes its host takes
    // only that worker down, and the replacement gets a fresh host.
    const host = node ??
      (placement === "local"
        ? undefined
        : `troupe-graph-${this.#id}-${++this.#workerSeq}`);
    const id = ++this.#workerSeq;
    // Reports name their worker by a number no other worker can guess: a
    // node cannot pass its reports off as another's.
    const reportId = randomId();
    const memory = node === undefined
      ? workerMemory(this.#options.memory, placement, host ?? `local-${id}`)
      : undefined; // (a node has its own)
    const ref = this.#system.spawn(GraphWorker, {
      id: reportId,
      reports: this.#reports,
      memory,
    }, {
      placement,
      host,
      permissions: placement === "local" ? undefined : workerPermissions(
        this.#options.permissions,
        this.#options.memory,
        placement,
      ),
      mailbox: { capacity: Infinity },
    });
    const w: WorkerRecord = {
      id,
      reportId,
      ref,
      inFlight: 0,
      alive: true,
      has: new HeldSet(),
      running: new Map(),
      incoming: new Set(),
      runs: 0,
      queue: new ReadyQueue(),
      host,
      node,
      resources,
      placement,
    };
    if (
      node === undefined && placement !== "local" &&
      (this.#options.callerWorkers ?? 0) > 0
    ) {
      // Tasks stay with the caller's worker until this host is up.
      w.starting = true;
      this.#system.whenStarted(ref).then(
        () => this.#started(w),
        () => {}, // (its death is reported by the watch below)
      );
    }
    this.#workers.push(w);
    this.#byId.set(reportId, w);
    this.#system.watch(
      ref,
      (t) => this.#workerDied(w, describeReason(t.reason)),
    );
    return w;
  }

  /**
   * `w` does not hold `r`'s value after all (it answered a fetch with an
   * error): drop that copy, and recompute the value if it was the last.
   */
  #lostCopy(r: TaskRecord, w: WorkerRecord): void {
    if (!r.holders.includes(w)) return;
    r.holders = r.holders.filter((h) => h !== w);
    w.has.delete(r);
    if (r.holders.length > 0 || r.state !== "memory") return;
    r.state = "released";
    for (const d of r.dependents) {
      if (d.state === "waiting") d.waitingOn++;
      else if (d.state === "ready") {
        d.state = "waiting";
        d.waitingOn = 1;
      }
    }
    if (this.#needed(r)) this.#need(r);
  }

  /**
   * A worker is gone: what it held is lost, what it ran is redone. A death
   * (a lost connection, a crash) `counts` toward each running task's
   * `allowedFailures`; a node that left in good order does not.
   */
  #workerDied(w: WorkerRecord, reason: string, counts = true): void {
    if (!w.alive) return;
    w.alive = false;
    this.#workers.splice(this.#workers.indexOf(w), 1);
    this.#byId.delete(w.reportId);
    this.#releases.delete(w);
    if (w.host !== undefined && w.node === undefined) {
      void this.#system.stopHost(w.host, { timeout: 0 })
        .finally(() => removeWorkerSpaces(this.#options.memory, w.host!));
    }
    // Pulls to it, or from it, end now (a silent holder would never answer;
    // its peers close their connections to it).
    for (const [req, pull] of this.#pulls) {
      if (pull.from !== w && pull.to !== w) continue;
      this.#pulls.delete(req);
      if (pull.from === w && pull.to.alive && w.data !== undefined) {
        pull.to.ref.tell("drop-peer", w.data);
      }
      pull.reject(
        new ActorDeadError(workerName(w), "pull", {
          type: "host-down",
          host: workerName(w),
          detail: reason,
        }),
      );
    }
    if (this.#closed) return;
    if (w.node === undefined) this.#spawnWorker(undefined, {}, w.placement);
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
    for (const [seq, r] of w.running) {
      if (!this.#current(r, w, seq)) continue;
      r.worker = undefined;
      r.attempts--; // a death is not an attempt; it is counted apart
      // (a node that said goodbye and then went before it was done)
      const death = counts && !w.retiring;
      if (death && ++r.deaths >= this.#options.allowedFailures) {
        this.#fail(r, new KilledWorkerError(r.key, r.deaths, reason), false);
      } else r.state = "released";
    }
    w.running.clear();
    w.inFlight = 0;
    // Tasks whose inputs were on their way there never started.
    for (const r of w.incoming) {
      if (r.state === "processing" && r.worker === w) {
        r.worker = undefined;
        r.state = "released";
      }
    }
    w.incoming.clear();
    // What was queued for it goes to the others.
    for (let r = takeQueued(w); r !== undefined; r = takeQueued(w)) {
      this.#makeReady(r);
    }
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

  /**
   * For a cluster: `drop` closes the connection of a node that broke the
   * protocol; `logger` gets the reasons.
   */
  watchNodes(
    drop: (node: string, reason: string) => void,
    logger: (message: string) => void,
  ): void {
    this.#onBadNode = drop;
    this.#logger = logger;
  }

  /**
   * The attached node `node` is leaving in good order (it said goodbye, or
   * it was retired): it takes no more work (its queue goes to the others);
   * the tasks it runs finish there; each result only it holds is copied to
   * the live worker holding the fewest bytes (node to node where both serve
   * their values); then it is dropped. All within `ms` (see `RETIRE_MS`).
   * Nothing it held is recomputed unless a copy failed or was too late,
   * and nothing counts toward any task's `allowedFailures`. Resolves once
   * it is out.
   */
  async retireNode(node: string, ms = RETIRE_MS): Promise<void> {
    const start = performance.now();
    const mine = this.#workers.filter((w) => w.node === node && w.alive);
    for (const w of mine) {
      w.retiring = true;
      for (let r = takeQueued(w); r !== undefined; r = takeQueued(w)) {
        this.#makeReady(r);
      }
      for (const r of [...w.incoming]) this.#undispatch(r, w);
    }
    this.#pump();
    for (const w of mine) await this.#drained(w, start + ms * 2 / 3);
    const heirs = new Map<WorkerRecord, number>();
    for (const x of this.#workers) {
      if (!x.alive || x.retiring) continue;
      let bytes = 0;
      for (const r of x.has) bytes += r.bytes;
      heirs.set(x, bytes);
    }
    for (const w of mine) {
      if (!w.alive) continue;
      const copies: Promise<unknown>[] = [];
      for (const r of [...w.has]) {
        if (r.state !== "memory") continue;
        if (r.holders.some((h) => h.alive && !h.retiring)) continue;
        let to: WorkerRecord | undefined;
        for (const [x, bytes] of heirs) {
          if (x.alive && (to === undefined || bytes < heirs.get(to)!)) to = x;
        }
        if (to === undefined) break; // nowhere to go: lost, as before
        heirs.set(to, heirs.get(to)! + r.bytes);
        copies.push(this.#transfer(r, to).catch(() => {}));
      }
      await deadline(Promise.all(copies), start + ms - performance.now());
      this.#workerDied(w, `${node} left`, false);
    }
  }

  /** Wait until `w` runs nothing, or is gone, or `until` passes. */
  async #drained(w: WorkerRecord, until: number): Promise<void> {
    while (w.alive && w.running.size > 0 && performance.now() < until) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const timer = setTimeout(resolve, until - performance.now());
      w.onRunEnded = resolve;
      await promise;
      clearTimeout(timer);
      w.onRunEnded = undefined;
    }
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
  async values(keys: readonly string[], last = false): Promise<unknown[]> {
    const out = new Array<unknown>(keys.length);
    const have = new Array<boolean>(keys.length).fill(false);
    while (true) {
      const byWorker = new Map<WorkerRecord, number[]>();
      // Values wanted for the last time go by `take` (see takeable).
      const takes = new Set<WorkerRecord>();
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
        const take = last && this.#takeable(r, keys);
        // A worker's keys go in one ask: all taken, or all fetched.
        if (take && !byWorker.has(w)) takes.add(w);
        else if (!take) takes.delete(w);
        let list = byWorker.get(w);
        if (list === undefined) byWorker.set(w, list = []);
        list.push(i);
      }
      if (byWorker.size === 0 && pending.length === 0) return out;
      await Promise.all([...byWorker].map(async ([w, idx]) => {
        try {
          // No deadline: values take as long as they take to come (behind
          // a task that holds the worker's thread, say); a worker that dies
          // ends the ask.
          const vs: unknown = await w.ref.ask(
            takes.has(w) ? "take" : "fetch",
            idx.map((i) => keys[i]),
            { timeout: Infinity },
          );
          if (!Array.isArray(vs) || vs.length !== idx.length) {
            return this.#badPeer(w, "answered a fetch with something else");
          }
          idx.forEach((i, j) => {
            out[i] = vs[j];
            have[i] = true;
          });
        } catch (e) {
          const why = cannotCross(e);
          if (why !== undefined) {
            throw new CrossingError(
              `the value of ${
                idx.map((i) => keys[i]).join(", ")
              } cannot cross to this host: ${why}`,
            );
          }
          if (e instanceof ActorDeadError) this.#workerDied(w, e.message);
          else {
            for (const i of idx) {
              const r = this.#tasks.get(keys[i]);
              if (r !== undefined) this.#lostCopy(r, w);
            }
          }
          // Recomputed (if needed), then fetched again.
        }
      }));
      await Promise.all(pending);
    }
  }

  /**
   * Whether `r`'s value may leave its worker with this fetch (`take`): only
   * on worker hosts (the only ones a buffer can move to), held by one
   * worker, wanted by this computation alone (asked for once, so the release
   * that follows drops it) and read by no task.
   */
  #takeable(r: TaskRecord, keys: readonly string[]): boolean {
    return r.holders.length === 1 && r.holders[0].placement === "worker" &&
      r.wants === 1 && r.dependents.size === 0 &&
      keys.indexOf(r.key) === keys.lastIndexOf(r.key);
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
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#hostsTimer);
    this.#hostsTimer = undefined;
    for (const r of this.#tasks.values()) {
      if (this.statusOf(r.key) === "pending") {
        this.#fail(r, new CancelledError(r.key), true);
      }
    }
    const workers = [...this.#workers];
    await Promise.all(workers.map((w) => this.#system.stop(w.ref)));
    for (const w of workers) w.alive = false;
    for (const pull of this.#pulls.values()) {
      pull.reject(new WorkerGone("the scheduler closed"));
    }
    this.#pulls.clear();
    await this.#system.stop(this.#reports);
    await Promise.all(
      workers.map((w) =>
        w.host === undefined || w.node !== undefined
          ? undefined
          : this.#system.stopHost(w.host)
      ),
    );
    for (const w of workers) {
      if (w.host !== undefined) {
        removeWorkerSpaces(this.#options.memory, w.host);
      }
    }
  }
}
