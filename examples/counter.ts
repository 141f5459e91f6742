/**
 * A typed counter: spawn, tell, ask, look up by name, stats.
 *
 * Run it with `deno run examples/counter.ts`.
 *
 * @module
 */

import { ActorSystem, defineActor } from "@troupe/troupe";

const Counter = defineActor({
  name: "counter",
  // The spawn argument's type comes from `init`.
  init: (start: number) => ({ n: start }),
  handlers: {
    // Payload types come from the second parameter...
    add: (s, by: number) => {
      s.n += by;
    },
    reset: (s) => {
      s.n = 0;
    },
    // ...and reply types from the return value.
    get: (s) => s.n,
    // Handlers may be async; the next message waits for them.
    addSlowly: async (s, by: number) => {
      await new Promise((r) => setTimeout(r, 10));
      s.n += by;
      return s.n;
    },
  },
});

// `await using` shuts the system down at the end of the scope.
await using system = new ActorSystem();

const counter = system.spawn(Counter, 10, { name: "hits" });
for (let i = 0; i < 5; i++) counter.tell("add", 1);
console.log(`after 5 tells: ${await counter.ask("get")}`);

const n: number = await counter.ask("addSlowly", 100);
console.log(`after an async handler: ${n}`);

// Anyone can find a named actor; the behaviour types the ref again.
const found = system.lookup("hits", Counter)!;
found.tell("reset");
console.log(`after reset through lookup: ${await found.ask("get")}`);

const s = system.stats(counter);
console.log(
  `stats: received=${s.received} processed=${s.processed} status=${s.status}`,
);
