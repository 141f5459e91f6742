/**
 * What `troupe demo` runs on other hosts: an actor it places on a thread and
 * in a subprocess, and the tasks of its pool and its task graph. They live
 * in a module of their own, exported, so that a worker thread, a subprocess
 * or a cluster node imports them by this module's URL (in a compiled
 * `troupe` too: this module is compiled in).
 *
 * @module
 */

import { type Behavior, defineActor } from "../actors/behavior.ts";
import { defineTasks, type Task } from "../actors/pool/tasks.ts";

/**
 * An actor that can run anywhere: it squares numbers, says where it runs
 * (which process, which thread), and crashes on demand.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { Squarer } from "./demo_tasks.ts";
 *
 * await using system = new ActorSystem();
 * const sq = system.spawn(Squarer, undefined);
 * console.log(await sq.ask("square", 12)); // 144
 * ```
 */
export const Squarer: Behavior<void, { served: number }, {
  square: (s: { served: number }, x: number) => number;
  where: () => { pid: number; thread: "worker" | "main" };
  crash: () => never;
}> = defineActor({
  name: "squarer",
  module: import.meta.url,
  init: () => ({ served: 0 }),
  handlers: {
    square: (s, x: number) => {
      s.served++;
      return x * x;
    },
    where: (): { pid: number; thread: "worker" | "main" } => ({
      pid: Deno.pid,
      thread: "WorkerGlobalScope" in globalThis ? "worker" : "main",
    }),
    crash: (): never => {
      throw new Error("boom");
    },
  },
});

/**
 * The demo's tasks: a CPU-heavy `fib` for the pool, `square` and `add` for
 * the task graph.
 *
 * @example
 * ```ts
 * import { demoTasks } from "./demo_tasks.ts";
 * console.log(demoTasks.fib(10), demoTasks.add(2, demoTasks.square(3))); // 55 11
 * ```
 */
export const demoTasks: {
  readonly fib: Task<[number], number>;
  readonly square: Task<[number], number>;
  readonly add: Task<[number, number], number>;
} = defineTasks(import.meta.url, {
  fib: (n: number): number =>
    n < 2 ? n : demoTasks.fib(n - 1) + demoTasks.fib(n - 2),
  square: (x: number) => x * x,
  add: (a: number, b: number) => a + b,
});
