/**
 * Cluster endpoints: a listener that accepts authenticated framed
 * connections, a connect call that dials one, a reconnecting loop for
 * workers and clients, and the shared secret read from a file or an
 * environment variable. TLS is one option away on both sides.
 *
 * A listener on an address other than loopback refuses to start without a
 * shared secret, and a connection to such an address refuses to dial
 * without one.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "../../actors/backoff.ts";
import { acceptLoop } from "./accept.ts";
import { CONFIGURE, FramedConnection, type FramingOptions } from "./framing.ts";
import { DEFAULT_MAX_FRAME, DEFAULT_MAX_MESSAGE } from "./framing.ts";
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  handshake,
  importSecret,
} from "./handshake.ts";
import { TransportError } from "./wire_errors.ts";

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

/** Options of {@link connectTransport}. */
export interface ConnectOptions extends TransportOptions {
  /** Dial with TLS: extra CA certificates (PEM), the name to verify. */
  tls?: { caCerts?: string[]; hostname?: string };
  /** Abort the dial or the handshake. */
  signal?: AbortSignal;
}

/**
 * Whether `hostname` names the loopback interface (`localhost`,
 * `127.0.0.0/8`, `::1`).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopback("127.0.0.1"), true);
 * assert.equal(isLoopback("[::1]"), true);
 * assert.equal(isLoopback("0.0.0.0"), false);
 * assert.equal(isLoopback("10.0.0.7"), false);
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || h === "::ffff:127.0.0.1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Split `host:port` (`[v6]:port` for IPv6; a `tcp://` or `tls://` prefix
 * is allowed and ignored) into its parts.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAddress("127.0.0.1:8786"), { hostname: "127.0.0.1", port: 8786 });
 * assert.deepEqual(parseAddress("tcp://[::1]:9000"), { hostname: "::1", port: 9000 });
 * ```
 */
export function parseAddress(
  address: string,
): { hostname: string; port: number } {
  const s = address.replace(/^(tcp|tls):\/\//, "");
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new TransportError(
      "config",
      `bad address ${JSON.stringify(address)}: expected host:port`,
    );
  }
  return { hostname: m[1] ?? m[2], port };
}

function checkSecret(
  secret: string | Uint8Array | undefined,
  hostname: string,
  what: string,
): void {
  if (secret !== undefined && secret.length === 0) {
    throw new TransportError("config", "the shared secret is empty");
  }
  if (secret === undefined && !isLoopback(hostname)) {
    throw new TransportError(
      "config",
      `refusing to ${what} ${hostname} without a shared secret: ` +
        "only loopback addresses may go without one (set a secret, e.g. from a file with readSecret)",
    );
  }
}

function log(options: FramingOptions): (m: string) => void {
  return options.logger ?? console.warn;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `host:port` of `a` as every dial takes it (IPv6 in brackets). Internal. */
export function hostPort(a: { hostname: string; port: number }): string {
  return a.hostname.includes(":")
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;
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

/**
 * Dial a listener, run the handshake, and resolve with the authenticated
 * connection. `address` is `host:port` or `{hostname, port}`. Without a
 * `secret` only a loopback address may be dialled. Rejects with a
 * {@link TransportError} (`auth`, `version`, `timeout`, `io`...) saying why.
 *
 * @example
 * ```ts
 * import { connectTransport, listenTransport } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = listenTransport({ onConnection: (conn) => conn.send("welcome aboard") });
 * await using conn = await connectTransport({ hostname: "127.0.0.1", port: server.addr.port });
 * assert.equal(await conn.receive(), "welcome aboard");
 * await assert.rejects(
 *   connectTransport(`127.0.0.1:${server.addr.port}`, { secret: "nope" }),
 *   /auth: the peer has no shared secret/,
 * );
 * ```
 */
export async function connectTransport(
  address: string | { hostname?: string; port: number },
  options: ConnectOptions = {},
): Promise<FramedConnection> {
  const { hostname = "127.0.0.1", port } = typeof address === "string"
    ? parseAddress(address)
    : address;
  checkSecret(options.secret, hostname, "connect to");
  const signal = options.signal;
  signal?.throwIfAborted();
  const where = hostPort({ hostname, port });
  // One deadline for the whole dial: TCP, TLS and the handshake.
  const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  const started = performance.now();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeout);
  const onAbort = (): void => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  const failed = (e: unknown, stage: string): never => {
    signal?.throwIfAborted();
    if (stop.signal.aborted) {
      throw new TransportError(
        "timeout",
        `${stage} ${where} did not complete within ${timeout} ms`,
        { cause: e },
      );
    }
    throw new TransportError(
      "io",
      `cannot ${options.tls ? "TLS-" : ""}connect to ${where}: ${describe(e)}`,
      { cause: e },
    );
  };
  try {
    let raw: Deno.Conn;
    let tcp: Deno.TcpConn;
    try {
      tcp = await Deno.connect({ hostname, port, signal: stop.signal });
    } catch (e) {
      return failed(e, "connecting to");
    }
    raw = tcp;
    if (options.tls) {
      tcp.setNoDelay(true);
      const tls = await Deno.startTls(tcp, {
        hostname: options.tls.hostname ?? hostname,
        caCerts: options.tls.caCerts,
      });
      raw = tls;
      // (A peer that never answers holds the handshake: the deadline and
      // the signal close it.)
      const close = (): void => {
        try {
          tls.close();
        } catch { /* closed */ }
      };
      stop.signal.addEventListener("abort", close, { once: true });
      try {
        await tls.handshake();
      } catch (e) {
        close();
        if (!stop.signal.aborted && /certificate/i.test(describe(e))) {
          // Not worth dialling again: the peer is not who it should be.
          throw new TransportError(
            "auth",
            `cannot TLS-connect to ${where}: ${
              describe(e)
            } (give the CA certificate that signed it: tls: { caCerts }, or --tls-ca)`,
            { cause: e },
          );
        }
        return failed(e, "the TLS handshake with");
      } finally {
        stop.signal.removeEventListener("abort", close);
      }
    }
    const conn = new FramedConnection(raw, options);
    const close = (): void => void conn.close();
    stop.signal.addEventListener("abort", close, { once: true });
    try {
      await handshake(conn, "connect", {
        nodeId: options.nodeId ?? crypto.randomUUID(),
        secret: options.secret,
        timeout: Math.max(1, timeout - (performance.now() - started)),
        maxFrame: options.maxFrame ?? DEFAULT_MAX_FRAME,
        maxMessage: options.maxMessage ?? DEFAULT_MAX_MESSAGE,
        tls: options.tls !== undefined,
      });
    } catch (e) {
      await conn.close();
      signal?.throwIfAborted();
      if (stop.signal.aborted) return failed(e, "the handshake with");
      throw e;
    } finally {
      stop.signal.removeEventListener("abort", close);
    }
    return conn;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Options of {@link reconnecting}. */
export interface ReconnectOptions extends ConnectOptions {
  /** Delays between failed attempts (default 100 ms doubling to 5 s, ±20%). */
  backoff?: BackoffOptions;
  /** Give up (throw) after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
  /** Told about every failed attempt and the delay before the next one. */
  onRetry?: (info: { attempt: number; delay: number; error: unknown }) => void;
}

const DEFAULT_BACKOFF: BackoffOptions = { minMs: 100, maxMs: 5000 };

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Keep a connection to `address`: yields a connection, and when the caller
 * asks for the next one, waits for that one to close and dials again.
 * Failed dials are retried after exponential backoff with jitter (bounded
 * by `backoff.maxMs`; `maxAttempts` in a row makes it throw). A wrong
 * secret, another protocol version or unsafe options are not retried: they
 * throw. Aborting `signal` closes the current connection and ends the loop
 * quietly; leaving the loop early leaves the connection to the caller.
 *
 * @example
 * ```ts
 * import { listenTransport, reconnecting } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * await using server = listenTransport({ onConnection: (conn) => conn.send("hello") });
 * const stop = new AbortController();
 * for await (const conn of reconnecting(`127.0.0.1:${server.addr.port}`, { signal: stop.signal })) {
 *   assert.equal(await conn.receive(), "hello");
 *   await conn.close();
 *   stop.abort();
 * }
 * ```
 */
export async function* reconnecting(
  address: string | { hostname?: string; port: number },
  options: ReconnectOptions = {},
): AsyncGenerator<FramedConnection, void, undefined> {
  const { signal, maxAttempts = Infinity } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let failures = 0;
  while (!signal?.aborted) {
    let conn: FramedConnection;
    try {
      conn = await connectTransport(address, options);
    } catch (e) {
      if (signal?.aborted) return;
      if (
        e instanceof TransportError &&
        (e.code === "auth" || e.code === "version" || e.code === "config")
      ) {
        throw e;
      }
      failures++;
      if (failures >= maxAttempts) {
        throw new TransportError(
          "io",
          `gave up after ${failures} failed attempts: ${describe(e)}`,
          { cause: e },
        );
      }
      const delay = backoffDelay(backoff, failures - 1);
      options.onRetry?.({ attempt: failures, delay, error: e });
      await sleep(delay, signal);
      continue;
    }
    failures = 0;
    const onAbort = (): void => void conn.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      yield conn;
      await conn.closed;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * Read the shared secret from `file` (its content without the trailing
 * newline) or, when no file is named, from the environment variable `env`.
 * Resolves to `undefined` when neither is set; rejects when the file is
 * missing or empty.
 *
 * @example
 * ```ts
 * import { readSecret } from "./endpoint.ts";
 * import assert from "node:assert/strict";
 *
 * Deno.env.set("TROUPE_DOC_SECRET", "from-env");
 * assert.equal(await readSecret({ env: "TROUPE_DOC_SECRET" }), "from-env");
 * Deno.env.delete("TROUPE_DOC_SECRET");
 * assert.equal(await readSecret({ env: "TROUPE_DOC_SECRET" }), undefined);
 * await assert.rejects(readSecret({ file: "/no/such/secret" }), /cannot read the secret file/);
 * ```
 */
export async function readSecret(
  from: { file?: string; env?: string },
): Promise<string | undefined> {
  if (from.file !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(from.file);
    } catch (e) {
      throw new TransportError(
        "config",
        `cannot read the secret file ${from.file}: ${describe(e)}`,
        { cause: e },
      );
    }
    const secret = text.replace(/\r?\n$/, "");
    if (secret.length === 0) {
      throw new TransportError(
        "config",
        `the secret file ${from.file} is empty`,
      );
    }
    return secret;
  }
  if (from.env !== undefined) {
    const v = Deno.env.get(from.env);
    return v === undefined || v === "" ? undefined : v;
  }
  return undefined;
}
