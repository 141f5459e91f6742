/**
 * Links: how a system reaches actors on other hosts.
 *
 * A link is a function that carries envelopes to one host (a worker's
 * `postMessage`, a process pipe, a TCP connection). Refs to actors over there
 * are `RemoteRef`s: they build envelopes, and asks wait in a table keyed by
 * correlation id until a `reply` or `failure` envelope comes back through
 * `ActorSystem.deliver`.
 *
 * @module
 */

import { PendingAsk } from "../ask.ts";
import type { MessageArgs, MessageName, ReplyOf } from "../message_types.ts";
import {
  type Address,
  type AskFailure,
  type Envelope,
  formatAddress,
} from "../envelope.ts";
import { ActorDeadError } from "../errors.ts";
import { brandRef } from "../ref_brand.ts";
import type { ActorRef, AskOptions } from "../ref_types.ts";
import { RemoteWatches } from "./remote_watch.ts";
import type { ReplyTo } from "../reply.ts";
import type { Runtime } from "../runtime.ts";

/**
 * Carries one envelope to a host. It must not throw for a dead peer; the link
 * owner calls the unlink function instead.
 *
 * @example
 * ```ts
 * import type { LinkSend } from "./link.ts";
 * const toWorker: LinkSend = (env) => console.log("would post", env.kind);
 * ```
 */
export type LinkSend = (envelope: Envelope) => void;

/** An ask waiting on another host. */
interface Outbound {
  reply: ReplyTo;
  host: string;
}

/** The routing table and outbound asks of one system. */
export class Links {
  readonly #rt: Runtime;
  readonly #routes = new Map<string, LinkSend>();
  /** Asks waiting for a reply from another host, by correlation id. */
  readonly outbound: Map<number, Outbound> = new Map();
  /** Where envelopes for hosts without a route of their own go. */
  defaultRoute: string | undefined;
  /** Death watches across hosts. */
  readonly watches: RemoteWatches;
  #nextCorr = 1;

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.watches = new RemoteWatches(rt, this);
  }

  add(host: string, send: LinkSend): void {
    if (host === this.#rt.host) {
      throw new TypeError(`cannot link host "${host}" to itself`);
    }
    if (this.#routes.has(host)) {
      throw new TypeError(`host "${host}" is already linked`);
    }
    this.#routes.set(host, send);
  }

  /**
   * Forget `host`; asks waiting on it reject with a host-down error, and
   * watches that went out through it end with one.
   */
  remove(host: string, detail: string): void {
    if (!this.#routes.delete(host)) return;
    if (this.defaultRoute === host) this.defaultRoute = undefined;
    for (const [corr, out] of [...this.outbound]) {
      if (out.host === host) {
        this.outbound.delete(corr);
        out.reply.fail({
          type: "dead",
          reason: { type: "host-down", host, detail },
        });
      }
    }
    this.watches.linkLost(host, detail);
  }

  /** The linked host that envelopes for `host` go to, if any. */
  nextHop(host: string): string | undefined {
    if (this.#routes.has(host)) return host;
    const below = this.#below(host);
    if (below !== undefined) return below;
    const via = this.defaultRoute;
    return via !== undefined && this.#routes.has(via) ? via : undefined;
  }

  /**
   * The linked host of this one's own that `host` runs under, if any: a
   * host's id is its parent's id, "/", and a name (a node's worker host is
   * `scheduler/node-1/worker-2`), so that whatever a child started is
   * reached through that child. Only a host's descendants pay for the look.
   */
  #below(host: string): string | undefined {
    const self = this.#rt.host;
    if (
      host.length <= self.length + 1 || host[self.length] !== "/" ||
      !host.startsWith(self)
    ) return undefined;
    const end = host.indexOf("/", self.length + 1);
    if (end < 0) return undefined; // a child of this host's, not linked
    const child = host.slice(0, end);
    return this.#routes.has(child) ? child : undefined;
  }

  /** Send `env` to its host; false (and a dead letter) when there is no route. */
  route(env: Envelope): boolean {
    const host = env.to.host;
    let send = this.#routes.get(host);
    if (send === undefined) {
      const via = this.#below(host) ?? this.defaultRoute;
      if (via !== undefined) send = this.#routes.get(via);
    }
    if (send === undefined) {
      const name = env.kind === "tell" || env.kind === "ask"
        ? env.name
        : env.kind;
      this.#rt.deadLetter(formatAddress(env.to), name, env, "no-route");
      return false;
    }
    send(env);
    return true;
  }

  /**
   * Register the reply handle of an ask sent to `host`; returns its
   * correlation id. A local asker's entry goes when its ask settles.
   */
  track(reply: ReplyTo, host: string): number {
    const corr = this.#nextCorr++;
    if (reply instanceof PendingAsk) {
      reply.corr = corr;
      reply.outbound = this.outbound;
    }
    this.outbound.set(corr, { reply, host });
    return corr;
  }

  /** Take the reply handle waiting on `corr`, if any. */
  take(corr: number): ReplyTo | undefined {
    const out = this.outbound.get(corr);
    if (out === undefined) return undefined;
    this.outbound.delete(corr);
    return out.reply;
  }

  close(): void {
    for (const host of [...this.#routes.keys()]) {
      this.remove(host, "the local system shut down");
    }
  }
}

/** A reference to an actor on another host, reached through a link. */
// deno-lint-ignore no-explicit-any
export class RemoteRef<B = any> implements ActorRef<B> {
  readonly address: Address;
  readonly #rt: Runtime;
  readonly #links: Links;

  constructor(address: Address, rt: Runtime, links: Links) {
    this.address = address;
    this.#rt = rt;
    this.#links = links;
  }

  get label(): string {
    return formatAddress(this.address, this.#rt.host);
  }

  tell<K extends MessageName<B>>(name: K, ...args: MessageArgs<B, K>): void {
    this.#links.route({
      kind: "tell",
      to: this.address,
      name,
      payload: args[0],
    });
  }

  send<K extends MessageName<B>>(
    name: K,
    ...args: MessageArgs<B, K>
  ): Promise<void> {
    this.tell(name, ...args);
    return Promise.resolve();
  }

  ask<K extends MessageName<B>>(
    name: K,
    ...args: [...MessageArgs<B, K>, options?: AskOptions]
  ): Promise<ReplyOf<B, K>> {
    const rt = this.#rt;
    const options = args[1] as AskOptions | undefined;
    const timeout = options?.timeout ?? rt.askTimeout;
    if (!(timeout > 0)) {
      return Promise.reject(
        new RangeError(
          `ask "${name}": timeout must be a positive number of ms (or Infinity), got ${timeout}`,
        ),
      );
    }
    const pending = new PendingAsk(this, name, rt);
    if (options?.signal !== undefined) pending.bindSignal(options.signal);
    if (!pending.settled) {
      rt.deadlines.track(pending, timeout);
      // Tracked against the link it leaves on: when that goes, so does it.
      const links = this.#links;
      const host = this.address.host;
      const corr = links.track(pending, links.nextHop(host) ?? host);
      let sent: boolean;
      try {
        sent = this.#links.route({
          kind: "ask",
          to: this.address,
          from: { host: rt.host, id: 0 },
          corr,
          name,
          payload: args[0],
        });
      } catch (e) {
        pending.reject(e as Error); // refused at the sender: cannot cross
        return pending.promise as Promise<ReplyOf<B, K>>;
      }
      if (!sent) {
        pending.reject(
          new ActorDeadError(this.label, name, {
            type: "host-down",
            host: this.address.host,
            detail: "no link to this host",
          }),
        );
      }
    }
    return pending.promise as Promise<ReplyOf<B, K>>;
  }

  toJSON(): Address {
    return this.address;
  }
}

brandRef(RemoteRef);

/** The reply handle of an ask that came from another host. */
export class ReturnAddress implements ReplyTo {
  readonly #links: Links;
  /** The asking host's system address. */
  readonly from: Address;
  /** The ask's correlation id there. */
  readonly corr: number;
  #done = false;

  constructor(links: Links, from: Address, corr: number) {
    this.#links = links;
    this.from = from;
    this.corr = corr;
  }

  resolve(value: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#links.route({
      kind: "reply",
      to: this.from,
      corr: this.corr,
      payload: value,
    });
  }

  fail(failure: AskFailure): void {
    if (this.#done) return;
    this.#done = true;
    this.#links.route({
      kind: "failure",
      to: this.from,
      corr: this.corr,
      failure,
    });
  }
}
