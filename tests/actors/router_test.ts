import assert from "node:assert/strict";
import {
  ActorDeadError,
  type ActorRef,
  ActorSystem,
  child,
  createRouter,
  defineActor,
  defineSupervisor,
  HandlerError,
  NoRouteeError,
} from "@troupe/troupe";
import { defineRouter } from "../../actors/pool/router.ts";
import {
  randomRouting,
  weightedRoundRobin,
} from "../../actors/pool/routing.ts";
import { seeded, tick, until } from "../helpers.ts";

const Worker = defineActor({
  name: "routee",
  init: (id: number) => ({ id, seen: 0 }),
  handlers: {
    work: (s) => {
      s.seen++;
      return s.id;
    },
    slow: async (s, ms: number) => {
      await tick(ms);
      return s.id;
    },
    seen: (s) => s.seen,
    die: (_s, _p: undefined, ctx) => ctx.stop(),
  },
});

function spawnAll(system: ActorSystem, n: number) {
  return Array.from({ length: n }, (_, i) => system.spawn(Worker, i));
}

Deno.test("round robin takes each routee in turn", async () => {
  await using system = new ActorSystem();
  const router = createRouter(system, spawnAll(system, 3), {
    routing: "round-robin",
  });
  const ids = [];
  for (let i = 0; i < 7; i++) ids.push(await router.ask("work"));
  assert.deepEqual(ids, [0, 1, 2, 0, 1, 2, 0]);
  // The default is the same.
  const plain = createRouter(system, spawnAll(system, 3));
  const again = [];
  for (let i = 0; i < 4; i++) again.push(await plain.ask("work"));
  assert.deepEqual(again, [0, 1, 2, 0]);
});

Deno.test("weighted round robin sends 3:1 for weights 3:1 over 4,000 messages", async () => {
  await using system = new ActorSystem();
  const router = createRouter(system, spawnAll(system, 2), {
    routing: { weights: [3, 1] },
  });
  for (let i = 0; i < 4_000; i++) router.tell("work");
  assert.deepEqual(router.sent, [3_000, 1_000]);
  const seen = await Promise.all(router.routees.map((r) => r.ask("seen")));
  assert.deepEqual(seen, [3_000, 1_000]);
  // Smooth: never more than 3 in a row to the heavy routee.
  const picks = weightedRoundRobin();
  picks.added?.(0, 3);
  picks.added?.(1, 1);
  const seq = Array.from(
    { length: 8 },
    () => picks.pick(2, { inFlight: [0, 0], key: undefined }),
  );
  assert.deepEqual(seq, [0, 0, 1, 0, 0, 0, 1, 0]);
  assert.throws(() => picks.added?.(2, 0), /weight must be > 0/);
  assert.throws(
    () =>
      createRouter(system, spawnAll(system, 1), { routing: { weights: [0] } }),
    /weight must be > 0/,
  );
  // A routee added later comes with its weight.
  router.add(system.spawn(Worker, 2), 4);
  for (let i = 0; i < 800; i++) router.tell("work");
  assert.deepEqual(router.sent, [3_300, 1_100, 400]);
});

Deno.test("least connection prefers the idle routee", async () => {
  await using system = new ActorSystem();
  const [busy, idle] = spawnAll(system, 2);
  const router = createRouter(system, [busy, idle], {
    routing: "least-connection",
  });
  const long = router.ask("slow", 50); // goes to routee 0 (tie: the first)
  const picks = [];
  // One at a time, while routee 0 is still busy: each goes to routee 1.
  for (let i = 0; i < 3; i++) picks.push(await router.ask("work"));
  assert.deepEqual(
    picks,
    [1, 1, 1],
    "all to the routee with nothing in flight",
  );
  assert.equal(await long, 0);
  // Concurrent asks go to whichever has fewer in flight at each pick.
  const slow = [router.ask("slow", 30), router.ask("slow", 30)];
  assert.deepEqual((await Promise.all(slow)).sort(), [0, 1]);
});

Deno.test("random routing spreads evenly", async () => {
  await using system = new ActorSystem();
  // Each count is Binomial(4,000, 1/4): 1,000 +- 27, so the bounds are
  // more than 7 standard deviations away.
  const router = createRouter(system, spawnAll(system, 4), {
    routing: "random",
  });
  for (let i = 0; i < 4_000; i++) router.tell("work");
  for (const n of router.sent) {
    assert.ok(n > 800 && n < 1_200, `${router.sent}`);
  }
  // The logic itself, with a seeded source, replays.
  const logic = randomRouting(seeded(11));
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4_000; i++) {
    counts[logic.pick(4, { inFlight: [], key: undefined })]++;
  }
  for (const n of counts) assert.ok(n > 800 && n < 1_200, `${counts}`);
});

Deno.test("a routing function picks by what it is given, and a bad pick is refused", async () => {
  await using system = new ActorSystem();
  const seen: string[] = [];
  const router = createRouter(system, spawnAll(system, 3), {
    routing: ({ name, payload, inFlight }) => {
      seen.push(`${name}:${payload}:${inFlight.length}`);
      return (payload as number) % inFlight.length;
    },
  });
  assert.deepEqual(
    [await router.ask("slow", 4), await router.ask("slow", 2)],
    [1, 2],
  );
  assert.deepEqual(seen, ["slow:4:3", "slow:2:3"]);
  const bad = createRouter(system, spawnAll(system, 2), { routing: () => 2 });
  assert.throws(() => bad.tell("work"), /an integer in \[0, 2\), got 2/);
  assert.throws(
    () => createRouter(system, [], { routing: "fastest" as "random" }),
    /routing must be .*, got "fastest"/,
  );
});

Deno.test("consistent hash is sticky, and keeps >= 75% of keys when a fifth routee joins", async () => {
  await using system = new ActorSystem();
  const routees = spawnAll(system, 4);
  const Keyed = defineActor({
    init: (id: number) => ({ id }),
    handlers: { who: (s, _key: string) => s.id },
  });
  const keyed = createRouter(
    system,
    [0, 1, 2, 3].map((i) => system.spawn(Keyed, i)),
    { routing: { hash: (_n, p) => String(p) } },
  );
  const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
  const before = await Promise.all(keys.map((k) => keyed.ask("who", k)));
  assert.deepEqual(
    await Promise.all(keys.map((k) => keyed.ask("who", k))),
    before,
    "the same key goes to the same routee",
  );
  keyed.add(system.spawn(Keyed, 4));
  const after = await Promise.all(keys.map((k) => keyed.ask("who", k)));
  const kept = after.filter((id, i) => id === before[i]).length;
  assert.ok(kept / keys.length >= 0.75, `kept ${kept} of ${keys.length}`);
  assert.ok(after.includes(4), "the new routee owns some keys");
  // Every key that moved, moved to the newcomer.
  after.forEach((id, i) => assert.ok(id === before[i] || id === 4));
  // A hash that gives no string key is refused with a clear error.
  const unkeyed = createRouter(system, routees, {
    routing: { hash: () => undefined as unknown as string },
  });
  assert.throws(() => unkeyed.tell("work"), /string key, got undefined/);
});

Deno.test("broadcast reaches every routee; askAll gathers the replies", async () => {
  await using system = new ActorSystem();
  const router = createRouter(system, spawnAll(system, 3), {
    routing: "broadcast",
  });
  router.tell("work");
  assert.deepEqual(await router.askAll("seen"), [1, 1, 1]);
  await assert.rejects(router.ask("work"), /askAll/);
});

Deno.test("dead routees are dropped; with none left, a typed error", async () => {
  await using system = new ActorSystem();
  const routees = spawnAll(system, 2);
  const router = createRouter(system, routees);
  await system.stop(routees[0]);
  await until(() => router.routees.length === 1, "the drop");
  assert.deepEqual(
    await Promise.all([0, 1, 2].map(() => router.ask("work"))),
    [1, 1, 1],
  );
  await system.stop(routees[1]);
  await until(() => router.routees.length === 0, "the second drop");
  assert.throws(() => router.tell("work"), NoRouteeError);
  await assert.rejects(router.ask("work"), NoRouteeError);
});

Deno.test("an ask whose routee dies is retried on another, and says so", async () => {
  await using system = new ActorSystem();
  const routees = spawnAll(system, 2);
  const retries: string[] = [];
  const router = createRouter(system, routees, {
    retries: 1,
    onRetry: (name, ref: ActorRef, e) =>
      retries.push(`${name}@${ref.address.id}: ${e.name}`),
  });
  // Routee 0 is gone before it can answer: the ask goes to routee 1.
  routees[0].tell("die");
  assert.equal(await router.ask("work"), 1);
  assert.deepEqual(retries, [`work@${routees[0].address.id}: ActorDeadError`]);
  // Without retries the error names the dead routee.
  const plain = createRouter(system, spawnAll(system, 1));
  plain.routees[0].tell("die");
  const err = await plain.ask("work").catch((e) => e);
  assert.ok(err instanceof ActorDeadError || err instanceof NoRouteeError);
});

const Counter = defineActor({
  name: "counter",
  init: (id: number) => ({ id, n: 0 }),
  handlers: {
    hit: (s) => ++s.n,
    id: (s) => s.id,
    boom: () => {
      throw new RangeError("routee failed");
    },
  },
});

Deno.test("a router actor: named, typed, spreading work over its routees", async () => {
  await using system = new ActorSystem();
  const Counters = defineRouter({ of: Counter, args: [0, 1, 2] });
  const router = system.spawn(Counters, undefined, { name: "counters" });
  const ids: number[] = [];
  for (let i = 0; i < 6; i++) ids.push(await router.ask("id"));
  assert.deepEqual(ids, [0, 1, 2, 0, 1, 2]);
  assert.equal(
    system.lookup("counters", Counters)?.address.id,
    router.address.id,
  );
  // A routee's error reaches the asker as the routee's HandlerError.
  const err = await router.ask("boom").catch((e) => e);
  assert.ok(err instanceof HandlerError, String(err));
  assert.equal(err.original.message, "routee failed");
  if (false as boolean) {
    // @ts-expect-error: typed as a ref to one routee
    router.tell("nope");
  }
});

Deno.test("a router actor replaces a routee that dies; its routees stop with it", async () => {
  await using system = new ActorSystem();
  const router = system.spawn(defineRouter({ of: Counter, args: [0, 1] }));
  await router.ask("id");
  // A routee crashes (its handler throws): the router puts a fresh one in.
  await router.ask("boom").catch(() => {});
  await until(
    () => system.actors().filter((a) => a.behavior === "counter").length === 2,
    "a replacement",
  );
  const routees = system.actors().filter((a) => a.behavior === "counter");
  const notices: string[] = [];
  system.watch(router, (t) => notices.push(t.reason.type));
  await system.stop(router);
  await tick();
  assert.deepEqual(notices, ["normal"]);
  for (const r of routees) {
    assert.equal(
      system.actors().some((a) => a.address.id === r.address.id),
      false,
    );
  }
});

Deno.test("a router actor under a supervisor is restarted with fresh routees", async () => {
  await using system = new ActorSystem();
  const Counters = defineRouter({ of: Counter, args: [0, 1], name: "pair" });
  const sup = system.spawn(defineSupervisor({
    children: [child("pair", Counters, undefined)],
  }));
  const pair = (await sup.ask("child", "pair"))!;
  await pair.ask("hit");
  const before = system.actors().filter((a) => a.behavior === "counter")
    .map((a) => a.address.id);
  await system.stop(pair); // a normal exit: a permanent child comes back
  await until(() => system.stats(pair).restarts === 1, "the restart");
  const after = system.actors().filter((a) => a.behavior === "counter")
    .map((a) => a.address.id);
  assert.equal(after.length, 2);
  assert.ok(after.every((id) => !before.includes(id)), "new routees");
  assert.equal(await pair.ask("hit"), 1, "fresh state behind the same ref");
});

Deno.test("defineRouter checks its options", () => {
  // deno-lint-ignore no-explicit-any
  assert.throws(() => defineRouter({ of: {} as any, args: [1] }), /`of`/);
  assert.throws(() => defineRouter({ of: Counter, args: [] }), /at least one/);
});
