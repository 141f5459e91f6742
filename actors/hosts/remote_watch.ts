/**
 * Death watch across hosts.
 *
 * A watch on an actor of another host is a `watch` envelope to it, carrying
 * a correlation id of the watcher's host; the target's host adds a watcher
 * that answers with one `down` envelope, and `unwatch` takes it back.
 *
 * Exactly one notice, even when a host dies: every host that passes a watch
 * on (the watcher's own, and any in between, such as a cluster's scheduler
 * between two nodes) remembers it against the link it went out on. When that
 * link is gone, the host that saw it go sends the notice (`host-down`, naming
 * the lost host) in place of the target's. The watcher takes the first
 * notice for a watch and forgets the watch, so a late one finds nothing.
 *
 * @module
 */

import type { Address, Envelope } from "../envelope.ts";
import type { ExitReason } from "../errors.ts";
import type { CellLike, Runtime } from "../runtime.ts";
import { deliverNotice, type WatchRecord } from "../watch.ts";

/**
 * What watches need of the links (`Links` is the one; it makes the
 * watches, so this file cannot import it).
 */
export interface WatchRoutes {
  /** The host to send to on the way to `host`, if there is a way. */
  nextHop(host: string): string | undefined;
  /** Send `env` on its way; false (and a dead letter) when there is no route. */
  route(env: Envelope): boolean;
}

type WatchEnvelope = Extract<Envelope, { kind: "watch" | "unwatch" }>;
type DownEnvelope = Extract<Envelope, { kind: "down" }>;

/** The remote watches one system placed, serves and passes on. */
export class RemoteWatches {
  readonly #rt: Runtime;
  readonly #links: WatchRoutes;
  #nextCorr = 1;
  /** Watches placed here on actors elsewhere, by correlation id. */
  readonly #mine = new Map<
    number,
    { target: Address; via: string; record: WatchRecord }
  >();
  /** Watches from other hosts on actors here, by `host corr`. */
  readonly #served = new Map<
    string,
    { host: string; cell: CellLike; record: WatchRecord }
  >();
  /** Watches passing through here, by `host corr`: the link they took. */
  readonly #relayed = new Map<
    string,
    { via: string; from: string; corr: number; to: Address }
  >();

  constructor(rt: Runtime, links: WatchRoutes) {
    this.#rt = rt;
    this.#links = links;
  }

  /**
   * Watch the actor at `target` for `record`, wherever it is; returns the
   * unwatch function.
   */
  watch(target: Address, record: WatchRecord): () => void {
    const rt = this.#rt;
    if (target.host === rt.host) {
      const cell = rt.cells.get(target.id);
      if (cell === undefined) {
        deliverNotice(record, {
          address: target,
          reason: { type: "not-found" },
        });
        return () => {
          record.active = false;
        };
      }
      cell.addWatch(record);
      return () => cell.removeWatch(record);
    }
    const via = this.#links.nextHop(target.host);
    if (via === undefined) {
      deliverNotice(record, {
        address: target,
        reason: {
          type: "host-down",
          host: target.host,
          detail: "no link to this host",
        },
      });
      return () => {
        record.active = false;
      };
    }
    const corr = this.#nextCorr++;
    this.#mine.set(corr, { target, via, record });
    const from = { host: rt.host, id: 0 };
    this.#links.route({ kind: "watch", to: target, from, corr });
    return () => {
      record.active = false;
      if (this.#mine.delete(corr)) {
        this.#links.route({ kind: "unwatch", to: target, from, corr });
      }
    };
  }

  /** A `watch`, `unwatch` or `down` envelope addressed to this host. */
  receive(env: WatchEnvelope | DownEnvelope): void {
    if (env.kind === "down") {
      const mine = this.#mine.get(env.corr);
      if (mine === undefined) return; // unwatched, or already told
      this.#mine.delete(env.corr);
      deliverNotice(mine.record, { address: mine.target, reason: env.reason });
      return;
    }
    const key = `${env.from.host} ${env.corr}`;
    if (env.kind === "unwatch") {
      const served = this.#served.get(key);
      if (served === undefined) return;
      this.#served.delete(key);
      served.cell.removeWatch(served.record);
      return;
    }
    if (this.#served.has(key)) return;
    const down = (reason: ExitReason) => {
      this.#served.delete(key);
      this.#links.route({
        kind: "down",
        to: { host: env.from.host, id: 0 },
        corr: env.corr,
        reason,
      });
    };
    const cell = this.#rt.cells.get(env.to.id);
    if (cell === undefined) return down({ type: "not-found" });
    const record: WatchRecord = {
      active: true,
      listener: (notice) => down(notice.reason),
    };
    this.#served.set(key, { host: env.from.host, cell, record });
    cell.addWatch(record);
  }

  /** Note a watch envelope this host passes on to another host. */
  pass(env: WatchEnvelope | DownEnvelope): void {
    if (env.kind === "down") {
      this.#relayed.delete(`${env.to.host} ${env.corr}`);
      return;
    }
    const key = `${env.from.host} ${env.corr}`;
    if (env.kind === "unwatch") {
      this.#relayed.delete(key);
      return;
    }
    const via = this.#links.nextHop(env.to.host);
    if (via === undefined) {
      // No way on (its host is gone, say): the watcher's host hears it from
      // here, as it would had it no link itself; nothing else would tell it.
      this.#links.route({
        kind: "down",
        to: { host: env.from.host, id: 0 },
        corr: env.corr,
        reason: {
          type: "host-down",
          host: env.to.host,
          detail: "no link to this host",
        },
      });
      return;
    }
    this.#relayed.set(key, {
      via,
      from: env.from.host,
      corr: env.corr,
      to: env.to,
    });
  }

  /**
   * The link to `host` is gone: every watch that went out on it ends here,
   * with `host-down`; watches from there need no answer any more (those
   * passed on are taken back, so that their targets' hosts forget them).
   */
  linkLost(host: string, detail: string): void {
    const reason: ExitReason = { type: "host-down", host, detail };
    for (const [corr, mine] of [...this.#mine]) {
      if (mine.via !== host) continue;
      this.#mine.delete(corr);
      deliverNotice(mine.record, { address: mine.target, reason });
    }
    for (const [key, r] of [...this.#relayed]) {
      if (r.from === host) {
        this.#relayed.delete(key);
        this.#links.route({
          kind: "unwatch",
          to: r.to,
          from: { host, id: 0 },
          corr: r.corr,
        });
      } else if (r.via === host) {
        this.#relayed.delete(key);
        this.#links.route({
          kind: "down",
          to: { host: r.from, id: 0 },
          corr: r.corr,
          reason,
        });
      }
    }
    for (const [key, served] of [...this.#served]) {
      if (served.host !== host) continue;
      this.#served.delete(key);
      served.cell.removeWatch(served.record);
    }
  }

  /** Watches this system holds now (placed, served, passed on): for tests. */
  get size(): { mine: number; served: number; relayed: number } {
    return {
      mine: this.#mine.size,
      served: this.#served.size,
      relayed: this.#relayed.size,
    };
  }
}
