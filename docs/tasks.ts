/**
 * The module that the guides' snippets send to other threads, processes and
 * cluster nodes. A behaviour or a task that leaves its isolate is loaded
 * there by its module URL, so it lives in a real file, is exported and names
 * its module (`module: import.meta.url`, `defineTasks(import.meta.url, ...)`):
 * the snippets of README.md and docs/*.md import it as your program would
 * import its own `tasks.ts`.
 *
 * @example
 * ```ts
 * import { compute, delayed } from "@troupe/troupe";
 * import { tasks } from "./tasks.ts";
 * console.log(await compute(delayed(tasks.square)(7), { placement: "local" })); // 49
 * ```
 *
 * @module
 */

import { clusterClient } from "@troupe/troupe/cluster";
import { defineActor, defineTasks } from "@troupe/troupe";
import { type SharedHandle, SharedMutex } from "@troupe/troupe/sync";

/**
 * Plain functions that pools, graphs and clusters run anywhere.
 *
 * @example
 * ```ts
 * import { tasks } from "./tasks.ts";
 * console.log(tasks.square.name); // "square"
 * ```
 */
export const tasks = defineTasks(import.meta.url, {
  square: (x: number): number => x * x,
  add: (a: number, b: number): number => a + b,
  sum: (xs: number[]): number => xs.reduce((a, b) => a + b, 0),
  /** Where it ran: this process's id and whether on a Web Worker. */
  where: (): { pid: number; worker: boolean } => ({
    pid: Deno.pid,
    worker: "WorkerGlobalScope" in globalThis,
  }),
  /** Appends to a cluster queue under a cluster-wide lock (runs on a node). */
  record: async (row: number): Promise<number> => {
    const client = await clusterClient();
    using _held = await client.mutex("table").lock({ timeout: 10_000 });
    await client.queue<number>("rows").put(row);
    return row;
  },
});

/**
 * A behaviour that can run anywhere: exported, and naming its module.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { Squarer } from "./tasks.ts";
 * await using system = new ActorSystem();
 * console.log(await system.spawn(Squarer).ask("square", 3)); // 9
 * ```
 */
export const Squarer = defineActor({
  name: "squarer",
  module: import.meta.url,
  init: () => ({ served: 0 }),
  handlers: {
    square: (s, x: number): number => {
      s.served++;
      return x * x;
    },
    where: (): { pid: number; worker: boolean } => ({
      pid: Deno.pid,
      worker: "WorkerGlobalScope" in globalThis,
    }),
    crash: (): never => {
      throw new Error("bad input");
    },
    /**
     * Dials 127.0.0.1:9; says how it went: "NotCapable" on a host without
     * net permission, else the port's answer ("connected", or the error).
     */
    connect: async (): Promise<string> => {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: 9 });
        conn.close();
        return "connected";
      } catch (e) {
        return (e as Error).name;
      }
    },
  },
});

/**
 * Adds 1 to a shared counter `times` times under a `SharedMutex`, reading,
 * yielding, then writing: safe only under the lock.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { SharedMutex } from "@troupe/troupe/sync";
 * import { Adder } from "./tasks.ts";
 * await using system = new ActorSystem();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * const mutex = new SharedMutex();
 * await system.spawn(Adder).ask("add", { mutex: mutex.handle, counter, times: 3 });
 * console.log(counter[0]); // 3
 * ```
 */
export const Adder = defineActor({
  name: "adder",
  module: import.meta.url,
  init: () => ({}),
  handlers: {
    add: async (
      _s,
      job: { mutex: SharedHandle; counter: Int32Array; times: number },
    ): Promise<void> => {
      const mutex = SharedMutex.from(job.mutex);
      for (let i = 0; i < job.times; i++) {
        using _held = await mutex.lock({ timeout: 10_000 });
        const before = job.counter[0];
        await new Promise((r) => setTimeout(r, 0));
        job.counter[0] = before + 1;
      }
    },
  },
});
