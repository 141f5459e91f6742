/**
 * Actor references: an address plus a way to send.
 *
 * A ref is typed by its behaviour, so `tell` and `ask` check message names and
 * payloads at compile time and `ask` resolves to the handler's return type.
 * A ref put in a message (anywhere in a payload, an ask's reply or a spawn
 * argument) crosses to another host as its address (see `codec.ts`), and the
 * receiving system turns it back into a ref: its own actor's ref when the
 * address is there, a ref through its links otherwise. `toJSON` gives the
 * address too.
 *
 * @module
 */

import { preview } from "./preview.ts";
import { brandRef, isActorRef, refAddress } from "./ref_brand.ts";

export { brandRef, isActorRef, refAddress };
import { PendingAsk } from "./ask.ts";
import type { MessageArgs, MessageName, ReplyOf } from "./message_types.ts";
import type { ActorRef, AnyRef, AskOptions } from "./ref_types.ts";
import { type Address, formatAddress } from "./envelope.ts";
import { failureToError } from "./reply.ts";
import type { CellLike, Runtime } from "./runtime.ts";

export type { ActorRef, AnyRef, AskOptions };

/**
 * The cell behind a local ref (for an actor's own ref on a host: the
 * incarnation it was taken from); a `TypeError` for anything else.
 */
export function refCell(ref: AnyRef): CellLike {
  if (ref instanceof HostedRef) return ref.cell;
  if (!(ref instanceof LocalRef)) {
    throw new TypeError(
      `expected an ActorRef of this system, got ${
        preview(ref?.address ?? ref)
      }`,
    );
  }
  return ref.cell;
}

/** A reference to an actor in this isolate. */
// deno-lint-ignore no-explicit-any
export class LocalRef<B = any> implements ActorRef<B> {
  /** @internal */
  readonly cell: CellLike;

  constructor(cell: CellLike) {
    this.cell = cell;
  }

  get address(): Address {
    return this.cell.address;
  }

  tell<K extends MessageName<B>>(name: K, ...args: MessageArgs<B, K>): void {
    this.cell.post(name, args[0], undefined);
  }

  send<K extends MessageName<B>>(
    name: K,
    ...args: MessageArgs<B, K>
  ): Promise<void> {
    try {
      return this.cell.send(name, args[0]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  ask<K extends MessageName<B>>(
    name: K,
    ...args: [...MessageArgs<B, K>, options?: AskOptions]
  ): Promise<ReplyOf<B, K>> {
    const cell = this.cell;
    const rt = cell.rt;
    const options = args[1] as AskOptions | undefined;
    const timeout = options?.timeout ?? rt.askTimeout;
    if (!(timeout > 0)) {
      return Promise.reject(
        new RangeError(
          `ask "${name}": timeout must be a positive number of ms (or Infinity), got ${timeout}`,
        ),
      );
    }
    const pending = new PendingAsk(cell, name, rt);
    const signal = options?.signal;
    if (signal !== undefined) pending.bindSignal(signal);
    if (!pending.settled) {
      rt.deadlines.track(pending, timeout);
      cell.post(name, args[0], pending);
    }
    return pending.promise as Promise<ReplyOf<B, K>>;
  }

  toJSON(): Address {
    return this.address;
  }
}

brandRef(LocalRef);

/**
 * The own ref (`ctx.self`) of an actor that another system placed on this
 * host. Its address is the actor's proxy's in that system: the address that
 * `spawn` gave, which is the actor's for everyone, whatever host it runs on,
 * and outlives its restarts (a restart makes a new incarnation here, or on
 * another host). Sent anywhere, it goes as that address; watched, it is the
 * proxy that is watched, so a restart is no death. While the incarnation it
 * was taken from lives, messages go to it directly (no detour through the
 * proxy: a tell to itself costs what a local one does); after, they go by
 * the address, through the proxy, to whichever incarnation runs then.
 */
// deno-lint-ignore no-explicit-any
export class HostedRef<B = any> implements ActorRef<B> {
  /** The proxy's address. */
  readonly address: Address;
  /** @internal The incarnation it was made for. */
  readonly cell: CellLike;
  /** @internal Its ref by its address here. */
  readonly local: LocalRef<B>;
  readonly #away: (address: Address) => ActorRef<B>;
  #remote: ActorRef<B> | undefined;

  /** `away` makes a ref that reaches `address` through this host's links. */
  constructor(
    cell: CellLike,
    address: Address,
    away: (address: Address) => ActorRef<B>,
  ) {
    this.cell = cell;
    this.local = new LocalRef(cell);
    this.address = address;
    this.#away = away;
  }

  /** The ref by address, for when its incarnation here is dead. */
  #elsewhere(): ActorRef<B> {
    return this.#remote ??= this.#away(this.address);
  }

  tell<K extends MessageName<B>>(name: K, ...args: MessageArgs<B, K>): void {
    const cell = this.cell;
    if (cell.dead) this.#elsewhere().tell(name, ...args);
    else cell.post(name, args[0], undefined);
  }

  send<K extends MessageName<B>>(
    name: K,
    ...args: MessageArgs<B, K>
  ): Promise<void> {
    return (this.cell.dead ? this.#elsewhere() : this.local).send(
      name,
      ...args,
    );
  }

  ask<K extends MessageName<B>>(
    name: K,
    ...args: [...MessageArgs<B, K>, options?: AskOptions]
  ): Promise<ReplyOf<B, K>> {
    return (this.cell.dead ? this.#elsewhere() : this.local).ask(
      name,
      ...args,
    );
  }

  toJSON(): Address {
    return this.address;
  }
}

brandRef(HostedRef);

/** A ref to an address that is not alive here: everything is a dead letter. */
export class DeadRef {
  /** The address it was made for. */
  readonly address: Address;
  readonly #rt: Runtime;

  constructor(rt: Runtime, address: Address) {
    this.#rt = rt;
    this.address = address;
  }

  get #label(): string {
    return formatAddress(this.address, this.#rt.host);
  }

  tell(name: string, payload?: unknown): void {
    this.#rt.deadLetter(this.#label, name, payload, "dead-target");
  }

  send(name: string, payload?: unknown): Promise<void> {
    this.tell(name, payload);
    return Promise.resolve();
  }

  ask(name: string, payload?: unknown): Promise<never> {
    this.tell(name, payload);
    return Promise.reject(
      failureToError(this.#label, name, {
        type: "dead",
        reason: { type: "not-found" },
      }),
    );
  }

  toJSON(): Address {
    return this.address;
  }
}
brandRef(DeadRef);
