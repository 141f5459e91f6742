/**
 * The reply side of an `ask`: where an actor's answer goes.
 *
 * In one isolate it is the pending promise itself; for an ask that came from
 * another host it is a return address that turns the answer into a `reply` or
 * `failure` envelope. The actor's run loop sees only this interface.
 *
 * @module
 */

import type { AskFailure } from "./envelope.ts";
import {
  ActorDeadError,
  errorFromInfo,
  HandlerError,
  MailboxFullError,
  UnknownMessageError,
} from "./errors.ts";
import { preview } from "./preview.ts";

/** Where the answer to one ask goes. */
export interface ReplyTo {
  /** Deliver the handler's result. */
  resolve(value: unknown): void;
  /**
   * Deliver a failure. `thrown` is the original error when it is at hand, so
   * that a local asker gets the very object the handler threw as `cause`.
   */
  fail(failure: AskFailure, thrown?: unknown): void;
}

/** Rebuild the typed error an asker sees from an {@link AskFailure}. */
export function failureToError(
  target: string,
  messageName: string,
  failure: AskFailure,
  thrown?: unknown,
): Error {
  switch (failure.type) {
    case "handler":
      return new HandlerError(
        target,
        messageName,
        thrown ?? errorFromInfo(failure.error),
      );
    case "dead":
      return new ActorDeadError(target, messageName, failure.reason);
    case "unknown-message":
      return new UnknownMessageError(target, messageName, failure.known);
    case "mailbox-full":
      return new MailboxFullError(target, messageName, failure.capacity);
    default:
      // Refused where envelopes come in (`envelopeProblem`); never undefined.
      return new TypeError(
        `ask "${messageName}" to ${target} failed in a way not understood: ${
          preview((failure as { type?: unknown }).type)
        }`,
      );
  }
}
