/**
 * The scheduler's side of cluster-wide sync: named isolate primitives
 * (`Mutex`, `Semaphore`, `Event`, `Queue` from `sync/`) that every client
 * and every task on every node reaches through its client connection.
 *
 * A request is `{ t: "sync", id, low, kind, name, op, ... }`:
 *
 * - `kind` is `"mutex" | "semaphore" | "event" | "queue"`; each kind has
 *   its own names. `permits` (semaphore) is given with every request and
 *   must match the first one used for that name; so must `maxSize`
 *   (queue) when it is given (left out, it is the queue's own).
 * - `op` is the operation: `acquire`, `tryAcquire`, `release`, `set`,
 *   `clear`, `wait`, `put`, `tryPut`, `get`, `tryGet`, `close`, `inspect`,
 *   or `cancel` (give up the waiting request with this same `id`).
 * - `timeout` (ms) bounds a wait; `item` is what `put` adds.
 *
 * Each operation is applied once, by its id, even when a client that lost
 * its connection sends it again: the answer is kept until the client says
 * it has it (by `low`, its lowest unanswered id, or in `acks`, the ids
 * answered since its last request). What a client holds
 * (locks, permits) is its session's, and goes back when the session ends
 * (the client closed, or stayed away longer than the cluster waits).
 *
 * @module
 */

import { Event } from "../../sync/event.ts";
import { Mutex } from "../../sync/mutex.ts";
import { NotHeldError, WaitAbortedError } from "../../sync/errors.ts";
import { Queue } from "../../sync/queue.ts";
import { Semaphore } from "../../sync/semaphore.ts";
import { clip, preview } from "../../actors/preview.ts";

/** The kinds of cluster primitive. */
export type SyncKind = "mutex" | "semaphore" | "event" | "queue";

/** A sync request as it comes off the wire (checked by `handle`). */
export interface SyncRequest {
  t: "sync";
  id: number;
  low?: number;
  acks?: unknown;
  kind?: unknown;
  name?: unknown;
  op?: unknown;
  permits?: unknown;
  maxSize?: unknown;
  timeout?: unknown;
  item?: unknown;
}

/** One client's sync state at the scheduler. */
export interface SyncSession {
  /** Operations by id: running ones can be cancelled; answers are kept. */
  ops: Map<number, { answer: Promise<unknown>; abort: AbortController }>;
  /** Locks and permits held, by primitive. */
  held: Map<Primitive, number>;
  ended: boolean;
}

type Primitive =
  | { kind: "mutex"; name: string; lock: Mutex; users: number }
  | {
    kind: "semaphore";
    name: string;
    lock: Semaphore;
    permits: number;
    users: number;
  }
  | { kind: "event"; name: string; event: Event }
  | { kind: "queue"; name: string; queue: Queue<unknown>; maxSize: number };

const KINDS = new Set(["mutex", "semaphore", "event", "queue"]);

/** A new, empty session. */
export function syncSession(): SyncSession {
  return { ops: new Map(), held: new Map(), ended: false };
}

/** The named primitives of one cluster. */
export class SyncService {
  readonly #byName = new Map<string, Primitive>();

  /** How many primitives exist now (idle locks are dropped). */
  get size(): number {
    return this.#byName.size;
  }

  /**
   * Apply `m` for `session`; the answer (or the answer it already had,
   * when it is sent again).
   */
  handle(session: SyncSession, m: SyncRequest): Promise<unknown> {
    // Answers the client has: below its lowest unanswered id, and those
    // it acknowledges.
    if (typeof m.low === "number") {
      for (const id of session.ops.keys()) {
        if (id >= m.low) break; // ids come in rising order
        session.ops.delete(id);
      }
    }
    if (Array.isArray(m.acks)) {
      for (const id of m.acks) if (id !== m.id) session.ops.delete(id);
    }
    const known = session.ops.get(m.id);
    if (m.op === "cancel") {
      if (known !== undefined) {
        known.abort.abort("cancelled by the client");
        return known.answer;
      }
      const refused = Promise.reject(
        new WaitAbortedError("cluster sync", "cancelled by the client"),
      );
      session.ops.set(m.id, {
        answer: refused,
        abort: new AbortController(),
      });
      refused.catch(() => {});
      return refused;
    }
    if (known !== undefined) return known.answer;
    const abort = new AbortController();
    let answer: Promise<unknown>;
    try {
      answer = this.#apply(session, m, abort.signal);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.catch(() => {});
    session.ops.set(m.id, { answer, abort });
    return answer;
  }

  /** The session is over: its waits end and what it holds goes back. */
  end(session: SyncSession): void {
    session.ended = true;
    for (const { abort } of session.ops.values()) {
      abort.abort("the client left");
    }
    session.ops.clear();
    for (const [p, n] of session.held) {
      for (let i = 0; i < n; i++) this.#give(p);
      this.#drop(p);
    }
    session.held.clear();
  }

  /** What the cluster's primitives look like now, for status pages. */
  snapshot(): { kind: SyncKind; name: string; state: unknown }[] {
    return [...this.#byName.values()].map((p) => ({
      kind: p.kind,
      name: p.name,
      state: inspect(p),
    }));
  }

  #primitive(m: SyncRequest): Primitive {
    const { kind, name } = m;
    if (typeof kind !== "string" || !KINDS.has(kind)) {
      throw new TypeError(
        `sync kind must be mutex, semaphore, event or queue, not ${
          preview(kind)
        }`,
      );
    }
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`a cluster ${kind} needs a name (a string)`);
    }
    const id = `${kind}:${name}`;
    let p = this.#byName.get(id);
    if (kind === "semaphore") {
      const permits = m.permits;
      if (
        typeof permits !== "number" || !Number.isInteger(permits) ||
        permits < 1
      ) {
        throw new TypeError(
          `semaphore "${clip(name)}": permits must be an integer >= 1`,
        );
      }
      if (p === undefined) {
        p = {
          kind,
          name,
          lock: new Semaphore(permits),
          permits,
          users: 0,
        };
      } else if (p.kind === "semaphore" && p.permits !== permits) {
        throw new TypeError(
          `semaphore "${clip(name)}" has ${p.permits} permits, not ${permits}`,
        );
      }
    } else if (kind === "queue") {
      // No bound given: the queue's own (unbounded when it is new).
      const maxSize = m.maxSize ?? (p?.kind === "queue" ? p.maxSize : Infinity);
      if (
        typeof maxSize !== "number" || !(maxSize >= 1) ||
        (maxSize !== Infinity && !Number.isInteger(maxSize))
      ) {
        throw new TypeError(
          `queue "${clip(name)}": maxSize must be an integer >= 1`,
        );
      }
      if (p === undefined) {
        p = {
          kind,
          name,
          queue: new Queue<unknown>({ maxSize }),
          maxSize,
        };
      } else if (p.kind === "queue" && p.maxSize !== maxSize) {
        throw new TypeError(
          `queue "${clip(name)}" has maxSize ${p.maxSize}, not ${maxSize}`,
        );
      }
    } else if (p === undefined) {
      p = kind === "mutex"
        ? { kind, name, lock: new Mutex(), users: 0 }
        : { kind: "event", name, event: new Event() };
    }
    this.#byName.set(id, p);
    return p;
  }

  #apply(
    session: SyncSession,
    m: SyncRequest,
    signal: AbortSignal,
  ): Promise<unknown> {
    const p = this.#primitive(m);
    const op = m.op;
    const timeout = m.timeout;
    if (
      timeout !== undefined &&
      (typeof timeout !== "number" || !(timeout >= 0))
    ) {
      throw new TypeError(`timeout must be a number of ms >= 0`);
    }
    const wait = { signal, timeout: timeout as number | undefined };
    if (op === "inspect") {
      const state = inspect(p);
      this.#drop(p);
      return Promise.resolve(state);
    }
    switch (p.kind) {
      case "mutex":
      case "semaphore":
        switch (op) {
          case "acquire":
            p.users++;
            return p.lock.acquire(wait).then(
              () => this.#took(session, p),
              (e) => {
                p.users--;
                this.#drop(p);
                throw e;
              },
            );
          case "tryAcquire":
            if (!p.lock.tryAcquire()) {
              this.#drop(p);
              return Promise.resolve(false);
            }
            p.users++;
            this.#took(session, p);
            return Promise.resolve(true);
          case "release": {
            const n = session.held.get(p) ?? 0;
            if (n === 0) {
              this.#drop(p);
              throw new NotHeldError(`${title(p.kind)}.release`);
            }
            if (n === 1) session.held.delete(p);
            else session.held.set(p, n - 1);
            this.#give(p);
            this.#drop(p);
            return Promise.resolve(undefined);
          }
        }
        break;
      case "event":
        switch (op) {
          case "set":
            p.event.set();
            return Promise.resolve(undefined);
          case "clear":
            p.event.clear();
            return Promise.resolve(undefined);
          case "wait":
            return p.event.wait(wait);
        }
        break;
      case "queue":
        switch (op) {
          case "put":
            return p.queue.put(m.item, wait);
          case "tryPut":
            return Promise.resolve(p.queue.tryPut(m.item));
          case "get":
            return p.queue.get(wait);
          case "tryGet":
            return Promise.resolve(p.queue.tryGet());
          case "close":
            p.queue.close();
            return Promise.resolve(undefined);
        }
        break;
    }
    throw new TypeError(
      `a cluster ${p.kind} has no operation ${preview(op)}`,
    );
  }

  /** `session` now holds one more of `p` (or gives it back if it ended). */
  #took(session: SyncSession, p: Primitive): void {
    if (session.ended) {
      this.#give(p);
      this.#drop(p);
      return;
    }
    session.held.set(p, (session.held.get(p) ?? 0) + 1);
  }

  /** Hand back one lock or permit of `p`. */
  #give(p: Primitive): void {
    if (p.kind !== "mutex" && p.kind !== "semaphore") return;
    p.users--;
    p.lock.release();
  }

  /** Forget a lock nobody holds or waits for (its state is its default). */
  #drop(p: Primitive): void {
    if ((p.kind === "mutex" || p.kind === "semaphore") && p.users === 0) {
      this.#byName.delete(`${p.kind}:${p.name}`);
    }
  }
}

function title(kind: string): string {
  return kind === "mutex" ? "ClusterMutex" : "ClusterSemaphore";
}

function inspect(p: Primitive): unknown {
  switch (p.kind) {
    case "mutex":
      return { locked: p.lock.locked, waiting: p.lock.waiting };
    case "semaphore":
      return {
        value: p.lock.value,
        permits: p.permits,
        waiting: p.lock.waiting,
      };
    case "event":
      return { isSet: p.event.isSet, waiting: p.event.waiting };
    case "queue":
      return {
        size: p.queue.size,
        maxSize: p.queue.maxSize,
        closed: p.queue.closed,
        waiting: p.queue.waiting,
      };
  }
}
