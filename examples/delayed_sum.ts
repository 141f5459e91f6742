/**
 * `dask.delayed` the troupe way: build a lazy graph of squares and a tree of
 * sums, compute it on two worker threads, then run futures eagerly.
 *
 * The Python it mirrors:
 *
 * ```python
 * squares = [dask.delayed(square)(i) for i in range(1000)]
 * total = dask.delayed(sum)(squares)
 * print(total.compute())
 * ```
 *
 * Run it with `deno run --allow-read examples/delayed_sum.ts`.
 *
 * @module
 */

import { ActorSystem, defineTasks } from "@troupe/troupe";
import {
  asCompleted,
  createScheduler,
  type Delayed,
  delayed,
} from "@troupe/troupe";

/** Tasks live in a module and are exported, so a worker can import them. */
export const tasks = defineTasks(import.meta.url, {
  square: (x: number) => x * x,
  add: (a: number, b: number) => a + b,
  nap: (ms: number) =>
    new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)),
});

if (import.meta.main) {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "worker",
    workers: 2,
  });

  // Lazy: nothing runs until compute. Pairwise sums make a tree.
  let layer: Delayed<number>[] = [];
  for (let i = 0; i < 1_000; i++) layer.push(delayed(tasks.square)(i));
  while (layer.length > 1) {
    const next: Delayed<number>[] = [];
    for (let i = 0; i + 1 < layer.length; i += 2) {
      next.push(delayed(tasks.add)(layer[i], layer[i + 1]));
    }
    if (layer.length % 2 === 1) next.push(layer[layer.length - 1]);
    layer = next;
  }
  const [total] = await scheduler.compute(layer[0]);
  console.log(`sum of squares below 1,000: ${total} (1,999 tasks)`);

  // The same call gives the same key: shared work runs once.
  const a = delayed(tasks.square)(12);
  console.log(
    `same key for the same call: ${a.key === delayed(tasks.square)(12).key}`,
  );

  // Futures start at once (one task at a time per worker) and finish in
  // their own order.
  const naps = [50, 10].map((ms) => scheduler.submit(tasks.nap, ms));
  const order: number[] = [];
  for await (const f of asCompleted(naps)) order.push(await f.result());
  console.log(`naps finished in order: ${order.join(", ")}`);
}
