/**
 * A thread that prints numbers, the troupe way: an actor placed on a worker
 * host (a real Web Worker thread), and an ask that waits for it to finish.
 *
 * The Python it mirrors:
 *
 * ```python
 * def print_numbers():
 *     for i in range(1, 6):
 *         print(i)
 *         time.sleep(0.1)
 *
 * t = threading.Thread(target=print_numbers)
 * t.start()
 * t.join()
 * ```
 *
 * Run it with `deno run --allow-read examples/thread_numbers.ts` (a worker
 * host reads the actor's module).
 *
 * @module
 */

import { ActorSystem, defineActor } from "@troupe/troupe";

/**
 * Exported, with its module's URL, so that a worker thread can import it.
 */
export const Printer = defineActor({
  name: "printer",
  module: import.meta.url,
  init: () => ({}),
  handlers: {
    printNumbers: async (_s, upTo: number) => {
      const thread = "WorkerGlobalScope" in globalThis ? "worker" : "main";
      for (let i = 1; i <= upTo; i++) {
        console.log(`${i} (${thread} thread)`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  },
});

if (import.meta.main) {
  // `await using` shuts the system (and its worker thread) down at the end.
  await using system = new ActorSystem();
  console.log("main: starting the thread");
  const printer = system.spawn(Printer, undefined, { placement: "worker" });
  // The ask resolves when the handler returns: this is the join.
  await printer.ask("printNumbers", 5);
  console.log("main: the thread is done");
}
