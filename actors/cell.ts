/**
 * The cell: one live actor, with its state, mailbox, run loop and lifecycle.
 *
 * Lifecycle: STARTING (running `init`/`onStart`) → RUNNING → either
 * SUSPENDED (exited under a supervisor, waiting for its decision; a restart
 * brings it back to STARTING with the same address and mailbox) or STOPPING →
 * DEAD. Only DEAD is a death: watchers hear of it once.
 *
 * The cell is also the `ActorContext` its handlers get, so an actor costs two
 * objects (cell and ref) plus its state.
 *
 * @module
 */

import type { Timer } from "./timer.ts";
import { PendingAsk } from "./ask.ts";
import { Deque } from "./deque.ts";
import type { Address, AskFailure } from "./envelope.ts";
import {
  ActorDeadError,
  type ErrorInfo,
  errorInfo,
  type ExitReason,
  MailboxFullError,
  NameTakenError,
} from "./errors.ts";
import { RefPayload } from "./hosts/codec.ts";
import { takeTransfer, transfer } from "./transfer.ts";
import { HostError } from "./hosts/hosts.ts";
import {
  forwardToHost,
  prepareForHost,
  REFUSED,
  type RemoteBinding,
  stopOnHost,
} from "./remote_binding.ts";
import { Mailbox, type MailboxOptions, resolveMailbox } from "./mailbox.ts";
import type { ReplyTo } from "./reply.ts";
import type { ActorRef, AnyRef } from "./ref.ts";
import { HostedRef, LocalRef, refAddress, refCell } from "./ref.ts";
import { type Links, RemoteRef } from "./hosts/link.ts";
import type {
  BehaviorInfo,
  BehaviorShape,
  CellLike,
  Leftover,
  PlacedHost,
  Runtime,
  SystemLike,
} from "./runtime.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import { deliverNotice, type Termination, type WatchRecord } from "./watch.ts";

export const STARTING = 0;
export const RUNNING = 1;
export const SUSPENDED = 2;
export const STOPPING = 3;
export const DEAD = 4;

/** The supervisor side of a supervised cell: where its exits are reported. */
export interface SupervisorLink {
  childExited(child: Cell, incarnation: number, reason: ExitReason): void;
}

/** A system message: runs in the actor's turn, before user messages. */
type SysTask = () => unknown;

const RESOLVED: Promise<void> = Promise.resolve();

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === "object" &&
    typeof (x as PromiseLike<unknown>).then === "function";
}

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
export class Cell implements CellLike {
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
  #x: Extras | undefined; // rarely used state, allocated on first use

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
    const placement = options?.placement ?? "local";
    if (placement !== "local") {
      if (
        placement !== "worker" && placement !== "process" &&
        placement !== "node"
      ) {
        throw new TypeError(
          `unknown placement ${
            JSON.stringify(placement)
          } (local, worker, process or node)`,
        );
      }
      const heap = options?.heapLimitMb;
      if (heap !== undefined && !(Number.isInteger(heap) && heap >= 16)) {
        throw new RangeError(
          `heapLimitMb must be an integer >= 16, got ${heap}`,
        );
      }
      if (behavior.module === undefined) {
        throw new HostError(
          `behaviour "${behavior.name}" has no module URL: give defineActor \`module: import.meta.url\` (and export it) to run it on a ${placement}`,
        );
      }
      rt.hosts.checkPermissions(placement, options?.permissions);
      this.remote = {
        placement,
        pin: options?.host,
        permissions: options?.permissions,
        heapLimitMb: options?.heapLimitMb,
        host: undefined,
        id: 0,
        exited: undefined,
      };
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

  get children(): readonly Cell[] {
    return this.#x?.children === undefined ? [] : [...this.#x.children];
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
    if (!(ref instanceof LocalRef)) return this.#watchRemote(refAddress(ref));
    const target = ref.cell;
    const x = this.#extras();
    x.watching ??= new Map();
    const existing = x.watching.get(target);
    if (existing?.active) return;
    const record: WatchRecord = { active: true, watcher: this };
    x.watching.set(target, record);
    target.addWatch(record);
  }

  unwatch(ref: AnyRef): void {
    if (!(ref instanceof LocalRef)) {
      const key = addressKey(refAddress(ref));
      const off = this.#x?.remoteWatching?.get(key);
      this.#x?.remoteWatching?.delete(key);
      off?.();
      return;
    }
    const target = ref.cell;
    const record = this.#x?.watching?.get(target);
    if (record === undefined) return;
    this.#x!.watching!.delete(target);
    target.removeWatch(record);
  }

  /** Watch an actor of another host (or an address not alive here). */
  #watchRemote(address: Address): void {
    const x = this.#extras();
    x.remoteWatching ??= new Map();
    const key = addressKey(address);
    if (x.remoteWatching.has(key)) return;
    const record: WatchRecord = { active: true, watcher: this };
    x.remoteWatching.set(key, this.rt.watches.watch(address, record));
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
      const ready = prepareForHost(remote, this.label, name, payload, reply);
      if (ready === REFUSED) return false;
      if (this.status === RUNNING && this.mailboxSize === 0) {
        this.received++;
        forwardToHost(remote, name, ready, reply);
        return true;
      }
      // Queued as it was sent: made ready again when it goes (rarely: only
      // while the actor is starting, restarting or has a queue). A transfer
      // list that `prepare` moved to its copy goes back with it.
      if (ready instanceof RefPayload) {
        const list = takeTransfer(ready.value);
        if (list !== undefined) transfer(payload as object, list);
      }
    }
    const mb = this.#mailbox ??= new Mailbox(this.#mbOptions);
    if (mb.size >= mb.capacity && !this.#overflow(mb, name, payload, reply)) {
      return false;
    }
    mb.put(name, payload, reply);
    this.received++;
    if (this.status === RUNNING && !this.busy && !this.queued) {
      this.rt.dispatcher.schedule(this);
    }
    return true;
  }

  /** Hand a message that waited in this proxy's queue to the actor's host. */
  #forwardQueued(
    remote: RemoteBinding,
    name: string,
    payload: unknown,
    reply: ReplyTo | undefined,
  ): void {
    let ready: unknown;
    try {
      ready = prepareForHost(remote, this.label, name, payload, reply);
    } catch (e) {
      // A tell that no longer crosses (its payload changed since): a loss.
      this.#lost(name, payload, e);
      return;
    }
    if (ready !== REFUSED) forwardToHost(remote, name, ready, reply);
  }

  /** A tell that cannot be passed on from here: a loss, said why. */
  #lost(name: string, payload: unknown, e: unknown): void {
    this.rt.deadLetter(this.label, name, payload, "no-route");
    this.rt.emit({
      type: "failed",
      address: this.address,
      error: errorInfo(e),
    });
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
      this.#park(mb, name, payload, undefined, resolve, reject);
    });
  }

  /**
   * Queue a message that came over a link. A batch arrives all at once, so
   * where a local sender would get an error (`reject`) or wait
   * (`backpressure`), the message waits here, in order, for room; the drop
   * policies drop as they do for local senders (and the parent hears of it).
   */
  arrive(name: string, payload: unknown, reply: ReplyTo | undefined): void {
    const mb = this.#mailbox;
    if (
      mb !== undefined && this.status !== DEAD &&
      (mb.size >= mb.capacity || (mb.waiters?.length ?? 0) > 0) &&
      (mb.overflow === "reject" || mb.overflow === "backpressure")
    ) {
      this.#park(mb, name, payload, reply, () => {}, () => {
        reply?.fail({
          type: "dead",
          reason: this.exitReason ?? { type: "normal" },
        });
      });
      return;
    }
    try {
      this.post(name, payload, reply);
    } catch (e) {
      // A drop is already a dead letter; a message from a link cannot throw.
      // A tell that cannot be passed on from here (fine for the link it came
      // on, not for the one to the actor's host, such as a Map from a worker
      // for a process actor; or one a router cannot route) is a loss here,
      // said why: not the fault of the host that sent it.
      if (!(e instanceof MailboxFullError)) this.#lost(name, payload, e);
    }
  }

  /** Apply the overflow policy; true when the new message should be queued. */
  #overflow(
    mb: Mailbox,
    name: string,
    payload: unknown,
    reply: ReplyTo | undefined,
  ): boolean {
    const full: AskFailure = { type: "mailbox-full", capacity: mb.capacity };
    switch (mb.overflow) {
      case "drop-oldest": {
        const oldName = mb.take()!;
        const oldReply = mb.reply;
        this.rt.deadLetter(this.label, oldName, mb.payload, "dropped-oldest");
        oldReply?.fail(full);
        return true;
      }
      case "backpressure":
        if (reply !== undefined) {
          // An ask can wait: it has a deadline of its own.
          this.#park(mb, name, payload, reply, () => {}, (e) => {
            if (reply instanceof PendingAsk) reply.reject(e);
          });
          return false;
        }
        break;
      case "drop-newest":
        this.rt.deadLetter(this.label, name, payload, "mailbox-full");
        reply?.fail(full);
        return false;
    }
    // reject, or a tell that cannot wait under backpressure
    this.rt.deadLetter(this.label, name, payload, "mailbox-full");
    if (reply !== undefined) {
      reply.fail(full);
      return false;
    }
    throw new MailboxFullError(this.label, name, mb.capacity);
  }

  #park(
    mb: Mailbox,
    name: string,
    payload: unknown,
    reply: ReplyTo | undefined,
    admitted: () => void,
    refused: (e: Error) => void,
  ): void {
    (mb.waiters ??= new Deque()).push({
      name,
      payload,
      reply,
      admitted: () => {
        this.received++;
        admitted();
      },
      refused,
    });
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
          this.#forwardQueued(remote, name, payload, reply);
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
        result = handler(
          this.state,
          payload as never,
          this,
        );
      } catch (e) {
        this.#handlerFailed(name, reply, e);
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
        this.#handlerFailed(name, reply, error);
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
      this.#handlerFailed("(system)", undefined, e);
      return;
    }
    if (isThenable(result)) this.#await(result, "(system)", undefined);
  }

  #unknown(name: string, payload: unknown, reply: ReplyTo | undefined): void {
    this.rt.deadLetter(this.label, name, payload, "unknown-message");
    reply?.fail({ type: "unknown-message", known: this.#info.names });
  }

  #handlerFailed(name: string, reply: ReplyTo | undefined, e: unknown): void {
    this.failed++;
    const error = errorInfo(e);
    reply?.fail({ type: "handler", error }, e);
    this.rt.emit({ type: "failed", address: this.address, error });
    if (this.behavior.onError === "resume" && name !== "(system)") return;
    this.exit({ type: "failed", error });
  }

  /** Run `task` in this actor's turn, before queued user messages. */
  enqueueSystem(task: SysTask): void {
    if (this.status === DEAD) return;
    (this.#extras().sys ??= new Deque()).push(task);
    if (this.status === RUNNING && !this.busy && !this.queued) {
      this.rt.dispatcher.schedule(this);
    }
  }

  // ---- start and restart ------------------------------------------------

  /** Run `init` and `onStart`; resolves once RUNNING (or after failing). */
  start(): void | Promise<void> {
    if (this.remote !== undefined) return this.#startRemote(this.remote);
    let s: unknown;
    try {
      s = this.behavior.init(this.arg, this);
    } catch (e) {
      return this.#startFailed(e);
    }
    if (isThenable(s)) {
      return Promise.resolve(s).then(
        (v) => this.#afterInit(v),
        (e) => this.#startFailed(e),
      );
    }
    return this.#afterInit(s);
  }

  async #startRemote(remote: RemoteBinding): Promise<void> {
    let host: PlacedHost;
    let id: number;
    try {
      host = this.rt.hosts.place(this);
      remote.host = host;
      id = await host.spawn(this);
    } catch (e) {
      remote.host = undefined;
      return this.#startFailed(e);
    }
    if (this.status !== STARTING) {
      host.killActor(id); // stopped while it was being spawned
      remote.host = undefined;
      return;
    }
    remote.id = id;
    this.#running();
  }

  /**
   * The host reports the actor gone (or the host itself is gone), handing
   * back what was still queued there: it goes back in this proxy's queue, in
   * order, for the next incarnation (a restart) or for dead letters.
   */
  remoteExited(reason: ExitReason, returned: Leftover[] = []): void {
    const remote = this.remote!;
    remote.host = undefined;
    remote.id = 0;
    if (returned.length > 0 && this.status !== DEAD) {
      const mb = this.#mailbox ??= new Mailbox(this.#mbOptions);
      for (const m of returned) mb.put(m.name, m.payload, m.reply);
    }
    const waiter = remote.exited;
    remote.exited = undefined;
    waiter?.resolve(reason);
    if (this.status === RUNNING) this.exit(reason);
  }

  #afterInit(state: unknown): void | Promise<void> {
    if (this.status !== STARTING) return; // stopped while starting
    this.state = state;
    const onStart = this.behavior.onStart;
    if (onStart !== undefined) {
      let r: unknown;
      try {
        r = onStart(state, this);
      } catch (e) {
        return this.#startFailed(e);
      }
      if (isThenable(r)) {
        return Promise.resolve(r).then(
          () => this.#running(),
          (e) => this.#startFailed(e),
        );
      }
    }
    this.#running();
  }

  #running(): void {
    if (this.status !== STARTING) return;
    this.status = RUNNING;
    const started = this.#x?.started;
    if (started !== undefined) {
      this.#x!.started = undefined;
      started.resolve();
    }
    if (this.rt.listeners.length > 0) {
      this.rt.emit({ type: "spawned", address: this.address });
    }
    if (this.#ready()) this.rt.dispatcher.schedule(this);
  }

  #startFailed(e: unknown): void {
    this.failed++;
    const error = errorInfo(e);
    const x = this.#extras();
    x.startError = e;
    const started = x.started;
    if (started !== undefined) {
      x.started = undefined;
      started.reject(e);
    }
    this.rt.emit({ type: "failed", address: this.address, error });
    if (this.status === STARTING) this.exit({ type: "failed", error });
  }

  /** Resolves when the actor is RUNNING; rejects if its start fails. */
  whenStarted(): Promise<void> {
    if (this.status === RUNNING) return RESOLVED;
    if (this.#x?.startError !== undefined) {
      return Promise.reject(this.#x.startError);
    }
    if (this.status !== STARTING && this.status !== SUSPENDED) {
      return Promise.reject(
        new ActorDeadError(
          this.label,
          "start",
          this.exitReason ?? {
            type: "normal",
          },
        ),
      );
    }
    // Starting, or waiting for a supervisor's restart.
    const x = this.#extras();
    return (x.started ??= Promise.withResolvers<void>()).promise;
  }

  /**
   * Restart in place after `suspend`: same address, same mailbox, fresh
   * state. Never rejects: a failing start is reported as a new exit.
   */
  async restart(error: ErrorInfo | undefined, delayMs: number): Promise<void> {
    if (this.status !== SUSPENDED) return;
    const onRestart = this.behavior.onRestart;
    if (onRestart !== undefined && this.state !== undefined) {
      try {
        await onRestart(this.state, this, error);
      } catch {
        // The old incarnation is going anyway; its hook failing changes nothing.
      }
    }
    if (this.status !== SUSPENDED) return;
    this.incarnation++;
    this.restarts++;
    this.state = undefined;
    if (this.#x !== undefined) {
      this.#x.controller = undefined;
      this.#x.startError = undefined;
    }
    this.status = STARTING;
    if (this.rt.listeners.length > 0) {
      this.rt.emit({
        type: "restarted",
        address: this.address,
        restarts: this.restarts,
        delayMs,
        ...(error === undefined ? {} : { error }),
      });
    }
    await this.start();
  }

  // ---- exit, stop, kill ---------------------------------------------------

  /**
   * The actor ends by itself (crash, `ctx.stop()`, a stop request). Under a
   * supervisor it is suspended and the supervisor decides; otherwise it dies.
   */
  exit(reason: ExitReason): void {
    if (this.status >= SUSPENDED) return;
    const sup = this.supervisor;
    if (sup === undefined) {
      void this.terminate(reason);
      return;
    }
    const incarnation = this.incarnation;
    this.suspend(this.shutdownTimeout).then(() => {
      if (this.status === SUSPENDED && this.incarnation === incarnation) {
        sup.childExited(this, incarnation, reason);
      }
    });
  }

  /**
   * Stop taking messages, let the current one finish (killing it after
   * `timeoutMs`), stop children. The mailbox is kept for a restart.
   * Resolves to true when the current message had to be abandoned.
   */
  suspend(timeoutMs: number): Promise<boolean> {
    if (this.status >= STOPPING) return Promise.resolve(false);
    this.status = SUSPENDED;
    this.#x?.controller?.abort(new Error(`${this.label} is stopping`));
    if (this.remote !== undefined) {
      return stopOnHost(this.remote, this.label, timeoutMs);
    }
    return this.#quiesce(timeoutMs).then(async (killed) => {
      await this.#stopChildren();
      return killed;
    });
  }

  /**
   * Stop for good: let the current message finish (or kill it after
   * `timeoutMs`), stop children in reverse start order, run `onStop`, then
   * die. Idempotent: a second call gets the first call's promise.
   */
  terminate(
    reason: ExitReason,
    timeoutMs: number = this.shutdownTimeout,
  ): Promise<void> {
    if (this.status === DEAD) return RESOLVED;
    const x = this.#x;
    if (x?.terminating !== undefined) return x.terminating;
    const wasStarted = this.state !== undefined;
    this.status = STOPPING;
    x?.controller?.abort(new Error(`${this.label} is stopping`));
    if (this.remote !== undefined) {
      return this.#extras().terminating = stopOnHost(
        this.remote,
        this.label,
        timeoutMs,
      ).then(
        (killed) => {
          const graceful = reason.type === "normal" ||
            reason.type === "shutdown";
          this.#finalize(killed && graceful ? { type: "killed" } : reason);
        },
      );
    }
    // Fast path: an idle actor without children or onStop dies at once.
    if (
      !this.busy && (x?.children === undefined || x.children.size === 0) &&
      this.behavior.onStop === undefined
    ) {
      this.#finalize(reason);
      return RESOLVED;
    }
    return this.#extras().terminating = this.#terminateSlow(
      reason,
      timeoutMs,
      wasStarted,
    );
  }

  async #terminateSlow(
    reason: ExitReason,
    timeoutMs: number,
    wasStarted: boolean,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const killed = await this.#quiesce(timeoutMs);
    if (killed && (reason.type === "normal" || reason.type === "shutdown")) {
      reason = { type: "killed" };
    }
    await this.#stopChildren();
    const onStop = this.behavior.onStop;
    if (onStop !== undefined && wasStarted && this.status !== DEAD) {
      try {
        await withDeadline(
          Promise.resolve(onStop(this.state, this, reason)),
          deadline - performance.now(),
        );
      } catch (e) {
        this.rt.emit({
          type: "failed",
          address: this.address,
          error: errorInfo(e),
        });
      }
    }
    this.#finalize(reason);
  }

  /** Die now: abandon the current message, kill children, no `onStop`. */
  kill(): void {
    if (this.status === DEAD) return;
    this.status = STOPPING;
    this.#x?.controller?.abort(new Error(`${this.label} was killed`));
    const remote = this.remote;
    if (remote?.host !== undefined) {
      remote.host.killActor(remote.id);
      remote.host = undefined;
    }
    this.#abandon();
    const children = this.#x?.children;
    if (children !== undefined) {
      for (const c of [...children].reverse()) c.kill();
    }
    this.#finalize({ type: "killed" });
  }

  /** Wait for the in-flight handler, up to `timeoutMs`; true if abandoned. */
  #quiesce(timeoutMs: number): Promise<boolean> {
    if (!this.busy) return Promise.resolve(false);
    const x = this.#extras();
    const idle = x.idle ??= Promise.withResolvers<void>();
    if (timeoutMs === Infinity) return idle.promise.then(() => false);
    let timer: Timer | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(0, timeoutMs));
    });
    return Promise.race([idle.promise.then(() => false), timeout]).then(
      (killed) => {
        clearTimeout(timer);
        if (killed) this.#abandon();
        return killed;
      },
    );
  }

  /** Give up on the in-flight handler: its result will be ignored. */
  #abandon(): void {
    if (!this.busy) return;
    this.busy = false;
    this.epoch++;
    const x = this.#x!;
    const reply = x.inflightReply;
    x.inflightReply = undefined;
    reply?.fail({ type: "dead", reason: { type: "killed" } });
    const idle = x.idle;
    x.idle = undefined;
    idle?.resolve();
  }

  /** Set by a host: called at death, synchronously, with what was queued. */
  set handBack(fn: (reason: ExitReason, left: Leftover[]) => void) {
    this.#extras().handBack = fn;
  }

  /** Set by a supervisor: its children in start (spec) order. */
  set stopOrder(order: () => Cell[]) {
    this.#extras().stopOrder = order;
  }

  async #stopChildren(): Promise<void> {
    const x = this.#x;
    const children = x?.children;
    if (children === undefined || children.size === 0) return;
    const ordered = x!.stopOrder?.() ?? [...children];
    // Anything not in the supervisor's order (ctx.spawn children) goes first.
    const rest = [...children].filter((c) => !ordered.includes(c));
    for (const c of [...ordered.reverse(), ...rest.reverse()]) {
      await c.terminate({ type: "shutdown" });
    }
  }

  #finalize(reason: ExitReason): void {
    this.status = DEAD;
    this.exitReason = reason;
    const rt = this.rt;
    const label = this.label;
    const mb = this.#mailbox;
    const handBack = this.#x?.handBack;
    if (mb !== undefined && handBack !== undefined) {
      // A host hands what was still queued back to the parent's proxy,
      // which keeps it for the next incarnation (or dead-letters it).
      const left: Leftover[] = [];
      for (let name = mb.take(); name !== undefined; name = mb.take()) {
        left.push({ name, payload: mb.payload, reply: mb.reply });
      }
      handBack(reason, left);
    } else if (handBack !== undefined) handBack(reason, []);
    if (mb !== undefined) {
      const dead: AskFailure = { type: "dead", reason };
      for (let name = mb.take(); name !== undefined; name = mb.take()) {
        const reply = mb.reply;
        rt.deadLetter(label, name, mb.payload, "stopped");
        reply?.fail(dead);
      }
      const waiters = mb.waiters;
      if (waiters !== undefined) {
        for (let w = waiters.shift(); w !== undefined; w = waiters.shift()) {
          rt.deadLetter(label, w.name, w.payload, "stopped");
          w.refused(new ActorDeadError(label, w.name, reason));
        }
      }
    }
    rt.cells.delete(this.id);
    if (this.name !== undefined && rt.names.get(this.name) === this) {
      rt.names.delete(this.name);
    }
    this.parent?.orphan(this);
    const x = this.#x;
    if (x !== undefined) {
      x.sys = undefined;
      if (x.watching !== undefined) {
        for (const [target, record] of x.watching) target.removeWatch(record);
        x.watching = undefined;
      }
      if (x.remoteWatching !== undefined) {
        for (const off of x.remoteWatching.values()) off();
        x.remoteWatching = undefined;
      }
      const watchers = x.watchers;
      x.watchers = undefined;
      if (watchers !== undefined) {
        const notice: Termination = { address: this.address, reason };
        for (const w of watchers) deliverNotice(w, notice);
      }
      const started = x.started;
      x.started = undefined;
      started?.reject(new ActorDeadError(label, "start", reason));
    }
    if (rt.listeners.length > 0) {
      rt.emit({ type: "stopped", address: this.address, reason });
    }
  }

  // ---- watch --------------------------------------------------------------

  addWatch(record: WatchRecord): void {
    if (this.status === DEAD) {
      deliverNotice(record, {
        address: this.address,
        reason: this.exitReason!,
      });
      return;
    }
    (this.#extras().watchers ??= []).push(record);
  }

  removeWatch(record: WatchRecord): void {
    record.active = false;
    const watchers = this.#x?.watchers;
    if (watchers === undefined) return;
    const i = watchers.indexOf(record);
    if (i >= 0) watchers.splice(i, 1);
  }

  /** A watched actor died: hand the notice to `onTerminated` in our turn. */
  notify(notice: Termination): void {
    const onTerminated = this.behavior.onTerminated;
    const watching = this.#x?.watching;
    if (watching !== undefined) {
      for (const target of watching.keys()) {
        if (target.address === notice.address) watching.delete(target);
      }
    }
    this.#x?.remoteWatching?.delete(addressKey(notice.address));
    if (onTerminated === undefined) return;
    this.enqueueSystem(() => onTerminated(this.state, notice, this));
  }

  // ---- tree ---------------------------------------------------------------

  orphan(child: Cell): void {
    this.#x?.children?.delete(child);
  }

  adopt(child: Cell): void {
    (this.#extras().children ??= new Set()).add(child);
  }

  #extras(): Extras {
    return this.#x ??= {
      sys: undefined,
      children: undefined,
      watchers: undefined,
      watching: undefined,
      remoteWatching: undefined,
      controller: undefined,
      idle: undefined,
      started: undefined,
      terminating: undefined,
      inflightName: undefined,
      inflightReply: undefined,
      stopOrder: undefined,
      startError: undefined,
      handBack: undefined,
    };
  }
}

/** The parts of a cell that most actors never need. */
interface Extras {
  sys: Deque<SysTask> | undefined;
  children: Set<Cell> | undefined;
  watchers: WatchRecord[] | undefined;
  watching: Map<CellLike, WatchRecord> | undefined;
  /** Watches on actors of other hosts, by address: their unwatch. */
  remoteWatching: Map<string, () => void> | undefined;
  controller: AbortController | undefined;
  idle: PromiseWithResolvers<void> | undefined;
  started: PromiseWithResolvers<void> | undefined;
  terminating: Promise<void> | undefined;
  inflightName: string | undefined;
  inflightReply: ReplyTo | undefined;
  stopOrder: (() => Cell[]) | undefined;
  /** Why the current incarnation failed to start, for `whenStarted`. */
  startError: unknown;
  /** Set by a host: takes the messages still queued when the actor dies. */
  handBack: ((reason: ExitReason, left: Leftover[]) => void) | undefined;
}

/** An address as a map key. */
function addressKey(a: Address): string {
  return `${a.id}@${a.host}`;
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

/** Reject `p`'s wait after `ms`, clearing the timer either way. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  if (ms === Infinity) return p;
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`onStop did not finish within the shutdown timeout`)),
      Math.max(0, ms),
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
