/**
 * Worker-to-worker data: each cluster node serves the results its graph
 * workers hold to the other nodes, and fetches the inputs its tasks need
 * from them directly, so a value crosses the network once, node to node,
 * instead of through the scheduler. Connections are authenticated with the
 * cluster's secret, like every other, and in a TLS cluster they are TLS
 * too (each node then serves with a certificate of its own).
 *
 * Requests: `{ t: "get", id, keys }`, answered `{ t: "ok", id, values }` or
 * `{ t: "err", id, message, crossing? }` (`crossing`: a value is held here
 * but cannot cross to another host).
 *
 * @module
 */

import { CrossingError } from "../../actors/hosts/codec.ts";
import {
  connectTransport,
  listenTransport,
  type TransportListener,
} from "./endpoint.ts";
import type { FramedConnection } from "./framing.ts";
import { clip } from "../../actors/preview.ts";
import { localStores } from "./local_stores.ts";

export { localStores };

interface PeerConfig {
  secret?: string | Uint8Array;
  /** Dial peers with TLS, verifying them with these CA certificates. */
  tls?: { caCerts?: string[] };
}

let config: PeerConfig = {};
const peers = new Map<string, Promise<Peer>>();

/** Set how this isolate's graph workers reach their peers (secret, TLS). */
export function setPeerConfig(c: PeerConfig): void {
  config = c;
}

/** The value of `key` in a local store, if one holds it. */
function lookup(key: string): { found: boolean; value?: unknown } {
  for (const store of localStores) {
    if (store.has(key)) return { found: true, value: store.get(key) };
  }
  return { found: false };
}

/**
 * Serve the values held here to other nodes, on `hostname` (any free port).
 */
export function serveData(
  hostname: string,
  secret: string | Uint8Array | undefined,
  tls?: { cert: string; key: string },
): TransportListener {
  return listenTransport({
    hostname,
    port: 0,
    secret,
    tls,
    logger: () => {},
    onConnection: async (conn) => {
      conn.onMessage((m) => {
        if (m === null || typeof m !== "object") return void conn.close();
        const { t, id, keys } = m as {
          t?: unknown;
          id?: unknown;
          keys?: unknown;
        };
        // (a request of another shape is a broken or hostile peer: the id
        // goes back in the answer, the keys into a message)
        if (
          t !== "get" || !Number.isSafeInteger(id) || !Array.isArray(keys) ||
          !keys.every((k) => typeof k === "string")
        ) {
          return void conn.close();
        }
        const values: unknown[] = [];
        for (const key of keys as string[]) {
          const got = lookup(key);
          if (!got.found) {
            if (!conn.isClosed) {
              conn.send({
                t: "err",
                id,
                message: `${clip(key)} is not held here`,
              });
            }
            return;
          }
          values.push(got.value);
        }
        if (conn.isClosed) return;
        try {
          conn.send({ t: "ok", id, values });
        } catch (e) {
          // A value that cannot cross (a task's result holding a function):
          // the asker hears why, instead of waiting.
          if (!(e instanceof CrossingError)) throw e;
          conn.send({ t: "err", id, message: e.message, crossing: true });
        }
      });
      await conn.closed;
    },
  });
}

/** A connection to another node's data server, with its requests. */
class Peer {
  readonly conn: FramedConnection;
  readonly #pending = new Map<
    number,
    PromiseWithResolvers<unknown[]> & { count: number }
  >();
  #seq = 0;

  constructor(conn: FramedConnection) {
    this.conn = conn;
    conn.onMessage((m) => {
      if (m === null || typeof m !== "object") return void conn.close();
      const { t, id, values, message, crossing } = m as {
        t: string;
        id: number;
        values?: unknown[];
        message?: string;
        crossing?: boolean;
      };
      const p = typeof id === "number" ? this.#pending.get(id) : undefined;
      if (p === undefined) return;
      this.#pending.delete(id);
      // A peer's answer is checked before a task reads it: values of the
      // wrong shape would be taken for the inputs silently.
      if (t === "ok" && Array.isArray(values) && values.length === p.count) {
        p.resolve(values);
      } else if (t === "err" && typeof message === "string") {
        const text = clip(message, 300);
        p.reject(crossing === true ? new CrossingError(text) : new Error(text));
      } else {
        p.reject(new Error("the peer sent an answer of no known shape"));
      }
    });
    conn.closed.then(() => {
      const gone = new Error("the connection to the peer closed");
      for (const p of this.#pending.values()) p.reject(gone);
      this.#pending.clear();
    });
  }

  get(keys: string[]): Promise<unknown[]> {
    if (this.conn.isClosed) {
      return Promise.reject(new Error("the connection to the peer closed"));
    }
    const id = ++this.#seq;
    const p = { ...Promise.withResolvers<unknown[]>(), count: keys.length };
    this.#pending.set(id, p);
    this.conn.send({ t: "get", id, keys });
    return p.promise;
  }
}

/** Fetch `keys` from the node serving data at `address`. */
export async function pullFrom(
  address: string,
  keys: string[],
): Promise<unknown[]> {
  let peer = peers.get(address);
  if (
    peer !== undefined && (await peer.catch(() => undefined))?.conn.isClosed
  ) {
    peers.delete(address);
    peer = undefined;
  }
  if (peer === undefined) {
    peer = connectTransport(address, {
      secret: config.secret,
      tls: config.tls,
    }).then((c) => new Peer(c));
    peers.set(address, peer);
    peer.catch(() => peers.delete(address));
  }
  return (await peer).get(keys);
}

/**
 * Close the connection to the node serving data at `address`, if any: its
 * pending pulls fail at once (it is gone, or silent past the cluster's
 * patience), and the next pull from it dials again.
 */
export async function closePeer(address: string): Promise<void> {
  const peer = peers.get(address);
  if (peer === undefined) return;
  peers.delete(address);
  await peer.then((p) => p.conn.close(), () => {});
}

/** Close every connection to other nodes (when this node leaves). */
export async function closePeers(): Promise<void> {
  const all = [...peers.values()];
  peers.clear();
  await Promise.all(
    all.map((p) => p.then((peer) => peer.conn.close(), () => {})),
  );
}
