/**
 * `multiprocessing.Pool.map` the troupe way: square numbers on worker
 * threads, then a CPU-heavy map and its speedup over one thread.
 *
 * The Python it mirrors:
 *
 * ```python
 * def square(x):
 *     return x * x
 *
 * with multiprocessing.Pool(2) as pool:
 *     print(pool.map(square, [1, 2, 3, 4, 5]))
 * ```
 *
 * Run it with `deno run --allow-read examples/pool_map.ts`.
 *
 * With `placement: "process"` and `modules: [import.meta.url]` (the task
 * modules the subprocesses may read), the pool runs subprocesses instead of
 * threads; run it then with `--allow-run` too.
 *
 * @module
 */

import { ActorSystem, createPool, defineTasks } from "@troupe/troupe";

/** Tasks live in a module and are exported, so a worker can import them. */
export const tasks = defineTasks(import.meta.url, {
  square: (x: number) => x * x,
  fib: (n: number): number => (n < 2 ? n : tasks.fib(n - 1) + tasks.fib(n - 2)),
});

if (import.meta.main) {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 2, placement: "worker" });

  const squares = await pool.map(tasks.square, [1, 2, 3, 4, 5]);
  console.log(`squares: ${squares.join(", ")}`);

  const n = Array.from({ length: 100_000 }, (_, i) => i);
  const sum = (await pool.map(tasks.square, n)).reduce((a, b) => a + b, 0);
  console.log(`sum of 100,000 squares: ${sum}`);

  let last = 0;
  const fibs = await pool.map(tasks.fib, new Array(16).fill(25), {
    onProgress: (done, total) => {
      if (done === total) last = done;
    },
  });
  console.log(`16 x fib(25) = ${fibs[0]} each, progress reached ${last}/16`);
  await pool.close();
}
