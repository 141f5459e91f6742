/**
 * The listening endpoint: `listenTransport` and its `Listener`, which
 * accepts TCP (or TLS) connections within its bounds (`maxPending`,
 * `maxConnections`), gives each one deadline from its accept to its
 * authentication, runs the handshake under small frame limits, and hands
 * the authenticated connection to `onConnection`. With the options that
 * listeners and dials share (`TransportOptions`).
 *
 * @module
 */

import { acceptLoop } from "./accept.ts";
import { CONFIGURE, FramedConnection, type FramingOptions } from "./framing.ts";
import { DEFAULT_MAX_FRAME, DEFAULT_MAX_MESSAGE } from "./framing.ts";
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  handshake,
  importSecret,
} from "./handshake.ts";
import { TransportError } from "./wire_errors.ts";
import { checkSecret, hostPort, isLoopback } from "./addresses.ts";

/** Frame limits before a peer has authenticated: 64 KiB. */
const PRE_AUTH_FRAME = 64 * 1024;
/**
 * The read buffer of a peer that has not authenticated: a hello and an
 * auth fit in it (a bigger frame, up to the pre-auth limit, gets a buffer
 * of its size while it lasts).
 */
const PRE_AUTH_READ_BUFFER = 4 * 1024;
/** The read buffer of an authenticated peer (the framing's default). */
const READ_BUFFER = 256 * 1024;
/** The default bound on connections still in their handshake. */
export const DEFAULT_MAX_PENDING = 128;
/** The default bound on connections held, in their handshake or past it. */
export const DEFAULT_MAX_CONNECTIONS = 8192;

/** What listeners and connections share. */
export interface TransportOptions extends FramingOptions {
  /** The shared secret; required unless both ends are on loopback. */
  secret?: string | Uint8Array;
  /** This node's id (default a random UUID). */
  nodeId?: string;
  /** Give up on a handshake after this many ms (default 10 s). */
  handshakeTimeout?: number;
}

/** Options of {@link listenTransport}. */
export interface ListenOptions extends TransportOptions {
  /** The address to listen on (default `127.0.0.1`). */
  hostname?: string;
  /** The port (default 0: any free port; see `addr`). */
  port?: number;
  /** Certificate and key (PEM) to listen with TLS. */
  tls?: { cert: string; key: string };
  /**
   * Called with every connection that passed the handshake. It may return
   * a promise (a session); the listener's `close()` closes the connection
   * and waits for it.
   */
  onConnection: (conn: FramedConnection) => void | Promise<void>;
  /**
   * Connections that have not finished their handshake, at most (default
   * 128): more are closed as soon as they are accepted. Each gets
   * `handshakeTimeout` from its accept to its authentication, TLS
   * included.
   */
  maxPending?: number;
  /** Connections held at most, authenticated or not (default 8192). */
  maxConnections?: number;
}

/** A listening endpoint. */
export interface TransportListener extends AsyncDisposable {
  /** The address it listens on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** This node's id. */
  readonly nodeId: string;
  /** The connections that passed the handshake and are still open. */
  readonly connections: ReadonlySet<FramedConnection>;
  /** Stop accepting, close every connection, wait for their sessions. */
  close(): Promise<void>;
}

function log(options: FramingOptions): (m: string) => void {
  return options.logger ?? console.warn;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Listen for cluster connections. Each accepted connection runs the
 * handshake (with small frame limits until the peer has authenticated);
 * one that fails is closed with a logged reason, and nothing else is
 * affected. Without a `secret` only a loopback `hostname` is allowed:
 * anything else throws a `config` {@link TransportError} before a socket is
 * opened.
 *
 * @example
 * ```ts
 * import { connectTransport, listenTransport } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = listenTransport({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   secret: "s3cret",
 *   onConnection: async (conn) => {
 *     for await (const msg of conn) conn.send({ echo: msg });
 *   },
 * });
 * await using client = await connectTransport(`127.0.0.1:${server.addr.port}`, {
 *   secret: "s3cret",
 * });
 * client.send("hi");
 * assert.deepEqual(await client.receive(), { echo: "hi" });
 * assert.equal(client.peer?.nodeId, server.nodeId);
 * ```
 */
export function listenTransport(options: ListenOptions): TransportListener {
  const hostname = options.hostname ?? "127.0.0.1";
  checkSecret(options.secret, hostname, "listen on");
  const port = options.port ?? 0;
  const raw: Deno.Listener = options.tls
    ? Deno.listenTls({
      hostname,
      port,
      cert: options.tls.cert,
      key: options.tls.key,
    })
    : Deno.listen({ hostname, port });
  return new Listener(raw, options);
}

class Listener implements TransportListener {
  readonly addr: Deno.NetAddr;
  readonly nodeId: string;
  readonly #raw: Deno.Listener;
  readonly #options: ListenOptions;
  readonly #key: Promise<CryptoKey> | undefined;
  readonly #live = new Set<FramedConnection>();
  readonly #all = new Set<FramedConnection>();
  /** Connections in their TLS handshake (not framed yet). */
  readonly #raws = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  readonly #log: (m: string) => void;
  readonly #stop = new AbortController();
  readonly #timeout: number;
  readonly #maxPending: number;
  readonly #maxConnections: number;
  /** Accepted, not yet authenticated. */
  #pending = 0;
  /** Accepted and not closed. */
  #held = 0;
  #closing: Promise<void> | undefined;

  constructor(raw: Deno.Listener, options: ListenOptions) {
    this.#raw = raw;
    this.#options = options;
    this.addr = raw.addr as Deno.NetAddr;
    this.nodeId = options.nodeId ?? crypto.randomUUID();
    this.#log = log(options);
    this.#timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.#key = options.secret === undefined
      ? undefined
      : importSecret(options.secret);
    this.#key?.catch(() => {});
    this.#accepting = acceptLoop(raw, (conn) => this.#accepted(conn), {
      log: this.#log,
      name: "troupe transport",
      signal: this.#stop.signal,
      room: () =>
        this.#pending >= this.#maxPending
          ? {
            ok: false,
            why: `${this.#pending} connections in their handshake (maxPending)`,
          }
          : this.#held >= this.#maxConnections
          ? {
            ok: false,
            why: `${this.#held} connections held (maxConnections)`,
          }
          : { ok: true },
    });
  }

  get connections(): ReadonlySet<FramedConnection> {
    return this.#live;
  }

  #accepted(raw: Deno.Conn): void {
    this.#pending++;
    this.#held++;
    const task = this.#serve(raw);
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #serve(raw: Deno.Conn): Promise<void> {
    const o = this.#options;
    const maxFrame = o.maxFrame ?? DEFAULT_MAX_FRAME;
    const pre = Math.min(PRE_AUTH_FRAME, maxFrame);
    let from = "a peer";
    try {
      from = hostPort(raw.remoteAddr as Deno.NetAddr);
    } catch { /* gone already */ }
    // One deadline from the accept to the authentication: the TLS
    // handshake, the hello and the proof all fit in it.
    let expired = false;
    const deadline = setTimeout(() => {
      expired = true;
      try {
        raw.close();
      } catch { /* closed */ }
    }, this.#timeout);
    let authenticated = false;
    let conn: FramedConnection | undefined;
    try {
      if (o.tls !== undefined) {
        // (A peer that never sends its TLS hello cannot be let go by this
        // side: Deno's TLS stream, closed in its handshake, keeps the
        // socket until the peer speaks or leaves. The deadline still
        // frees everything else it held here.)
        this.#raws.add(raw);
        try {
          await (raw as Deno.TlsConn).handshake();
        } catch (e) {
          const why = describe(e);
          throw expired ? e : new TransportError(
            "protocol",
            `TLS handshake failed (${why})${
              /corrupt|InvalidContentType|InvalidMessage/i.test(why)
                ? ": is the peer without TLS?"
                : ""
            }`,
            { cause: e },
          );
        } finally {
          this.#raws.delete(raw);
        }
        if (this.#closing !== undefined) throw new Error("closing");
      }
      conn = new FramedConnection(raw, {
        ...o,
        maxFrame: pre,
        maxMessage: pre,
        readBuffer: PRE_AUTH_READ_BUFFER,
      });
      const c = conn;
      this.#all.add(c);
      c.closed.then(() => {
        this.#all.delete(c);
        this.#live.delete(c);
      });
      if (o.secret === undefined && !isLoopback(c.remoteAddr.hostname)) {
        throw new TransportError(
          "auth",
          "a peer off loopback and no shared secret here",
        );
      }
      const key = this.#key === undefined ? undefined : await this.#key;
      await handshake(c, "accept", {
        nodeId: this.nodeId,
        secret: key,
        // (the handshake's own timer, as a second bound)
        timeout: this.#timeout,
        maxFrame,
        maxMessage: o.maxMessage ?? DEFAULT_MAX_MESSAGE,
        tls: o.tls !== undefined,
      });
      if (expired) throw new Error("expired");
      authenticated = true;
      c[CONFIGURE]({ readBuffer: o.readBuffer ?? READ_BUFFER });
    } catch (e) {
      if (this.#closing === undefined) {
        this.#log(
          `troupe transport: refused ${from}: ${
            expired
              ? `timeout: the peer did not complete the handshake within ${this.#timeout} ms`
              : describe(e)
          }`,
        );
      }
      if (conn !== undefined) await conn.close();
      else {
        try {
          raw.close();
        } catch { /* closed */ }
      }
      return;
    } finally {
      clearTimeout(deadline);
      this.#pending--;
      if (!authenticated) this.#held--;
    }
    const c = conn!;
    c.closed.then(() => this.#held--);
    if (this.#closing !== undefined) return void await c.close();
    this.#live.add(c);
    c.closed.then((r) => {
      if (r.kind === "error" && this.#closing === undefined) {
        this.#log(
          `troupe transport: closed ${from} (node ${c.peer?.nodeId}): ${r.error?.message}`,
        );
      }
    });
    try {
      await o.onConnection(c);
    } catch (e) {
      this.#log(
        `troupe transport: onConnection failed for ${from}: ${describe(e)}`,
      );
      await c.close();
    }
  }

  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#stop.abort();
      try {
        this.#raw.close();
      } catch { /* already closed */ }
      await this.#accepting;
      for (const raw of this.#raws) {
        try {
          raw.close();
        } catch { /* closed */ }
      }
      await Promise.all([...this.#all].map((c) => c.close()));
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
