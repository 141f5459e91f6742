/**
 * The cluster handshake, on a fresh {@link FramedConnection}:
 *
 * 1. both sides send `{t: "hello", protocol, node, nonce, auth, maxFrame}`
 *    (a 32-byte random nonce, whether they hold a shared secret, and the
 *    largest frame they accept);
 * 2. the connecting side sends `{t: "auth", proof}`: HMAC-SHA256 under the
 *    shared secret of a role label ("connect") and both nonces (or `null`
 *    when neither side has a secret);
 * 3. the listener checks it, raises its frame limits from the small
 *    pre-authentication ones, and answers `{t: "welcome", proof}` with the
 *    same HMAC under the label "accept": the connecting side checks that too
 *    (mutual authentication).
 *
 * A side that refuses says why with `{t: "reject", code, reason}` before it
 * closes. Wrong secret, one side without a secret, another protocol version,
 * a malformed hello or silence past the timeout all end in a
 * {@link TransportError} naming the reason.
 *
 * @module
 */

import { CONFIGURE, type FramedConnection, type PeerInfo } from "./framing.ts";
import { clip, hasControl, preview } from "../../actors/preview.ts";
import { TransportError, type TransportErrorCode } from "./wire_errors.ts";

/** The protocol version both sides must speak. */
export const PROTOCOL_VERSION = 1;
/** The default handshake timeout: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

const NONCE = 32;
const encoder = new TextEncoder();

/** How to run one side of the handshake. */
export interface HandshakeOptions {
  /** This node's id (announced to the peer). */
  nodeId: string;
  /** The shared secret (or its imported HMAC key); none means no auth. */
  secret?: string | Uint8Array | CryptoKey;
  /** Give up after this many ms without the peer's part (default 10 s). */
  timeout?: number;
  /** The largest frame accepted after the handshake (announced). */
  maxFrame: number;
  /** The largest chunked batch accepted after the handshake. */
  maxMessage: number;
  /** Whether the connection runs over TLS (recorded in `peer`). */
  tls?: boolean;
}

/**
 * Import a shared secret as an HMAC-SHA256 key (do it once per endpoint).
 *
 * @example
 * ```ts
 * import { importSecret } from "./handshake.ts";
 * const key = await importSecret("correct horse battery staple");
 * console.assert(key.algorithm.name === "HMAC");
 * ```
 */
export function importSecret(secret: string | Uint8Array): Promise<CryptoKey> {
  const raw = typeof secret === "string" ? encoder.encode(secret) : secret;
  if (raw.length === 0) {
    throw new TransportError("config", "the shared secret is empty");
  }
  return crypto.subtle.importKey(
    "raw",
    new Uint8Array(raw),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function transcript(
  role: "connect" | "accept",
  connectorNonce: Uint8Array,
  listenerNonce: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const label = encoder.encode(`troupe/${PROTOCOL_VERSION} ${role}\n`);
  const out = new Uint8Array(label.length + 2 * NONCE);
  out.set(label);
  out.set(connectorNonce, label.length);
  out.set(listenerNonce, label.length + NONCE);
  return out;
}

interface Hello {
  t: "hello";
  protocol: number;
  node: string;
  nonce: Uint8Array;
  auth: boolean;
  maxFrame: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Throw the peer's refusal, or a protocol error if `m` is not a `t`. What
 * the peer sent goes into the message as a bounded preview only: it may be
 * anything (a long string, a graph of shared references).
 */
function expectKind(m: unknown, t: string): Record<string, unknown> {
  if (isRecord(m) && m.t === "reject") {
    const code = typeof m.code === "string" ? m.code : "protocol";
    const known = ["auth", "version", "protocol", "timeout", "config"];
    const reason = typeof m.reason === "string"
      ? clip(m.reason, 300)
      : preview(m.reason);
    throw new TransportError(
      (known.includes(code) ? code : "protocol") as TransportErrorCode,
      `the peer refused the connection: ${reason}`,
    );
  }
  if (!isRecord(m) || m.t !== t) {
    throw new TransportError(
      "protocol",
      `expected a handshake "${t}" message, got ${
        isRecord(m) ? preview(m.t) : preview(m)
      }`,
    );
  }
  return m;
}

function checkHello(m: unknown, ours: Uint8Array): Hello {
  const h = expectKind(m, "hello");
  if (h.protocol !== PROTOCOL_VERSION) {
    throw new TransportError(
      "version",
      `the peer speaks protocol ${
        preview(h.protocol)
      }, this side ${PROTOCOL_VERSION}`,
    );
  }
  if (
    typeof h.node !== "string" || h.node.length === 0 ||
    h.node.length > 256 || hasControl(h.node) ||
    !(h.nonce instanceof Uint8Array) ||
    h.nonce.length !== NONCE || typeof h.auth !== "boolean" ||
    !Number.isSafeInteger(h.maxFrame) || (h.maxFrame as number) < 1024
  ) {
    throw new TransportError("protocol", "malformed hello");
  }
  if (h.nonce.every((b, i) => b === ours[i])) {
    throw new TransportError("protocol", "the peer echoed this side's nonce");
  }
  return h as unknown as Hello;
}

/**
 * Run one side of the handshake on `conn`: `role` is `"connect"` on the side
 * that dialled, `"accept"` on the listener's side. Resolves with the peer
 * (also set as `conn.peer`) and leaves the connection open; rejects with a
 * {@link TransportError} after queueing a `reject` for the peer (close the
 * connection then: `close()` sends it).
 *
 * @example
 * ```ts
 * import { FramedConnection } from "./framing.ts";
 * import { handshake } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const [raw, accepted] = await Promise.all([
 *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
 *   listener.accept(),
 * ]);
 * await using a = new FramedConnection(raw);
 * await using b = new FramedConnection(accepted);
 * const limits = { maxFrame: 1 << 20, maxMessage: 1 << 24, secret: "s3cret" };
 * const [peerOfA, peerOfB] = await Promise.all([
 *   handshake(a, "connect", { ...limits, nodeId: "client" }),
 *   handshake(b, "accept", { ...limits, nodeId: "server" }),
 * ]);
 * assert.equal(peerOfA.nodeId, "server");
 * assert.equal(peerOfB.nodeId, "client");
 * assert.equal(peerOfB.authenticated, true);
 * ```
 */
export async function handshake(
  conn: FramedConnection,
  role: "connect" | "accept",
  options: HandshakeOptions,
): Promise<PeerInfo> {
  const timeout = options.timeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeout);
  try {
    return await run(conn, role, options);
  } catch (e) {
    if (timedOut) {
      throw new TransportError(
        "timeout",
        `the peer did not complete the handshake within ${timeout} ms`,
      );
    }
    const err = e instanceof TransportError
      ? e
      : new TransportError("protocol", `handshake failed: ${String(e)}`, {
        cause: e,
      });
    if (!conn.isClosed && !/peer refused/.test(err.message)) {
      conn.send({ t: "reject", code: err.code, reason: err.message });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function run(
  conn: FramedConnection,
  role: "connect" | "accept",
  options: HandshakeOptions,
): Promise<PeerInfo> {
  const key = options.secret === undefined
    ? undefined
    : options.secret instanceof CryptoKey
    ? options.secret
    : await importSecret(options.secret);
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE));
  conn.send({
    t: "hello",
    protocol: PROTOCOL_VERSION,
    node: options.nodeId,
    nonce,
    auth: key !== undefined,
    maxFrame: options.maxFrame,
  });
  const hello = checkHello(await conn.receive(), nonce);
  const [cNonce, lNonce] = role === "connect"
    ? [nonce, hello.nonce]
    : [hello.nonce, nonce];
  if (key !== undefined && !hello.auth) {
    throw new TransportError(
      "auth",
      "the peer has no shared secret and this side requires one",
    );
  }
  if (key === undefined && hello.auth) {
    throw new TransportError(
      "auth",
      "the peer requires a shared secret and this side has none",
    );
  }
  const sign = async (r: "connect" | "accept"): Promise<Uint8Array | null> =>
    key === undefined ? null : new Uint8Array(
      await crypto.subtle.sign("HMAC", key, transcript(r, cNonce, lNonce)),
    );
  const verify = async (
    r: "connect" | "accept",
    proof: unknown,
  ): Promise<boolean> =>
    key === undefined
      ? proof === null
      : proof instanceof Uint8Array && proof.length === 32 &&
        await crypto.subtle.verify(
          "HMAC",
          key,
          new Uint8Array(proof),
          transcript(r, cNonce, lNonce),
        );
  const peer: PeerInfo = {
    nodeId: hello.node,
    address: conn.remoteAddr,
    authenticated: key !== undefined,
    tls: options.tls ?? false,
    maxFrame: hello.maxFrame,
  };
  if (role === "connect") {
    conn.send({ t: "auth", proof: await sign("connect") });
    const welcome = expectKind(await conn.receive(), "welcome");
    if (!await verify("accept", welcome.proof)) {
      throw new TransportError(
        "auth",
        "the listener's proof is wrong: it does not know the shared secret",
      );
    }
  } else {
    const auth = expectKind(await conn.receive(), "auth");
    if (!await verify("connect", auth.proof)) {
      throw new TransportError(
        "auth",
        "wrong shared secret: the peer's proof does not match",
      );
    }
    // Raise the limits before the welcome: the peer may send big frames
    // right after it.
    conn[CONFIGURE]({
      maxFrame: options.maxFrame,
      maxMessage: options.maxMessage,
    });
    conn.send({ t: "welcome", proof: await sign("accept") });
  }
  conn[CONFIGURE]({
    peer,
    maxFrame: options.maxFrame,
    maxMessage: options.maxMessage,
    peerMaxFrame: hello.maxFrame,
  });
  return peer;
}
