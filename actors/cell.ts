/**
 * The cell: one live actor, with its state, mailbox, run loop and lifecycle.
 *
 * Its lifecycle is in cell_core.ts.
 *
 * The cell is also the `ActorContext` its handlers get, so an actor costs two
 * objects (cell and ref) plus its state.
 *
 * The class keeps its hot path (queueing a message, the run loop, an ask's
 * reply) on its private fields; its cold work is plain functions over a
 * `CellCore` (cell_core.ts): start (cell_start.ts), failure, exit and death
 * (cell_exit.ts), watch (cell_watch.ts), the proxy side (cell_proxy.ts), a
 * full mailbox and link arrivals (cell_overflow.ts).
 *
 * @module
 */

import { Deque } from "./deque.ts";
import type { Address } from "./envelope.ts";
import {
  ActorDeadError,
  type ErrorInfo,
  type ExitReason,
  NameTakenError,
} from "./errors.ts";
import type { RemoteBinding } from "./remote_binding.ts";
import { Mailbox, type MailboxOptions, resolveMailbox } from "./mailbox.ts";
import type { ReplyTo } from "./reply.ts";
import type { ActorRef, AnyRef } from "./ref.ts";
import { HostedRef, LocalRef, refCell } from "./ref.ts";
import { type Links, RemoteRef } from "./hosts/link.ts";
import type {
  BehaviorInfo,
  BehaviorShape,
  Leftover,
  Runtime,
  SystemLike,
} from "./runtime.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import type { Termination, WatchRecord } from "./watch.ts";
import {
  type CellCore,
  DEAD,
  type Extras,
  isThenable,
  newExtras,
  RESOLVED,
  RUNNING,
  STARTING,
  STOPPING,
  type SupervisorLink as CoreSupervisorLink,
  type SysTask,
} from "./cell_core.ts";
import { arrive, overflow, park } from "./cell_overflow.ts";
import {
  bindRemote,
  forwardQueued,
  postToHost,
  remoteExited,
} from "./cell_proxy.ts";
import { restartCell, startCell, whenStarted } from "./cell_start.ts";
import {
  exitCell,
  handlerFailed,
  killCell,
  suspendCell,
  terminateCell,
} from "./cell_exit.ts";
import {
  addWatch,
  notifyCell,
  removeWatch,
  unwatchRef,
  watchRef,
} from "./cell_watch.ts";

export { DEAD, RUNNING, STARTING, STOPPING, SUSPENDED } from "./cell_core.ts";

/** The supervisor side of a supervised cell: where its exits are reported. */
export type SupervisorLink = CoreSupervisorLink<Cell>;

/** The runtime as the cells see it: of cells, with its links. */
export type CellRuntime = Runtime<Cell, Links>;

export type { Leftover };

/** A ref's behaviour when it is not known statically (as in `AnyRef`). */
// deno-lint-ignore no-explicit-any
type Untyped = any;

/**
 * The cell behind a local ref, as the system sees it: `refCell` gives a
 * `CellLike` (the files below the cell cannot name it), and `Cell` is the
 * one `CellLike` there is.
 */
export function cellOf(ref: AnyRef): Cell {
  return refCell(ref) as Cell;
}

// The cell is the `ActorContext` its handlers get: system.ts checks that it
// is one (this file is below the context's, so it cannot name it).
export class Cell implements CellCore {
  readonly id: number;
  readonly name: string | undefined;
  readonly behavior: BehaviorShape;
  readonly arg: unknown;
  readonly rt: CellRuntime;
  readonly parent: Cell | undefined;
  readonly supervisor: SupervisorLink | undefined;
  readonly shutdownTimeout: number;
  state: unknown = undefined;
  status = STARTING;
  /** In the dispatcher's run queue. */
  queued = false;
  /** Whether the dispatcher yields after a long turn (see `run`). */
  get yields(): boolean {
    return this.#info.throughput !== undefined;
  }
  /** A handler's promise (or an async hook) is in flight. */
  busy = false;
  /** Bumped when an in-flight handler is abandoned, to ignore its result. */
  epoch = 0;
  /** Bumped on every restart; exit reports of older incarnations are stale. */
  incarnation = 0;
  received = 0;
  processed = 0;
  failed = 0;
  restarts = 0;
  exitReason: ExitReason | undefined;
  /** Set when the actor runs on a worker or process host. */
  readonly remote: RemoteBinding | undefined;
  #info: BehaviorInfo;
  #mbOptions: Required<MailboxOptions>;
  #mailbox: Mailbox | undefined;
  /**
   * Its own ref (`self`): a `LocalRef` (also its `ref`), or, for an actor
   * that another system placed on this host, a `HostedRef` (which holds its
   * `ref`), made with the cell. One slot for both, so that `self` costs a
   * local actor what it always did.
   */
  #self: LocalRef<Untyped> | HostedRef<Untyped> | undefined;
  #address: Address | undefined;
  #x: Extras<Cell> | undefined; // rarely used state, allocated on first use

  constructor(
    rt: CellRuntime,
    behavior: BehaviorShape,
    arg: unknown,
    options: SpawnOptions | undefined,
    parent: Cell | undefined,
    supervisor: SupervisorLink | undefined,
    alias?: Address,
  ) {
    this.rt = rt;
    if (alias !== undefined) {
      this.#self = new HostedRef(
        this,
        alias,
        (a) => new RemoteRef(a, rt, rt.links),
      );
    }
    this.id = rt.nextId++;
    this.behavior = behavior;
    this.arg = arg;
    this.parent = parent;
    this.supervisor = supervisor;
    this.name = options?.name;
    this.shutdownTimeout = options?.shutdownTimeout ?? rt.shutdownTimeout;
    this.#info = rt.info(behavior);
    this.#mbOptions = options?.mailbox === undefined
      ? this.#info.mailbox
      : resolveMailbox(rt.defaultMailbox, behavior.mailbox, options.mailbox);
    if (options?.placement !== undefined) {
      this.remote = bindRemote(rt, behavior, options);
    }
  }

  // ---- identity -------------------------------------------------------

  get address(): Address {
    return this.#address ??= this.name === undefined
      ? { host: this.rt.host, id: this.id }
      : { host: this.rt.host, id: this.id, name: this.name };
  }

  get label(): string {
    return `${this.name ?? this.behavior.name}#${this.id}`;
  }

  /** Its ref in this system, by its address here (see `self`). */
  get ref(): LocalRef<Untyped> {
    const own = this.#self ??= new LocalRef(this);
    return own instanceof LocalRef ? own : own.local;
  }

  /** Whether it is dead (a restart under a supervisor is not a death). */
  get dead(): boolean {
    return this.status === DEAD;
  }

  get mailboxSize(): number {
    return this.#mailbox?.size ?? 0;
  }

  get mailboxHighWater(): number {
    return this.#mailbox?.highWater ?? 0;
  }

  get mailboxCapacity(): number {
    return this.#mbOptions.capacity;
  }

  get mailboxOptions(): Required<MailboxOptions> {
    return this.#mbOptions;
  }

  // ---- ActorContext ---------------------------------------------------

  /**
   * Its own ref: `ref`, or, for an actor that another system placed here,
   * a ref by its proxy's address there (see `HostedRef`), so that it is the
   * same actor for whoever holds it, across restarts.
   */
  get self(): AnyRef {
    return this.#self ??= new LocalRef(this);
  }

  get system(): SystemLike {
    return this.rt.system;
  }

  get signal(): AbortSignal {
    const x = this.#extras();
    return (x.controller ??= new AbortController()).signal;
  }

  spawn<B extends BehaviorShape>(
    behavior: B,
    arg: Parameters<B["init"]>[0],
    options?: SpawnOptions,
  ): ActorRef<B> {
    if (this.status >= STOPPING) {
      throw new ActorDeadError(
        this.label,
        "spawn",
        this.exitReason ?? { type: "normal" },
      );
    }
    return spawnCell(this.rt, behavior, arg, options, this, undefined)
      .ref as unknown as ActorRef<B>;
  }

  stop(): void {
    this.exit({ type: "normal" });
  }

  watch(ref: AnyRef): void {
    watchRef(this, ref);
  }

  unwatch(ref: AnyRef): void {
    unwatchRef(this, ref);
  }

  // ---- delivery ---------------------------------------------------------

  /**
   * Queue a message. `reply` is the ask's reply handle (undefined for tell).
   * Returns false when the message was not queued (it was dead-lettered, and
   * an ask was failed); throws `MailboxFullError` for a refused tell.
   */
  post(name: string, payload: unknown, reply: ReplyTo | undefined): boolean {
    if (this.status === DEAD) {
      this.rt.deadLetter(this.label, name, payload, "dead-target");
      reply?.fail({ type: "dead", reason: this.exitReason! });
      return false;
    }
    const { forward, peek } = this.#info;
    if (
      peek !== undefined && this.status === RUNNING && this.remote === undefined
    ) {
      peek(this.state, name, payload);
    }
    if (
      forward !== undefined && this.status === RUNNING && this.mailboxSize === 0
    ) {
      this.received++;
      forward(this.state, name, payload, reply);
      return true;
    }
    const remote = this.remote;
    if (remote !== undefined) {
      const sent = postToHost(this, remote, name, payload, reply);
      if (sent !== undefined) return sent;
    }
    const mb = this.#mailbox ??= new Mailbox(this.#mbOptions);
    if (mb.size >= mb.capacity && !overflow(this, mb, name, payload, reply)) {
      return false;
    }
    mb.put(name, payload, reply);
    this.received++;
    if (this.status === RUNNING && !this.busy && !this.queued) {
      this.rt.dispatcher.schedule(this);
    }
    return true;
  }

  /** Queue a message, waiting for room under the backpressure policy. */
  send(name: string, payload: unknown): Promise<void> {
    const mb = this.#mailbox;
    if (
      mb === undefined || mb.size < mb.capacity ||
      mb.overflow !== "backpressure" || this.status === DEAD
    ) {
      this.post(name, payload, undefined);
      return RESOLVED;
    }
    return new Promise((resolve, reject) => {
      park(this, mb, name, payload, undefined, resolve, reject);
    });
  }

  /** Queue a message that came over a link (see cell_overflow.ts). */
  arrive(name: string, payload: unknown, reply: ReplyTo | undefined): void {
    arrive(this, name, payload, reply);
  }

  // ---- the run loop -----------------------------------------------------

  /** Run up to `budget` messages; true when more are ready right now. */
  run(budget: number): boolean {
    const own = this.#info.throughput;
    if (own !== undefined && own < budget) budget = own;
    const mb = this.#mailbox;
    const remote = this.remote;
    const forward = this.#info.forward;
    if (remote !== undefined || forward !== undefined) {
      // A proxy's or a router's queue holds what came while it was
      // (re)starting: pass it on.
      while (budget-- > 0 && this.status === RUNNING && mb !== undefined) {
        const name = mb.take();
        if (name === undefined) return false;
        const { payload, reply } = mb;
        if (mb.waiters !== undefined) mb.admitWaiters();
        if (remote !== undefined) {
          forwardQueued(this, remote, name, payload, reply);
        } else forward!(this.state, name, payload, reply);
      }
      return this.#ready();
    }
    const handlers = this.#info.handlers;
    while (budget-- > 0) {
      if (this.status !== RUNNING || this.busy) return false;
      const sys = this.#x?.sys;
      if (sys !== undefined && sys.length > 0) {
        this.#invoke(sys.shift()!);
        continue;
      }
      if (mb === undefined) return false;
      const name = mb.take();
      if (name === undefined) return false;
      const { payload, reply } = mb;
      if (mb.waiters !== undefined) mb.admitWaiters();
      const handler = handlers.get(name);
      if (handler === undefined) {
        this.#unknown(name, payload, reply);
        continue;
      }
      let result: unknown;
      try {
        result = handler(this.state, payload as never, this);
      } catch (e) {
        handlerFailed(this, name, reply, e);
        continue;
      }
      if (isThenable(result)) {
        this.#await(result, name, reply);
        return false;
      }
      this.processed++;
      if (reply !== undefined) reply.resolve(result);
    }
    return this.#ready();
  }

  #ready(): boolean {
    if (this.status !== RUNNING || this.busy) return false;
    return (this.#mailbox !== undefined && this.#mailbox.size > 0) ||
      (this.#x?.sys !== undefined && this.#x.sys.length > 0);
  }

  /** Whether it is running with a message or a system task ready now. */
  hasWork(): boolean {
    return this.#ready();
  }

  #await(p: PromiseLike<unknown>, name: string, reply: ReplyTo | undefined) {
    this.busy = true;
    const epoch = this.epoch;
    const x = this.#extras();
    x.inflightName = name;
    x.inflightReply = reply;
    p.then(
      (value) => {
        if (epoch !== this.epoch) {
          reply?.resolve(value); // already failed: becomes a late reply
          return;
        }
        this.busy = false;
        x.inflightReply = undefined;
        this.processed++;
        reply?.resolve(value);
        this.#settled();
      },
      (error) => {
        if (epoch !== this.epoch) return;
        this.busy = false;
        x.inflightReply = undefined;
        handlerFailed(this, name, reply, error);
        this.#settled();
      },
    );
  }

  /** An in-flight handler settled: wake a waiting stop, or go on. */
  #settled(): void {
    const idle = this.#x?.idle;
    if (idle !== undefined) {
      this.#x!.idle = undefined;
      idle.resolve();
    }
    if (this.#ready()) this.rt.dispatcher.schedule(this);
  }

  #invoke(task: SysTask): void {
    let result: unknown;
    try {
      result = task();
    } catch (e) {
      handlerFailed(this, "(system)", undefined, e);
      return;
    }
    if (isThenable(result)) this.#await(result, "(system)", undefined);
  }

  #unknown(name: string, payload: unknown, reply: ReplyTo | undefined): void {
    this.rt.deadLetter(this.label, name, payload, "unknown-message");
    reply?.fail({ type: "unknown-message", known: this.#info.names });
  }

  /** Run `task` in this actor's turn, before queued user messages. */
  enqueueSystem(task: SysTask): void {
    if (this.status === DEAD) return;
    (this.#extras().sys ??= new Deque()).push(task);
    if (this.status === RUNNING && !this.busy && !this.queued) {
      this.rt.dispatcher.schedule(this);
    }
  }

  // ---- lifecycle (cell_start.ts, cell_exit.ts, cell_proxy.ts) -------------

  /** Run `init` and `onStart`; resolves once RUNNING (or after failing). */
  start(): void | Promise<void> {
    return startCell(this);
  }

  /** Resolves when the actor is RUNNING; rejects if its start fails. */
  whenStarted(): Promise<void> {
    return whenStarted(this);
  }

  /** Restart in place after `suspend` (same address and mailbox). */
  restart(error: ErrorInfo | undefined, delayMs: number): Promise<void> {
    return restartCell(this, error, delayMs);
  }

  /** The host reports the actor gone, handing back what it still held. */
  remoteExited(reason: ExitReason, returned: Leftover[] = []): void {
    remoteExited(this, reason, returned);
  }

  /** The actor ends by itself: suspended under a supervisor, else dies. */
  exit(reason: ExitReason): void {
    exitCell(this, reason);
  }

  /** Stop taking messages, for a supervisor; true if one was abandoned. */
  suspend(timeoutMs: number): Promise<boolean> {
    return suspendCell(this, timeoutMs);
  }

  /** Stop for good (children, `onStop`), then die; idempotent. */
  terminate(
    reason: ExitReason,
    timeoutMs: number = this.shutdownTimeout,
  ): Promise<void> {
    return terminateCell(this, reason, timeoutMs);
  }

  /** Die now: abandon the current message, kill children, no `onStop`. */
  kill(): void {
    killCell(this);
  }

  /** Set by a host: called at death, synchronously, with what was queued. */
  set handBack(fn: (reason: ExitReason, left: Leftover[]) => void) {
    this.#extras().handBack = fn;
  }

  /** Set by a supervisor: its children in start (spec) order. */
  set stopOrder(order: () => Cell[]) {
    this.#extras().stopOrder = order;
  }

  // ---- watch (cell_watch.ts) ----------------------------------------------

  addWatch(record: WatchRecord): void {
    addWatch(this, record);
  }

  removeWatch(record: WatchRecord): void {
    removeWatch(this, record);
  }

  /** A watched actor died: hand the notice to `onTerminated` in our turn. */
  notify(notice: Termination): void {
    notifyCell(this, notice);
  }

  // ---- tree ---------------------------------------------------------------

  orphan(child: Cell): void {
    this.#x?.children?.delete(child);
  }

  adopt(child: Cell): void {
    (this.#extras().children ??= new Set()).add(child);
  }

  #extras(): Extras<Cell> {
    return this.#x ??= newExtras();
  }

  // ---- its private state, for its cold parts (see `CellCore`) -------------

  get rare(): Extras<Cell> | undefined {
    return this.#x;
  }

  extras(): Extras<Cell> {
    return this.#extras();
  }

  get mailbox(): Mailbox | undefined {
    return this.#mailbox;
  }

  openMailbox(): Mailbox {
    return this.#mailbox ??= new Mailbox(this.#mbOptions);
  }
}

/**
 * Create, register and start a cell; `alias` is, for an actor that another
 * system placed on this host, its proxy's address there (see `Cell.self`).
 */
export function spawnCell(
  rt: CellRuntime,
  behavior: BehaviorShape,
  arg: unknown,
  options: SpawnOptions | undefined,
  parent: Cell | undefined,
  supervisor: SupervisorLink | undefined,
  alias?: Address,
): Cell {
  if (behavior?.kind !== "behavior") {
    throw new TypeError(
      "spawn: expected a behaviour made by defineActor or defineSupervisor",
    );
  }
  const cell = new Cell(rt, behavior, arg, options, parent, supervisor, alias);
  const name = options?.name;
  if (name !== undefined) {
    if (rt.names.has(name)) {
      rt.nextId--; // the id was never visible
      throw new NameTakenError(name);
    }
    rt.names.set(name, cell);
  }
  rt.cells.set(cell.id, cell);
  parent?.adopt(cell);
  const started = cell.start();
  if (started !== undefined) {
    // Async start: failures are reported through exit(), not here.
    started.catch(() => {});
  }
  return cell;
}
