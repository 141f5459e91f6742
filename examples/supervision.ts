/**
 * Supervision: restart strategies, backoff, and a supervisor that gives up
 * once its restart intensity is exceeded.
 *
 * Run it with `deno run examples/supervision.ts`.
 *
 * @module
 */

import {
  ActorSystem,
  child,
  defineActor,
  defineSupervisor,
  type ExitReason,
} from "@troupe/troupe";
import { describeReason } from "../actors/errors.ts";
import { formatAddress } from "../actors/envelope.ts";

const Worker = defineActor({
  name: "worker",
  init: (id: string) => ({ id, jobs: 0 }),
  handlers: {
    job: (s) => ++s.jobs,
    crash: (s): never => {
      throw new Error(`${s.id} crashed`);
    },
  },
});

await using system = new ActorSystem();
let restarted = Promise.withResolvers<void>();
/** Resolves at the next `restarted` event. */
function nextRestart(): Promise<void> {
  return restarted.promise;
}
system.subscribe((e) => {
  if (e.type === "restarted") {
    restarted.resolve();
    restarted = Promise.withResolvers<void>();
    console.log(
      `  restarted ${
        formatAddress(e.address, system.host)
      } after ${e.delayMs} ms`,
    );
  }
});

// one_for_all: when one child crashes, all of them restart (fresh state).
console.log("one_for_all:");
const team = system.spawn(defineSupervisor({
  name: "team",
  strategy: "one_for_all",
  children: [
    child("a", Worker, "a", { name: "a" }),
    child("b", Worker, "b", { name: "b" }),
  ],
}));
// Spawning returns at once; children start in order, one after the other.
// The supervisor answers once it has started them all.
await team.ask("children");
const a = system.lookup("a", Worker)!;
const b = system.lookup("b", Worker)!;
await a.ask("job");
await b.ask("job");
a.tell("crash");
// Messages wait in the mailbox while an actor restarts; the restart keeps
// the ref but builds the state afresh from the child spec's argument.
console.log(
  `  a.jobs -> ${await a.ask("job")}, b.jobs -> ${await b.ask("job")}`,
);

// Backoff delays each restart; past `intensity` restarts within `periodMs`
// the supervisor stops its children and fails itself.
console.log("backoff and intensity:");
const strict = system.spawn(defineSupervisor({
  name: "strict",
  intensity: 2,
  periodMs: 10_000,
  backoff: { minMs: 10, maxMs: 100, jitter: 0 },
  children: [child("c", Worker, "c", { name: "c" })],
}));
const gaveUp = Promise.withResolvers<ExitReason>();
system.watch(strict, (t) => gaveUp.resolve(t.reason));
await strict.ask("children");
const c = system.lookup("c", Worker)!; // restarts keep the same ref
for (let i = 1; i <= 3; i++) {
  console.log(`  crash #${i}`);
  c.tell("crash");
  // Wait for the restart (the third crash gets none: the supervisor gives up).
  if (i < 3) await nextRestart();
}
console.log(`  supervisor terminated: ${describeReason(await gaveUp.promise)}`);
