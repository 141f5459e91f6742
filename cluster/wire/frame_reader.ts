/**
 * The receiving half of a `FramedConnection`: it reads frames from the
 * socket with their size checked before anything is allocated, puts chunked
 * batches together, decodes them, and delivers each value to the
 * connection's handler or to `receive()` calls, pausing the reads while
 * `highWater` values wait unread. It holds its own state (its buffer, its
 * queue, its limits), so its per-frame path reads only its own fields; the
 * connection configures it, stops it when it shuts down, and hears from it
 * when the stream ends or fails (`onEnd`).
 *
 * @module
 */

import { unpack } from "../../actors/hosts/msgpack.ts";
import { TransportError } from "./wire_errors.ts";
import {
  BATCH,
  CHUNK_FIRST,
  CHUNK_NEXT,
  describe,
  speaksHttp,
  speaksTls,
} from "./frame_format.ts";
import {
  closedError,
  type CloseReason,
  type TransportCounters,
} from "./framing_options.ts";
import { ChunkAssembly } from "./chunk_assembly.ts";

type Waiter = PromiseWithResolvers<unknown>;

/** The limits a reader checks frames against (the handshake may change them). */
export interface ReaderLimits {
  /** The largest frame accepted, in bytes. */
  maxFrame: number;
  /** The largest chunked batch accepted, in bytes. */
  maxMessage: number;
  /** The size of the read buffer between big frames. */
  readBuffer: number;
}

/** The receiving half of one framed connection. */
export class FrameReader {
  readonly #conn: Deno.Conn;
  readonly #counters: TransportCounters;
  readonly #logger: (message: string) => void;
  readonly #highWater: number;
  /** Told once when the stream ends (`eof`) or fails (`error`). */
  readonly #onEnd: (reason: CloseReason) => void;
  #maxFrame: number;
  #maxMessage: number;
  #readBuffer: number;
  #handler: ((value: unknown) => void) | undefined;
  #queue: unknown[] = [];
  #qHead = 0;
  #waiters: Waiter[] = [];
  #paused: PromiseWithResolvers<void> | undefined;
  /** A chunked batch being put together (see `ChunkAssembly`). */
  readonly #chunks = new ChunkAssembly();
  /** Why the connection closed, once it has (see `stop`). */
  #reason: CloseReason | undefined;
  /** The read loop: settles once reading has stopped. */
  readonly reading: Promise<void>;

  /** Start reading `conn`; `counters` are the connection's, counted here too. */
  constructor(
    conn: Deno.Conn,
    limits: ReaderLimits & { highWater: number },
    counters: TransportCounters,
    logger: (message: string) => void,
    onEnd: (reason: CloseReason) => void,
  ) {
    this.#conn = conn;
    this.#maxFrame = limits.maxFrame;
    this.#maxMessage = limits.maxMessage;
    this.#readBuffer = limits.readBuffer;
    this.#highWater = limits.highWater;
    this.#counters = counters;
    this.#logger = logger;
    this.#onEnd = onEnd;
    this.reading = this.#readLoop();
  }

  /** The largest frame accepted now. */
  get maxFrame(): number {
    return this.#maxFrame;
  }

  /** New limits (the handshake's, once the peer is known). */
  configure(limits: Partial<ReaderLimits>): void {
    if (limits.maxFrame !== undefined) this.#maxFrame = limits.maxFrame;
    if (limits.maxMessage !== undefined) this.#maxMessage = limits.maxMessage;
    if (limits.readBuffer !== undefined) this.#readBuffer = limits.readBuffer;
  }

  /**
   * The connection closed (`reason`): waiting `receive()` calls reject,
   * the read loop ends, a partial chunked batch is dropped.
   */
  stop(reason: CloseReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    const err = closedError(reason);
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
    this.#paused?.resolve();
    this.#paused = undefined;
    this.#chunks.clear();
  }

  /** See `FramedConnection.onMessage`. */
  onMessage(handler: ((value: unknown) => void) | undefined): void {
    if (handler !== undefined && this.#waiters.length > 0) {
      throw new TransportError(
        "config",
        "onMessage while receive() calls are pending",
      );
    }
    this.#handler = handler;
    if (handler === undefined) return;
    while (this.#qHead < this.#queue.length && this.#handler === handler) {
      const v = this.#queue[this.#qHead++];
      this.#call(handler, v);
    }
    this.#compactQueue();
    this.#maybeResume();
  }

  /** See `FramedConnection.receive`. */
  receive(): Promise<unknown> {
    if (this.#qHead < this.#queue.length) {
      const v = this.#queue[this.#qHead++];
      this.#compactQueue();
      this.#maybeResume();
      return Promise.resolve(v);
    }
    if (this.#reason !== undefined) {
      return Promise.reject(closedError(this.#reason));
    }
    const w = Promise.withResolvers<unknown>();
    this.#waiters.push(w);
    return w.promise;
  }

  #compactQueue(): void {
    if (this.#qHead === this.#queue.length) {
      this.#queue = [];
      this.#qHead = 0;
    } else if (this.#qHead > 4096 && this.#qHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#qHead);
      this.#qHead = 0;
    }
  }

  #maybeResume(): void {
    if (
      this.#paused !== undefined &&
      this.#queue.length - this.#qHead <= this.#highWater >> 1
    ) {
      const p = this.#paused;
      this.#paused = undefined;
      p.resolve();
    }
  }

  #call(handler: (value: unknown) => void, value: unknown): void {
    try {
      handler(value);
    } catch (e) {
      this.#logger(`troupe transport: onMessage handler threw: ${describe(e)}`);
    }
  }

  #deliver(value: unknown): void {
    this.#counters.messagesIn++;
    const h = this.#handler;
    if (h !== undefined) return this.#call(h, value);
    const w = this.#waiters.shift();
    if (w !== undefined) return w.resolve(value);
    this.#queue.push(value);
    if (
      this.#paused === undefined &&
      this.#queue.length - this.#qHead >= this.#highWater
    ) {
      this.#paused = Promise.withResolvers<void>();
    }
  }

  #deliverBatch(decoded: unknown): void {
    if (!Array.isArray(decoded) || decoded[0] !== BATCH) {
      throw new TransportError(
        "protocol",
        "frame is neither a batch [0, ...values] nor a chunk",
      );
    }
    for (let i = 1; i < decoded.length && this.#reason === undefined; i++) {
      this.#deliver(decoded[i]);
    }
  }

  #onFrame(body: Uint8Array): void {
    if (body.length >= 2 && body[0] === 0x93 && body[1] === CHUNK_FIRST) {
      return this.#chunk(body, true);
    }
    if (body.length >= 2 && body[0] === 0x92 && body[1] === CHUNK_NEXT) {
      return this.#chunk(body, false);
    }
    if (this.#chunks.active) {
      throw new TransportError(
        "protocol",
        "a batch frame came in the middle of a chunked batch",
      );
    }
    let decoded: unknown;
    try {
      decoded = unpack(body, { copy: true });
    } catch (e) {
      throw new TransportError(
        "malformed",
        `frame body of ${body.length} bytes is not MessagePack (${
          describe(e)
        })`,
        { cause: e },
      );
    }
    this.#deliverBatch(decoded);
  }

  #chunk(body: Uint8Array, first: boolean): void {
    const asm = this.#chunks.add(body, first, this.#maxMessage);
    if (asm === undefined) return;
    let decoded: unknown;
    try {
      decoded = unpack(asm, { copy: false });
    } catch (e) {
      throw new TransportError(
        "malformed",
        `chunked batch of ${asm.length} bytes is not MessagePack (${
          describe(e)
        })`,
        { cause: e },
      );
    }
    this.#deliverBatch(decoded);
  }

  /** Read frames until the stream ends, a frame is wrong, or it is stopped. */
  async #readLoop(): Promise<void> {
    let buf = new Uint8Array(this.#readBuffer);
    let view = new DataView(buf.buffer);
    let start = 0;
    let end = 0;
    try {
      for (;;) {
        let need = 4;
        while (end - start >= 4) {
          const size = view.getUint32(start);
          // The limit is checked before anything is allocated for the frame.
          if (size > this.#maxFrame) {
            if (speaksTls(buf, start)) {
              throw new TransportError(
                "config",
                "the peer speaks TLS where a frame was expected: both ends need TLS (connect with tls: { caCerts }, listen with tls: { cert, key })",
              );
            }
            throw new TransportError(
              "oversize",
              `frame length ${size} exceeds the ${this.#maxFrame}-byte limit${
                speaksHttp(buf, start)
                  ? " (the peer speaks HTTP: a web server, such as a dashboard, not a troupe scheduler or node)"
                  : ""
              }`,
            );
          }
          need = 4 + size;
          if (end - start < need) break;
          this.#counters.framesIn++;
          this.#counters.bytesIn += need;
          this.#onFrame(buf.subarray(start + 4, start + need));
          if (this.#reason !== undefined) return;
          start += need;
          need = 4;
        }
        if (start === end) {
          start = end = 0;
          // (back to the usual size after a big frame, or up to it once
          // the peer has authenticated)
          const usual = this.#readBuffer;
          if (
            (buf.length > 16 * usual && need <= usual) || buf.length < usual
          ) {
            buf = new Uint8Array(usual);
            view = new DataView(buf.buffer);
          }
        }
        if (need > buf.length) {
          // Toward the frame's size as its bytes come (at most twice what
          // came), not to the size it declares: a peer that declares a big
          // frame and sends little makes this side allocate little.
          const next = new Uint8Array(
            Math.min(need, Math.max(2 * buf.length, 2 * (end - start))),
          );
          next.set(buf.subarray(start, end));
          buf = next;
          view = new DataView(buf.buffer);
          end -= start;
          start = 0;
        } else if (
          start > 0 &&
          (start + need > buf.length || buf.length - end < 4096)
        ) {
          buf.copyWithin(0, start, end);
          end -= start;
          start = 0;
        }
        if (this.#paused !== undefined) await this.#paused.promise;
        if (this.#reason !== undefined) return;
        const n = await this.#conn.read(buf.subarray(end));
        if (n === null) {
          if (end > start) {
            throw new TransportError(
              "truncated",
              end - start < 4
                ? `stream ended inside a length prefix (${
                  end - start
                } of 4 bytes)`
                : `stream ended ${end - start - 4} bytes into a ${
                  need - 4
                }-byte frame`,
            );
          }
          if (this.#chunks.active) {
            throw new TransportError(
              "truncated",
              `stream ended ${this.#chunks.assembled} bytes into a ${this.#chunks.total}-byte chunked batch`,
            );
          }
          this.#onEnd({ kind: "eof" });
          return;
        }
        end += n;
      }
    } catch (e) {
      if (this.#reason !== undefined) return;
      this.#onEnd({
        kind: "error",
        error: e instanceof TransportError
          ? e
          : new TransportError("io", `connection failed: ${describe(e)}`, {
            cause: e,
          }),
      });
    }
  }
}
