/**
 * A client's connection to the cluster's scheduler: its requests in flight
 * and their answers (errors rebuilt as the scheduler named them), the
 * statuses of its futures as the scheduler settles them, and dialling again
 * after a loss, when the requests in flight are sent again. `Client` makes
 * one and puts its calls on it.
 *
 * @module
 */

import {
  CancelledError,
  KilledWorkerError,
  TaskFailedError,
} from "../graph/errors.ts";
import type { FramedConnection } from "../wire/framing.ts";
import type { FutureStatus } from "../graph/future.ts";
import { workerRequestErrorFromWire } from "../wire/worker_request_error.ts";
import type { WireError } from "../scheduler/client_session.ts";

/** What a future's status may be. */
const STATUSES: ReadonlySet<unknown> = new Set([
  "pending",
  "finished",
  "error",
  "cancelled",
]);

/** Rebuild an error the scheduler sent, keeping what names the task. */
function errorFromWire(sent: unknown): Error {
  const valid = sent !== null && typeof sent === "object" &&
    typeof (sent as WireError).name === "string" &&
    typeof (sent as WireError).message === "string";
  if (!valid) {
    return new Error("the scheduler answered with an error of no known shape");
  }
  const w = sent as WireError;
  if (
    w.cause !== undefined && (w.cause === null || typeof w.cause !== "object")
  ) {
    w.cause = undefined;
  }
  let e: Error;
  if (w.name === "TaskFailedError" && w.key !== undefined) {
    const cause = new Error(w.cause?.message ?? w.message);
    cause.name = w.cause?.name ?? "Error";
    if (w.cause?.stack !== undefined) cause.stack = w.cause.stack;
    e = new TaskFailedError(w.key, w.task ?? "", cause, w.attempts ?? 1);
  } else if (w.name === "KilledWorkerError" && w.key !== undefined) {
    e = new KilledWorkerError(w.key, w.deaths ?? 0, w.message);
    e.message = w.message;
  } else if (w.name === "CancelledError" && w.key !== undefined) {
    e = new CancelledError(w.key);
  } else if (w.name === "WorkerRequestError") {
    e = workerRequestErrorFromWire(w);
  } else {
    e = new Error(w.message);
    e.name = w.name;
  }
  if (typeof w.stack === "string") e.stack = w.stack;
  return e;
}

/** A client's link to the scheduler, from `connect` to `close`. */
export class ClientConnection {
  #conn: FramedConnection;
  /** Dials again after a loss (undefined: the client ends with its connection). */
  readonly #redial:
    | ((signal: AbortSignal) => AsyncGenerator<FramedConnection>)
    | undefined;
  readonly #stop = new AbortController();
  /** Its id at the cluster (the same on every connection). */
  readonly #id: string;
  /** While the connection is being made again: resolves when it is. */
  #back: PromiseWithResolvers<void> | undefined;
  #closing = false;
  readonly #pending = new Map<
    number,
    {
      message: Record<string, unknown>;
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
    }
  >();
  /** Sync answers received, to acknowledge with the next sync request. */
  #answered: number[] = [];
  #seq = 0;
  /** The status of each of the client's futures, as the scheduler said. */
  readonly status = new Map<string, FutureStatus>();
  /** Waiters for a future to settle, by key. */
  readonly settled = new Map<string, PromiseWithResolvers<void>>();

  constructor(
    conn: FramedConnection,
    id: string,
    redial?: (signal: AbortSignal) => AsyncGenerator<FramedConnection>,
  ) {
    this.#conn = conn;
    this.#id = id;
    this.#redial = redial;
    this.#attach(conn);
  }

  /** Take what `conn` receives, and its loss. */
  #attach(conn: FramedConnection): void {
    conn.onMessage((m) => this.#receive(m as Record<string, unknown>));
    conn.closed.then(() => this.#lost(conn));
  }

  /**
   * The connection is gone. Unless the client was closed, it dials again;
   * the cluster, which keeps its futures for a while, tells it where they
   * are, and the requests that were in flight are sent again (the cluster
   * applies each `persist` once, by its id).
   */
  #lost(conn: FramedConnection): void {
    if (conn !== this.#conn) return;
    if (this.#closing || this.#redial === undefined) return this.#end();
    this.#back = Promise.withResolvers<void>();
    void (async () => {
      try {
        for await (const next of this.#redial!(this.#stop.signal)) {
          next.send({ t: "client", id: this.#id });
          this.#conn = next;
          this.#attach(next);
          for (const p of this.#pending.values()) next.send(p.message);
          this.#back?.resolve();
          this.#back = undefined;
          return;
        }
      } catch { /* a refusal (auth): this client is done */ }
      this.#end();
    })();
  }

  /** The client is done: waiters end, futures still pending are cancelled. */
  #end(): void {
    const gone = new Error("the connection to the cluster closed");
    for (const p of this.#pending.values()) p.reject(gone);
    this.#pending.clear();
    this.#back?.reject(new Error("the connection to the cluster closed"));
    this.#back?.promise.catch(() => {});
    this.#back = undefined;
    for (const [key, s] of this.settled) {
      if (this.status.get(key) === "pending") {
        this.status.set(key, "cancelled");
      }
      s.resolve();
    }
    this.settled.clear();
  }

  /** Send a message that has no answer (dropped while disconnected). */
  tell(message: Record<string, unknown>): void {
    if (!this.#conn.isClosed) this.#conn.send(message);
  }

  /** An answer, or a future's settling. */
  #receive(m: Record<string, unknown>): void {
    // (What the scheduler sends is checked: a wrong shape is dropped, not
    // taken for a status or thrown on.)
    if (m === null || typeof m !== "object") return;
    if (m.t === "settled") {
      const key = m.key;
      if (typeof key !== "string" || !STATUSES.has(m.status)) return;
      this.status.set(key, m.status as FutureStatus);
      this.settled.get(key)?.resolve();
      this.settled.delete(key);
      return;
    }
    const p = this.#pending.get(m.id as number);
    if (p === undefined) return;
    this.#pending.delete(m.id as number);
    if (p.message.t === "sync") this.#answered.push(m.id as number);
    if (m.t === "ok") p.resolve(m.values);
    else p.reject(errorFromWire(m.error));
  }

  /** Send a request; resolves to its answer (after a reconnection if one is under way). */
  async request(message: Record<string, unknown>): Promise<unknown> {
    if (this.#back !== undefined) await this.#back.promise; // reconnecting
    if (this.#conn.isClosed) {
      throw new Error("the connection to the cluster closed");
    }
    const id = ++this.#seq;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const sent = { ...message, id };
    this.#pending.set(id, { message: sent, resolve, reject });
    this.#conn.send(sent);
    return promise;
  }

  /**
   * A sync request: it carries the lowest id still unanswered and the ids
   * answered since the last one, so the scheduler can forget those answers
   * (it keeps each until then, for a resend after a reconnect). An abort turns the message
   * into a cancel (sent now, and again after a reconnect); the answer
   * that comes back settles the call, so a grant that crossed the cancel
   * on the wire is kept, not lost.
   */
  async syncRequest(
    message: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (this.#back !== undefined) await this.#back.promise; // reconnecting
    if (this.#conn.isClosed) {
      throw new Error("the connection to the cluster closed");
    }
    const id = ++this.#seq;
    const low = this.#pending.keys().next().value ?? id;
    const { promise, ...resolvers } = Promise.withResolvers<unknown>();
    const acks = this.#answered;
    this.#answered = [];
    const entry: { message: Record<string, unknown> } & typeof resolvers = {
      message: {
        ...message,
        id,
        low,
        acks: acks.length > 0 ? acks : undefined,
      },
      ...resolvers,
    };
    this.#pending.set(id, entry);
    this.#conn.send(entry.message);
    if (signal === undefined) return promise;
    const cancel = () => {
      entry.message = { t: "sync", id, op: "cancel" };
      if (this.#back === undefined && !this.#conn.isClosed) {
        this.#conn.send(entry.message);
      }
    };
    signal.addEventListener("abort", cancel, { once: true });
    try {
      return await promise;
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  }

  /** Say goodbye and close: the cluster drops the client's futures. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stop.abort();
    if (!this.#conn.isClosed) this.#conn.send({ t: "bye" });
    await this.#conn.close();
    this.#end();
  }
}
