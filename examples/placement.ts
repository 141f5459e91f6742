/**
 * The same actor on this event loop, on a Web Worker host (a thread) and on
 * a subprocess host (its own heap and permissions): one behaviour, one API.
 *
 * Run it with `deno run --allow-read --allow-run examples/placement.ts`.
 *
 * @module
 */

import {
  ActorSystem,
  child,
  defineActor,
  defineSupervisor,
  type HandlerError,
  type Placement,
} from "@troupe/troupe";

/**
 * A behaviour that can run anywhere: it is exported and names its module,
 * so a host can import it by URL.
 */
export const Squarer = defineActor({
  name: "squarer",
  module: import.meta.url,
  init: () => ({ served: 0 }),
  handlers: {
    square: (s, x: number) => {
      s.served++;
      return x * x;
    },
    where: () => ({
      pid: Deno.pid,
      thread: "WorkerGlobalScope" in globalThis ? "worker" : "main",
    }),
    crash: () => {
      throw new Error("bad input");
    },
    fetchSomething: async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: 9 });
      conn.close();
    },
  },
});

if (import.meta.main) {
  await using system = new ActorSystem();
  for (const placement of ["local", "worker", "process"] as Placement[]) {
    const ref = system.spawn(Squarer, undefined, { placement });
    const where = await ref.ask("where");
    console.log(
      `${placement}: square(12) = ${await ref.ask("square", 12)} ` +
        `(pid ${
          where.pid === Deno.pid ? "same" : "other"
        }, ${where.thread} thread)`,
    );
  }

  // A process host has no permissions beyond reading its modules.
  const sandboxed = system.spawn(Squarer, undefined, { placement: "process" });
  const denied = await sandboxed.ask("fetchSomething").catch((e) => e);
  console.log(`process without net: ${(denied as HandlerError).original.name}`);

  // Supervision works across the boundary: the child restarts in place.
  const sup = system.spawn(defineSupervisor({
    children: [child("sq", Squarer, undefined, { placement: "process" })],
  }));
  const sq = (await sup.ask("child", "sq"))!;
  await sq.ask("square", 3);
  await sq.ask("crash").catch((e) =>
    console.log(`crash: ${(e as Error).message}`)
  );
  await system.whenStarted(sq);
  console.log(`after restart: square(4) = ${await sq.ask("square", 4)}`);
  console.log(`hosts: ${system.hosts().map((h) => h.kind).sort().join(", ")}`);
}
