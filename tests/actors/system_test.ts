import assert from "node:assert/strict";
import {
  ActorDeadError,
  ActorSystem,
  defineActor,
  HandlerError,
  NameTakenError,
  SystemStoppedError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import type { Envelope } from "../../actors/envelope.ts";
import type { SystemEvent } from "../../actors/events.ts";
import { EnvelopeError } from "../../actors/errors.ts";
import { tick, until } from "../helpers.ts";

const Counter = defineActor({
  name: "counter",
  init: (start: number) => ({ n: start }),
  handlers: {
    add: (s, by: number) => {
      s.n += by;
    },
    get: (s) => s.n,
    fail: () => {
      throw new TypeError("nope");
    },
  },
});

Deno.test("names are unique among the living, and found by lookup", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 1, { name: "db" });
  assert.throws(() => system.spawn(Counter, 2, { name: "db" }), NameTakenError);
  const found = system.lookup("db", Counter);
  assert.equal(found?.address.id, c.address.id);
  assert.equal(await found?.ask("get"), 1);
  assert.equal(system.lookup("nobody"), undefined);
  const Other = defineActor({ name: "other", init: () => ({}), handlers: {} });
  assert.throws(() => system.lookup("db", Other), /runs behaviour "counter"/);
  await system.stop(c);
  assert.equal(system.lookup("db"), undefined, "a dead name is free");
  const again = system.spawn(Counter, 3, { name: "db" });
  assert.notEqual(again.address.id, c.address.id);
  assert.deepEqual(again.address, {
    host: system.host,
    id: again.address.id,
    name: "db",
  });
});

Deno.test("spawn checks its behaviour and defineActor its definition", async () => {
  await using system = new ActorSystem();
  // deno-lint-ignore no-explicit-any
  assert.throws(() => system.spawn({} as any), /expected a behaviour/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => defineActor({ handlers: {} } as any),
    /`init` must be a function/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => defineActor({ init: () => ({}), handlers: { x: 1 } as any }),
    /handler "x" is not a function/,
  );
});

Deno.test("shutdown stops children first, top-level actors in reverse spawn order", async () => {
  const order: string[] = [];
  const Node = defineActor({
    init: (name: string) => ({ name }),
    handlers: {
      spawnChild: (s, name: string, ctx) => {
        ctx.spawn(Node, `${s.name}/${name}`);
      },
    },
    onStop: (s) => {
      order.push(s.name);
    },
  });
  const system = new ActorSystem();
  const a = system.spawn(Node, "a");
  system.spawn(Node, "b");
  await a.ask("spawnChild", "x");
  await a.ask("spawnChild", "y");
  const report = await system.shutdown();
  assert.deepEqual(order, ["b", "a/y", "a/x", "a"]);
  assert.deepEqual(report, { stopped: 4, killed: 0, timedOut: false });
  assert.throws(() => system.spawn(Node, "late"), SystemStoppedError);
  assert.equal(await system.shutdown(), report, "idempotent");
});

Deno.test("shutdown kills what does not stop within its deadline", async () => {
  const system = new ActorSystem({ shutdownTimeout: 60_000 });
  const Stuck = defineActor({
    init: () => ({}),
    handlers: { hang: () => new Promise<void>(() => {}) },
    onStop: () => new Promise<void>(() => {}),
  });
  const s = system.spawn(Stuck);
  const fine = system.spawn(Counter, 0);
  const deaths: Termination[] = [];
  system.watch(s, (t) => deaths.push(t));
  const hung = s.ask("hang", undefined, { timeout: 60_000 }).catch((e) => e);
  await tick();
  const report = await system.shutdown({ timeout: 30 });
  assert.equal(report.timedOut, true);
  assert.equal(report.killed, 1);
  assert.equal(system.stats(fine).status, "dead");
  assert.ok((await hung) instanceof ActorDeadError);
  await tick();
  assert.deepEqual(deaths.map((d) => d.reason.type), ["killed"]);
});

Deno.test("shutdown rejects asks still waiting with a typed error", async () => {
  const system = new ActorSystem();
  const a = system.spawn(Counter, 0);
  const remote = system.refFor<typeof Counter>({ host: "elsewhere", id: 1 });
  system.link("elsewhere", () => {}); // a peer that never answers
  const waiting = remote.ask("get", undefined, { timeout: 60_000 });
  await system.shutdown();
  const err = await waiting.catch((e) => e);
  assert.ok(err instanceof ActorDeadError);
  assert.equal(err.reason.type, "host-down");
  await assert.rejects(a.ask("get"), ActorDeadError);
});

Deno.test("stats count received, processed, failed and restarts", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(defineActor({ ...Counter, onError: "resume" }), 0);
  c.tell("add", 1);
  c.tell("add", 1);
  await c.ask("fail").catch(() => {});
  assert.equal(await c.ask("get"), 2);
  const s = system.stats(c);
  assert.equal(s.received, 4);
  assert.equal(s.processed, 3);
  assert.equal(s.failed, 1);
  assert.equal(s.restarts, 0);
  assert.equal(s.status, "running");
  assert.equal(s.mailboxSize, 0);
  assert.ok(s.mailboxHighWater >= 3);
  assert.equal(system.actors().length, 1);
});

Deno.test("events: spawned, failed, stopped and dead-letter, in order", async () => {
  await using system = new ActorSystem();
  const events: SystemEvent[] = [];
  const off = system.subscribe((e) => events.push(e));
  const c = system.spawn(Counter, 0);
  await assert.rejects(c.ask("fail"), HandlerError);
  c.tell("add", 1);
  await tick();
  off();
  system.spawn(Counter, 0);
  assert.deepEqual(events.map((e) => e.type), [
    "spawned",
    "failed",
    "stopped",
    "dead-letter",
  ]);
  const stopped = events[2];
  assert.equal(stopped.type === "stopped" && stopped.reason.type, "failed");
});

Deno.test("envelopes are plain data: refs and asks work across a structuredClone link", async () => {
  await using a = new ActorSystem({ host: "a" });
  await using b = new ActorSystem({ host: "b" });
  const wire: Envelope[] = [];
  a.link("b", (env) => {
    wire.push(env);
    b.deliver(structuredClone(env));
  });
  b.link("a", (env) => {
    wire.push(env);
    a.deliver(structuredClone(env));
  });
  const counter = b.spawn(Counter, 10);
  // The address crosses as JSON, and becomes a working ref on the other side.
  const remote = a.refFor<typeof Counter>(JSON.parse(JSON.stringify(counter)));
  remote.tell("add", 5);
  assert.equal(await remote.ask("get"), 15);
  const err = await remote.ask("fail").catch((e) => e);
  assert.ok(err instanceof HandlerError);
  assert.equal(err.original.name, "TypeError");
  assert.equal(err.original.message, "nope");
  assert.match(err.original.stack ?? "", /system_test\.ts/);
  assert.deepEqual(wire.map((e) => e.kind), [
    "tell",
    "ask",
    "reply",
    "ask",
    "failure",
  ]);
  // An ask to an actor the other host does not have fails with not-found.
  const ghost = a.refFor<typeof Counter>({ host: "b", id: 999 });
  const gone = await ghost.ask("get").catch((e) => e);
  assert.ok(gone instanceof ActorDeadError);
  assert.equal(gone.reason.type, "not-found");
});

Deno.test("unlinking a host fails asks waiting on it with host-down", async () => {
  await using a = new ActorSystem({ host: "a" });
  const unlink = a.link("b", () => {});
  const remote = a.refFor<typeof Counter>({ host: "b", id: 1 });
  const waiting = remote.ask("get");
  unlink();
  const err = await waiting.catch((e) => e);
  assert.ok(err instanceof ActorDeadError);
  assert.deepEqual(err.reason, {
    type: "host-down",
    host: "b",
    detail: "unlinked",
  });
  // With no route at all: a dead letter, and the ask fails at once.
  await assert.rejects(remote.ask("get"), ActorDeadError);
  remote.tell("add", 1);
  assert.equal(a.deadLetters.byReason["no-route"], 2);
  assert.throws(() => a.link("a", () => {}), /to itself/);
});

Deno.test("malformed envelopes are refused with a typed error and deliver nothing", async () => {
  await using system = new ActorSystem({ host: "h" });
  const c = system.spawn(Counter, 0);
  const bad: unknown[] = [
    null,
    42,
    { kind: "shout", to: c.address },
    { kind: "tell", to: { host: "h" }, name: "add" },
    { kind: "tell", to: c.address, name: 5 },
    { kind: "ask", to: c.address, name: "get", from: c.address },
    { kind: "reply", to: c.address },
    // A failure or exit reason of no known shape (its reader switches on it).
    { kind: "failure", to: c.address, corr: 1, failure: { type: "bogus" } },
    { kind: "failure", to: c.address, corr: 1, failure: null },
    { kind: "failure", to: c.address, corr: 1, failure: { type: "handler" } },
    {
      kind: "failure",
      to: c.address,
      corr: 1,
      failure: { type: "dead", reason: { type: "gone fishing" } },
    },
    { kind: "down", to: c.address, corr: 1, reason: { type: "bogus" } },
    { kind: "down", to: c.address, corr: 1, reason: { type: "host-down" } },
  ];
  for (const b of bad) {
    assert.throws(() => system.deliver(b), EnvelopeError, JSON.stringify(b));
  }
  system.deliver({ kind: "tell", to: c.address, name: "add", payload: 2 });
  assert.equal(await c.ask("get"), 2);
  assert.equal(system.stats(c).received, 2, "nothing else arrived");
  // A late reply for an unknown correlation id is a dead letter.
  system.deliver({
    kind: "reply",
    to: { host: "h", id: 0 },
    corr: 77,
    payload: 1,
  });
  assert.equal(system.deadLetters.byReason["late-reply"], 1);
  // A stop envelope stops the actor.
  const deaths: Termination[] = [];
  system.watch(c, (t) => deaths.push(t));
  system.deliver({ kind: "stop", to: c.address });
  await until(() => deaths.length === 1, "stop via envelope");
});

Deno.test("await using shuts the system down at scope exit", async () => {
  let ref;
  {
    await using system = new ActorSystem();
    ref = system.spawn(Counter, 0);
    await ref.ask("get");
  }
  await assert.rejects(ref.ask("get"), ActorDeadError);
});
