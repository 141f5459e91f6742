/**
 * The typed errors of the cluster transport: each names what was wrong with a
 * connection (an oversized frame, bytes that are not MessagePack, a frame cut
 * short by the end of the stream, a message the protocol does not allow, a
 * failed handshake), so that a log line says why a peer was dropped.
 *
 * @module
 */

import { TroupeError } from "../../actors/errors.ts";

/** What kind of transport failure (see `TransportError.code`). */
export type TransportErrorCode = TransportError["code"];

/**
 * A transport failure: `code` says what kind, the message says exactly what.
 * A failure on one connection closes that connection only.
 *
 * @example
 * ```ts
 * import { TransportError } from "@troupe/troupe/cluster";
 * import assert from "node:assert/strict";
 *
 * const e = new TransportError("oversize", "frame of 4294967295 bytes exceeds the 67108864-byte limit");
 * assert.equal(e.code, "oversize");
 * assert.equal(e.name, "TransportError");
 * assert.match(e.message, /^oversize: frame of 4294967295 bytes/);
 * ```
 */
export class TransportError extends TroupeError {
  /**
   * What went wrong with a connection or an endpoint:
   *
   * - `oversize`: a frame's length prefix is above the receiver's limit (or a
   *   chunked message's declared size is above its message limit);
   * - `malformed`: a frame's body is not MessagePack;
   * - `truncated`: the stream ended in the middle of a frame or of a chunked
   *   message;
   * - `protocol`: well-formed MessagePack the protocol does not allow here;
   * - `auth`: the shared secret did not match, or one side has none, or
   *   the peer's TLS certificate is not trusted;
   * - `version`: the peers speak different protocol versions;
   * - `timeout`: the peer did not finish the handshake in time;
   * - `io`: the socket failed (reset, broken pipe, refused);
   * - `closed`: the connection is already closed;
   * - `encode`: a value cannot be encoded as MessagePack;
   * - `config`: the endpoint's options are unsafe or invalid (for example a
   *   listener on a non-loopback address without a secret).
   */
  readonly code:
    | "oversize"
    | "malformed"
    | "truncated"
    | "protocol"
    | "auth"
    | "version"
    | "timeout"
    | "io"
    | "closed"
    | "encode"
    | "config";
  /**
   * Build the error from its kind and a sentence saying what was wrong.
   *
   * @example
   * ```ts
   * import { TransportError } from "@troupe/troupe/cluster";
   * new TransportError("truncated", "stream ended 3 bytes into a 10-byte frame");
   * ```
   */
  constructor(
    code: TransportError["code"],
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${detail}`, options);
    this.code = code;
  }
}
