/**
 * The settings of a framed connection: its options and their defaults, the
 * counters it keeps, who is at the other end, why it closed, and what the
 * handshake sets on it.
 *
 * @module
 */

import { TransportError } from "./wire_errors.ts";
import { FIRST_HEAD } from "./frame_format.ts";

/** The default maximum frame size: 64 MiB. */
export const DEFAULT_MAX_FRAME: number = 64 * 1024 * 1024;
/** The default maximum size of a batch sent in chunks: 1 GiB. */
export const DEFAULT_MAX_MESSAGE: number = 1024 * 1024 * 1024;
/** The default largest frame body a sender makes: 1 MiB (bigger batches are chunked). */
export const DEFAULT_CHUNK_SIZE: number = 1024 * 1024;

/** Options of a framed connection. */
export interface FramingOptions {
  /** The largest frame accepted, in bytes (default 64 MiB). */
  maxFrame?: number;
  /** The largest chunked batch accepted, in bytes (default 1 GiB). */
  maxMessage?: number;
  /**
   * The largest frame body sent (default 1 MiB, and never more than the
   * peer's `maxFrame`); a bigger batch is sent in pieces of this size.
   */
  chunkSize?: number;
  /** A batch is sent at once when it holds this many values (default 4096). */
  batchCount?: number;
  /**
   * A batch is sent at once when its byte arrays and strings add up to this
   * many bytes (default 256 KiB).
   */
  batchBytes?: number;
  /**
   * Received values held for `receive()` or the iterator before reading
   * pauses (default 65536): a consumer that falls behind slows the sender
   * down instead of filling memory.
   */
  highWater?: number;
  /** How long `close()` waits for queued frames to be written, in ms (default 5000). */
  closeTimeout?: number;
  /**
   * The size of the buffer reads go into, in bytes (default 256 KiB; a
   * bigger frame gets a buffer of its size). A listener starts each peer
   * with a small one and gives it the default once it has authenticated.
   */
  readBuffer?: number;
  /** Where problems that close nothing are reported (default `console.warn`). */
  logger?: (message: string) => void;
}

/** How many frames, bytes and values went each way. */
export interface TransportCounters {
  /** Frames received. */
  framesIn: number;
  /** Frames sent (a chunked batch counts one per piece). */
  framesOut: number;
  /** Bytes received, length prefixes included. */
  bytesIn: number;
  /** Bytes written to the socket, length prefixes included. */
  bytesOut: number;
  /** Values received. */
  messagesIn: number;
  /** Values passed to `send`. */
  messagesOut: number;
}

/** Who is at the other end, once the handshake is done. */
export interface PeerInfo {
  /** The node id the peer announced. */
  nodeId: string;
  /** Its address. */
  address: Deno.NetAddr;
  /** Whether it proved it knows the shared secret. */
  authenticated: boolean;
  /** Whether the connection is TLS. */
  tls: boolean;
  /** The largest frame it accepts. */
  maxFrame: number;
}

/**
 * Why a connection closed: `local` (its `close()` was called), `eof` (the
 * peer ended the stream at a frame boundary) or `error` (see `error`).
 */
export interface CloseReason {
  /** How it ended. */
  kind: "local" | "eof" | "error";
  /** What went wrong, when `kind` is `error`. */
  error?: TransportError;
}

/**
 * The error that waiting calls get once a connection closed for `reason`:
 * its failure, or a `closed` error saying which end closed it.
 */
export function closedError(reason: CloseReason): TransportError {
  if (reason.kind === "error" && reason.error) return reason.error;
  return new TransportError(
    "closed",
    reason.kind === "eof"
      ? "the peer closed the connection"
      : "the connection was closed here",
  );
}

/** @internal Set by the handshake: the peer and the limits after it. */
export const CONFIGURE: unique symbol = Symbol("troupe.transport.configure");

/** @internal What the handshake sets. */
export interface ConnectionSettings {
  peer?: PeerInfo;
  maxFrame?: number;
  maxMessage?: number;
  peerMaxFrame?: number;
  readBuffer?: number;
}

/** The read buffer of a connection, unless its options say otherwise. */
const READ_BUFFER = 256 * 1024;

/** A connection's options, checked, with their defaults filled in. */
export interface FramingSettings {
  maxFrame: number;
  maxMessage: number;
  chunkSize: number;
  batchCount: number;
  batchBytes: number;
  highWater: number;
  closeTimeout: number;
  readBuffer: number;
  logger: (message: string) => void;
}

/** `options` checked (a `config` error names a bad one), defaults filled in. */
export function framingSettings(options: FramingOptions): FramingSettings {
  const maxFrame = positive("maxFrame", options.maxFrame, DEFAULT_MAX_FRAME);
  const maxMessage = positive(
    "maxMessage",
    options.maxMessage,
    DEFAULT_MAX_MESSAGE,
  );
  const chunkSize = positive(
    "chunkSize",
    options.chunkSize,
    DEFAULT_CHUNK_SIZE,
  );
  if (chunkSize <= FIRST_HEAD) {
    throw new TransportError("config", `chunkSize must exceed ${FIRST_HEAD}`);
  }
  return {
    maxFrame,
    maxMessage,
    chunkSize,
    batchCount: positive("batchCount", options.batchCount, 4096),
    batchBytes: positive("batchBytes", options.batchBytes, 256 << 10),
    highWater: positive("highWater", options.highWater, 65536),
    closeTimeout: options.closeTimeout ?? 5000,
    readBuffer: positive("readBuffer", options.readBuffer, READ_BUFFER),
    logger: options.logger ?? console.warn,
  };
}

/** `v` if it is a positive whole number, `dflt` if not given; else a config error naming `name`. */
export function positive(
  name: string,
  v: number | undefined,
  dflt: number,
): number {
  if (v === undefined) return dflt;
  if (!(Number.isSafeInteger(v) && v > 0)) {
    throw new TransportError("config", `${name} must be a positive integer`);
  }
  return v;
}
