/**
 * actors/: the actor core of one isolate: behaviours, cells and their
 * mailboxes, the dispatcher, `ask`, death watch, OTP supervisors and the
 * `ActorSystem`. This module is the folder's face: the names the root entry
 * (`@troupe/troupe`) exports from it.
 *
 * May import: sync/ only (nothing of hosts/, pool/, cluster/, array/,
 * dataframe/, cli/; the hosts register themselves with the core).
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Counter = defineActor({
 *   init: (start: number) => ({ n: start }),
 *   handlers: {
 *     add: (s, by: number) => { s.n += by; },
 *     get: (s) => s.n,
 *   },
 * });
 * await using system = new ActorSystem();
 * const counter = system.spawn(Counter, 0);
 * counter.tell("add", 2);
 * assert.equal(await counter.ask("get"), 2);
 * ```
 *
 * @module
 */

export type { BackoffOptions } from "./backoff.ts";
export {
  type ActorContext,
  type ActorDefinition,
  type AnyBehavior,
  type ArgOf,
  type Behavior,
  defineActor,
  type Handler,
  type Handlers,
  type HandlersOf,
  type MessageArgs,
  type MessageName,
  type OnError,
  type PayloadArgs,
  type PayloadOf,
  type ReplyOf,
  type SpawnArgs,
} from "./behavior.ts";
export { type DeadLetter, type DeadLetterReason } from "./dead_letters.ts";
export {
  ActorDeadError,
  AskAbortedError,
  AskTimeoutError,
  type ErrorInfo,
  type ExitReason,
  HandlerError,
  MailboxFullError,
  NameTakenError,
  RestartIntensityError,
  SystemStoppedError,
  TroupeError,
  UnguardedMainError,
  UnknownMessageError,
} from "./errors.ts";
export type { EventListener, SystemEvent } from "./events.ts";
export type { MailboxOptions, OverflowPolicy } from "./mailbox.ts";
export type { ActorRef, AnyRef, AskOptions } from "./ref.ts";
export type { SpawnOptions } from "./spawn_options.ts";
export {
  child,
  type ChildInfo,
  defineSupervisor,
  type RestartType,
  type Strategy,
  type SupervisorBehavior,
  type SupervisorHandlers,
} from "./supervisor.ts";
export { ActorSystem, type ActorSystemOptions } from "./system.ts";
export type {
  ActorStats,
  ActorStatus,
  ShutdownReport,
} from "./system_types.ts";
export { transfer } from "./transfer.ts";
export type { Termination, TerminationListener } from "./watch.ts";
export type { Address } from "./envelope.ts";
export type { NameOptions } from "./names.ts";
