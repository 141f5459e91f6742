/**
 * What a handler can do besides changing its state: know itself, spawn
 * children, watch other actors, stop.
 *
 * @module
 */

import type { Behavior } from "./behavior.ts";
import type { ActorRef } from "./ref.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import type { ActorSystem } from "./system.ts";

/**
 * The context handed to every handler and lifecycle hook.
 *
 * @example Stop after the first message
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Once = defineActor({
 *   init: () => ({}),
 *   handlers: { hello: (_s, _p: undefined, ctx) => { ctx.stop(); return "bye"; } },
 * });
 * await using system = new ActorSystem();
 * const a = system.spawn(Once);
 * assert.equal(await a.ask("hello"), "bye");
 * ```
 */
export interface ActorContext {
  /**
   * A reference to this actor: the same actor as the ref that `spawn` gave,
   * wherever it runs. On a worker, process or node host it has the address
   * of the actor's proxy in the system that spawned it, so that it outlives
   * restarts (in place, or on a fresh host): whoever holds it reaches the
   * actor running now, and a watcher hears of no restart. A message it
   * sends itself through it goes straight to its own mailbox.
   */
  readonly self: ActorRef;
  /** The system the actor runs in. */
  readonly system: ActorSystem;
  /**
   * Aborted when the actor starts to stop or restart, so that long async
   * work can end early. A fresh signal follows each restart.
   */
  readonly signal: AbortSignal;
  /** How many times a supervisor has restarted this actor. */
  readonly restarts: number;
  /**
   * Spawn a child: it stops before this actor does, and stops with it.
   * A failing child dies (watch it to hear of it); use a supervisor to
   * restart children.
   */
  spawn<B extends Behavior>(
    behavior: B,
    arg: Parameters<B["init"]>[0],
    options?: SpawnOptions,
  ): ActorRef<B>;
  /**
   * Stop this actor after the current message. Under a supervisor this is a
   * normal exit: a `permanent` child is restarted, others are not.
   */
  stop(): void;
  /**
   * Get an `onTerminated` notice when `ref` dies (once per death). `ref` may
   * be of another host (`ctx.system.refFor(address)`): the loss of that host,
   * or of the link to it, is a death with reason `host-down`.
   */
  watch(ref: ActorRef): void;
  /** Stop watching `ref`; no notice comes after this call. */
  unwatch(ref: ActorRef): void;
}
