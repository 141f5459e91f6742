/**
 * Typed actors: behaviours, the actor system, refs with `tell` and `ask`,
 * bounded mailboxes, death watch and OTP supervision.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe/actors";
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

export * from "./backoff.ts";
export { CrossingError } from "./codec.ts";
export * from "./behavior.ts";
export type { ActorContext } from "./context.ts";
export * from "./dead_letters.ts";
export { Deque } from "./deque.ts";
export * from "./envelope.ts";
export * from "./errors.ts";
export type { EventListener, SystemEvent } from "./events.ts";
export { HostError, WorkerOptionsError } from "./hosts.ts";
export type {
  ExecSpec,
  HostInfo,
  HostLink,
  HostPermissions,
  Placement,
} from "./hosts.ts";
export type { LinkSend } from "./link.ts";
export { DEFAULT_MAILBOX } from "./mailbox.ts";
export type { NameOptions } from "./names.ts";
export type { MailboxOptions, OverflowPolicy } from "./mailbox.ts";
export type { ActorRef, AnyRef, AskOptions } from "./ref.ts";
export * from "./pool.ts";
export * from "./router.ts";
export * from "./routing.ts";
export { type ServedHost, serveHost } from "./serve_host.ts";
export type { SpawnOptions } from "./spawn_options.ts";
export { TaskRunner } from "./task_runner.ts";
export type { ChunkResult, TaskRunnerHandlers } from "./task_runner.ts";
export { defineTasks, type Task } from "./tasks.ts";
export * from "./supervisor.ts";
export * from "./system.ts";
export { transfer } from "./transfer.ts";
export type { Termination, TerminationListener } from "./watch.ts";
