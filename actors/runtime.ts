/**
 * The shared state of one actor system, as its cells see it: registry,
 * dispatcher, deadlines, dead letters and events. `ActorSystem` is the public
 * face of this object. Also the contracts of the system's parts (a
 * behaviour, a cell, the system, the hosts, the watches): the bottom of the
 * actor core, which the files above depend on instead of on each other.
 *
 * @module
 */

import type { Timer } from "./timer.ts";
import { Deadlines } from "./ask.ts";
import { type DeadLetterReason, DeadLetters } from "./dead_letters.ts";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.ts";
import type { Address } from "./envelope.ts";
import type { EventListener, SystemEvent } from "./events.ts";
import type { ExitReason } from "./errors.ts";
import { type MailboxOptions, resolveMailbox } from "./mailbox.ts";
import { type Forward, forwardOf, type Peek, peekOf } from "./forward.ts";
import type { ActorHost, RemoteBinding } from "./remote_binding.ts";
import type { AnyRef } from "./ref_types.ts";
import type { ReplyTo } from "./reply.ts";
import type { WatchRecord } from "./watch.ts";

// The runtime's contracts: what the parts of a system are to each other,
// named here, at the bottom, so that the files below the system (refs,
// links, hosts, watches) and the cell depend on these and not on the
// classes that import them (Cell, HostPool, RemoteWatches, ActorSystem).
// Each class is the one implementation of its contract, checked where the
// system wires them (a `Runtime<Cell, Links>` holding a HostPool, ...).

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

/**
 * A behaviour as the runtime runs it: functions it calls and settings it
 * reads. The public `Behavior` (system.ts) is one; it names the
 * `ActorContext`, which names the system, so the runtime cannot name it.
 */
export interface BehaviorShape {
  readonly kind: "behavior";
  readonly name: string;
  readonly module?: string;
  readonly init: AnyFunction;
  readonly handlers: Readonly<Record<string, AnyFunction>>;
  readonly onStart?: AnyFunction;
  readonly onStop?: AnyFunction;
  readonly onRestart?: AnyFunction;
  readonly onTerminated?: AnyFunction;
  readonly onError?: "crash" | "resume";
  readonly mailbox?: MailboxOptions;
  readonly throughput?: number;
}

/** A message still queued when its actor died. */
export interface Leftover {
  name: string;
  payload: unknown;
  reply: ReplyTo | undefined;
}

/** What refs, hosts and watches need of a cell (`Cell` is the one). */
export interface CellLike {
  readonly id: number;
  readonly rt: Runtime;
  readonly behavior: BehaviorShape;
  readonly arg: unknown;
  readonly name: string | undefined;
  readonly shutdownTimeout: number;
  /** Its name and id, for errors and logs. */
  readonly label: string;
  readonly remote: RemoteBinding | undefined;
  readonly address: Address;
  readonly dead: boolean;
  readonly mailboxOptions: Required<MailboxOptions>;
  post(name: string, payload: unknown, reply: ReplyTo | undefined): boolean;
  send(name: string, payload: unknown): Promise<void>;
  addWatch(record: WatchRecord): void;
  removeWatch(record: WatchRecord): void;
  remoteExited(reason: ExitReason, returned?: Leftover[]): void;
}

/** What the runtime's parts ask of the system (`ActorSystem` is the one). */
export interface SystemLike {
  /** Route an envelope that came from another host. */
  deliver(envelope: unknown): void;
  /** A ref for an address, here or through the links. */
  refFor(address: Address): AnyRef;
}

/** A host an actor is placed on (`HostHandle` is the one). */
export interface PlacedHost extends ActorHost {
  /** Start the cell's actor there; its id there. */
  spawn(cell: CellLike): Promise<number>;
}

/** What a cell asks of the worker and process hosts (`HostPool`). */
export interface HostsLike {
  checkPermissions(placement: string, permissions: unknown): void;
  place(cell: CellLike): PlacedHost;
}

/** What a cell asks of death watches across hosts (`RemoteWatches`). */
export interface WatchesLike {
  watch(target: Address, record: WatchRecord): () => void;
}

/** Settings of the runtime, filled in by `ActorSystem`. */
export interface RuntimeOptions {
  host: string;
  askTimeout: number;
  shutdownTimeout: number;
  mailbox?: MailboxOptions;
  dispatcher?: DispatcherOptions;
}

/** What cells of one behaviour share, computed once per behaviour. */
export interface BehaviorInfo {
  handlers: Map<string, AnyFunction>;
  names: string[];
  mailbox: Required<MailboxOptions>;
  /** Set for behaviours that pass messages on instead of handling them. */
  forward: Forward | undefined;
  /** Set for behaviours that see each message as it arrives (see `Peek`). */
  peek: Peek | undefined;
  /** The behaviour's own throughput, if it sets one. */
  throughput: number | undefined;
}

/**
 * The shared state of one system. `C` is its cells' type: the system and
 * the cells themselves hold a `Runtime<Cell>`; the files below the cell
 * see `CellLike`s. `L` is its links' type, likewise (`Links`).
 */
export class Runtime<C extends CellLike = CellLike, L = unknown> {
  readonly host: string;
  readonly askTimeout: number;
  readonly shutdownTimeout: number;
  readonly dispatcher: Dispatcher;
  readonly deadlines: Deadlines = new Deadlines();
  readonly deadLetters: DeadLetters = new DeadLetters();
  readonly cells: Map<number, C> = new Map();
  readonly names: Map<string, C> = new Map();
  readonly system: SystemLike;
  readonly defaultMailbox: MailboxOptions | undefined;
  /** Pending backoff timers, cleared at shutdown. */
  readonly timers: Set<Timer> = new Set();
  listeners: EventListener[] = [];
  /** Worker and process hosts; set by the system right after construction. */
  hosts!: HostsLike;
  /** Death watches across hosts; set by the system with its links. */
  watches!: WatchesLike;
  /** The routes to other hosts; set by the system. */
  links!: L;
  /**
   * On a host: the actors its parent system placed here, by their proxies'
   * ids there (`parent`), while they live, so that a ref to one of them
   * that comes here is its own ref (`Cell.self`).
   */
  hosted: { parent: string; cells: Map<number, C> } | undefined = undefined;
  nextId = 1;
  closing = false;
  #info = new WeakMap<BehaviorShape, BehaviorInfo>();

  constructor(system: SystemLike, options: RuntimeOptions) {
    this.system = system;
    this.host = options.host;
    this.askTimeout = options.askTimeout;
    this.shutdownTimeout = options.shutdownTimeout;
    this.defaultMailbox = options.mailbox;
    resolveMailbox(options.mailbox); // fail fast on a bad system default
    this.dispatcher = new Dispatcher(options.dispatcher);
  }

  /** Handler table and mailbox settings of `behavior`, cached. */
  info(behavior: BehaviorShape): BehaviorInfo {
    let info = this.#info.get(behavior);
    if (info === undefined) {
      const handlers = new Map(Object.entries(behavior.handlers));
      info = {
        handlers,
        names: [...handlers.keys()],
        mailbox: resolveMailbox(this.defaultMailbox, behavior.mailbox),
        forward: forwardOf(behavior),
        peek: peekOf(behavior),
        throughput: behavior.throughput,
      };
      this.#info.set(behavior, info);
    }
    return info;
  }

  emit(event: SystemEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A broken subscriber must not break the runtime.
      }
    }
  }

  deadLetter(
    target: string,
    name: string,
    payload: unknown,
    reason: DeadLetterReason,
  ): void {
    this.deadLetters.record(target, name, payload, reason);
    if (this.listeners.length > 0) {
      this.emit({
        type: "dead-letter",
        letter: { target, name, payload, reason },
      });
    }
  }

  lateReply(target: string, messageName: string, value: unknown): void {
    this.deadLetter(target, messageName, value, "late-reply");
  }

  /** A timer that the runtime clears at shutdown if it has not fired. */
  later(ms: number, fn: () => void): Timer {
    const id = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.add(id);
    return id;
  }

  cancel(id: Timer | undefined): void {
    if (id === undefined) return;
    clearTimeout(id);
    this.timers.delete(id);
  }
}
