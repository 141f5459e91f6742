/**
 * `Channel`: Go-style channels for async tasks in one isolate, unbuffered
 * (rendezvous) or buffered, with a select-like `race` over several.
 *
 * @module
 */

import { ClosedError, WaitAbortedError, WaitTimeoutError } from "./errors.ts";
import { Ring } from "./ring.ts";
import type { WaitOptions } from "./types.ts";
import { refuse, RESOLVED, WaiterList, WaitNode } from "./waiters.ts";

/** What {@linkcode Channel.race} (and {@linkcode select}) received. */
export interface Selected<T> {
  /** The position of the channel in the list given. */
  index: number;
  /** The channel the value came from. */
  channel: Channel<T>;
  /** The value received. */
  value: T;
}

const MAX_TIMER = 2_147_483_647;

/**
 * A channel: `send` hands a value to a `receive`.
 *
 * - **Unbuffered** (`new Channel<T>()`, capacity 0): a rendezvous. `send`
 *   resolves only once a receiver has taken the value; `receive` waits for
 *   a sender.
 * - **Buffered** (`new Channel<T>(n)`): `send` resolves at once while fewer
 *   than `n` values wait in the buffer, and waits for room beyond.
 *
 * Senders and receivers are each served FIFO. Every wait takes a timeout
 * and a signal; a send that times out or is aborted delivers nothing.
 * `close()` refuses further sends (`ClosedError`, also for senders waiting
 * now, whose values are dropped); receivers drain the buffer, then
 * `receive` rejects with `ClosedError` and async iteration ends.
 *
 * `Channel.race(channels)` (also exported as {@linkcode select}) receives
 * from whichever channel has a value first, and takes nothing from the
 * others.
 *
 * @example
 * ```ts
 * import { Channel } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const ch = new Channel<string>(); // unbuffered
 * const log: string[] = [];
 * const sent = ch.send("ping").then(() => log.push("sent"));
 * log.push("before receive");
 * assert.equal(await ch.receive(), "ping");
 * await sent;
 * assert.deepEqual(log, ["before receive", "sent"]);
 * ```
 */
export class Channel<T> implements AsyncIterable<T> {
  /** How many values may wait in the buffer (0: unbuffered). */
  readonly capacity: number;
  #buffer: Ring<T>;
  #closed = false;
  #senders = new WaiterList<void, T>();
  #receivers = new WaiterList<T, undefined>();

  /**
   * A channel with room for `capacity` values (default 0: unbuffered).
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.equal(new Channel<number>(16).capacity, 16);
   * ```
   */
  constructor(capacity = 0) {
    if (
      !(capacity === Infinity ||
        (Number.isSafeInteger(capacity) && capacity >= 0))
    ) {
      throw new RangeError(
        `Channel: capacity must be an integer >= 0 or Infinity, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.#buffer = new Ring<T>(Math.min(capacity, 1024));
  }

  /**
   * Values waiting in the buffer now.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>(2);
   * await ch.send(1);
   * assert.equal(ch.size, 1);
   * ```
   */
  get size(): number {
    return this.#buffer.length;
  }

  /**
   * Whether `close()` was called.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel();
   * ch.close();
   * assert.ok(ch.closed);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Senders and receivers waiting now.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>();
   * void ch.send(1);
   * assert.deepEqual(ch.waiting, { senders: 1, receivers: 0 });
   * await ch.receive();
   * ```
   */
  get waiting(): { senders: number; receivers: number } {
    return {
      senders: this.#senders.length,
      receivers: this.#receivers.length,
    };
  }

  /**
   * Send a value: resolves once a receiver took it (unbuffered) or it is in
   * the buffer. Rejects with `ClosedError` when closed (now or while
   * waiting), `WaitTimeoutError` / `WaitAbortedError` per `options`.
   *
   * @example
   * ```ts
   * import { Channel, WaitTimeoutError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>();
   * await assert.rejects(ch.send(1, { timeout: 1 }), WaitTimeoutError);
   * assert.deepEqual(ch.tryReceive(), { ok: false }); // nothing delivered
   * ```
   */
  send(value: T, options?: WaitOptions): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError("Channel.send"));
    if (options !== undefined) {
      const refused = refuse("Channel.send", options);
      if (refused !== undefined) return refused;
    }
    if (this.#receivers.wakeOne(value)) return RESOLVED;
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return RESOLVED;
    }
    return this.#senders.wait("Channel.send", options, value);
  }

  /**
   * Send if it completes now (a receiver waits, or the buffer has room);
   * true when sent. Throws `ClosedError` when closed.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * assert.ok(!new Channel<number>().trySend(1)); // no receiver waits
   * assert.ok(new Channel<number>(1).trySend(1));
   * ```
   */
  trySend(value: T): boolean {
    if (this.#closed) throw new ClosedError("Channel.trySend");
    if (this.#receivers.wakeOne(value)) return true;
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return true;
    }
    return false;
  }

  /** Whether a value can be received now. */
  #ready(): boolean {
    return this.#buffer.length > 0 || this.#senders.length > 0;
  }

  /** Receive now (`#ready()` holds): from the buffer, else a sender. */
  #take(): T {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.take();
      const sender = this.#senders.shift();
      if (sender !== null) {
        this.#buffer.push(sender.data);
        sender.resolve(undefined);
      }
      return value;
    }
    const sender = this.#senders.shift()!;
    sender.resolve(undefined);
    return sender.data;
  }

  /**
   * Receive a value, waiting for one. Rejects with `ClosedError` once the
   * channel is closed and drained, `WaitTimeoutError` / `WaitAbortedError`
   * per `options`.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>(1);
   * await ch.send(5);
   * assert.equal(await ch.receive({ timeout: 1_000 }), 5);
   * ```
   */
  receive(options?: WaitOptions): Promise<T> {
    if (options !== undefined) {
      const refused = refuse("Channel.receive", options);
      if (refused !== undefined) return refused;
    }
    if (this.#ready()) return Promise.resolve(this.#take());
    if (this.#closed) {
      return Promise.reject(new ClosedError("Channel.receive"));
    }
    return this.#receivers.wait("Channel.receive", options);
  }

  /**
   * Receive if a value is there now.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>(1);
   * ch.trySend(2);
   * assert.deepEqual(ch.tryReceive(), { ok: true, value: 2 });
   * ```
   */
  tryReceive(): { ok: true; value: T } | { ok: false } {
    return this.#ready() ? { ok: true, value: this.#take() } : { ok: false };
  }

  /**
   * Refuse further sends; waiting senders and receivers reject with
   * `ClosedError`; buffered values can still be received. Idempotent.
   *
   * @example
   * ```ts
   * import { Channel, ClosedError } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>(4);
   * await ch.send(1);
   * ch.close();
   * assert.equal(await ch.receive(), 1);
   * await assert.rejects(ch.receive(), ClosedError);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#senders.rejectAll(new ClosedError("Channel.send"));
    this.#receivers.rejectAll(new ClosedError("Channel.receive"));
  }

  /**
   * Receive values as they come until the channel is closed and drained.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const ch = new Channel<number>();
   * const sender = (async () => {
   *   for (let i = 0; i < 3; i++) await ch.send(i);
   *   ch.close();
   * })();
   * assert.deepEqual(await Array.fromAsync(ch), [0, 1, 2]);
   * await sender;
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      if (this.#ready()) {
        yield this.#take();
        continue;
      }
      if (this.#closed) return;
      let value: T;
      try {
        value = await this.#receivers.wait("Channel.receive", undefined);
      } catch (e) {
        if (e instanceof ClosedError && this.#closed) return;
        throw e;
      }
      yield value;
    }
  }

  /**
   * Receive from whichever of `channels` has a value first (Go's `select`
   * over receives). Channels with a value now are checked in the order
   * given, so an earlier channel wins a tie. Otherwise `race` waits on all
   * of them; the first value delivered wins and the waits on the other
   * channels are withdrawn at that instant, so **no other channel loses a
   * value**. Closed, drained channels are skipped; when all are,
   * `race` rejects with `ClosedError`. `WaitTimeoutError` /
   * `WaitAbortedError` per `options`.
   *
   * @example
   * ```ts
   * import { Channel } from "@troupe/troupe/sync";
   * import assert from "node:assert/strict";
   * const a = new Channel<string>(1);
   * const b = new Channel<string>(1);
   * const next = Channel.race([a, b], { timeout: 1_000 });
   * await b.send("from b");
   * await a.send("from a"); // stays in a
   * const got = await next;
   * assert.equal(got.index, 1);
   * assert.equal(got.value, "from b");
   * assert.equal(await a.receive(), "from a");
   * ```
   */
  static race<T>(
    channels: readonly Channel<T>[],
    options?: WaitOptions,
  ): Promise<{
    /** The position of the channel in the list given. */
    index: number;
    /** The channel the value came from. */
    channel: Channel<T>;
    /** The value received. */
    value: T;
  }> {
    if (options !== undefined) {
      const refused = refuse("Channel.race", options);
      if (refused !== undefined) return refused;
    }
    let open = 0;
    for (let i = 0; i < channels.length; i++) {
      const channel = channels[i];
      if (channel.#ready()) {
        return Promise.resolve({ index: i, channel, value: channel.#take() });
      }
      if (!channel.#closed) open++;
    }
    if (open === 0) return Promise.reject(new ClosedError("Channel.race"));
    const timeout = options?.timeout;
    const signal = options?.signal;
    if (timeout !== undefined && timeout <= 0) {
      return Promise.reject(new WaitTimeoutError("Channel.race", timeout));
    }
    const { promise, resolve, reject } = Promise.withResolvers<Selected<T>>();
    const nodes: WaitNode<T, undefined>[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const withdraw = (): void => {
      for (let i = 0; i < nodes.length; i++) {
        channels[i].#receivers.remove(nodes[i]);
      }
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
    };
    for (let i = 0; i < channels.length; i++) {
      const channel = channels[i];
      const node = new WaitNode<T, undefined>(
        undefined,
        (value) => {
          withdraw();
          resolve({ index: i, channel, value });
        },
        () => {
          // This channel closed while we waited; the others may still send.
          if (--open === 0) {
            withdraw();
            reject(new ClosedError("Channel.race"));
          }
        },
      );
      nodes.push(node);
      if (!channel.#closed) channel.#receivers.push(node);
    }
    if (timeout !== undefined && timeout <= MAX_TIMER) {
      timer = setTimeout(() => {
        withdraw();
        reject(new WaitTimeoutError("Channel.race", timeout));
      }, timeout);
    }
    if (signal !== undefined) {
      onAbort = () => {
        withdraw();
        reject(new WaitAbortedError("Channel.race", signal.reason));
      };
      signal.addEventListener("abort", onAbort, { once: true });
    }
    return promise;
  }
}

/**
 * Receive from whichever of `channels` has a value first, taking nothing
 * from the others: the same as {@linkcode Channel.race}.
 *
 * @example
 * ```ts
 * import { Channel, select } from "@troupe/troupe/sync";
 * import assert from "node:assert/strict";
 *
 * const numbers = new Channel<number>(1);
 * const quit = new Channel<number>(1);
 * await numbers.send(1);
 * const { channel, value } = await select([quit, numbers]);
 * assert.equal(channel, numbers);
 * assert.equal(value, 1);
 * ```
 */
export function select<T>(
  channels: readonly Channel<T>[],
  options?: WaitOptions,
): Promise<{
  /** The position of the channel in the list given. */
  index: number;
  /** The channel the value came from. */
  channel: Channel<T>;
  /** The value received. */
  value: T;
}> {
  return Channel.race(channels, options);
}
