/**
 * `asyncio.gather` of countdowns, the troupe way: local actors are async
 * tasks on this event loop; asking them all and awaiting `Promise.all`
 * gathers their results, in the order asked.
 *
 * The Python it mirrors:
 *
 * ```python
 * async def countdown(name, n):
 *     while n > 0:
 *         print(f"{name}: {n}")
 *         await asyncio.sleep(0.1)
 *         n -= 1
 *     return f"{name} done"
 *
 * async def main():
 *     print(await asyncio.gather(countdown("A", 3), countdown("B", 3)))
 *
 * asyncio.run(main())
 * ```
 *
 * Run it with `deno run examples/gather_countdowns.ts`.
 *
 * @module
 */

import { ActorSystem, defineActor } from "@troupe/troupe";

const Countdown = defineActor({
  name: "countdown",
  init: (name: string) => ({ name }),
  handlers: {
    // While one countdown sleeps, the others run: one thread, many tasks.
    countdown: async (s, n: number) => {
      for (let i = n; i > 0; i--) {
        console.log(`${s.name}: ${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return `${s.name} done`;
    },
  },
});

await using system = new ActorSystem();
const [a, b] = ["A", "B"].map((name) => system.spawn(Countdown, name));
const results = await Promise.all([
  a.ask("countdown", 3),
  b.ask("countdown", 3),
]);
console.log(`gathered: ${results.join(", ")}`);
