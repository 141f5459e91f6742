/**
 * Length-prefixed MessagePack frames over one `Deno.Conn` (TCP or TLS): a
 * 4-byte big-endian length, then a MessagePack body. Every frame body is an
 * array whose first element says what it is:
 *
 * - `[0, v1, v2, ...]`: a batch of values, in the order they were sent;
 * - `[1, total, bin]`: the first piece of a batch whose encoding (`total`
 *   bytes) is bigger than a chunk, then `[2, bin]` for each further piece,
 *   until `total` bytes have come; the pieces put together are the body of a
 *   batch frame.
 *
 * The length prefix is checked against the maximum frame size before a byte
 * is allocated for the frame, and the declared size of a chunked batch
 * against the maximum message size, so a peer cannot make the reader
 * allocate what it did not send. Anything wrong (an oversized or
 * undecodable frame, the end of the stream in the middle of a frame, a body
 * of the wrong shape) closes that connection with a {@link TransportError}
 * that says what, and nothing else.
 *
 * This file is the `FramedConnection` class with its sending half; its
 * receiving half is a `FrameReader` (`frame_reader.ts`) with state of its
 * own, and its options, frame format and frame writer have files of theirs.
 *
 * @module
 */

import { packWireSegments, toWire } from "../../actors/hosts/msgpack.ts";
import { TransportError } from "./wire_errors.ts";
import { BATCH, describe } from "./frame_format.ts";
import {
  closedError,
  type CloseReason,
  CONFIGURE,
  type ConnectionSettings,
  type FramingOptions,
  framingSettings,
  type PeerInfo,
  type TransportCounters,
} from "./framing_options.ts";
import {
  batchSegments,
  BIG,
  frameSegments,
  type FrameSink,
  packEach,
} from "./frame_writer.ts";
import { FrameReader } from "./frame_reader.ts";

export {
  type CloseReason,
  CONFIGURE,
  type ConnectionSettings,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_FRAME,
  DEFAULT_MAX_MESSAGE,
  type FramingOptions,
  type PeerInfo,
  type TransportCounters,
} from "./framing_options.ts";

const COALESCE = 256 * 1024;

// Values are encoded and decoded by troupe's one MessagePack configuration
// (`actors/msgpack.ts`): as structuredClone delivers them, and a peer's frame
// decoded within bounds. A batch read from the reusable read buffer must
// copy its byte arrays out of it; a reassembled chunked batch has a buffer
// of its own, so it need not.

type FlushWaiter = { upTo: number; done: PromiseWithResolvers<void> };

/**
 * A framed, batching connection over a `Deno.Conn`. `send(value)` queues a
 * value; values queued in one turn of the event loop (or until a batch is
 * full) go out as one frame. Received values come through `onMessage`,
 * `receive()` or `for await`. `listenTransport` and `connectTransport` give
 * you one after the handshake; wrapping a raw `Deno.Conn` yourself skips
 * the handshake (both ends must then agree on the limits).
 *
 * @example
 * ```ts
 * import { FramedConnection } from "./framing.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const [raw, accepted] = await Promise.all([
 *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
 *   listener.accept(),
 * ]);
 * const a = new FramedConnection(raw);
 * const b = new FramedConnection(accepted);
 * a.send({ hello: "world" });
 * a.send(new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await b.receive(), { hello: "world" });
 * assert.deepEqual(await b.receive(), new Uint8Array([1, 2, 3]));
 * assert.equal(b.counters.framesIn, 1); // both values in one frame
 * await a.close();
 * assert.equal((await b.closed).kind, "eof");
 * ```
 */
export class FramedConnection
  implements AsyncIterable<unknown>, AsyncDisposable {
  /** Who is at the other end (set by the handshake). */
  peer: PeerInfo | undefined;
  /** Resolves, once reading and writing have stopped, with why it closed. */
  readonly closed: Promise<CloseReason>;

  readonly #conn: Deno.Conn;
  #chunkSize: number;
  #peerMaxFrame: number;
  readonly #batchCount: number;
  readonly #batchBytesMax: number;
  readonly #closeTimeout: number;
  readonly #logger: (message: string) => void;
  readonly #counters: TransportCounters = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
  };

  // sending
  #batch: unknown[] = [BATCH];
  #batchBytes = 0;
  #batchBig = false;
  #flushScheduled = false;
  #outq: Uint8Array[] = [];
  #outHead = 0;
  #enqueued = 0;
  #written = 0;
  #writing: Promise<void> | undefined;
  #flushWaiters: FlushWaiter[] = [];
  #scratch: Uint8Array | undefined;
  /** Where framed batches go: counted, then queued to be written. */
  readonly #frameSink: FrameSink = {
    frame: () => {
      this.#counters.framesOut++;
    },
    bytes: (b) => this.#enqueue(b),
  };

  // receiving (see `frame_reader.ts`)
  readonly #reader: FrameReader;

  // closing
  #closing = false;
  #reason: CloseReason | undefined;
  readonly #closedDone = Promise.withResolvers<CloseReason>();

  /**
   * Wrap `conn` (sets `TCP_NODELAY` when it can) and start reading.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const raw = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * const conn = new FramedConnection(raw, { maxFrame: 1 << 20 });
   * await conn.close();
   * ```
   */
  constructor(conn: Deno.Conn, options: FramingOptions = {}) {
    this.#conn = conn;
    const settings = framingSettings(options);
    this.#chunkSize = settings.chunkSize;
    this.#peerMaxFrame = settings.maxFrame;
    this.#batchCount = settings.batchCount;
    this.#batchBytesMax = settings.batchBytes;
    this.#closeTimeout = settings.closeTimeout;
    this.#logger = settings.logger;
    const tcp = conn as Partial<Deno.TcpConn>;
    if (typeof tcp.setNoDelay === "function") {
      try {
        tcp.setNoDelay(true);
      } catch { /* not a TCP socket underneath */ }
    }
    this.closed = this.#closedDone.promise;
    this.#reader = new FrameReader(
      conn,
      settings,
      this.#counters,
      this.#logger,
      (reason) => this.#shutdown(reason),
    );
  }

  /** The local address. */
  get localAddr(): Deno.NetAddr {
    return this.#conn.localAddr as Deno.NetAddr;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return this.#conn.remoteAddr as Deno.NetAddr;
  }

  /** The largest frame this side accepts now. */
  get maxFrame(): number {
    return this.#reader.maxFrame;
  }

  /** A snapshot of the frame, byte and value counts. */
  get counters(): TransportCounters {
    return { ...this.#counters };
  }

  /** Bytes queued for the socket and not yet written. */
  get bufferedAmount(): number {
    return this.#enqueued - this.#written;
  }

  /** Whether `close()` was called or the connection failed. */
  get isClosed(): boolean {
    return this.#closing;
  }

  /** @internal */
  [CONFIGURE](s: ConnectionSettings): void {
    if (s.peer !== undefined) this.peer = s.peer;
    if (s.peerMaxFrame !== undefined) this.#peerMaxFrame = s.peerMaxFrame;
    this.#reader.configure(s);
  }

  // ---- sending -------------------------------------------------------------

  /**
   * Queue `value` for the peer. Values go out in order, batched: one frame
   * per turn of the event loop, or sooner when the batch is full. The peer
   * gets the value as `structuredClone` would give it; a value that cannot
   * cross (a function, a symbol, a cycle...) throws a `CrossingError` (a
   * `TypeError`) here that names the part at fault, and nothing is sent. A byte
   * array (a typed array, `DataView` or `ArrayBuffer`) of 64 KiB or more,
   * anywhere in `value`, is written from its own memory, not copied: do not
   * change it until `flush()` resolves. Throws a `closed` {@link TransportError} once
   * the connection is closing.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const [raw, accepted] = await Promise.all([
   *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
   *   listener.accept(),
   * ]);
   * await using a = new FramedConnection(raw);
   * await using b = new FramedConnection(accepted);
   * for (let i = 0; i < 100; i++) a.send(i);
   * for (let i = 0; i < 100; i++) assert.equal(await b.receive(), i);
   * ```
   */
  send(value: unknown): void {
    if (this.#closing) {
      throw new TransportError("closed", "send on a closed connection");
    }
    const ready = toWire(value);
    const batch = this.#batch;
    batch.push(ready);
    this.#counters.messagesOut++;
    if (value instanceof Uint8Array) {
      this.#batchBytes += value.byteLength;
      if (value.byteLength >= BIG) this.#batchBig = true;
    } else if (typeof value === "string") this.#batchBytes += value.length;
    if (
      batch.length > this.#batchCount || this.#batchBytes >= this.#batchBytesMax
    ) {
      this.#flushBatch();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#onMicrotask);
    }
  }

  /**
   * Send what is queued now and resolve once it is written to the socket:
   * the way to wait for a slow peer (backpressure). Rejects if the
   * connection fails first.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const [raw, accepted] = await Promise.all([
   *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
   *   listener.accept(),
   * ]);
   * await using a = new FramedConnection(raw);
   * await using b = new FramedConnection(accepted);
   * a.send("x");
   * await a.flush();
   * assert.equal(a.bufferedAmount, 0);
   * assert.equal(await b.receive(), "x");
   * ```
   */
  flush(): Promise<void> {
    this.#flushBatch();
    if (this.#reason?.kind === "error") {
      return Promise.reject(this.#reason.error);
    }
    if (this.#written >= this.#enqueued) return Promise.resolve();
    const done = Promise.withResolvers<void>();
    this.#flushWaiters.push({ upTo: this.#enqueued, done });
    return done.promise;
  }

  readonly #onMicrotask = (): void => {
    this.#flushScheduled = false;
    this.#flushBatch();
  };

  #flushBatch(): void {
    if (this.#batch.length === 1 || this.#reason !== undefined) return;
    const batch = this.#batch;
    this.#batch = [BATCH];
    this.#batchBytes = 0;
    if (this.#batchBig) {
      this.#batchBig = false;
      const segments = batchSegments(batch);
      if (segments !== undefined) return this.#enqueueSegments(segments);
    }
    let frame: Uint8Array | undefined;
    try {
      // Big byte arrays anywhere in the batch are written from their own
      // memory (segments), not copied into the encoding.
      const parts = packWireSegments(batch, 4);
      if (parts.length > 1) {
        parts[0] = parts[0].subarray(4);
        return this.#enqueueSegments(parts);
      }
      frame = parts[0];
    } catch {
      frame = packEach(batch, this.#logger);
      if (frame === undefined) return;
    }
    const size = frame.length - 4;
    if (size <= this.#bodyLimit()) {
      frame[0] = size >>> 24;
      frame[1] = (size >>> 16) & 0xff;
      frame[2] = (size >>> 8) & 0xff;
      frame[3] = size & 0xff;
      this.#counters.framesOut++;
      this.#enqueue(frame);
    } else {
      this.#enqueueChunks(frame.subarray(4));
    }
  }

  /** The largest body this side sends: its chunk size, within the peer's limit. */
  #bodyLimit(): number {
    return Math.min(this.#chunkSize, this.#peerMaxFrame);
  }

  #enqueueChunks(body: Uint8Array): void {
    this.#enqueueSegments([body]);
  }

  /** Send a batch body given as segments: one frame, or chunks. */
  #enqueueSegments(segments: Uint8Array[]): void {
    frameSegments(segments, this.#bodyLimit(), this.#frameSink);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#outq.push(bytes);
    this.#enqueued += bytes.length;
    if (this.#writing === undefined) this.#writing = this.#writeLoop();
  }

  /** The next bytes to write: small frames in a row are copied into one. */
  #nextWrite(): Uint8Array {
    const q = this.#outq;
    const first = q[this.#outHead++];
    if (
      first.length >= COALESCE / 4 || this.#outHead >= q.length ||
      first.length + q[this.#outHead].length > COALESCE
    ) {
      return first;
    }
    const buf = this.#scratch ??= new Uint8Array(COALESCE);
    buf.set(first);
    let n = first.length;
    while (
      this.#outHead < q.length && n + q[this.#outHead].length <= COALESCE
    ) {
      const next = q[this.#outHead++];
      buf.set(next, n);
      n += next.length;
    }
    return buf.subarray(0, n);
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#outHead < this.#outq.length && this.#reason === undefined) {
        const bytes = this.#nextWrite();
        if (this.#outHead === this.#outq.length) {
          this.#outq = [];
          this.#outHead = 0;
        }
        let off = 0;
        while (off < bytes.length) {
          off += await this.#conn.write(
            off === 0 ? bytes : bytes.subarray(off),
          );
        }
        this.#written += bytes.length;
        this.#counters.bytesOut += bytes.length;
        if (this.#flushWaiters.length > 0) this.#settleFlushes();
      }
    } catch (e) {
      if (this.#reason === undefined) {
        this.#fail(
          new TransportError("io", `write failed: ${describe(e)}`, {
            cause: e,
          }),
        );
      }
    } finally {
      this.#writing = undefined;
    }
  }

  #settleFlushes(): void {
    const ws = this.#flushWaiters;
    let i = 0;
    while (i < ws.length && ws[i].upTo <= this.#written) ws[i++].done.resolve();
    if (i > 0) this.#flushWaiters = ws.slice(i);
  }

  // ---- receiving -----------------------------------------------------------

  /**
   * Hand every received value to `handler`, in order, as it arrives (the
   * fastest way to consume). Values already queued go first. A handler that
   * throws is reported to the logger; the connection stays open. Pass
   * `undefined` to queue values for `receive()` again.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const [raw, accepted] = await Promise.all([
   *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
   *   listener.accept(),
   * ]);
   * await using a = new FramedConnection(raw);
   * await using b = new FramedConnection(accepted);
   * const got: unknown[] = [];
   * const all = Promise.withResolvers<void>();
   * b.onMessage((v) => {
   *   got.push(v);
   *   if (got.length === 3) all.resolve();
   * });
   * a.send(1);
   * a.send(2);
   * a.send(3);
   * await all.promise;
   * assert.deepEqual(got, [1, 2, 3]);
   * ```
   */
  onMessage(handler: ((value: unknown) => void) | undefined): void {
    this.#reader.onMessage(handler);
  }

  /**
   * The next received value. Rejects once the connection is closed and
   * every value received before has been taken: with the failure when it
   * failed, else with a `closed` {@link TransportError}.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const [raw, accepted] = await Promise.all([
   *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
   *   listener.accept(),
   * ]);
   * const a = new FramedConnection(raw);
   * await using b = new FramedConnection(accepted);
   * a.send("last words");
   * await a.close();
   * assert.equal(await b.receive(), "last words");
   * await assert.rejects(b.receive(), /closed: the peer closed the connection/);
   * ```
   */
  receive(): Promise<unknown> {
    return this.#reader.receive();
  }

  /**
   * Every received value, in order, until the connection closes (the loop
   * ends) or fails (the loop throws the failure). Leaving the loop early
   * does not close the connection.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const [raw, accepted] = await Promise.all([
   *   Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
   *   listener.accept(),
   * ]);
   * const a = new FramedConnection(raw);
   * await using b = new FramedConnection(accepted);
   * a.send("a");
   * a.send("b");
   * await a.close();
   * const got = [];
   * for await (const v of b) got.push(v);
   * assert.deepEqual(got, ["a", "b"]);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<unknown, void, undefined> {
    for (;;) {
      let v: unknown;
      try {
        v = await this.receive();
      } catch (e) {
        if (this.#reason?.kind === "error") throw e;
        return;
      }
      yield v;
    }
  }

  // ---- closing -------------------------------------------------------------

  /**
   * Close: send what is queued (waiting up to `closeTimeout`), then close
   * the socket. Resolves when reading and writing have stopped. Closing
   * twice is fine.
   *
   * @example
   * ```ts
   * import { FramedConnection } from "./framing.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const raw = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
   * const conn = new FramedConnection(raw);
   * await conn.close();
   * assert.deepEqual(await conn.closed, { kind: "local" });
   * ```
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#flushBatch();
      const writing = this.#writing;
      if (writing !== undefined && this.#reason === undefined) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          writing,
          new Promise<void>((r) => timer = setTimeout(r, this.#closeTimeout)),
        ]);
        clearTimeout(timer);
      }
      this.#shutdown({ kind: "local" });
    }
    await this.closed;
  }

  /** Close it (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #fail(error: TransportError): void {
    this.#shutdown({ kind: "error", error });
  }

  #shutdown(reason: CloseReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#closing = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#reader.stop(reason);
    const err = closedError(reason);
    for (const f of this.#flushWaiters) f.done.reject(err);
    this.#flushWaiters = [];
    this.#batch = [BATCH];
    Promise.allSettled([this.#reader.reading, this.#writing]).then(() =>
      this.#closedDone.resolve(reason)
    );
  }
}
