/**
 * Names for the whole cluster.
 *
 * The registry is held by the root system: the one without a parent link (a
 * cluster's scheduler, or the program whose worker and process hosts these
 * are). Every other host reaches it by asking its parent system (actor id 0
 * there), which answers if it is the root and asks its own parent otherwise,
 * so a request climbs the tree of hosts one link at a time, and its answer
 * comes back down the same way. Refs travel in these requests and answers as
 * in any message.
 *
 * A name ends with its actor: the registry watches every registered actor,
 * so its death, or the loss of its host (reason `host-down`), removes the
 * name.
 *
 * @module
 */

import type { Address } from "./envelope.ts";
import {
  ActorDeadError,
  errorInfo,
  NameTakenError,
  TroupeError,
} from "./errors.ts";
import { type Links, RemoteRef } from "./hosts/link.ts";
import { type AnyRef, isActorRef, refAddress } from "./ref.ts";
import type { ReplyTo } from "./reply.ts";
import type { Runtime } from "./runtime.ts";
import type { WatchRecord } from "./watch.ts";

/**
 * Where a name is known: `"cluster"` is every host of the cluster (names
 * given at spawn, found by `lookup(name)`, are this host's only).
 *
 * @example
 * ```ts
 * import type { NameOptions } from "./names.ts";
 * const everywhere: NameOptions = { scope: "cluster" };
 * ```
 */
export interface NameOptions {
  /** `"cluster"`: the name is known on every host of the cluster. */
  scope: "cluster";
}

/** The asks a system answers as actor id 0, by message name. */
const REGISTER = "troupe:register";
const UNREGISTER = "troupe:unregister";
const LOOKUP = "troupe:lookup";
const OPS = [REGISTER, UNREGISTER, LOOKUP];

/** One registered name, held by the root. */
interface Entry {
  readonly address: Address;
  readonly unwatch: () => void;
}

/** A request to the registry that is not well-formed. */
class NameRequestError extends TroupeError {}

/** One system's side of the cluster's names: the registry, at the root. */
export class ClusterNames {
  readonly #rt: Runtime;
  readonly #links: Links;
  readonly #names = new Map<string, Entry>();

  constructor(rt: Runtime, links: Links) {
    this.#rt = rt;
    this.#links = links;
  }

  /** Names this system holds as the root (0 elsewhere): for tests. */
  get size(): number {
    return this.#names.size;
  }

  /** Register `name` for `ref`; rejects with `NameTakenError` if taken. */
  async register(name: string, ref: AnyRef): Promise<void> {
    const result = await this.#request(REGISTER, [name, ref]);
    if (result === "taken") throw new NameTakenError(name);
  }

  /** Remove `name`; resolves to whether it was registered. */
  async unregister(name: string): Promise<boolean> {
    return await this.#request(UNREGISTER, [name]) === true;
  }

  /** The ref registered under `name`, if any. */
  async lookup(name: string): Promise<AnyRef | undefined> {
    const found = await this.#request(LOOKUP, [name]);
    return found === null ? undefined : found as AnyRef;
  }

  /**
   * An ask to this system itself (id 0): answer it here at the root, or
   * pass it to the parent and its answer back. The payload's refs are
   * already this system's.
   */
  serve(name: string, payload: unknown, reply: ReplyTo): void {
    if (!OPS.includes(name)) {
      reply.fail({ type: "unknown-message", known: OPS });
      return;
    }
    const parent = this.#links.defaultRoute;
    if (parent === undefined) {
      try {
        reply.resolve(this.#apply(name, payload));
      } catch (e) {
        reply.fail({ type: "handler", error: errorInfo(e) }, e);
      }
      return;
    }
    this.#up(parent, name, payload).then(
      (value) => reply.resolve(value),
      (e) => {
        if (e instanceof ActorDeadError) {
          reply.fail({ type: "dead", reason: e.reason }, e);
        } else reply.fail({ type: "handler", error: errorInfo(e) }, e);
      },
    );
  }

  /** A request from this system: answered here at the root, or above. */
  #request(name: string, payload: unknown[]): Promise<unknown> {
    const parent = this.#links.defaultRoute;
    if (parent === undefined) {
      try {
        return Promise.resolve(this.#apply(name, payload));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#up(parent, name, payload);
  }

  /** Ask the parent system (its actor id 0). */
  #up(parent: string, name: string, payload: unknown): Promise<unknown> {
    return new RemoteRef({ host: parent, id: 0 }, this.#rt, this.#links).ask(
      name as never,
      payload as never,
    );
  }

  /** Apply a request at the root; throws `NameRequestError` if malformed. */
  #apply(op: string, payload: unknown): unknown {
    const [name, ref] = Array.isArray(payload) ? payload : [];
    if (typeof name !== "string" || name === "") {
      throw new NameRequestError(`${op}: a name must be a non-empty string`);
    }
    const names = this.#names;
    switch (op) {
      case REGISTER: {
        if (typeof ref !== "object" || ref === null || !isActorRef(ref)) {
          throw new NameRequestError(`${op} "${name}": no ref to register`);
        }
        const address = refAddress(ref as AnyRef);
        const held = names.get(name);
        if (held !== undefined) {
          const same = held.address.host === address.host &&
            held.address.id === address.id;
          return same ? "ok" : "taken";
        }
        // The name ends with the actor: its death (or its host's loss).
        const record: WatchRecord = {
          active: true,
          listener: () => {
            if (names.get(name) === entry) names.delete(name);
          },
        };
        const entry: Entry = {
          address,
          unwatch: this.#rt.watches.watch(address, record),
        };
        names.set(name, entry); // (a notice comes later, even for the dead)
        return "ok";
      }
      case UNREGISTER: {
        const held = names.get(name);
        if (held === undefined) return false;
        names.delete(name);
        held.unwatch();
        return true;
      }
      default: {
        const held = names.get(name);
        return held === undefined ? null : this.#rt.system.refFor(held.address);
      }
    }
  }
}
