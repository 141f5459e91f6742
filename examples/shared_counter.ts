/**
 * Worker actors on their own threads add to one counter in shared memory,
 * under a `SharedMutex` they got in a message: the `threading.Lock` counter
 * of `locked_counter.ts`, on real threads.
 *
 * The Python it mirrors:
 *
 * ```python
 * def add(times):
 *     global counter
 *     for _ in range(times):
 *         with lock:
 *             counter += 1
 *
 * threads = [threading.Thread(target=add, args=(100,)) for _ in range(3)]
 * ```
 *
 * Run it with `deno run --allow-read examples/shared_counter.ts`.
 *
 * @module
 */

import { ActorSystem, defineActor } from "@troupe/troupe";
import {
  type SharedHandle,
  SharedMutex,
  sharedStruct,
} from "@troupe/troupe/sync";

/** The counter's layout in shared memory. */
export const COUNTER = { n: "i32" } as const;

/**
 * Adds 1 to the shared counter `times` times, each time reading it, letting
 * other work run, then writing it back: safe only under the lock.
 */
export const Adder = defineActor({
  name: "adder",
  module: import.meta.url,
  init: () => ({}),
  handlers: {
    add: async (
      _s,
      job: { mutex: SharedHandle; counter: Int32Array; times: number },
    ) => {
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

if (import.meta.main) {
  await using system = new ActorSystem();
  const mutex = new SharedMutex();
  const counter = sharedStruct(COUNTER, { name: "counter" }).views.n;
  const adders = [0, 1, 2].map(() =>
    system.spawn(Adder, undefined, { placement: "worker" })
  );
  await Promise.all(
    adders.map((a) =>
      a.ask("add", { mutex: mutex.handle, counter, times: 100 })
    ),
  );
  console.log(`3 workers x 100 increments = ${counter[0]}`);
}
