/**
 * A pool as an actor (`definePool`): a supervisor can start and restart it
 * like any child.
 *
 * @module
 */

import { type Behavior, defineActor, type Handlers } from "../behavior.ts";
import type { ActorContext } from "../behavior.ts";
import { failReply, setForward } from "../forward.ts";
import type { MapOptions, PoolOptions } from "./options.ts";
import { Pool } from "./pool.ts";
import type { Task } from "./tasks.ts";

/**
 * The messages a pool actor handles: the pool's methods, with their
 * arguments as a list.
 *
 * @example
 * ```ts
 * import type { PoolHandlers } from "./define_pool.ts";
 * type Names = keyof PoolHandlers; // "map" | "starmap" | "submit"
 * ```
 */
export interface PoolHandlers extends Handlers<unknown> {
  /** `pool.map(task, items, options)`. */
  map: (
    state: unknown,
    msg: [Task<[never]>, unknown[], MapOptions?],
  ) => Promise<unknown[]>;
  /** `pool.starmap(task, items, options)`. */
  starmap: (
    state: unknown,
    msg: [Task, unknown[][], MapOptions?],
  ) => Promise<unknown[]>;
  /** `pool.submit(task, ...args)`. */
  submit: (state: unknown, msg: [Task, ...unknown[]]) => Promise<unknown>;
}

/**
 * A pool that is an actor: it has an address (named, watched, supervised),
 * its runners stop with it, and a supervisor's restart gives it fresh ones.
 * Messages are not queued behind each other: every `map` or `submit` goes
 * to the pool at once, as calls on a `Pool` do.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineTasks } from "@troupe/troupe";
 * import { definePool } from "./define_pool.ts";
 * import assert from "node:assert/strict";
 *
 * export const tasks = defineTasks(import.meta.url, { square: (x: number) => x * x });
 * await using system = new ActorSystem();
 * const pool = system.spawn(definePool({ size: 2, placement: "local" }), undefined, { name: "squares" });
 * assert.deepEqual(await pool.ask("map", [tasks.square, [1, 2, 3]]), [1, 4, 9]);
 * ```
 */
export function definePool(
  options: PoolOptions & { name?: string } = {},
): Behavior<void, unknown, PoolHandlers> {
  const call = (pool: Pool, name: string, msg: unknown[]): Promise<unknown> => {
    // Messages carry untyped arguments: the task checks them where it runs.
    const [task, ...rest] = msg as [Task<unknown[]>, ...unknown[]];
    switch (name) {
      case "map":
        return pool.map(
          task as Task<[unknown]>,
          rest[0] as unknown[],
          rest[1] as MapOptions,
        );
      case "starmap":
        return pool.starmap(
          task,
          rest[0] as unknown[][],
          rest[1] as MapOptions,
        );
      default:
        return pool.submit(task, ...rest);
    }
  };
  const behavior = defineActor<void, unknown, PoolHandlers>({
    name: options.name ?? "pool",
    init: (_: void, ctx: ActorContext) => ({
      pool: new Pool(ctx.system, options),
    }),
    handlers: {
      map: (s, msg) =>
        call((s as { pool: Pool }).pool, "map", msg) as Promise<unknown[]>,
      starmap: (s, msg) =>
        call((s as { pool: Pool }).pool, "starmap", msg) as Promise<unknown[]>,
      submit: (s, msg) => call((s as { pool: Pool }).pool, "submit", msg),
    },
    // An actor's stop is now, not after the work it was given.
    onStop: (s) => (s as { pool: Pool }).pool.terminate(),
    onRestart: (s) => (s as { pool: Pool }).pool.terminate(),
  });
  // Passed on at once, not one at a time: a long map must not hold up submits.
  setForward(behavior, (state, name, payload, reply) => {
    const pool = (state as { pool: Pool }).pool;
    if (name !== "map" && name !== "starmap" && name !== "submit") {
      reply?.fail({
        type: "unknown-message",
        known: ["map", "starmap", "submit"],
      });
      return;
    }
    let done: Promise<unknown>;
    try {
      if (!Array.isArray(payload)) {
        throw new TypeError(
          `a pool's "${name}" takes its arguments as a list: [task, ...]`,
        );
      }
      done = call(pool, name, payload);
    } catch (e) {
      done = Promise.reject(e); // bad arguments: the asker hears why
    }
    if (reply === undefined) done.catch(() => {});
    else done.then((v) => reply.resolve(v), (e) => failReply(reply, e));
  });
  return behavior;
}
