/**
 * Death watch: termination notices.
 *
 * A watcher hears exactly once that an actor is gone, with the reason: also
 * when the actor was already dead when watched, never after `unwatch`, and
 * never for a supervisor's restart (a restart is not a death).
 *
 * @module
 */

import type { Address } from "./envelope.ts";
import type { ExitReason } from "./errors.ts";

/**
 * The notice a watcher gets when an actor it watches is gone (internal: the
 * public signatures spell it out).
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import type { Termination } from "./watch.ts";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * const a = system.spawn(defineActor({ init: () => ({}), handlers: {} }));
 * const { promise, resolve } = Promise.withResolvers<Termination>();
 * system.watch(a, resolve);
 * await system.stop(a);
 * assert.equal((await promise).reason.type, "normal");
 * ```
 */
export interface Termination {
  /** The address of the actor that is gone. */
  readonly address: Address;
  /** Why it is gone. */
  readonly reason: ExitReason;
}

/**
 * A function that receives termination notices.
 *
 * @example
 * ```ts
 * import type { TerminationListener } from "./watch.ts";
 * const log: TerminationListener = (t) => console.log(t.address.id, t.reason.type);
 * ```
 */
export type TerminationListener = (notice: Termination) => void;

/** One registered watch; `active` turns false on unwatch or delivery. */
export interface WatchRecord {
  active: boolean;
  /** A plain function watcher (from `system.watch`). */
  listener?: TerminationListener;
  /** An actor watcher (from `ctx.watch`), told through its `onTerminated`. */
  watcher?: { notify(notice: Termination): void };
}

/** Deliver a termination notice once, asynchronously, unless unwatched. */
export function deliverNotice(record: WatchRecord, notice: Termination): void {
  if (!record.active) return;
  queueMicrotask(() => {
    if (!record.active) return;
    record.active = false;
    if (record.listener !== undefined) {
      try {
        record.listener(notice);
      } catch {
        // A throwing listener must not stop the other watchers.
      }
    } else record.watcher?.notify(notice);
  });
}
