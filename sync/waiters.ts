/**
 * The waiting machinery under every isolate-scope primitive: a FIFO list of
 * waiters, each with its own timeout and `AbortSignal`. Internal to `sync/`
 * (not exported from `sync/mod.ts`).
 *
 * A waiter leaves the list in exactly one of three ways, and each one clears
 * its timer and removes its abort listener, so nothing outlives the wait:
 *
 * - it is woken (`wakeOne`, `shift`, `drain`): resolved with a value;
 * - its timeout passes: rejected with `WaitTimeoutError`;
 * - its signal aborts: rejected with `WaitAbortedError` (the reason as cause).
 *
 * Waking is synchronous: the node is unlinked and its `resolve` called before
 * `wakeOne` returns, so a primitive can hand ownership over directly and no
 * later caller can barge in.
 *
 * @module
 */

import { WaitAbortedError, WaitTimeoutError } from "./errors.ts";
import type { WaitOptions } from "./types.ts";

/**
 * A promise that is already resolved, shared by every fast path that has
 * nothing to wait for (no allocation per call).
 *
 * @example
 * ```ts
 * import { RESOLVED } from "./waiters.ts";
 * await RESOLVED;
 * ```
 */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Beyond this `setTimeout` fires at once; such a timeout means "never". */
const MAX_TIMER = 2_147_483_647;

/**
 * One waiter in a {@linkcode WaiterList}. Primitives that need to react to
 * delivery synchronously (the channel `select`) build their own nodes.
 *
 * @example
 * ```ts
 * import { WaitNode, WaiterList } from "./waiters.ts";
 * import assert from "node:assert/strict";
 *
 * const got: string[] = [];
 * const list = new WaiterList<string, null>();
 * list.push(new WaitNode(null, (v) => got.push(v), () => {}));
 * list.wakeOne("hello");
 * assert.deepEqual(got, ["hello"]);
 * ```
 */
export class WaitNode<T, D> {
  /** The previous node while linked. */
  prev: WaitNode<T, D> | null = null;
  /** The next node while linked. */
  next: WaitNode<T, D> | null = null;
  /** Whether the node is in a list now. */
  linked = false;
  /** What the primitive stored with the waiter (an item to put, a kind). */
  data: D;
  /** Called once when the waiter is woken with a value. */
  resolve: (value: T) => void;
  /** Called once when the waiter is refused (closed, broken). */
  reject: (error: unknown) => void;

  /**
   * A node with its data and its two outcomes.
   *
   * @example
   * ```ts
   * import { WaitNode } from "./waiters.ts";
   * new WaitNode<number, string>("tag", () => {}, () => {});
   * ```
   */
  constructor(
    data: D,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ) {
    this.data = data;
    this.resolve = resolve;
    this.reject = reject;
  }
}

/**
 * Throw (as a rejected promise) when `options` ask for an impossible wait:
 * an already-aborted signal, or a timeout that is not a number >= 0.
 * Returns `undefined` when the wait may go ahead.
 *
 * @example
 * ```ts
 * import { refuse } from "./waiters.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(refuse("Mutex.acquire", { timeout: 5 }), undefined);
 * const aborted = refuse("Mutex.acquire", { signal: AbortSignal.abort() });
 * await assert.rejects(aborted!, { name: "WaitAbortedError" });
 * ```
 */
export function refuse(
  operation: string,
  options: WaitOptions,
): Promise<never> | undefined {
  const signal = options.signal;
  if (signal !== undefined && signal.aborted) {
    return Promise.reject(new WaitAbortedError(operation, signal.reason));
  }
  const timeout = options.timeout;
  if (
    timeout !== undefined && !(typeof timeout === "number" && timeout >= 0)
  ) {
    return Promise.reject(
      new RangeError(
        `${operation}: timeout must be a number >= 0, got ${timeout}`,
      ),
    );
  }
  return undefined;
}

/**
 * A FIFO list of waiters with O(1) append, removal from anywhere, and
 * wake-up of the first.
 *
 * @example
 * ```ts
 * import { WaiterList } from "./waiters.ts";
 * import assert from "node:assert/strict";
 *
 * const list = new WaiterList<number>();
 * const a = list.wait("Demo.wait", {});
 * const b = list.wait("Demo.wait", { timeout: 1_000 });
 * list.wakeOne(1);
 * list.wakeOne(2);
 * assert.deepEqual(await Promise.all([a, b]), [1, 2]);
 * ```
 */
export class WaiterList<T, D = undefined> {
  #head: WaitNode<T, D> | null = null;
  #tail: WaitNode<T, D> | null = null;
  #length = 0;
  #onCancel: ((data: D) => void) | undefined;

  /**
   * An empty list. `onCancel` runs after a waiter left by timeout or abort
   * (the primitive may have to admit others, or break).
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * const list = new WaiterList<void>(() => console.log("a waiter gave up"));
   * ```
   */
  constructor(onCancel?: (data: D) => void) {
    this.#onCancel = onCancel;
  }

  /**
   * How many are waiting.
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new WaiterList<void>().length, 0);
   * ```
   */
  get length(): number {
    return this.#length;
  }

  /**
   * The first waiter, or `null`.
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new WaiterList<void>().first, null);
   * ```
   */
  get first(): WaitNode<T, D> | null {
    return this.#head;
  }

  /**
   * Append a node.
   *
   * @example
   * ```ts
   * import { WaitNode, WaiterList } from "./waiters.ts";
   * const list = new WaiterList<void, number>();
   * list.push(new WaitNode(1, () => {}, () => {}));
   * ```
   */
  push(node: WaitNode<T, D>): void {
    node.prev = this.#tail;
    node.next = null;
    if (this.#tail === null) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    node.linked = true;
    this.#length++;
  }

  /**
   * Unlink a node; false when it was not linked (already woken or gone).
   *
   * @example
   * ```ts
   * import { WaitNode, WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * const list = new WaiterList<void, number>();
   * const node = new WaitNode(1, () => {}, () => {});
   * list.push(node);
   * assert.ok(list.remove(node));
   * assert.ok(!list.remove(node));
   * ```
   */
  remove(node: WaitNode<T, D>): boolean {
    if (!node.linked) return false;
    const { prev, next } = node;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    node.prev = node.next = null;
    node.linked = false;
    this.#length--;
    return true;
  }

  /**
   * Unlink and return the first node (not settled: the caller settles it).
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new WaiterList<void>().shift(), null);
   * ```
   */
  shift(): WaitNode<T, D> | null {
    const node = this.#head;
    if (node !== null) this.remove(node);
    return node;
  }

  /**
   * Wake the first waiter with `value`; false when no one waits.
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new WaiterList<number>().wakeOne(1), false);
   * ```
   */
  wakeOne(value: T): boolean {
    const node = this.#head;
    if (node === null) return false;
    this.remove(node);
    node.resolve(value);
    return true;
  }

  /**
   * Unlink every waiter, in order, and hand each to `settle`.
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * const list = new WaiterList<number>();
   * const p = list.wait("Demo.wait", {});
   * list.drain((node) => node.resolve(7));
   * assert.equal(await p, 7);
   * ```
   */
  drain(settle: (node: WaitNode<T, D>) => void): void {
    let node = this.#head;
    this.#head = this.#tail = null;
    this.#length = 0;
    while (node !== null) {
      const next = node.next;
      node.prev = node.next = null;
      node.linked = false;
      settle(node);
      node = next;
    }
  }

  /**
   * Reject every waiter with `error`.
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * const list = new WaiterList<void>();
   * const p = list.wait("Demo.wait", {});
   * list.rejectAll(new Error("closed"));
   * await assert.rejects(p, /closed/);
   * ```
   */
  rejectAll(error: unknown): void {
    this.drain((node) => node.reject(error));
  }

  /**
   * Join the list and wait to be woken; `options` may time the wait out or
   * abort it. Call {@linkcode refuse} first when the primitive might succeed
   * at once (this checks the options again, cheaply).
   *
   * @example
   * ```ts
   * import { WaiterList } from "./waiters.ts";
   * import assert from "node:assert/strict";
   * const list = new WaiterList<void>();
   * await assert.rejects(list.wait("Demo.wait", { timeout: 1 }), {
   *   name: "WaitTimeoutError",
   * });
   * assert.equal(list.length, 0);
   * ```
   */
  wait(
    operation: string,
    options: WaitOptions | undefined,
    data?: D,
  ): Promise<T> {
    if (options === undefined) {
      const { promise, resolve, reject } = Promise.withResolvers<T>();
      this.push(new WaitNode(data as D, resolve, reject));
      return promise;
    }
    const refused = refuse(operation, options);
    if (refused !== undefined) return refused;
    const { timeout, signal } = options;
    if (timeout !== undefined && timeout <= 0) {
      return Promise.reject(new WaitTimeoutError(operation, timeout));
    }
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const timed = timeout !== undefined && timeout <= MAX_TIMER;
    if (!timed && signal === undefined) {
      this.push(new WaitNode(data as D, resolve, reject));
      return promise;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
    };
    const node = new WaitNode<T, D>(
      data as D,
      (value) => {
        cleanup();
        resolve(value);
      },
      (error) => {
        cleanup();
        reject(error);
      },
    );
    const giveUp = (error: Error): void => {
      if (!this.remove(node)) return;
      cleanup();
      reject(error);
      this.#onCancel?.(node.data);
    };
    if (timed) {
      timer = setTimeout(
        () => giveUp(new WaitTimeoutError(operation, timeout)),
        timeout,
      );
    }
    if (signal !== undefined) {
      onAbort = () => giveUp(new WaitAbortedError(operation, signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
    }
    this.push(node);
    return promise;
  }
}
