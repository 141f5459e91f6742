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
import { type TaskRun, TaskStream } from "./task_stream.ts";

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
  /** When it was last sent to a worker (ms). */
  sentAt: number;
  /** The worker a task without inputs was given to (see `#spread`). */
  home?: WorkerRecord;
  /** About how big its result is, in bytes (1 until known). */
  bytes: number;
  /** The worker whose queue it is on, while ready. */
  queuedOn?: WorkerRecord;
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
  /** Ready tasks meant for it, best first. */
  queue: ReadyQueue<TaskRecord>;
  host?: string;
  /** The attached node it runs on (cluster members are not replaced). */
  node?: string;
  /** What the node said it has (for tasks that need resources). */
  resources: Record<string, number>;
  /** Where the node serves the values it holds to other nodes, if it does. */
  data?: string;
  /** When its last task finished (ms), to measure task durations. */
  lastDone?: number;
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
 * Check that `graph` can be submitted (the scheduler is open, and knows the
 * futures it uses), and make its progress record.
 */
export function newComputation(
  graph: Graph,
  id: number,
  closed: boolean,
  knows: (key: string) => boolean,
  onNodes = false,
): Computation {
  if (closed) throw new TypeError("the scheduler is closed");
  if (!onNodes) {
    const pinned = graph.nodes.find((n) =>
      n.options.workers !== undefined || n.options.resources !== undefined
    );
    if (pinned !== undefined) {
      // It would wait forever: only cluster members have names and resources.
      throw new TypeError(
        `task ${pinned.key} asks for workers or resources: those need a cluster's scheduler (startCluster, connect)`,
      );
    }
  }
  for (const key of graph.external.keys()) {
    if (!knows(key)) {
      throw new TypeError(
        `future ${key} is not known to this scheduler (released, or from another one)`,
      );
    }
  }
  return { id, total: graph.nodes.length, done: 0, erred: 0 };
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

/**
 * What one worker of a scheduler is doing now (see `SchedulerStatus`).
 *
 * @example
 * ```ts
 * import type { WorkerStatus } from "@troupe/troupe/cluster";
 * const busy = (w: WorkerStatus) => w.inFlight + w.queued > 0;
 * ```
 */
export interface WorkerStatus {
  /** The node it runs on (a cluster member), or its host's name. */
  name: string;
  /** Tasks sent to it and not finished. */
  inFlight: number;
  /** Ready tasks waiting for it to have room. */
  queued: number;
  /** Results it holds. */
  held: number;
}

/**
 * A snapshot of a scheduler, as plain data (for dashboards and logs).
 *
 * @example
 * ```ts
 * import type { SchedulerStatus } from "@troupe/troupe/cluster";
 * const line = (s: SchedulerStatus) =>
 *   `${s.workers.length} workers, ${s.tasks.memory ?? 0} results held`;
 * ```
 */
export interface SchedulerStatus {
  /** Its live workers. */
  workers: WorkerStatus[];
  /** Tasks it knows, by state (`waiting`, `ready`, `processing`, `memory`...). */
  tasks: Record<string, number>;
  /**
   * Computations not finished yet and the last few that finished (up to
   * 8), by id (copies).
   */
  computations: Computation[];
  /** Values moved between workers so far: node to node, or through it. */
  transfers: { direct: number; relayed: number };
  /** Task runs that ended in the last `STREAM_MS` (at most 500). */
  stream: TaskRun[];
}

/** A worker's name in status and the task stream. */
function workerName(w: WorkerRecord): string {
  return w.node ?? w.host ?? `worker-${w.id}`;
}

/** How far back the task stream of `status()` goes, in ms. */
export const STREAM_MS = 10_000;

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
  #closed = false;
  #flushQueued = false;
  /** Average duration (ms) of each task (by name) on a busy worker. */
  readonly #durations = new Map<string, number>();
  /** Recent task runs, for the dashboard's task stream. */
  readonly #stream = new TaskStream();
  /** Ready tasks waiting for a worker to exist (cluster with no members). */
  #unplaced: TaskRecord[] = [];

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

  /** A snapshot of workers, task states and running computations. */
  status(): SchedulerStatus {
    return {
      workers: this.#workers.filter((w) => w.alive).map((w) => ({
        name: workerName(w),
        inFlight: w.inFlight,
        queued: w.queue.size,
        held: w.has.size,
      })),
      tasks: this.counts(),
      transfers: { ...this.#transferred },
      computations: [...this.#lastFinished, ...this.#running]
        .sort((a, b) => a.id - b.id)
        .map((c) => ({ ...c })),
      stream: this.#stream.since(Date.now() - STREAM_MS),
    };
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
    for (const node of graph.nodes) {
      let rec = this.#tasks.get(node.key);
      if (rec === undefined) {
        rec = this.#record(node, generation);
        this.#tasks.set(node.key, rec);
        if (rec.deps.length === 0) roots.push(rec);
      }
      if (rec.state === "memory") computation.done++;
      else if (rec.state === "erred" || rec.state === "cancelled") {
        computation.done++;
        computation.erred++;
      } else rec.computations.push(computation);
    }
    if (computation.done < computation.total) this.#running.add(computation);
    else this.#ended(computation);
    this.#spread(roots);
    for (const key of outputs) this.#tasks.get(key)!.wants++;
    for (const key of outputs) this.#need(this.#tasks.get(key)!);
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
   * `#spread`); another goes where most of its inputs are, then to the
   * worker with the least work.
   */
  #makeReady(r: TaskRecord): void {
    r.state = "ready";
    let w = r.home !== undefined && r.home.alive && allowed(r, r.home)
      ? r.home
      : undefined;
    if (w === undefined) {
      let bestHeld = -1;
      for (const x of this.#workers) {
        if (!x.alive || !allowed(r, x)) continue;
        // The bytes of its inputs already there (a count when sizes are
        // not known): moving the least data.
        let held = 0;
        for (const d of r.deps) if (d.holders.includes(x)) held += d.bytes;
        if (held > bestHeld || (held === bestHeld && load(x) < load(w))) {
          w = x;
          bestHeld = held;
        }
      }
    }
    if (w === undefined) {
      this.#unplaced.push(r); // no worker yet: the next one to join takes it
      return;
    }
    r.queuedOn = w;
    w.queue.push(r);
  }

  /**
   * Send each worker its queued tasks while it has room; a worker with
   * nothing to do takes (steals) queued work from the busiest one.
   */
  #pump(): void {
    for (const w of this.#workers) if (w.alive) this.#fill(w);
    for (const thief of this.#workers) {
      if (!thief.alive || thief.inFlight > 0 || thief.queue.size > 0) continue;
      let victim: WorkerRecord | undefined;
      for (const w of this.#workers) {
        if (
          w !== thief && w.alive && w.queue.size > (victim?.queue.size ?? 0)
        ) victim = w;
      }
      if (victim === undefined) continue;
      const r = this.#take(victim);
      if (r === undefined) continue;
      if (allowed(r, thief)) this.#dispatch(r, thief);
      else victim.queue.push(r); // (restricted: it stays where it may run)
    }
  }

  /** Dispatch `w`'s queued tasks while it has room. */
  #fill(w: WorkerRecord): void {
    while (w.queue.size > 0) {
      const r = w.queue.peek()!;
      if (r.state !== "ready" || r.queuedOn !== w) {
        w.queue.pop(); // stale: ran elsewhere, or cancelled
        continue;
      }
      if (w.inFlight >= this.#window(r)) return;
      w.queue.pop();
      this.#dispatch(r, w);
    }
  }

  /** The next live task queued on `w`, taken off its queue. */
  #take(w: WorkerRecord): TaskRecord | undefined {
    while (w.queue.size > 0) {
      const r = w.queue.pop()!;
      if (r.state === "ready" && r.queuedOn === w) return r;
    }
    return undefined;
  }

  /**
   * Give the graph's tasks without inputs to the workers in contiguous
   * blocks, in graph order: neighbours (which later meet in one task) share
   * a worker, and each worker has an even share (as Dask co-assigns root
   * tasks).
   */
  #spread(roots: TaskRecord[]): void {
    const live = this.#workers.filter((w) => w.alive);
    // A few tasks go to the least loaded workers instead (see #makeReady).
    if (live.length === 0 || roots.length < 2 * live.length) return;
    for (let i = 0; i < roots.length; i++) {
      roots[i].home = live[Math.floor(i * live.length / roots.length)];
    }
  }

  /**
   * Tasks in flight per worker: enough queued to cover about 2 ms of work
   * of `r`'s kind, so that tiny tasks are not held up by round trips (up to
   * the configured window) and long ones are not committed to a worker
   * early (down to 2: one running, one queued behind it so that the worker
   * never waits for a round trip), which would leave another idle at the
   * end. A task not measured yet counts as long.
   */
  #window(r: TaskRecord): number {
    const ms = this.#durations.get(r.node.task.taskName);
    const max = this.#options.window;
    const min = Math.min(2, max);
    if (ms === undefined) return min;
    return Math.max(min, Math.min(max, Math.ceil(2 / ms)));
  }

  #dispatch(r: TaskRecord, w: WorkerRecord): void {
    r.state = "processing";
    r.worker = w;
    r.queuedOn = undefined;
    w.running.add(r);
    const missing = r.deps.filter((d) => !d.holders.includes(w));
    if (missing.length === 0) {
      w.inFlight++;
      return this.#send(r, w);
    }
    // While its inputs travel (the holder answers between its own tasks),
    // the task takes no slot: `w` keeps busy with work it can start now.
    Promise.all(missing.map((d) => this.#transfer(d, w))).then(
      () => {
        if (r.state !== "processing" || r.worker !== w || !w.alive) {
          w.running.delete(r);
          return;
        }
        w.inFlight++;
        this.#send(r, w);
      },
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
      const moved = () => {
        if (!d.holders.includes(w)) d.holders.push(w);
        w.has.add(d);
      };
      // Node to node when both are cluster nodes and the holder serves its
      // values; else through here (fetch, then put).
      const direct = w.node !== undefined && from.data !== undefined;
      this.#flushReleases(w);
      t = (direct
        ? w.ref.ask("pull", [[d.key], from.data!]).then(() => {
          this.#transferred.direct++;
          moved();
        })
        : from.ref.ask("fetch", [d.key]).then(([value]) => {
          if (!w.alive) throw new Error("the target worker died");
          this.#flushReleases(w);
          w.ref.tell("put", [d.key, value]);
          this.#transferred.relayed++;
          moved();
        })).then(() => {}, (e) => {
          // The holder died: its death reschedules what needed the value. Or
          // it does not have the value after all: then it is lost there.
          if (e instanceof ActorDeadError) this.#workerDied(from, e.message);
          else this.#lostCopy(d, from);
          throw e;
        }).finally(() => this.#transfers.delete(id));
      this.#transfers.set(id, t);
    }
    return t;
  }

  /** A transfer failed (a worker died): put `r` back to be scheduled again. */
  #undispatch(r: TaskRecord, w: WorkerRecord): void {
    if (w.alive) w.running.delete(r);
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
    r.sentAt = performance.now();
    this.#flushReleases(w);
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
      // No deadline unless the task's options give one (not the system's
      // ask timeout: a task takes as long as it takes).
      { timeout: timeout ?? Infinity },
    ).then(
      (size) => this.#finished(r, w, size),
      (e) => this.#failed(r, w, e),
    );
  }

  /** Note a run in the task stream (times from `performance.now()`). */
  #ran(
    r: TaskRecord,
    w: WorkerRecord,
    start: number,
    end: number,
    ok: boolean,
  ): void {
    const origin = performance.timeOrigin;
    this.#stream.record({
      worker: workerName(w),
      task: r.node.task.taskName,
      key: r.key,
      start: origin + start,
      end: origin + end,
      ok,
    });
  }

  #finished(r: TaskRecord, w: WorkerRecord, size?: unknown): void {
    if (!w.alive) return; // its death already rescheduled the work
    const now = performance.now();
    // With more queued behind it, the gap since the last completion on this
    // worker is this task's run time (plus its share of the round trip).
    // It started when it was sent or when the task before it there ended,
    // whichever came last (a round trip included when it did not queue).
    const startedAt = Math.max(r.sentAt, w.lastDone ?? 0);
    const ms = now - startedAt;
    const name = r.node.task.taskName;
    this.#ran(r, w, startedAt, now, true);
    const avg = this.#durations.get(name);
    this.#durations.set(name, avg === undefined ? ms : 0.8 * avg + 0.2 * ms);
    w.lastDone = now;
    w.inFlight--;
    w.running.delete(r);
    if (r.state !== "processing" || r.worker !== w) {
      // Cancelled or forgotten meanwhile: drop the stray copy.
      if (!r.holders.includes(w)) this.#releaseOn(w, r.key);
      return this.#pump();
    }
    r.state = "memory";
    r.worker = undefined;
    r.bytes = typeof size === "number" && size > 0 ? size : 1;
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
    const now = performance.now();
    this.#ran(r, w, Math.max(r.sentAt, w.lastDone ?? 0), now, false);
    w.lastDone = now;
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
      if (c.done >= c.total) this.#ended(c);
      if (this.#listeners.size > 0) {
        for (const l of this.#listeners) l(c);
      }
    }
    r.computations = [];
  }

  /** `c` finished: keep it among the last few, for `status`. */
  #ended(c: Computation): void {
    this.#running.delete(c);
    this.#lastFinished.push(c);
    if (this.#lastFinished.length > 8) this.#lastFinished.shift();
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
        // Its computations count it as ended (not computed), so that they
        // finish and leave the list of running ones.
        this.#settle(r, true);
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

  #spawnWorker(
    node?: string,
    resources: Record<string, number> = {},
  ): WorkerRecord {
    const placement = node === undefined ? this.#options.placement : "node";
    // Each worker on a host of its own: a task that crashes its host takes
    // only that worker down, and the replacement gets a fresh host.
    const host = node ??
      (placement === "local"
        ? undefined
        : `troupe-graph-${this.#id}-${++this.#workerSeq}`);
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
      queue: new ReadyQueue(),
      host,
      node,
      resources,
    };
    this.#workers.push(w);
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

  /** A worker is gone: what it held is lost, what it ran is redone. */
  #workerDied(w: WorkerRecord, reason: string): void {
    if (!w.alive) return;
    w.alive = false;
    this.#workers.splice(this.#workers.indexOf(w), 1);
    this.#releases.delete(w);
    if (w.host !== undefined && w.node === undefined) {
      void this.#system.stopHost(w.host, { timeout: 0 });
    }
    if (this.#closed) return;
    if (w.node === undefined) this.#spawnWorker();
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
    // What was queued for it goes to the others.
    for (let r = this.#take(w); r !== undefined; r = this.#take(w)) {
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
          if (e instanceof ActorDeadError) this.#workerDied(w, e.message);
          else {for (const i of idx) {
              this.#lostCopy(this.#tasks.get(keys[i])!, w);
            }}
          // Recomputed (if needed), then fetched again.
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
        w.host === undefined || w.node !== undefined
          ? undefined
          : this.#system.stopHost(w.host)
      ),
    );
  }
}

/** Whether `w` may run `r` (its node and resources, when restricted). */
function allowed(r: TaskRecord, w: WorkerRecord): boolean {
  const { workers, resources } = r.node.options;
  if (workers !== undefined && !workers.some((n) => onNode(w, n))) {
    return false;
  }
  if (resources !== undefined) {
    for (const [name, amount] of Object.entries(resources)) {
      if ((w.resources[name] ?? 0) < amount) return false;
    }
  }
  return true;
}

/** Whether `w` is the node `name`, or one of its threads (`name.i`). */
function onNode(w: WorkerRecord, name: string): boolean {
  const node = w.node;
  return node !== undefined &&
    (node === name ||
      (node.length > name.length && node.startsWith(name) &&
        node[name.length] === "." &&
        /^\d+$/.test(node.slice(name.length + 1))));
}

/** How much a worker has: sent and queued tasks. */
function load(w: WorkerRecord | undefined): number {
  return w === undefined ? Infinity : w.inFlight + w.queue.size;
}

/** A copy of `args` with `null` at each of `paths`. */
function fillHoles(
  args: readonly unknown[],
  paths: readonly (readonly (string | number)[])[],
): unknown[] {
  return fillArgs(args, paths, paths.map(() => null));
}
