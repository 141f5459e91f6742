/**
 * The shared lane: a pair of byte rings in a `SharedArrayBuffer` between a
 * parent and a worker host, for low-latency round trips.
 *
 * A `postMessage` round trip is two thread wake-ups through the event loop
 * (about 50 us here, and `Atomics.waitAsync` is no faster). After sending,
 * each side instead watches the other's ring for a short while (a bounded
 * spin, `SPIN_MS`) before it goes back to sleep, so a chatty exchange never
 * sleeps. Batches go as MessagePack records; a batch the ring cannot carry
 * with the same meaning as a structured clone (a Map, a SharedArrayBuffer, a
 * transfer, a BigInt...), that is large (a burst) or that does not fit goes
 * by `postMessage` instead.
 * Every batch carries a sequence number on either path, and the receiver
 * handles them in that order.
 *
 * @module
 */

import type { WireItem } from "./codec.ts";

/** Bytes of data in each ring. */
const RING_BYTES = 1 << 20;
/** Header slots (Int32): write offset, read offset, doorbell, sleeping. */
const HEADER = 4;
const W = 0;
const R = 1;
const BELL = 2;
/**
 * 1 while the reader sleeps on the doorbell. A writer rings only then:
 * waking an `Atomics.waitAsync` costs the writer a cross-thread task post
 * (several us), and most records land while the reader is awake.
 */
const SLEEPING = 3;
/**
 * Largest batch for the ring. The ring is for latency: a big batch is about
 * throughput, where one structured clone beats encoding in JavaScript.
 */
const RING_BATCH = 128;
/** Largest typed array the ring carries (see `ringView`). */
const RING_VIEW_MAX = 64 * 1024;
/** How long a side watches for an answer before sleeping. */
export const SPIN_MS = 0.1;

/**
 * MessagePack, loaded after the host is up: a worker host starts without it
 * (about 5 ms of its start) and uses `postMessage` until it is there.
 */
interface Codec {
  pack(v: unknown): Uint8Array;
  unpack(b: Uint8Array): unknown;
}
let codec: Codec | undefined;
let loading: Promise<Codec> | undefined;

function loadCodec(): Promise<Codec> {
  return loading ??= import("./msgpack.ts").then((m) => {
    return codec = {
      pack: (v) => m.pack(v, "batch"),
      // (A record read from the ring is a copy of its own.)
      unpack: (b) => m.unpack(b, { copy: false }),
    };
  });
}

/**
 * Objects met in the `ringSafe` walk of one message: one met twice is
 * shared. A message holds a handful, so a short list scanned in place
 * costs half what a `Set` does; past `FEW` the rest go to a `Set`.
 */
const met: object[] = [];
let metCount = 0;
const FEW = 32;
const metMany = new Set<object>();

function meet(o: object): boolean {
  for (let i = 0; i < metCount && i < FEW; i++) if (met[i] === o) return false;
  if (metCount < FEW) met[metCount] = o;
  else if (metMany.has(o)) return false;
  else metMany.add(o);
  metCount++;
  return true;
}

function forget(): void {
  for (let i = 0; i < metCount && i < FEW; i++) met[i] = undefined as never;
  if (metCount > FEW) metMany.clear();
  metCount = 0;
}

/**
 * Whether MessagePack carries each item of `batch` as a structured clone
 * would: plain data in which no item holds an object twice (a structured
 * clone keeps one object reached twice as one, MessagePack would make two).
 * Each item is a message of its own: one object in two messages is two
 * sends, as it is when they leave in two batches (a graph's run messages
 * share their dependency paths, and took the slow road for it).
 */
function ringSafe(batch: readonly unknown[]): boolean {
  try {
    for (let i = 0; i < batch.length; i++) {
      if (!plain(batch[i], 0)) return false;
      forget();
    }
    return true;
  } finally {
    forget();
  }
}

function plain(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return true;
    case "object":
      break;
    default:
      return false; // bigint, symbol, function
  }
  if (v === null) return true;
  if (depth > 16 || !meet(v as object)) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!plain(v[i], depth + 1)) return false;
    }
    return true;
  }
  if (ArrayBuffer.isView(v)) return ringView(v);
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v as Record<string, unknown>) {
    if (!plain((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/**
 * A typed array the ring carries as a structured clone would: a small one
 * that is the whole of a buffer of its own, not shared (MessagePack gives
 * it back as its own bytes in a buffer of their length, which is then the
 * same thing). Small results (a chunk's partial sum) went by `postMessage`
 * before, and a thread busy with long tasks can take hundreds of ms to be
 * handed one, holding up every batch behind it.
 */
function ringView(v: ArrayBufferView): boolean {
  if (v instanceof DataView) return false;
  const b = v.buffer;
  // (A resizable buffer stays resizable in a structured clone.)
  if (b instanceof SharedArrayBuffer || (b as ArrayBuffer).resizable) {
    return false;
  }
  return v.byteOffset === 0 &&
    v.byteLength === b.byteLength && v.byteLength <= RING_VIEW_MAX &&
    meet(b);
}

/** One direction: a single-producer, single-consumer byte ring. */
class Ring {
  readonly #head: Int32Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;

  constructor(sab: SharedArrayBuffer, offset: number) {
    this.#head = new Int32Array(sab, offset, HEADER);
    this.#data = new Uint8Array(sab, offset + HEADER * 4, RING_BYTES);
    this.#view = new DataView(sab, offset + HEADER * 4, RING_BYTES);
  }

  static bytes(): number {
    return HEADER * 4 + RING_BYTES;
  }

  /** Append one record; false when it does not fit now. */
  write(body: Uint8Array): boolean {
    const need = 4 + body.length;
    const w = Atomics.load(this.#head, W);
    const r = Atomics.load(this.#head, R);
    const used = (w - r + 2 * RING_BYTES) % (2 * RING_BYTES);
    if (need > RING_BYTES - used) return false;
    const at = w % RING_BYTES;
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, body.length);
    this.#copyIn(at, len);
    this.#copyIn((at + 4) % RING_BYTES, body);
    Atomics.store(this.#head, W, (w + need) % (2 * RING_BYTES));
    // (Sequentially consistent: either this sees the reader's flag, or the
    // reader, which sets it before it looks, sees this record. The first
    // writer to see it clears it: one wake-up for a burst of records.)
    if (Atomics.compareExchange(this.#head, SLEEPING, 1, 0) === 1) {
      this.ring();
    }
    return true;
  }

  #copyIn(at: number, bytes: Uint8Array): void {
    const first = Math.min(bytes.length, RING_BYTES - at);
    this.#data.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.#data.set(bytes.subarray(first), 0);
  }

  /** Whether a record is waiting. */
  ready(): boolean {
    return Atomics.load(this.#head, W) !== Atomics.load(this.#head, R);
  }

  /** Take one record, or undefined. */
  read(): Uint8Array | undefined {
    const r = Atomics.load(this.#head, R);
    if (Atomics.load(this.#head, W) === r) return undefined;
    const at = r % RING_BYTES;
    let size: number;
    if (at + 4 <= RING_BYTES) size = this.#view.getUint32(at);
    else {
      const len = new Uint8Array(4);
      this.#copyOut(at, len);
      size = new DataView(len.buffer).getUint32(0);
    }
    const body = new Uint8Array(size);
    this.#copyOut((at + 4) % RING_BYTES, body);
    Atomics.store(this.#head, R, (r + 4 + size) % (2 * RING_BYTES));
    return body;
  }

  #copyOut(at: number, into: Uint8Array): void {
    const first = Math.min(into.length, RING_BYTES - at);
    into.set(this.#data.subarray(at, at + first));
    if (first < into.length) {
      into.set(this.#data.subarray(0, into.length - first), first);
    }
  }

  /** Sleep until the doorbell rings (or `close` rings it). */
  async sleep(): Promise<void> {
    Atomics.store(this.#head, SLEEPING, 1);
    const bell = Atomics.load(this.#head, BELL);
    if (!this.ready()) {
      const w = Atomics.waitAsync(this.#head, BELL, bell);
      if (w.async) await w.value;
    }
    Atomics.store(this.#head, SLEEPING, 0);
  }

  ring(): void {
    Atomics.add(this.#head, BELL, 1);
    Atomics.notify(this.#head, BELL);
  }
}

/** A batch with its place in the sequence. */
type Deliver = (batch: WireItem[]) => void;

/** One side of a lane: its outgoing ring, its incoming ring, and ordering. */
export class Lane {
  readonly #out: Ring;
  readonly #in: Ring;
  readonly #deliver: Deliver;
  #sendSeq = 0;
  #recvSeq = 0;
  #early = new Map<number, WireItem[]>();
  #open = true;
  #spinning = false;
  /** Recent spins that found an answer, minus those that did not. */
  #luck = 4;
  #skipped = 0;
  #side: 0 | 1;
  /**
   * Whether the other side can read the ring. The host writes to it only
   * once it has MessagePack, so its first record tells the parent.
   */
  #peerReads: boolean;

  /**
   * `sab` comes from `Lane.buffer()`; the parent is side 0, the host side 1.
   * `deliver` gets batches in the order they were sent.
   */
  constructor(sab: SharedArrayBuffer, side: 0 | 1, deliver: Deliver) {
    const a = new Ring(sab, 0);
    const b = new Ring(sab, Ring.bytes());
    this.#out = side === 0 ? a : b;
    this.#in = side === 0 ? b : a;
    this.#deliver = deliver;
    this.#side = side;
    this.#peerReads = side === 1;
    // The host side loads MessagePack once it is up (see `send`), so that
    // loading it does not slow the host's start.
    if (side === 0) void this.#listen();
  }

  /** A buffer for a new lane. */
  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(2 * Ring.bytes());
  }

  /**
   * Send a batch: by the ring when it can carry it, else by `post` (which
   * must deliver `{ seq, batch }` to the other side's `accept`).
   */
  send(
    batch: WireItem[],
    post: (msg: { seq: number; batch: WireItem[] }) => void,
    byPost = false,
  ): void {
    const seq = this.#sendSeq++;
    // A host's first two batches are `ready` and its first `spawned`.
    if (seq === 1 && this.#side === 1) void this.#listen();
    let sent = false;
    if (
      !byPost && batch.length <= RING_BATCH && this.#peerReads &&
      codec !== undefined && ringSafe(batch)
    ) {
      let body: Uint8Array | undefined;
      try {
        body = codec.pack([seq, batch]);
      } catch {
        body = undefined;
      }
      sent = body !== undefined && this.#out.write(body);
    }
    if (!sent) post({ seq, batch });
    this.watch();
  }

  /** A batch that came by `postMessage`. */
  accept(msg: { seq: number; batch: WireItem[] }): void {
    this.#take(msg.seq, msg.batch);
  }

  /**
   * Watch the incoming ring for a short while, after the event loop has run
   * what is pending (so that our own replies go out first).
   */
  watch(): void {
    if (this.#spinning || !this.#open || codec === undefined) return;
    // Spin only while spinning pays: when answers have been coming back
    // within the window. After misses (long tasks) it stops, so that a busy
    // machine's cores go to the work; every 32nd chance it tries again.
    if (this.#luck <= 0 && (++this.#skipped & 31) !== 0) return;
    this.#spinning = true;
    setImmediate(() => {
      this.#spinning = false;
      const until = performance.now() + SPIN_MS;
      let n = 0;
      while (this.#open) {
        if (this.#in.ready()) {
          this.#luck = Math.min(8, this.#luck + 1);
          this.#drain();
          return;
        }
        // Read the clock only now and then: it costs ~80 ns.
        if ((++n & 255) === 0 && performance.now() > until) {
          this.#luck--;
          return;
        }
      }
    });
  }

  /** Stop listening (wakes the sleeping listener so that it ends). */
  close(): void {
    this.#open = false;
    this.#in.ring();
  }

  async #listen(): Promise<void> {
    await loadCodec();
    while (this.#open) {
      this.#drain();
      await this.#in.sleep();
    }
  }

  #drain(): void {
    for (
      let body = this.#in.read();
      body !== undefined;
      body = this.#in.read()
    ) {
      const [seq, batch] = codec!.unpack(body) as [number, WireItem[]];
      this.#peerReads = true;
      this.#take(seq, batch);
    }
  }

  #take(seq: number, batch: WireItem[]): void {
    if (seq !== this.#recvSeq) {
      this.#early.set(seq, batch); // the other path is behind: wait for it
      return;
    }
    this.#recvSeq++;
    this.#deliver(batch);
    while (this.#early.size > 0) {
      const next = this.#early.get(this.#recvSeq);
      if (next === undefined) break;
      this.#early.delete(this.#recvSeq++);
      this.#deliver(next);
    }
    this.watch();
  }
}
