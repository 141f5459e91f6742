/**
 * Routers: one address in front of many actors of one behaviour.
 *
 * A router picks a routee per message as its `routing` option says (round
 * robin, random, least connection, smooth weighted round robin, consistent
 * hash, broadcast, or a function). It watches its routees and drops the ones that die (a
 * supervisor's restart is not a death: a restarted routee stays). An ask
 * whose routee dies before answering can be retried on another one.
 *
 * @module
 */

import {
  type Behavior,
  defineActor,
  type HandlersOf,
  type MessageArgs,
  type MessageName,
  type ReplyOf,
  type StateOf,
} from "../behavior.ts";
import type { ActorContext } from "../behavior.ts";
import { PendingAsk } from "../ask.ts";
import { ActorDeadError, TroupeError } from "../errors.ts";
import { failReply, setForward } from "../forward.ts";
import type { Placement } from "../hosts/hosts.ts";
import type { ActorRef } from "../ref.ts";
import type { ReplyTo } from "../reply.ts";
import { type RouteHook, routeHookOf } from "./route_hook.ts";
import { logicOf, type Routing, type RoutingLogic } from "./routing.ts";
import type { ActorSystem } from "../system.ts";

/** Options of `createRouter` (the signature spells them out). */
export type RouterOptions = NonNullable<Parameters<typeof createRouter>[2]>;

/**
 * No routee left to take a message.
 *
 * @example
 * ```ts
 * import { NoRouteeError } from "@troupe/troupe";
 * console.log(new NoRouteeError("work").message);
 * ```
 */
export class NoRouteeError extends TroupeError {
  /** Build the error from the message that found no routee. */
  constructor(messageName: string) {
    super(
      `no routee left for "${messageName}": every routee is dead or removed`,
    );
  }
}

const NONE: readonly number[] = Object.freeze([]);

interface Routee<B> {
  ref: ActorRef<B>;
  inFlight: number;
  sent: number;
  unwatch: () => void;
  /** Set by `drain`: called when the last ask in flight settles. */
  idle?: () => void;
}

/**
 * A router over actors of behaviour `B`: `tell` and `ask` as on one ref.
 *
 * @example Weighted round robin
 * ```ts
 * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Echo = defineActor({ init: (id: number) => ({ id }), handlers: { who: (s) => s.id } });
 * await using system = new ActorSystem();
 * const router = createRouter(system, [system.spawn(Echo, 0), system.spawn(Echo, 1)], {
 *   routing: { weights: [3, 1] },
 * });
 * const who = await Promise.all([0, 1, 2, 3].map(() => router.ask("who")));
 * assert.deepEqual(who.sort(), [0, 0, 0, 1]);
 * ```
 */
export class Router<B extends Behavior> implements AsyncDisposable {
  readonly #system: ActorSystem;
  readonly #logic: RoutingLogic;
  readonly #keyOf: ((name: string, payload: unknown) => string) | undefined;
  readonly #options: RouterOptions;
  readonly #routees: Routee<B>[] = [];

  /**
   * Use `createRouter`.
   *
   * @example
   * ```ts
   * import { ActorSystem, defineActor, Router } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: {} });
   * new Router(system, [system.spawn(A)], {});
   * ```
   */
  constructor(
    system: ActorSystem,
    routees: ActorRef<B>[],
    options: NonNullable<Parameters<typeof createRouter>[2]>,
  ) {
    this.#system = system;
    const { logic, keyOf, weights } = logicOf(options.routing);
    this.#logic = logic;
    this.#keyOf = keyOf;
    this.#options = options;
    routees.forEach((r, i) => this.add(r, weights?.[i] ?? 1));
  }

  /**
   * The living routees, in order.
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: {} });
   * console.log(createRouter(system, [system.spawn(A)]).routees.length); // 1
   * ```
   */
  get routees(): ActorRef<B>[] {
    return this.#routees.map((r) => r.ref);
  }

  /**
   * Messages sent to each routee so far, in routee order.
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: { hi: () => {} } });
   * const r = createRouter(system, [system.spawn(A), system.spawn(A)]);
   * r.tell("hi");
   * console.log(r.sent); // [1, 0]
   * ```
   */
  get sent(): number[] {
    return this.#routees.map((r) => r.sent);
  }

  /**
   * Add a routee (with a weight, for `routing: { weights }`). It is dropped
   * when it dies.
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: {} });
   * const r = createRouter(system, []);
   * r.add(system.spawn(A));
   * ```
   */
  add(ref: ActorRef<B>, weight = 1): void {
    if (this.#find(ref) !== undefined) return;
    const index = this.#routees.length;
    this.#logic.added?.(index, weight);
    const routee: Routee<B> = { ref, inFlight: 0, sent: 0, unwatch: () => {} };
    this.#routees.push(routee);
    routee.unwatch = this.#system.watch(ref, () => this.#drop(routee));
  }

  /**
   * Remove a routee (it keeps running).
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: {} });
   * const a = system.spawn(A);
   * const r = createRouter(system, [a]);
   * r.remove(a);
   * ```
   */
  remove(ref: ActorRef<B>): void {
    const routee = this.#find(ref);
    if (routee !== undefined) this.#drop(routee);
  }

  /**
   * Take a routee out of the rotation and resolve once the asks it still has
   * in flight have settled (to retire it between messages).
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: {} });
   * const a = system.spawn(A);
   * const r = createRouter(system, [a]);
   * await r.drain(a);
   * ```
   */
  drain(ref: ActorRef<B>): Promise<void> {
    const routee = this.#find(ref);
    if (routee === undefined) return Promise.resolve();
    this.#drop(routee);
    if (routee.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      routee.idle = resolve;
    });
  }

  #find(ref: ActorRef<B>): Routee<B> | undefined {
    const { host, id } = ref.address;
    return this.#routees.find((r) =>
      r.ref.address.id === id && r.ref.address.host === host
    );
  }

  #drop(routee: Routee<B>): void {
    const index = this.#routees.indexOf(routee);
    if (index < 0) return;
    routee.unwatch();
    this.#routees.splice(index, 1);
    this.#logic.removed?.(index);
  }

  #pick(name: string, payload: unknown, exclude?: Routee<B>): Routee<B>[] {
    const list = exclude === undefined
      ? this.#routees
      : this.#routees.filter((r) => r !== exclude);
    if (list.length === 0) throw new NoRouteeError(name);
    const i = this.#logic.pick(list.length, {
      inFlight: this.#logic.usesInFlight ? list.map((r) => r.inFlight) : NONE,
      key: this.#keyOf?.(name, payload),
      name,
      payload,
    });
    return i < 0 ? [...list] : [list[i]];
  }

  /**
   * Send a message to the routee(s) the routing picks.
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({ n: 0 }), handlers: { bump: (s) => { s.n++; } } });
   * const r = createRouter(system, [system.spawn(A), system.spawn(A)], { routing: "broadcast" });
   * r.tell("bump"); // both get it
   * ```
   */
  tell<K extends MessageName<B>>(name: K, ...args: MessageArgs<B, K>): void {
    for (const r of this.#pick(name, args[0])) {
      r.sent++;
      r.ref.tell(name, ...args);
    }
  }

  /**
   * Ask the routee the routing picks (`options` as `ActorRef.ask` takes
   * them); with `retries`, an ask whose routee dies first goes to another
   * routee. Broadcast routers use `askAll`.
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: () => ({}), handlers: { twice: (_s, x: number) => 2 * x } });
   * const r = createRouter(system, [system.spawn(A), system.spawn(A)]);
   * console.log(await r.ask("twice", 21)); // 42
   * ```
   */
  ask<K extends MessageName<B>>(
    name: K,
    ...args: [
      ...MessageArgs<B, K>,
      options?: { timeout?: number; signal?: AbortSignal },
    ]
  ): Promise<ReplyOf<B, K>> {
    return this.#try(name, args, routeHookOf(args), 0, undefined) as Promise<
      ReplyOf<B, K>
    >;
  }

  /**
   * One try of an ask, and the next on a dead routee. Not async: a pool's
   * 100,000 submits in flight would hold as many suspended frames.
   */
  #try(
    name: string,
    args: unknown[],
    hook: RouteHook | undefined,
    tries: number,
    exclude: Routee<B> | undefined,
  ): Promise<unknown> {
    let r: Routee<B>;
    let asked: Promise<unknown>;
    try {
      const picked = this.#pick(name, args[0], exclude);
      if (picked.length !== 1) {
        throw new TypeError(`a broadcast router answers with askAll, not ask`);
      }
      r = picked[0];
    } catch (e) {
      return Promise.reject(e);
    }
    r.sent++;
    r.inFlight++;
    try {
      hook?.routed(r.ref as unknown as ActorRef);
      asked = (r.ref.ask as (...a: unknown[]) => Promise<unknown>)(
        name,
        ...args,
      );
    } catch (e) {
      asked = Promise.reject(e);
    }
    const settled = (): void => {
      if (--r.inFlight === 0) r.idle?.();
      hook?.settled(r.ref as unknown as ActorRef);
    };
    return asked.then(
      (value) => {
        settled();
        return value;
      },
      (e) => {
        try {
          if (
            !(e instanceof ActorDeadError) ||
            tries >= (this.#options.retries ?? 0) ||
            hook?.mayRetry() === false
          ) throw e;
          this.#options.onRetry?.(
            name,
            r.ref as unknown as ActorRef,
            e,
            args[0] as never,
          );
        } finally {
          settled();
        }
        return this.#try(name, args, hook, tries + 1, r);
      },
    );
  }

  /**
   * Ask every routee; resolves to their replies in routee order.
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * const A = defineActor({ init: (id: number) => ({ id }), handlers: { id: (s) => s.id } });
   * const r = createRouter(system, [system.spawn(A, 1), system.spawn(A, 2)]);
   * console.log(await r.askAll("id")); // [1, 2]
   * ```
   */
  askAll<K extends MessageName<B>>(
    name: K,
    ...args: [
      ...MessageArgs<B, K>,
      options?: { timeout?: number; signal?: AbortSignal },
    ]
  ): Promise<ReplyOf<B, K>[]> {
    return Promise.all(this.#routees.map((r) => {
      r.sent++;
      return r.ref.ask(name, ...args);
    }));
  }

  /**
   * Stop watching the routees (they keep running).
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * createRouter(system, []).close();
   * ```
   */
  close(): void {
    for (const r of [...this.#routees]) this.#drop(r);
  }

  /**
   * `close()` at the end of an `await using` block (the routees keep
   * running; they belong to whoever spawned them).
   *
   * @example
   * ```ts
   * import { ActorSystem, createRouter } from "@troupe/troupe";
   * await using system = new ActorSystem();
   * {
   *   await using _router = createRouter(system, []);
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/**
 * A router in front of `routees`.
 *
 * @example
 * ```ts
 * import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";
 * await using system = new ActorSystem();
 * const Work = defineActor({ init: () => ({}), handlers: { run: (_s, x: number) => x + 1 } });
 * const router = createRouter(system, [system.spawn(Work), system.spawn(Work)], {
 *   routing: "least-connection",
 * });
 * console.log(await router.ask("run", 1)); // 2
 * ```
 */
export function createRouter<B extends Behavior>(
  system: ActorSystem,
  routees: ActorRef<B>[],
  options: {
    /**
     * How to pick a routee: `"round-robin"` (default), `"random"`,
     * `"least-connection"` (fewest asks in flight), `"broadcast"` (every
     * routee; ask with `askAll`), `{ hash }` (consistent hashing: a message
     * goes to the routee that owns `hash(name, payload)`, and a routee that
     * joins takes over only its share of keys), `{ weights }` (smooth
     * weighted round robin; the weights of the initial routees, `add` takes
     * the weight of a later one), or a function that returns the index of
     * the routee for a message, given the asks in flight at each routee.
     */
    routing?:
      | "round-robin"
      | "random"
      | "least-connection"
      | "broadcast"
      | { hash: (name: string, payload: unknown) => string }
      | { weights: number[] }
      | ((message: {
        name: string;
        payload: unknown;
        inFlight: readonly number[];
      }) => number);
    /**
     * How many times an ask whose routee died before answering is sent to
     * another routee (default 0). `onRetry` hears of each retry.
     */
    retries?: number;
    /**
     * Told of every retry: the message's name, the routee that died, why, and
     * the message's payload.
     */
    onRetry?: (
      name: string,
      routee: ActorRef,
      error: Error,
      payload: unknown,
    ) => void;
  } = {},
): Router<B> {
  return new Router(system, routees, options);
}

/**
 * A router that is an actor: it has an address (it can be named, watched,
 * looked up and supervised) and passes each message to one of its routees.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import { defineRouter } from "./router.ts";
 * import assert from "node:assert/strict";
 *
 * const Echo = defineActor({ init: (id: number) => ({ id }), handlers: { who: (s) => s.id } });
 * const Echoes = defineRouter({ of: Echo, args: [0, 1], routing: "round-robin" });
 * await using system = new ActorSystem();
 * const echoes = system.spawn(Echoes, undefined, { name: "echoes" });
 * assert.deepEqual([await echoes.ask("who"), await echoes.ask("who")], [0, 1]);
 * ```
 */
export interface RouterActorOptions<B extends Behavior> {
  /** The routees' behaviour. */
  of: B;
  /** One spawn argument per routee: as many routees as arguments. */
  args: Parameters<B["init"]>[0][];
  /** Where the routees run (default `local`). */
  placement?: Placement;
  /**
   * How to pick a routee, as `createRouter` takes it (each incarnation of
   * the router starts a fresh logic); default round robin.
   */
  routing?: Routing;
  /** Asks retried on another routee when theirs died (default 1). */
  retries?: number;
  /** A name for logs and addresses (default `"router"`). */
  name?: string;
}

interface RouterState {
  router: Router<Behavior>;
}

/**
 * Define a router actor over `args.length` routees of behaviour `of`. The
 * routees are its children: they stop with it, and one that dies is replaced
 * by a fresh one (a restart of the router makes all of them anew). Its ref
 * is typed as a ref to one routee.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import { defineRouter } from "./router.ts";
 * const Work = defineActor({ init: () => ({}), handlers: { run: (_s, x: number) => x * 2 } });
 * const Workers = defineRouter({ of: Work, args: [undefined, undefined], routing: "least-connection" });
 * await using system = new ActorSystem();
 * const workers = system.spawn(Workers);
 * console.log(await workers.ask("run", 21)); // 42
 * ```
 */
export function defineRouter<B extends Behavior>(
  options: RouterActorOptions<B>,
  // Typed as a routee's behaviour (its state type included), so that a
  // router's ref checks messages as a routee's would.
): Behavior<void, StateOf<B>, HandlersOf<B>> {
  const { of, args } = options;
  if (of?.kind !== "behavior") {
    throw new TypeError("defineRouter: `of` must be a behaviour");
  }
  if (!Array.isArray(args) || args.length === 0) {
    throw new TypeError("defineRouter: `args` must list at least one routee");
  }
  // Checked now; a replacement routee takes the weight of the one it replaces.
  const weights = logicOf(options.routing).weights;
  const behavior = defineActor({
    name: options.name ?? "router",
    init: (_: void, ctx: ActorContext): RouterState => {
      // Taken now: aborted when this incarnation stops or restarts.
      const signal = ctx.signal;
      const spawnRoutee = (i: number): ActorRef<Behavior> => {
        const ref = ctx.spawn(of, args[i], {
          placement: options.placement,
        }) as unknown as ActorRef<Behavior>;
        // A routee that dies is replaced, while the router lives.
        ctx.system.watch(ref, () => {
          if (signal.aborted) return;
          state.router.add(spawnRoutee(i), weights?.[i] ?? 1);
        });
        return ref;
      };
      const state: RouterState = {
        router: new Router(ctx.system, [], {
          routing: options.routing,
          retries: options.retries ?? 1,
        }) as Router<Behavior>,
      };
      args.forEach((_, i) =>
        state.router.add(spawnRoutee(i), weights?.[i] ?? 1)
      );
      return state;
    },
    handlers: of.handlers,
    onStop: (state) => (state as RouterState).router.close(),
    onRestart: (state) => (state as RouterState).router.close(),
  }) as unknown as Behavior<void, StateOf<B>, HandlersOf<B>>;
  setForward(behavior, (state, name, payload, reply) => {
    const router = (state as RouterState).router;
    try {
      if (reply === undefined) {
        (router as Router<Behavior>).tell(name, payload);
        return;
      }
      router.ask(name, payload, { timeout: deadlineOf(reply) }).then(
        (v) => reply.resolve(v),
        (e) => failReply(reply, e),
      );
    } catch (e) {
      if (reply !== undefined) failReply(reply, e);
      else throw e;
    }
  });
  return behavior;
}

/**
 * The deadline of a routed ask: the asker's, when it asked from this isolate
 * (the ask to the routee then ends when the asker's does), else none. The
 * router never adds a deadline of its own (the system's default would cut
 * short work the asker was willing to wait for): the asker's deadline runs
 * where the asker is, and a routee's death ends the ask.
 */
function deadlineOf(reply: ReplyTo): number {
  return reply instanceof PendingAsk
    ? reply.list?.timeoutMs ?? Infinity
    : Infinity;
}
