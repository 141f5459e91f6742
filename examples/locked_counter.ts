/**
 * A lock-protected counter, the troupe way: async tasks that await between
 * reading and writing a counter lose updates; a `Mutex` makes the total
 * exact, and so does an actor that owns the counter (it handles one message
 * at a time). For threads sharing memory under a `SharedMutex`, see
 * `shared_counter.ts`.
 *
 * The Python it mirrors:
 *
 * ```python
 * counter = 0
 * lock = threading.Lock()
 *
 * def increment():
 *     global counter
 *     for _ in range(1000):
 *         with lock:
 *             counter += 1
 *
 * threads = [threading.Thread(target=increment) for _ in range(4)]
 * for t in threads: t.start()
 * for t in threads: t.join()
 * print(counter)  # 4000
 * ```
 *
 * Run it with `deno run examples/locked_counter.ts`.
 *
 * @module
 */

import { ActorSystem, defineActor } from "@troupe/troupe";
import { Mutex } from "@troupe/troupe/sync";

const TASKS = 4;
const TIMES = 1_000;

/** `counter.n += 1`, with an await (I/O, a timer...) between read and write. */
async function addOne(counter: { n: number }): Promise<void> {
  const before = counter.n;
  await Promise.resolve(); // other tasks run here
  counter.n = before + 1;
}

/** Runs `TASKS` concurrent tasks, each calling `step` `TIMES` times. */
async function inTasks(step: () => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: TASKS }, async () => {
      for (let i = 0; i < TIMES; i++) await step();
    }),
  );
}

// No lock: every task reads the same value, then each writes it plus one.
const racy = { n: 0 };
await inTasks(() => addOne(racy));
console.log(`without a lock: ${racy.n} (${TASKS * TIMES - racy.n} lost)`);

// A Mutex: one task at a time between read and write.
const lock = new Mutex();
const locked = { n: 0 };
await inTasks(async () => {
  using _held = await lock.lock();
  await addOne(locked);
});
console.log(`with a Mutex: ${locked.n}`);

// An actor: its state is its own, and its messages are handled one by one.
const Counter = defineActor({
  name: "counter",
  init: () => ({ n: 0 }),
  handlers: {
    add: (s) => addOne(s),
    get: (s) => s.n,
  },
});
await using system = new ActorSystem();
const counter = system.spawn(Counter);
await inTasks(() => counter.ask("add"));
console.log(`with an actor: ${await counter.ask("get")}`);
