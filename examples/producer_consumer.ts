/**
 * A producer and consumers around a bounded queue, the troupe way: `put`
 * waits while the queue is full, and `close()` ends the consumers' loops
 * once the queue is drained (no sentinel item needed).
 *
 * The Python it mirrors:
 *
 * ```python
 * q = queue.Queue(maxsize=3)
 *
 * def producer():
 *     for item in range(1, 11):
 *         q.put(item)
 *     for _ in consumers:
 *         q.put(None)  # one sentinel per consumer
 *
 * def consumer(name):
 *     while (item := q.get()) is not None:
 *         print(f"{name} got {item}")
 * ```
 *
 * Run it with `deno run examples/producer_consumer.ts`.
 *
 * @module
 */

import { Queue } from "@troupe/troupe/sync";

const q = new Queue<number>({ maxSize: 3 });
let fullest = 0;

async function producer(): Promise<void> {
  for (let item = 1; item <= 10; item++) {
    await q.put(item); // waits for room while 3 items wait
    fullest = Math.max(fullest, q.size);
  }
  q.close(); // consumers finish what is queued, then their loops end
}

async function consumer(name: string): Promise<number[]> {
  const got: number[] = [];
  for await (const item of q) {
    got.push(item);
    await new Promise((r) => setTimeout(r, 1)); // some work per item
  }
  console.log(`${name} got ${got.join(", ")}`);
  return got;
}

const [, ...consumed] = await Promise.all([
  producer(),
  consumer("consumer 1"),
  consumer("consumer 2"),
]);
const all = consumed.flat();
console.log(
  `consumed ${all.length} items, sum ${all.reduce((a, b) => a + b, 0)}; ` +
    `the queue never held more than ${fullest}`,
);
