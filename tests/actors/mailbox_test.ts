import assert from "node:assert/strict";
import {
  ActorDeadError,
  ActorSystem,
  defineActor,
  MailboxFullError,
} from "@troupe/troupe";
import type { DeadLetter } from "../../actors/dead_letters.ts";
import { DEFAULT_MAILBOX } from "../../actors/mailbox.ts";
import { tick } from "../helpers.ts";

/** An actor that records what it handled, and can be held shut by a gate. */
const Recorder = defineActor({
  name: "recorder",
  init: () => ({
    seen: [] as number[],
    gate: undefined as Promise<void> | undefined,
  }),
  handlers: {
    block: (s, gate: Promise<void>) => {
      s.gate = gate;
      return gate;
    },
    put: (s, n: number) => {
      s.seen.push(n);
    },
    ask: (s, n: number) => {
      s.seen.push(n);
      return n;
    },
    seen: (s) => [...s.seen],
  },
});

/** Spawn a recorder with capacity 3 whose first message blocks it. */
async function blocked(
  system: ActorSystem,
  overflow: "drop-newest" | "drop-oldest" | "reject" | "backpressure",
) {
  const letters: DeadLetter[] = [];
  system.deadLetters.subscribe((d) => letters.push(d));
  const gate = Promise.withResolvers<void>();
  const ref = system.spawn(Recorder, undefined, {
    mailbox: { capacity: 3, overflow },
  });
  ref.tell("block", gate.promise);
  await tick(); // the block message is now in flight; the mailbox is empty
  return { ref, letters, open: () => gate.resolve() };
}

Deno.test("drop-newest loses exactly the overflow, counted", async () => {
  await using system = new ActorSystem();
  const { ref, letters, open } = await blocked(system, "drop-newest");
  for (let i = 1; i <= 5; i++) ref.tell("put", i);
  const overflowAsk = ref.ask("ask", 6).catch((e) => e);
  assert.ok((await overflowAsk) instanceof MailboxFullError);
  open();
  await tick(); // drain before asking, or the ask itself would overflow
  assert.deepEqual(await ref.ask("seen"), [1, 2, 3]);
  assert.deepEqual(letters.map((d) => [d.name, d.payload, d.reason]), [
    ["put", 4, "mailbox-full"],
    ["put", 5, "mailbox-full"],
    ["ask", 6, "mailbox-full"],
  ]);
  assert.equal(system.deadLetters.count, 3);
  assert.equal(system.stats(ref).mailboxHighWater, 3);
});

Deno.test("drop-oldest keeps the newest, the oldest go to dead letters", async () => {
  await using system = new ActorSystem();
  const { ref, letters, open } = await blocked(system, "drop-oldest");
  const first = ref.ask("ask", 1).catch((e) => e); // will be evicted
  for (let i = 2; i <= 6; i++) ref.tell("put", i);
  const evicted = await first;
  assert.ok(evicted instanceof MailboxFullError, "an evicted ask is told");
  open();
  await tick(); // drain before asking, or the ask itself would overflow
  assert.deepEqual(await ref.ask("seen"), [4, 5, 6]);
  assert.deepEqual(letters.map((d) => [d.payload, d.reason]), [
    [1, "dropped-oldest"],
    [2, "dropped-oldest"],
    [3, "dropped-oldest"],
  ]);
  assert.equal(system.deadLetters.byReason["dropped-oldest"], 3);
});

Deno.test("reject makes tell throw a typed error, and counts it", async () => {
  await using system = new ActorSystem();
  const { ref, letters, open } = await blocked(system, "reject");
  for (let i = 1; i <= 3; i++) ref.tell("put", i);
  const err = (() => {
    try {
      ref.tell("put", 4);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof MailboxFullError);
  assert.equal(err.capacity, 3);
  assert.equal(err.messageName, "put");
  assert.match(err.message, /recorder#1 is full \(3\)/);
  await assert.rejects(ref.ask("ask", 5), MailboxFullError);
  open();
  await tick(); // drain before asking, or the ask itself would overflow
  assert.deepEqual(await ref.ask("seen"), [1, 2, 3]);
  assert.deepEqual(letters.map((d) => d.payload), [4, 5]);
});

Deno.test("backpressure: send waits for room and loses nothing", async () => {
  await using system = new ActorSystem();
  const { ref, letters, open } = await blocked(system, "backpressure");
  const sends: Promise<void>[] = [];
  const admitted: number[] = [];
  for (let i = 1; i <= 6; i++) {
    sends.push(
      ref.send("put", i).then(() => {
        admitted.push(i);
      }),
    );
  }
  await tick();
  assert.deepEqual(admitted, [1, 2, 3], "3 fit, 3 wait");
  // A plain tell cannot wait: it is refused loudly.
  assert.throws(() => ref.tell("put", 99), MailboxFullError);
  // An ask waits like a send (it has its own deadline).
  const asked = ref.ask("ask", 7);
  open();
  await Promise.all(sends);
  assert.equal(await asked, 7);
  assert.deepEqual(await ref.ask("seen"), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(admitted, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(letters.map((d) => d.payload), [99]);
});

Deno.test("backpressure: senders still waiting when the actor stops are refused", async () => {
  await using system = new ActorSystem();
  const { ref, open } = await blocked(system, "backpressure");
  for (let i = 1; i <= 3; i++) await ref.send("put", i);
  const waiting = ref.send("put", 4);
  const stopped = system.stop(ref, { timeout: 50 });
  open();
  await stopped;
  await assert.rejects(waiting, ActorDeadError);
  assert.equal(system.deadLetters.byReason["stopped"], 4);
});

Deno.test("mailboxes are bounded by default, and options are checked", async () => {
  await using system = new ActorSystem();
  const ref = system.spawn(Recorder);
  assert.equal(system.stats(ref).mailboxCapacity, DEFAULT_MAILBOX.capacity);
  assert.equal(DEFAULT_MAILBOX.overflow, "reject");
  assert.throws(
    () => system.spawn(Recorder, undefined, { mailbox: { capacity: 0 } }),
    /capacity must be a positive integer/,
  );
  assert.throws(
    () =>
      system.spawn(Recorder, undefined, {
        // deno-lint-ignore no-explicit-any
        mailbox: { overflow: "lose-it" as any },
      }),
    /overflow must be one of/,
  );
  assert.throws(() => new ActorSystem({ mailbox: { capacity: -1 } }));
});

Deno.test("a behaviour's mailbox applies unless spawn overrides it", async () => {
  await using system = new ActorSystem({ mailbox: { capacity: 10 } });
  const Small = defineActor({
    init: () => ({}),
    handlers: {},
    mailbox: { capacity: 5, overflow: "drop-newest" },
  });
  assert.equal(system.stats(system.spawn(Small)).mailboxCapacity, 5);
  assert.equal(
    system.stats(system.spawn(Small, undefined, { mailbox: { capacity: 2 } }))
      .mailboxCapacity,
    2,
  );
  assert.equal(system.stats(system.spawn(Recorder)).mailboxCapacity, 10);
});

Deno.test("messages queued when an actor stops become dead letters; asks reject", async () => {
  await using system = new ActorSystem();
  const { ref, letters, open } = await blocked(system, "reject");
  ref.tell("put", 1);
  const asked = ref.ask("ask", 2);
  const stopping = system.stop(ref, { timeout: 1000 });
  open();
  await stopping;
  const err = await asked.catch((e) => e);
  assert.ok(err instanceof ActorDeadError);
  assert.deepEqual(
    letters.map((d) => [d.name, d.payload, d.reason]),
    [["put", 1, "stopped"], ["ask", 2, "stopped"]],
  );
});
