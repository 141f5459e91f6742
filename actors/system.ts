/**
 * The actor system: spawns, finds, stops and watches actors on one host, and
 * shuts everything down in order. With it, the types that name it and each
 * other: `Behavior`, `ActorDefinition` and `ActorContext` (what a handler
 * sees); the rest of the behaviour's types are in behavior.ts.
 *
 * @module
 */

import { preview } from "./preview.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import { type Cell, cellOf, type CellRuntime, spawnCell } from "./cell.ts";
import type { Address } from "./envelope.ts";
import {
  type ExitReason,
  type HandlerError,
  SystemStoppedError,
  UnguardedMainError,
} from "./errors.ts";
import { shutDown, systemDeadlines } from "./system_shutdown.ts";
import { Links, type LinkSend, RemoteRef } from "./hosts/link.ts";
import { ClusterNames, type NameOptions } from "./names.ts";
import { MAX_FRAME } from "./hosts/codec.ts";
import type { ExecSpec } from "./hosts/host_types.ts";
import { HostPool } from "./hosts/host_pool.ts";
import {
  type ActorRef,
  DeadRef,
  isActorRef,
  LocalRef,
  refAddress,
} from "./ref.ts";
import { deliverEnvelope, type Delivery } from "./delivery.ts";
import { register } from "./internals.ts";
import { unguardedMain } from "./main_guard.ts";
import { Runtime } from "./runtime.ts";
import type { WatchRecord } from "./watch.ts";
import {
  type ActorStats,
  type ActorStatus,
  type AttachedHost,
  type ShutdownReport,
  STATUS,
} from "./system_types.ts";

/** Settings of an actor system (its constructor spells them out). */
export type ActorSystemOptions = NonNullable<
  ConstructorParameters<typeof ActorSystem>[0]
>;

export type { ActorStats, ActorStatus, AttachedHost, ShutdownReport };

// ---- the types a handler sees ----------------------------------------
// Behavior's handlers take an ActorContext, whose `system` is the
// ActorSystem below, whose `spawn` takes a Behavior: three public types that
// name each other, so they live in one file (a cycle of files otherwise).
// Everything this file imports sees a behaviour, a cell and the system
// through the runtime's contracts (runtime.ts) instead. behavior.ts has the
// rest of the behaviour's types and `defineActor`.

/**
 * The definition given to {@link defineActor}.
 *
 * @example
 * ```ts
 * import type { ActorDefinition } from "@troupe/troupe";
 * import type { Handlers } from "./behavior.ts";
 * const def: ActorDefinition<number, { n: number }, Handlers<{ n: number }>> = {
 *   init: (n) => ({ n }),
 *   handlers: { get: (s) => s.n },
 * };
 * ```
 */
export interface ActorDefinition<
  A,
  S,
  H extends Record<
    string,
    (state: S, payload: never, ctx: ActorContext) => unknown
  >,
> {
  /** A name for logs and addresses; defaults to `"actor"`. */
  name?: string;
  /**
   * The URL of the module that exports this behaviour (`import.meta.url`):
   * what lets a worker or process host load it. Needed only for those
   * placements; the behaviour's `name` must then be unique in its module.
   */
  module?: string;
  /** Build the state from the spawn argument (again on every restart). */
  init: (arg: A, ctx: ActorContext) => S | Promise<S>;
  /** The named messages this actor handles. */
  handlers: H;
  /** Runs after `init`, before the first message. */
  onStart?: (state: S, ctx: ActorContext) => void | Promise<void>;
  /** Runs once when the actor stops for good, with the reason. */
  onStop?: (
    state: S,
    ctx: ActorContext,
    reason: ExitReason,
  ) => void | Promise<void>;
  /** Runs on the old state before a supervisor restarts the actor. */
  onRestart?: (
    state: S,
    ctx: ActorContext,
    error: HandlerError["original"] | undefined,
  ) => void | Promise<void>;
  /**
   * Gets the termination notice of each actor this one watches: its address
   * and why it is gone.
   */
  onTerminated?: (
    state: S,
    notice: { readonly address: Address; readonly reason: ExitReason },
    ctx: ActorContext,
  ) => void | Promise<void>;
  /** What a throwing handler does to the actor (default `crash`). */
  onError?: "crash" | "resume";
  /** Mailbox bound and overflow policy for actors of this behaviour. */
  mailbox?: {
    /** Most messages it holds (a positive integer or `Infinity`; default 65,536). */
    capacity?: number;
    /**
     * What a full mailbox does with one more: `reject` (the default: the
     * sender gets `MailboxFullError`), `drop-newest`, `drop-oldest`, or
     * `backpressure` (`send` waits for room).
     */
    overflow?: "drop-newest" | "drop-oldest" | "reject" | "backpressure";
  };
  /**
   * Messages an actor of this behaviour handles in a turn before others get
   * theirs (default: the system's `throughput`). An actor that sets it also
   * yields to the event loop after a turn of 1 ms or more. Set 1 for long,
   * CPU-bound handlers: each answer then leaves as soon as its handler
   * returns, instead of after the next message.
   */
  throughput?: number;
}

/**
 * A behaviour: a frozen actor definition whose types drive `tell` and `ask`.
 *
 * @example
 * ```ts
 * import { type Behavior, defineActor } from "@troupe/troupe";
 * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, x: string) => x } });
 * const b: Behavior<void, {}, typeof Echo.handlers> = Echo;
 * ```
 */
// A bare `Behavior` is any behaviour, whatever its types (what a signature
// that takes any behaviour names).
export interface Behavior<
  // deno-lint-ignore no-explicit-any
  A = any,
  // deno-lint-ignore no-explicit-any
  S = any,
  H extends Record<
    string,
    (state: S, payload: never, ctx: ActorContext) => unknown
  > // deno-lint-ignore no-explicit-any
   = any,
> extends Readonly<ActorDefinition<A, S, H>> {
  /** Marks this object as a behaviour. */
  readonly kind: "behavior";
  /** The name for logs and addresses. */
  readonly name: string;
  /** The handlers, by message name. */
  readonly handlers: H;
}

/**
 * The context handed to every handler and lifecycle hook.
 *
 * @example Stop after the first message
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Once = defineActor({
 *   init: () => ({}),
 *   handlers: { hello: (_s, _p: undefined, ctx) => { ctx.stop(); return "bye"; } },
 * });
 * await using system = new ActorSystem();
 * const a = system.spawn(Once);
 * assert.equal(await a.ask("hello"), "bye");
 * ```
 */
export interface ActorContext {
  /**
   * A reference to this actor: the same actor as the ref that `spawn` gave,
   * wherever it runs. On a worker, process or node host it has the address
   * of the actor's proxy in the system that spawned it, so that it outlives
   * restarts (in place, or on a fresh host): whoever holds it reaches the
   * actor running now, and a watcher hears of no restart. A message it
   * sends itself through it goes straight to its own mailbox.
   */
  readonly self: ActorRef;
  /** The system the actor runs in. */
  readonly system: ActorSystem;
  /**
   * Aborted when the actor starts to stop or restart, so that long async
   * work can end early. A fresh signal follows each restart.
   */
  readonly signal: AbortSignal;
  /** How many times a supervisor has restarted this actor. */
  readonly restarts: number;
  /**
   * Spawn a child: it stops before this actor does, and stops with it.
   * A failing child dies (watch it to hear of it); use a supervisor to
   * restart children.
   */
  spawn<B extends Behavior>(
    behavior: B,
    arg: Parameters<B["init"]>[0],
    options?: SpawnOptions,
  ): ActorRef<B>;
  /**
   * Stop this actor after the current message. Under a supervisor this is a
   * normal exit: a `permanent` child is restarted, others are not.
   */
  stop(): void;
  /**
   * Get an `onTerminated` notice when `ref` dies (once per death). `ref` may
   * be of another host (`ctx.system.refFor(address)`): the loss of that host,
   * or of the link to it, is a death with reason `host-down`.
   */
  watch(ref: ActorRef): void;
  /** Stop watching `ref`; no notice comes after this call. */
  unwatch(ref: ActorRef): void;
}

// The cell is the context its handlers get; cell.ts, below this file,
// cannot say so, so it is checked here: all but `system`, which the cell
// reads from its runtime, where it is this class (the runtime's contract,
// SystemLike, names only what the runtime's parts call).
type CellIsContext = Assert<Omit<Cell, "system">, Omit<ActorContext, "system">>;
type Assert<T extends U, U> = T;

/**
 * One host's actors: spawn, look up, stop, watch and observe them.
 *
 * @example Spawn, ask, shut down
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, text: string) => text } });
 * const system = new ActorSystem();
 * const echo = system.spawn(Echo, undefined, { name: "echo" });
 * assert.equal(await echo.ask("echo", "hi"), "hi");
 * assert.equal(system.lookup("echo", Echo)?.address.id, echo.address.id);
 * await system.shutdown();
 * ```
 */
export class ActorSystem implements AsyncDisposable {
  readonly #rt: CellRuntime;
  readonly #hosts: HostPool;
  readonly #links: Links;
  readonly #names: ClusterNames;
  readonly #delivery: Delivery;
  #shutdown: Promise<ShutdownReport> | undefined;

  /**
   * Create a system. It starts nothing until the first spawn.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem({ askTimeout: 2000 });
   * ```
   */
  constructor(options: {
    /** This host's id in addresses (default: a random UUID). */
    host?: string;
    /** Default `ask` deadline in ms (default 5,000). */
    askTimeout?: number;
    /** Default graceful-stop wait per actor in ms before a kill (default 5,000). */
    shutdownTimeout?: number;
    /** Default mailbox for every actor (default 65,536 messages, `reject`). */
    mailbox?: {
      /** Most messages it holds (a positive integer or `Infinity`; default 65,536). */
      capacity?: number;
      /**
       * What a full mailbox does with one more: `reject` (the default: the
       * sender gets `MailboxFullError`), `drop-newest`, `drop-oldest`, or
       * `backpressure` (`send` waits for room).
       */
      overflow?: "drop-newest" | "drop-oldest" | "reject" | "backpressure";
    };
    /** Messages an actor may process per turn before others run (default 64). */
    throughput?: number;
    /** Ms of continuous work before yielding to timers and I/O (default 8). */
    sliceMs?: number;
    /** Most worker hosts in the pool (default: one per core). */
    workers?: number;
    /** Most process hosts in the pool, per permission set (default: one per core). */
    processes?: number;
    /**
     * Set when the application runs with Deno's worker-options enabled
     * (`--unstable-worker-options`), so that worker hosts may take
     * `permissions`. Without it, worker permissions are refused with an error
     * that says so (Deno itself would exit the process).
     */
    workerPermissions?: boolean;
    /** Largest frame to or from a process host, in bytes (default 64 MiB). */
    maxFrame?: number;
    /**
     * How to start a process host. By default: `deno run` of troupe's host
     * entry, or, in a compiled binary (`Deno.build.standalone`), the binary
     * itself re-executed with host flags.
     */
    exec?: ExecSpec;
    /**
     * How long a worker or process host may take to start (to load its
     * modules and say it is ready), in ms; past it, the host is killed and
     * what was placed on it fails with `HostError`. Default 60,000.
     */
    hostStartTimeout?: number;
  } = {}) {
    // On a host that loads the program's main module, its unguarded
    // program code would start the program again there (and again ...).
    const unguarded = unguardedMain();
    if (unguarded !== undefined) throw new UnguardedMainError(unguarded);
    const { askTimeout, shutdownTimeout, hostStart } = systemDeadlines(
      options,
    );
    this.#rt = new Runtime<Cell, Links>(this, {
      host: options.host ?? crypto.randomUUID(),
      askTimeout,
      shutdownTimeout,
      mailbox: options.mailbox,
      dispatcher: { throughput: options.throughput, sliceMs: options.sliceMs },
    });
    this.#links = new Links(this.#rt);
    this.#rt.watches = this.#links.watches;
    this.#rt.links = this.#links;
    this.#names = new ClusterNames(this.#rt, this.#links);
    this.#delivery = {
      rt: this.#rt,
      links: this.#links,
      names: this.#names,
      refFor: (address) => this.refFor(address),
      stop: (ref) => void this.stop(ref),
    };
    const cores = navigator.hardwareConcurrency || 1;
    this.#rt.hosts = this.#hosts = new HostPool(this.#rt, this.#links, {
      worker: options.workers ?? cores,
      process: options.processes ?? cores,
    }, {
      maxFrame: options.maxFrame ?? MAX_FRAME,
      workerPermissions: options.workerPermissions ?? false,
      startTimeout: hostStart,
      exec: options.exec ??
        (Deno.build.standalone
          ? { command: Deno.execPath(), args: [] }
          : undefined),
    });
    register(this, { rt: this.#rt, links: this.#links, hosts: this.#hosts });
  }

  /**
   * Resolves when the actor has started (its `init` and `onStart` ran; for
   * a worker or process actor: it runs on its host); rejects with the error
   * if it failed to start.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const a = system.spawn(defineActor({ init: async () => ({}), handlers: {} }));
   * await system.whenStarted(a);
   * ```
   */
  whenStarted(ref: ActorRef): Promise<void> {
    return cellOf(ref).whenStarted();
  }

  /**
   * Kill an actor now: its current message is abandoned, `onStop` does not
   * run, watchers hear `killed`. For a worker or process actor the host is
   * told to drop it; to free a core stuck in a loop, a stop that times out
   * kills the whole host.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const a = system.spawn(defineActor({ init: () => ({}), handlers: {} }));
   * system.kill(a);
   * console.log(system.stats(a).status); // "dead"
   * ```
   */
  kill(ref: ActorRef): void {
    cellOf(ref).kill();
  }

  /**
   * The worker and process hosts this system runs, with how many actors
   * each holds.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * console.log(system.hosts()); // [] until a worker or process actor is spawned
   * ```
   */
  hosts(): {
    /** The host id (the `host` of its actors' addresses there). */
    readonly id: string;
    /** `worker` or `process`. */
    readonly kind: "worker" | "process" | "node";
    /** Its name, for a pinned host. */
    readonly name: string | undefined;
    /** `starting`, `up` or `down`. */
    readonly state: "starting" | "up" | "down";
    /** Actors placed there. */
    readonly actors: number;
  }[] {
    return this.#hosts.list();
  }

  /**
   * Stop a named (pinned) host: the actors on it end (reason `host-down`),
   * then its isolate ends, gracefully within `timeout` ms, then hard. A
   * later spawn pinned to that name starts a fresh host.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * await system.stopHost("no-such-host"); // nothing to do
   * ```
   */
  stopHost(name: string, options: { timeout?: number } = {}): Promise<void> {
    return this.#hosts.stopNamed(
      name,
      options.timeout ?? this.#rt.shutdownTimeout,
    );
  }

  /**
   * This host's id, the `host` of every local address.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem({ host: "main" });
   * console.log(system.host); // "main"
   * ```
   */
  get host(): string {
    return this.#rt.host;
  }

  /**
   * The dead-letter office: how many dead letters there have been (`count`),
   * counts by reason (`byReason`, a copy), and `subscribe(listener)`, which
   * calls `listener` with every dead letter from now on and returns a
   * function that unsubscribes. The reasons: `unknown-message` (no handler
   * for its name), `mailbox-full` (dropped or refused), `dropped-oldest`
   * (the oldest message, making room), `dead-target`, `stopped` (still
   * queued when its target stopped), `late-reply` (an answer after its ask
   * gave up) and `no-route` (no route to the target's host).
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * console.log(system.deadLetters.count);
   * ```
   */
  get deadLetters(): {
    readonly count: number;
    readonly byReason: Partial<
      Record<
        | "unknown-message"
        | "mailbox-full"
        | "dropped-oldest"
        | "dead-target"
        | "stopped"
        | "late-reply"
        | "no-route",
        number
      >
    >;
    subscribe(
      listener: (letter: {
        /** The intended recipient, as a label (`name#id`). */
        readonly target: string;
        /** The message name (for a late reply: the ask's message name). */
        readonly name: string;
        /** The payload (for a late reply: the reply value). */
        readonly payload: unknown;
        /** Why it was not delivered (a key of `byReason`). */
        readonly reason: keyof ActorSystem["deadLetters"]["byReason"];
      }) => void,
    ): () => void;
  } {
    return this.#rt.deadLetters;
  }

  /**
   * Spawn an actor of `behavior`, built from `arg`. With a `name`, the actor
   * can be found by `lookup`; a name already alive throws `NameTakenError`.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * const Counter = defineActor({ init: (n: number) => ({ n }), handlers: { get: (s) => s.n } });
   * await using system = new ActorSystem();
   * const c = system.spawn(Counter, 5, { name: "counter" });
   * console.log(await c.ask("get")); // 5
   * ```
   */
  spawn<B extends Behavior>(
    behavior: B,
    ...args: undefined extends Parameters<B["init"]>[0]
      ? [arg?: Parameters<B["init"]>[0], options?: SpawnOptions]
      : [arg: Parameters<B["init"]>[0], options?: SpawnOptions]
  ): ActorRef<B> {
    if (this.#rt.closing) throw new SystemStoppedError("spawn");
    return spawnCell(this.#rt, behavior, args[0], args[1], undefined, undefined)
      .ref as unknown as ActorRef<B>;
  }

  /**
   * Register `name` for the actor of `ref` on every host of the cluster
   * (`{ scope: "cluster" }`), to be found with `lookup(name, { scope:
   * "cluster" })` from any of them. The registry is held by the root system
   * (a cluster's scheduler; for worker and process hosts, the program that
   * started them): from any other host this is a request to it, hence a
   * promise. The name ends with the actor: its death, or the loss of its
   * host, removes it. Rejects with `NameTakenError` when the name is held
   * for another actor (registering the same actor again is a no-op), and
   * with `ActorDeadError` (`host-down`) when the root cannot be reached.
   * Names given at spawn (`name`) are this host's only.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   *
   * const Db = defineActor({ init: () => ({}), handlers: { ping: () => "pong" } });
   * await using system = new ActorSystem();
   * const db = system.spawn(Db);
   * await system.register("db", db, { scope: "cluster" });
   * const found = await system.lookup("db", { scope: "cluster", behavior: Db });
   * assert.equal(await found?.ask("ping"), "pong");
   * ```
   */
  register(
    name: string,
    ref: ActorRef,
    options: {
      /** `"cluster"`: the name is known on every host of the cluster. */
      scope: "cluster";
    },
  ): Promise<void> {
    try {
      checkName(name, options);
      if (typeof ref !== "object" || ref === null || !isActorRef(ref)) {
        throw new TypeError(
          `register "${name}": expected an ActorRef, got ${preview(ref)}`,
        );
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#names.register(name, ref);
  }

  /**
   * Remove a cluster-wide name (see `register`); resolves to whether it was
   * registered.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   *
   * await using system = new ActorSystem();
   * const a = system.spawn(defineActor({ init: () => ({}), handlers: {} }));
   * await system.register("a", a, { scope: "cluster" });
   * assert.equal(await system.unregister("a", { scope: "cluster" }), true);
   * assert.equal(await system.lookup("a", { scope: "cluster" }), undefined);
   * ```
   */
  unregister(
    name: string,
    options: {
      /** Where the name lives: `"cluster"`, the scheduler's name table. */
      scope: "cluster";
    },
  ): Promise<boolean> {
    try {
      checkName(name, options);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#names.unregister(name);
  }

  /**
   * The living actor registered on this host under `name` (given at
   * spawn), typed by `behavior` when given (a `TypeError` if it runs
   * another).
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * const Counter = defineActor({ init: () => ({ n: 0 }), handlers: { get: (s) => s.n } });
   * await using system = new ActorSystem();
   * system.spawn(Counter, undefined, { name: "c" });
   * const c = system.lookup("c", Counter);
   * console.log(await c?.ask("get")); // 0
   * ```
   */
  lookup<B extends Behavior = Behavior>(
    name: string,
    behavior?: B,
  ): ActorRef<B> | undefined;
  /**
   * The actor registered under `name` for the whole cluster (see
   * `register`), or `undefined`: a request to the root system, hence a
   * promise (on a node it goes to the scheduler). `behavior` only types the
   * ref (it is not checked across hosts). Rejects with `ActorDeadError`
   * (`host-down`) when the root cannot be reached.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   *
   * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, x: string) => x } });
   * await using system = new ActorSystem();
   * await system.register("echo", system.spawn(Echo), { scope: "cluster" });
   * const echo = await system.lookup("echo", { scope: "cluster", behavior: Echo });
   * assert.equal(await echo?.ask("echo", "hi"), "hi");
   * assert.equal(await system.lookup("nobody", { scope: "cluster" }), undefined);
   * ```
   */
  lookup<B extends Behavior = Behavior>(
    name: string,
    options: {
      /** Where the name lives: `"cluster"`, the scheduler's name table. */
      scope: "cluster";
      /** The behaviour the ref is typed by (not checked). */
      behavior?: B;
    },
  ): Promise<ActorRef<B> | undefined>;
  lookup<B extends Behavior = Behavior>(
    name: string,
    how?: B | (NameOptions & { behavior?: B }),
  ): ActorRef<B> | undefined | Promise<ActorRef<B> | undefined> {
    if (how !== undefined && (how as NameOptions).scope !== undefined) {
      try {
        checkName(name, how as NameOptions);
      } catch (e) {
        return Promise.reject(e);
      }
      return this.#names.lookup(name) as Promise<ActorRef<B> | undefined>;
    }
    const behavior = how as B | undefined;
    const cell = this.#rt.names.get(name);
    if (cell === undefined) return undefined;
    if (behavior !== undefined && cell.behavior !== behavior) {
      throw new TypeError(
        `actor "${name}" runs behaviour "${cell.behavior.name}", not "${behavior.name}"`,
      );
    }
    return cell.self as ActorRef<B>;
  }

  /**
   * A ref for an address: local when it is on this host (the actor's own
   * ref, as its `ctx.self`; also for an actor that the system this host
   * belongs to placed here, by its address there), remote (through a link)
   * otherwise. This is how an address that crossed a boundary becomes a ref
   * again; refs sent inside messages come out of it on their own.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, x: number) => x } });
   * await using system = new ActorSystem();
   * const echo = system.spawn(Echo);
   * const again = system.refFor<typeof Echo>(structuredClone(echo.address));
   * console.log(await again.ask("echo", 7)); // 7
   * ```
   */
  refFor<B extends Behavior = Behavior>(address: Address): ActorRef<B> {
    const rt = this.#rt;
    if (address.host !== rt.host) {
      // An actor placed here by the parent system, by its proxy's address
      // there: its own ref (reached here directly).
      const hosted = rt.hosted;
      if (hosted !== undefined && address.host === hosted.parent) {
        const cell = hosted.cells.get(address.id);
        if (cell !== undefined) return cell.self as ActorRef<B>;
      }
      return new RemoteRef<B>(address, rt, this.#links);
    }
    const cell = rt.cells.get(address.id);
    // A dead actor's ref answers every message with dead letters.
    return (cell?.self ?? new DeadRef(rt, address)) as unknown as ActorRef<B>;
  }

  /**
   * Stop an actor: it finishes its current message (killed after its
   * shutdown timeout), its children stop in reverse start order, `onStop`
   * runs, and queued messages go to dead letters (asks reject). Under a
   * supervisor this is a normal exit and the supervisor decides: a
   * `permanent` child is restarted (use the supervisor's `terminate` to stop
   * one for good).
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const a = system.spawn(defineActor({ init: () => ({}), handlers: {} }));
   * await system.stop(a);
   * console.log(system.stats(a).status); // "dead"
   * ```
   */
  stop(ref: ActorRef, options: { timeout?: number } = {}): Promise<void> {
    const cell = cellOf(ref);
    if (cell.supervisor !== undefined) {
      cell.exit({ type: "normal" });
      return Promise.resolve();
    }
    return cell.terminate({ type: "normal" }, options.timeout);
  }

  /**
   * Call `listener` once when `ref` dies (at once if it is already dead),
   * with its address and why it is gone; returns a function that unwatches. Restarts are not deaths. `ref` may
   * be of another host (from `refFor`): the loss of that host, or of the
   * link to it, is a death with reason `host-down`.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const a = system.spawn(defineActor({ init: () => ({}), handlers: {} }));
   * const unwatch = system.watch(a, (t) => console.log("gone:", t.reason.type));
   * await system.stop(a); // prints "gone: normal"
   * unwatch();
   * ```
   */
  watch(
    ref: ActorRef,
    listener: (
      notice: { readonly address: Address; readonly reason: ExitReason },
    ) => void,
  ): () => void {
    const record: WatchRecord = { active: true, listener };
    if (!(ref instanceof LocalRef)) {
      // An actor on another host (or an address not alive here).
      return this.#links.watches.watch(refAddress(ref), record);
    }
    const cell = ref.cell;
    cell.addWatch(record);
    return () => cell.removeWatch(record);
  }

  /**
   * Counters and status of one actor (also after its death).
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const a = system.spawn(defineActor({ init: () => ({}), handlers: { hi: () => 1 } }));
   * a.tell("hi");
   * console.log(system.stats(a).received); // 1
   * ```
   */
  stats(ref: ActorRef): {
    /** The actor's address. */
    readonly address: Address;
    /** The behaviour's name. */
    readonly behavior: string;
    /** Where it is in its life. */
    readonly status:
      | "starting"
      | "running"
      | "suspended"
      | "stopping"
      | "dead";
    /** Messages queued into its mailbox. */
    readonly received: number;
    /** Messages whose handler completed. */
    readonly processed: number;
    /** Handlers and hooks that threw. */
    readonly failed: number;
    /** Restarts by its supervisor. */
    readonly restarts: number;
    /** Messages waiting now. */
    readonly mailboxSize: number;
    /** Most messages ever waiting at once. */
    readonly mailboxHighWater: number;
    /** The mailbox bound. */
    readonly mailboxCapacity: number;
  } {
    return statsOf(cellOf(ref));
  }

  /**
   * Counters of every living actor, in spawn order.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * console.log(system.actors().length); // 0
   * ```
   */
  actors(): ReturnType<ActorSystem["stats"]>[] {
    return [...this.#rt.cells.values()].map(statsOf);
  }

  /**
   * Receive structured events; returns a function that unsubscribes.
   * `spawned`: an actor started (after `init` and `onStart`); `failed`: a
   * handler or hook threw (the actor crashes unless it resumes);
   * `restarted`: a supervisor restarted an actor in place, after `delayMs`;
   * `stopped`: an actor is gone for good, with the reason; `dead-letter`: a
   * message went nowhere.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const off = system.subscribe((e) => console.log(e.type));
   * off();
   * ```
   */
  subscribe(
    listener: (
      event:
        | { type: "spawned"; address: Address }
        | { type: "failed"; address: Address; error: HandlerError["original"] }
        | {
          type: "restarted";
          address: Address;
          restarts: number;
          delayMs: number;
          error?: HandlerError["original"];
        }
        | { type: "stopped"; address: Address; reason: ExitReason }
        | {
          type: "dead-letter";
          letter: {
            target: string;
            name: string;
            payload: unknown;
            reason: keyof ActorSystem["deadLetters"]["byReason"];
          };
        },
    ) => void,
  ): () => void {
    const rt = this.#rt;
    rt.listeners = [...rt.listeners, listener];
    return () => {
      rt.listeners = rt.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Route envelopes for `host` through `send` (a worker, process or TCP
   * transport); returns a function that unlinks, failing asks still waiting
   * on that host with a `host-down` reason.
   *
   * @ignore Internal: troupe's transports link hosts this way.
   *
   * @example Two systems in one isolate, linked through structuredClone
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   *
   * const Echo = defineActor({ init: () => ({}), handlers: { echo: (_s, x: string) => x } });
   * await using a = new ActorSystem({ host: "a" });
   * await using b = new ActorSystem({ host: "b" });
   * const offA = a.link("b", (env) => b.deliver(structuredClone(env)));
   * const offB = b.link("a", (env) => a.deliver(structuredClone(env)));
   * const echo = b.spawn(Echo);
   * const remote = a.refFor<typeof Echo>(echo.address);
   * assert.equal(await remote.ask("echo", "over the link"), "over the link");
   * offA();
   * offB();
   * ```
   */
  link(
    host: string,
    send: LinkSend,
    options: { defaultRoute?: boolean } = {},
  ): () => void {
    this.#links.add(host, send);
    if (options.defaultRoute) this.#links.defaultRoute = host;
    return () => this.#links.remove(host, "unlinked");
  }

  /**
   * Deliver an envelope that arrived from a transport. Malformed data throws
   * `EnvelopeError` and delivers nothing; a message for a dead or unknown
   * actor becomes a dead letter (and an ask is answered with a failure). An
   * envelope marked `refs` has refs in its payload in their wire form: they
   * become refs of this system (see `refFor`) when it is delivered here, and
   * go on in that form when it is passed on to another host.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * const Counter = defineActor({ init: () => ({ n: 0 }), handlers: { add: (s, by: number) => { s.n += by; } } });
   * await using system = new ActorSystem();
   * const c = system.spawn(Counter);
   * system.deliver({ kind: "tell", to: c.address, name: "add", payload: 2 });
   * ```
   */
  deliver(envelope: unknown): void {
    deliverEnvelope(this.#delivery, envelope);
  }

  /**
   * Stop every actor: top-level actors in reverse spawn order, each after
   * its children (reverse start order), each within its shutdown timeout.
   * When `timeout` passes first, whatever is left is killed. Idempotent.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor } from "@troupe/troupe";
   * const system = new ActorSystem();
   * system.spawn(defineActor({ init: () => ({}), handlers: {} }));
   * const report = await system.shutdown({ timeout: 1000 });
   * console.log(report.stopped); // 1
   * ```
   */
  shutdown(options: { timeout?: number } = {}): Promise<
    {
      /** Actors that stopped. */
      readonly stopped: number;
      /** Of those, actors that had to be killed (shutdown timeout passed). */
      readonly killed: number;
      /** Whether the overall deadline passed, so that the rest was killed. */
      readonly timedOut: boolean;
    }
  > {
    return this.#shutdown ??= this.#doShutdown(options.timeout ?? 10_000);
  }

  #doShutdown(timeoutMs: number): Promise<ShutdownReport> {
    return shutDown(this.#rt, this.#hosts, this.#links, timeoutMs);
  }

  /**
   * `await using system = new ActorSystem()` shuts it down at scope exit.
   *
   * @example
   * ```ts
   * import { ActorSystem } from "@troupe/troupe";
   * {
   *   await using system = new ActorSystem();
   * } // shut down here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}

/** A `TypeError` for a name or scope that `register` and co. do not take. */
function checkName(name: string, options: NameOptions): void {
  if (options?.scope !== "cluster") {
    throw new TypeError(
      `unknown name scope ${
        preview(options?.scope)
      } (only "cluster"; names given at spawn are this host's)`,
    );
  }
  if (typeof name !== "string" || name === "") {
    throw new TypeError("a name must be a non-empty string");
  }
}

function statsOf(cell: Cell): ActorStats {
  return {
    address: cell.address,
    behavior: cell.behavior.name,
    status: STATUS[cell.status],
    received: cell.received,
    processed: cell.processed,
    failed: cell.failed,
    restarts: cell.restarts,
    mailboxSize: cell.mailboxSize,
    mailboxHighWater: cell.mailboxHighWater,
    mailboxCapacity: cell.mailboxCapacity,
  };
}
