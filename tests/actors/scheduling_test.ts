import assert from "node:assert/strict";
import { ActorSystem, defineActor } from "@troupe/troupe";
import { seeded, tick } from "../helpers.ts";

const Probe = defineActor({
  name: "probe",
  init: () => ({ active: 0, maxActive: 0, log: [] as string[] }),
  handlers: {
    work: async (s, tag: string) => {
      s.active++;
      s.maxActive = Math.max(s.maxActive, s.active);
      s.log.push(`start ${tag}`);
      await tick();
      s.log.push(`end ${tag}`);
      s.active--;
    },
    note: (s, tag: string) => {
      s.log.push(tag);
    },
    report: (s) => ({ maxActive: s.maxActive, log: [...s.log] }),
  },
});

Deno.test("one message at a time: an async handler holds the actor", async () => {
  await using system = new ActorSystem();
  const p = system.spawn(Probe);
  p.tell("work", "a");
  p.tell("note", "b");
  p.tell("work", "c");
  const { maxActive, log } = await p.ask("report");
  assert.equal(maxActive, 1);
  assert.deepEqual(log, ["start a", "end a", "b", "start c", "end c"]);
});

Deno.test("messages from each sender arrive in order, under random interleaving", async () => {
  await using system = new ActorSystem();
  const Sink = defineActor({
    init: () => ({ got: new Map<number, number[]>() }),
    handlers: {
      put: (s, m: { from: number; seq: number }) => {
        const list = s.got.get(m.from) ?? [];
        list.push(m.seq);
        s.got.set(m.from, list);
      },
      got: (s) => s.got,
    },
  });
  const sink = system.spawn(Sink);
  const rand = seeded(7);
  const senders = 5;
  const seqs = new Array(senders).fill(0);
  // Senders are actors too: each forwards its own numbered messages.
  const Sender = defineActor({
    init: (id: number) => ({ id }),
    handlers: { go: (s, seq: number) => sink.tell("put", { from: s.id, seq }) },
  });
  const refs = Array.from(
    { length: senders },
    (_, i) => system.spawn(Sender, i),
  );
  for (let i = 0; i < 5_000; i++) {
    const k = Math.floor(rand() * senders);
    refs[k].tell("go", seqs[k]++);
    if (rand() < 0.01) await tick();
  }
  await tick();
  const got = await sink.ask("got");
  for (let k = 0; k < senders; k++) {
    assert.deepEqual(got.get(k), Array.from({ length: seqs[k] }, (_, i) => i));
  }
});

Deno.test("a hot actor yields: a timer fires while it drains a million messages", async () => {
  await using system = new ActorSystem();
  const N = 1_000_000;
  const Adder = defineActor({
    init: () => ({ sum: 0, count: 0 }),
    handlers: {
      add: (s, n: number) => {
        s.sum += n;
        s.count++;
      },
      sum: (s) => s.sum,
      count: (s) => s.count,
    },
  });
  const a = system.spawn(Adder, undefined, { mailbox: { capacity: N + 1 } });
  let seenByTimer = -1;
  setTimeout(() => {
    seenByTimer = system.stats(a).processed;
  }, 1);
  for (let i = 0; i < N; i++) a.tell("add", 1);
  assert.equal(await a.ask("sum", undefined, { timeout: 60_000 }), N);
  assert.ok(seenByTimer >= 0, "the timer fired");
  assert.ok(
    seenByTimer < N,
    `the timer ran before the drain ended (saw ${seenByTimer} of ${N})`,
  );
});

Deno.test("actors share the loop fairly: a busy actor does not starve another", async () => {
  await using system = new ActorSystem({ throughput: 10 });
  const order: string[] = [];
  const Tagger = defineActor({
    init: (tag: string) => ({ tag }),
    handlers: {
      hit: (s) => {
        order.push(s.tag);
      },
    },
  });
  const a = system.spawn(Tagger, "a");
  const b = system.spawn(Tagger, "b");
  for (let i = 0; i < 100; i++) a.tell("hit");
  for (let i = 0; i < 10; i++) b.tell("hit");
  await tick();
  // With 10 messages per turn, b's 10 messages come right after a's first
  // turn, not after all of a's 100.
  assert.deepEqual(order.slice(0, 20), [
    ...new Array(10).fill("a"),
    ...new Array(10).fill("b"),
  ]);
  assert.equal(order.length, 110);
});

Deno.test("a behaviour's own throughput: after a long turn the event loop runs", async () => {
  const order: string[] = [];
  const spin = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* a long, synchronous handler */ }
  };
  const handlers = {
    long: (_s: unknown, tag: string) => {
      order.push(`start ${tag}`);
      spin(5);
    },
  };
  const Yielding = defineActor({ init: () => ({}), handlers, throughput: 1 });
  const Greedy = defineActor({ init: () => ({}), handlers });
  await using system = new ActorSystem();
  for (
    const [name, b] of [["yielding", Yielding], ["greedy", Greedy]] as const
  ) {
    order.length = 0;
    const a = system.spawn(b);
    await system.whenStarted(a);
    a.tell("long", "1");
    a.tell("long", "2");
    setTimeout(() => order.push("timer"), 0);
    await a.ask("long", "3");
    await new Promise((r) => setTimeout(r, 5));
    if (name === "yielding") {
      // The timer ran between two long messages, not after all of them.
      assert.ok(
        order.indexOf("timer") < order.indexOf("start 3"),
        order.join(),
      );
    } else {
      assert.deepEqual(order, ["start 1", "start 2", "start 3", "timer"]);
    }
  }
  assert.throws(
    () => defineActor({ init: () => ({}), handlers: {}, throughput: 0 }),
    /throughput must be an integer >= 1/,
  );
});
