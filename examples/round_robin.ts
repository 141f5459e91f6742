/**
 * A round-robin load balancer, the troupe way: a router in front of three
 * server actors sends each request to the next one in turn.
 *
 * The Python it mirrors:
 *
 * ```python
 * servers = itertools.cycle(["server-1", "server-2", "server-3"])
 *
 * for request in range(1, 7):
 *     print(f"request {request} -> {next(servers)}")
 * ```
 *
 * Run it with `deno run examples/round_robin.ts`.
 *
 * @module
 */

import { ActorSystem, createRouter, defineActor } from "@troupe/troupe";

const Server = defineActor({
  name: "server",
  init: (name: string) => ({ name }),
  handlers: {
    handle: async (s, request: number) => {
      await new Promise((r) => setTimeout(r, 10)); // the work
      return `request ${request} -> ${s.name}`;
    },
  },
});

await using system = new ActorSystem();
const servers = ["server-1", "server-2", "server-3"].map((name) =>
  system.spawn(Server, name)
);
const balancer = createRouter(system, servers, { routing: "round-robin" });

// Six requests at once: each server handles two, concurrently with the others.
const replies = await Promise.all(
  [1, 2, 3, 4, 5, 6].map((request) => balancer.ask("handle", request)),
);
for (const reply of replies) console.log(reply);
console.log(`requests per server: ${balancer.sent.join(", ")}`);
