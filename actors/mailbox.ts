/**
 * Bounded mailboxes and their overflow policies.
 *
 * A message is three slots in a ring (name, payload, reply), so enqueueing
 * allocates nothing: no envelope object exists for a message that stays in
 * its isolate.
 *
 * @module
 */

import type { Deque } from "./deque.ts";
import type { ReplyTo } from "./reply.ts";

/**
 * What happens to a message that arrives at a full mailbox:
 * - `drop-newest`: the new message goes to dead letters;
 * - `drop-oldest`: the oldest queued message goes to dead letters, the new one
 *   is queued;
 * - `reject`: `tell` throws `MailboxFullError` (and `ask` rejects with it);
 * - `backpressure`: `send` and `ask` wait for room; a plain `tell` throws
 *   `MailboxFullError`, since it cannot wait.
 *
 * Whatever is dropped or refused is recorded as a dead letter.
 *
 * @example
 * ```ts
 * import type { OverflowPolicy } from "./mailbox.ts";
 * const p: OverflowPolicy = "drop-oldest";
 * ```
 */
export type OverflowPolicy =
  | "drop-newest"
  | "drop-oldest"
  | "reject"
  | "backpressure";

/**
 * Mailbox settings: how many messages may wait, and what happens beyond that.
 *
 * @example
 * ```ts
 * import type { MailboxOptions } from "./mailbox.ts";
 * const m: MailboxOptions = { capacity: 1000, overflow: "backpressure" };
 * ```
 */
export interface MailboxOptions {
  /** Most messages that may wait (default 65,536; `Infinity` for unbounded). */
  capacity?: number;
  /** What a full mailbox does with one more message (default `reject`). */
  overflow?: OverflowPolicy;
}

/**
 * The mailbox every actor gets unless its behaviour or spawn says otherwise.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAILBOX } from "./mailbox.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_MAILBOX.overflow, "reject");
 * ```
 */
export const DEFAULT_MAILBOX: Readonly<Required<MailboxOptions>> = Object
  .freeze({ capacity: 65_536, overflow: "reject" });

const POLICIES = new Set([
  "drop-newest",
  "drop-oldest",
  "reject",
  "backpressure",
]);

/** Check mailbox options, filling defaults; a bad option is a `TypeError`. */
export function resolveMailbox(
  ...layers: (MailboxOptions | undefined)[]
): Required<MailboxOptions> {
  const out = { ...DEFAULT_MAILBOX };
  for (const o of layers) {
    if (o?.capacity !== undefined) out.capacity = o.capacity;
    if (o?.overflow !== undefined) out.overflow = o.overflow;
  }
  if (
    !(out.capacity === Infinity ||
      (Number.isInteger(out.capacity) && out.capacity >= 1))
  ) {
    throw new TypeError(
      `mailbox capacity must be a positive integer or Infinity, got ${out.capacity}`,
    );
  }
  if (!POLICIES.has(out.overflow)) {
    throw new TypeError(
      `mailbox overflow must be one of ${[...POLICIES].join(", ")}, got ${
        JSON.stringify(out.overflow)
      }`,
    );
  }
  return out;
}

/** A sender parked by the `backpressure` policy until there is room. */
export interface Waiter {
  name: string;
  payload: unknown;
  reply: ReplyTo | undefined;
  admitted: () => void;
  refused: (error: Error) => void;
}

/** One block of the mailbox's queue: three slots per message. */
interface Segment {
  readonly slots: unknown[];
  next: Segment | undefined;
}

/** Messages in the first block; blocks double up to MAX_BLOCK. */
const FIRST_BLOCK = 8;
const MAX_BLOCK = 4096;

function segment(messages: number): Segment {
  return { slots: new Array(messages * 3), next: undefined };
}

/**
 * The queue of one actor: a chain of blocks, three slots per message, so
 * that a burst of a million messages never copies what is queued (a ring
 * that doubles spent 40% of a tell burst copying) and an idle actor holds one
 * small block. `take` reads the next message's name and leaves its payload
 * and reply in `payload`/`reply`, so nothing is allocated per message.
 */
export class Mailbox {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  /** Most messages ever queued at once. */
  highWater = 0;
  /** The payload of the message last taken. */
  payload: unknown = undefined;
  /** The reply handle of the message last taken (`undefined` for a tell). */
  reply: ReplyTo | undefined = undefined;
  /** Senders waiting for room (backpressure only). */
  waiters: Deque<Waiter> | undefined;
  #head: Segment = segment(FIRST_BLOCK);
  #headPos = 0;
  #tail: Segment = this.#head;
  #tailPos = 0;
  #size = 0;

  constructor(options: Required<MailboxOptions>) {
    this.capacity = options.capacity;
    this.overflow = options.overflow;
  }

  /** Messages waiting. */
  get size(): number {
    return this.#size;
  }

  /** Whether one more message would overflow. */
  get full(): boolean {
    return this.#size >= this.capacity;
  }

  /** Queue a message; the caller has checked `full` and applied the policy. */
  put(name: string, payload: unknown, reply: ReplyTo | undefined): void {
    let seg = this.#tail;
    let i = this.#tailPos;
    if (i === seg.slots.length) {
      const next = segment(Math.min(MAX_BLOCK, seg.slots.length / 3 * 2));
      seg.next = next;
      this.#tail = seg = next;
      i = 0;
    }
    const slots = seg.slots;
    slots[i] = name;
    slots[i + 1] = payload;
    slots[i + 2] = reply;
    this.#tailPos = i + 3;
    if (++this.#size > this.highWater) this.highWater = this.#size;
  }

  /**
   * Take the next message's name, or `undefined` when empty. Its payload and
   * reply stay in `payload`/`reply` until the next call (an empty call clears
   * them, so the last message is not held on to).
   */
  take(): string | undefined {
    if (this.#size === 0) {
      this.payload = this.reply = undefined;
      return undefined;
    }
    let seg = this.#head;
    let i = this.#headPos;
    if (i === seg.slots.length) {
      this.#head = seg = seg.next!;
      i = 0;
    }
    const slots = seg.slots;
    const name = slots[i] as string;
    this.payload = slots[i + 1];
    this.reply = slots[i + 2] as ReplyTo | undefined;
    slots[i] = slots[i + 1] = slots[i + 2] = undefined;
    if (--this.#size === 0) {
      // Empty: start over at the front of the newest block.
      this.#head = this.#tail = seg;
      this.#headPos = this.#tailPos = 0;
      seg.next = undefined;
    } else this.#headPos = i + 3;
    return name;
  }

  /** Admit parked senders while there is room, in arrival order. */
  admitWaiters(): void {
    const w = this.waiters;
    while (w !== undefined && w.length > 0 && this.#size < this.capacity) {
      const next = w.shift()!;
      this.put(next.name, next.payload, next.reply);
      next.admitted();
    }
  }
}
