/**
 * The typed errors of the actor runtime, and the plain form an error takes to
 * cross an isolate boundary.
 *
 * Every error names what went wrong (the target actor, the message) so that a
 * log line alone is enough to find the cause.
 *
 * @module
 */

/** An error as plain data: what crosses hosts (see `HandlerError.original`). */
export type ErrorInfo = HandlerError["original"];

/**
 * Turn anything thrown into plain {@link ErrorInfo}.
 *
 * @example
 * ```ts
 * import { errorInfo } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(errorInfo("boom").message, "boom");
 * ```
 */
export function errorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    const info: ErrorInfo = { name: thrown.name, message: thrown.message };
    if (thrown.stack !== undefined) info.stack = thrown.stack;
    const code = (thrown as { code?: unknown }).code;
    if (typeof code === "string") info.code = code;
    return info;
  }
  return { name: "Error", message: String(thrown) };
}

/**
 * Rebuild an `Error` from {@link ErrorInfo}, keeping its name, message and
 * original stack.
 *
 * @example
 * ```ts
 * import { errorFromInfo } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const e = errorFromInfo({ name: "TypeError", message: "bad", stack: "TypeError: bad\n    at x" });
 * assert.equal(e.name, "TypeError");
 * assert.match(e.stack ?? "", /at x/);
 * ```
 */
export function errorFromInfo(info: ErrorInfo): Error {
  // A mistake in the program's setup, found on a host, keeps its type.
  const e = info.name === "UnguardedMainError"
    ? new UnguardedMainError("")
    : new Error(info.message);
  e.message = info.message;
  e.name = info.name;
  if (info.stack !== undefined) e.stack = info.stack;
  if (info.code !== undefined) (e as Error & { code: string }).code = info.code;
  return e;
}

/**
 * The base class of every error troupe throws or rejects with.
 *
 * @example
 * ```ts
 * import { TroupeError, AskTimeoutError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new AskTimeoutError("counter#1", "get", 10) instanceof TroupeError);
 * ```
 */
export class TroupeError extends Error {
  /**
   * Create an error with a message and an optional cause.
   *
   * @example
   * ```ts
   * import { TroupeError } from "@troupe/troupe";
   * import assert from "node:assert/strict";
   * assert.equal(new TroupeError("something broke").name, "TroupeError");
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An `ask` got no reply before its deadline.
 *
 * @example
 * ```ts
 * import { AskTimeoutError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new AskTimeoutError("counter#1", "get", 50);
 * assert.match(e.message, /counter#1/);
 * assert.match(e.message, /"get"/);
 * ```
 */
export class AskTimeoutError extends TroupeError {
  /** The actor that did not answer. */
  readonly target: string;
  /** The message name that was asked. */
  readonly messageName: string;
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { AskTimeoutError } from "@troupe/troupe";
   * new AskTimeoutError("counter#1", "get", 50);
   * ```
   */
  constructor(target: string, messageName: string, timeoutMs: number) {
    super(
      `ask "${messageName}" to ${target} timed out after ${timeoutMs} ms`,
    );
    this.target = target;
    this.messageName = messageName;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * An `ask` was cancelled through its `AbortSignal`; `cause` is the signal's
 * reason.
 *
 * @example
 * ```ts
 * import { AskAbortedError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new AskAbortedError("worker#2", "work", "user gave up");
 * assert.equal(e.cause, "user gave up");
 * ```
 */
export class AskAbortedError extends TroupeError {
  /** The actor that was asked. */
  readonly target: string;
  /** The message name that was asked. */
  readonly messageName: string;
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { AskAbortedError } from "@troupe/troupe";
   * new AskAbortedError("worker#2", "work", new Error("cancelled"));
   * ```
   */
  constructor(target: string, messageName: string, reason: unknown) {
    super(`ask "${messageName}" to ${target} was aborted`, { cause: reason });
    this.target = target;
    this.messageName = messageName;
  }
}

/**
 * Why an actor ended. `normal` is a requested stop, `shutdown` a stop by its
 * supervisor or the system, `killed` a stop that had to be forced after its
 * shutdown timeout, `failed` a crash, `host-down` the loss of the host it ran on,
 * `not-found` an address its host does not know (gone, or never there).
 *
 * @example
 * ```ts
 * import type { ExitReason } from "@troupe/troupe";
 * const reason: ExitReason = { type: "failed", error: { name: "Error", message: "boom" } };
 * ```
 */
export type ExitReason =
  | { type: "normal" }
  | { type: "not-found" }
  | { type: "shutdown" }
  | { type: "killed" }
  | { type: "failed"; error: HandlerError["original"] }
  | { type: "host-down"; host: string; detail: string };

/**
 * A short human-readable form of an {@link ExitReason}.
 *
 * @example
 * ```ts
 * import { describeReason } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeReason({ type: "failed", error: { name: "Error", message: "boom" } }), "failed: Error: boom");
 * ```
 */
export function describeReason(reason: ExitReason): string {
  switch (reason.type) {
    case "failed":
      return `failed: ${reason.error.name}: ${reason.error.message}`;
    case "host-down":
      return `host ${reason.host} down: ${reason.detail}`;
    default:
      return reason.type;
  }
}

/**
 * The target actor is dead, or died while a message to it was pending.
 *
 * @example
 * ```ts
 * import { ActorDeadError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new ActorDeadError("counter#1", "get", { type: "normal" });
 * assert.match(e.message, /counter#1 is dead \(normal\)/);
 * ```
 */
export class ActorDeadError extends TroupeError {
  /** The dead actor. */
  readonly target: string;
  /** The message that could not be handled. */
  readonly messageName: string;
  /** Why the actor died. */
  readonly reason: ExitReason;
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { ActorDeadError } from "@troupe/troupe";
   * new ActorDeadError("counter#1", "get", { type: "killed" });
   * ```
   */
  constructor(target: string, messageName: string, reason: ExitReason) {
    super(
      `cannot deliver "${messageName}": ${target} is dead (${
        describeReason(reason)
      })`,
    );
    this.target = target;
    this.messageName = messageName;
    this.reason = reason;
  }
}

/**
 * A handler threw while handling an `ask`. `cause` is the original error (on
 * another host: rebuilt with its name, message and stack); `original` is the
 * same as plain data.
 *
 * @example
 * ```ts
 * import { HandlerError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const e = new HandlerError("counter#1", "div", new RangeError("by zero"));
 * assert.equal(e.original.name, "RangeError");
 * assert.match(e.message, /by zero/);
 * ```
 */
export class HandlerError extends TroupeError {
  /** The actor whose handler threw. */
  readonly target: string;
  /** The message being handled. */
  readonly messageName: string;
  /**
   * The thrown error as plain data (what crosses hosts; also what a
   * `failed` exit reason and event carry).
   */
  readonly original: {
    /** The error's `name`, such as `"TypeError"`. */
    name: string;
    /** The error's message. */
    message: string;
    /** The stack as the throwing host printed it, when there was one. */
    stack?: string;
    /** A `code` property, when the error had one (as Deno and Node errors do). */
    code?: string;
  };
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { HandlerError } from "@troupe/troupe";
   * new HandlerError("counter#1", "div", new Error("boom"));
   * ```
   */
  constructor(target: string, messageName: string, thrown: unknown) {
    const original = errorInfo(thrown);
    super(
      `${target} failed handling "${messageName}": ${original.name}: ${original.message}`,
      { cause: thrown instanceof Error ? thrown : errorFromInfo(original) },
    );
    this.target = target;
    this.messageName = messageName;
    this.original = original;
  }
}

/**
 * A message was refused because the target's mailbox was full.
 *
 * @example
 * ```ts
 * import { MailboxFullError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new MailboxFullError("log#3", "line", 100).message, /full \(100\)/);
 * ```
 */
export class MailboxFullError extends TroupeError {
  /** The actor whose mailbox was full. */
  readonly target: string;
  /** The refused message. */
  readonly messageName: string;
  /** The mailbox capacity. */
  readonly capacity: number;
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { MailboxFullError } from "@troupe/troupe";
   * new MailboxFullError("log#3", "line", 100);
   * ```
   */
  constructor(target: string, messageName: string, capacity: number) {
    super(
      `mailbox of ${target} is full (${capacity}); "${messageName}" refused`,
    );
    this.target = target;
    this.messageName = messageName;
    this.capacity = capacity;
  }
}

/**
 * The target has no handler for the message name (only possible when the
 * compile-time check was bypassed).
 *
 * @example
 * ```ts
 * import { UnknownMessageError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new UnknownMessageError("counter#1", "nope", ["add", "get"]).message, /add, get/);
 * ```
 */
export class UnknownMessageError extends TroupeError {
  /** The actor that got the message. */
  readonly target: string;
  /** The unknown message name. */
  readonly messageName: string;
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { UnknownMessageError } from "@troupe/troupe";
   * new UnknownMessageError("counter#1", "nope", ["add"]);
   * ```
   */
  constructor(target: string, messageName: string, known: readonly string[]) {
    super(
      `${target} has no handler for "${messageName}" (it handles: ${
        known.join(", ")
      })`,
    );
    this.target = target;
    this.messageName = messageName;
  }
}

/**
 * A name given to `spawn` is already taken by a living actor.
 *
 * @example
 * ```ts
 * import { NameTakenError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new NameTakenError("db").message, /"db"/);
 * ```
 */
export class NameTakenError extends TroupeError {
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { NameTakenError } from "@troupe/troupe";
   * new NameTakenError("db");
   * ```
   */
  constructor(name: string) {
    super(`an actor named "${name}" is already alive`);
  }
}

/**
 * The system is shutting down or shut down: nothing new can be spawned.
 *
 * @example
 * ```ts
 * import { SystemStoppedError } from "@troupe/troupe";
 * new SystemStoppedError("spawn");
 * ```
 */
export class SystemStoppedError extends TroupeError {
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { SystemStoppedError } from "@troupe/troupe";
   * new SystemStoppedError("spawn");
   * ```
   */
  constructor(operation: string) {
    super(`cannot ${operation}: the actor system is shut down`);
  }
}

/**
 * A supervisor restarted its children more often than its intensity allows
 * within its period, so it gave up: it stopped its children and failed.
 *
 * @example
 * ```ts
 * import { RestartIntensityError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new RestartIntensityError("sup#1", 3, 5000).message, /more than 3 restarts in 5000 ms/);
 * ```
 */
export class RestartIntensityError extends TroupeError {
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { RestartIntensityError } from "@troupe/troupe";
   * new RestartIntensityError("sup#1", 3, 5000);
   * ```
   */
  constructor(supervisor: string, intensity: number, periodMs: number) {
    super(
      `${supervisor} gave up: more than ${intensity} restarts in ${periodMs} ms`,
    );
  }
}

/**
 * Data from a transport is not a well-formed envelope; nothing was delivered.
 *
 * @example
 * ```ts
 * import { EnvelopeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(new EnvelopeError("unknown envelope kind \"x\"").message, /malformed envelope/);
 * ```
 */
export class EnvelopeError extends TroupeError {
  /**
   * Build the error from what went wrong.
   *
   * @example
   * ```ts
   * import { EnvelopeError } from "./errors.ts";
   * new EnvelopeError("envelope is not an object");
   * ```
   */
  constructor(problem: string) {
    super(`malformed envelope: ${problem}`);
  }
}

/**
 * The program's main module, loaded by a worker or process host for the
 * tasks or behaviours it defines, ran the program there: its top-level code
 * made an actor system, whose pools and actors would start hosts that load
 * it again, without end. Put the program's code under
 * `if (import.meta.main) { ... }` (as Python's multiprocessing asks for
 * `if __name__ == "__main__":`); definitions stay outside.
 *
 * @example
 * ```ts
 * import { UnguardedMainError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new UnguardedMainError("file:///app/main.ts").message, /import\.meta\.main/);
 * ```
 */
export class UnguardedMainError extends TroupeError {
  /**
   * Build the error from the main module's URL.
   *
   * @example
   * ```ts
   * import { UnguardedMainError } from "@troupe/troupe";
   * new UnguardedMainError("file:///app/main.ts");
   * ```
   */
  constructor(mainModule: string) {
    super(
      `${mainModule} is the program's main module, and a worker or process host that loaded it (for the tasks or behaviours it defines) ran its program code: its top level made an actor system there, whose hosts would load it again, without end. Put the program's code under \`if (import.meta.main) { ... }\` and keep only definitions outside it (as Python's multiprocessing asks for \`if __name__ == "__main__":\`)`,
    );
  }
}
