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
 * This file is the face of the endpoints and the dialling side
 * (`connectTransport`, `reconnecting`) with `readSecret`; the listener is
 * in `listener.ts`, the address rules in `addresses.ts`.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "../../actors/backoff.ts";
import { FramedConnection } from "./framing.ts";
import { DEFAULT_MAX_FRAME, DEFAULT_MAX_MESSAGE } from "./framing.ts";
import { DEFAULT_HANDSHAKE_TIMEOUT, handshake } from "./handshake.ts";
import { TransportError } from "./wire_errors.ts";
import { checkSecret, hostPort, parseAddress } from "./addresses.ts";
import type { TransportOptions } from "./listener.ts";

// (named here too: where the other folders find every endpoint call)
export { hostPort, isLoopback, parseAddress } from "./addresses.ts";
export {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_PENDING,
  type ListenOptions,
  listenTransport,
  type TransportListener,
  type TransportOptions,
} from "./listener.ts";

/** Options of {@link connectTransport}. */
export interface ConnectOptions extends TransportOptions {
  /** Dial with TLS: extra CA certificates (PEM), the name to verify. */
  tls?: { caCerts?: string[]; hostname?: string };
  /** Abort the dial or the handshake. */
  signal?: AbortSignal;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
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
