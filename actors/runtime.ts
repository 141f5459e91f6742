/**
 * The shared state of one actor system, as its cells see it: registry,
 * dispatcher, deadlines, dead letters and events. `ActorSystem` is the public
 * face of this object.
 *
 * @module
 */

import type { Timer } from "./timer.ts";
import { Deadlines } from "./ask.ts";
import type { AnyBehavior, Handler } from "./behavior.ts";
import type { Cell } from "./cell.ts";
import { type DeadLetterReason, DeadLetters } from "./dead_letters.ts";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.ts";
import type { EventListener, SystemEvent } from "./events.ts";
import { type MailboxOptions, resolveMailbox } from "./mailbox.ts";
import { type Forward, forwardOf, type Peek, peekOf } from "./forward.ts";
import type { HostPool } from "./hosts/host_pool.ts";
import type { Links } from "./hosts/link.ts";
import type { RemoteWatches } from "./hosts/remote_watch.ts";
import type { ActorSystem } from "./system.ts";

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
  handlers: Map<string, Handler<unknown>>;
  names: string[];
  mailbox: Required<MailboxOptions>;
  /** Set for behaviours that pass messages on instead of handling them. */
  forward: Forward | undefined;
  /** Set for behaviours that see each message as it arrives (see `Peek`). */
  peek: Peek | undefined;
  /** The behaviour's own throughput, if it sets one. */
  throughput: number | undefined;
}

export class Runtime {
  readonly host: string;
  readonly askTimeout: number;
  readonly shutdownTimeout: number;
  readonly dispatcher: Dispatcher;
  readonly deadlines: Deadlines = new Deadlines();
  readonly deadLetters: DeadLetters = new DeadLetters();
  readonly cells: Map<number, Cell> = new Map();
  readonly names: Map<string, Cell> = new Map();
  readonly system: ActorSystem;
  readonly defaultMailbox: MailboxOptions | undefined;
  /** Pending backoff timers, cleared at shutdown. */
  readonly timers: Set<Timer> = new Set();
  listeners: EventListener[] = [];
  /** Worker and process hosts; set by the system right after construction. */
  hosts!: HostPool;
  /** Death watches across hosts; set by the system with its links. */
  watches!: RemoteWatches;
  /** The routes to other hosts; set by the system. */
  links!: Links;
  /**
   * On a host: the actors its parent system placed here, by their proxies'
   * ids there (`parent`), while they live, so that a ref to one of them
   * that comes here is its own ref (`Cell.self`).
   */
  hosted: { parent: string; cells: Map<number, Cell> } | undefined = undefined;
  nextId = 1;
  closing = false;
  #info = new WeakMap<AnyBehavior, BehaviorInfo>();

  constructor(system: ActorSystem, options: RuntimeOptions) {
    this.system = system;
    this.host = options.host;
    this.askTimeout = options.askTimeout;
    this.shutdownTimeout = options.shutdownTimeout;
    this.defaultMailbox = options.mailbox;
    resolveMailbox(options.mailbox); // fail fast on a bad system default
    this.dispatcher = new Dispatcher(options.dispatcher);
  }

  /** Handler table and mailbox settings of `behavior`, cached. */
  info(behavior: AnyBehavior): BehaviorInfo {
    let info = this.#info.get(behavior);
    if (info === undefined) {
      const handlers = new Map(Object.entries(behavior.handlers)) as Map<
        string,
        Handler<unknown>
      >;
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
