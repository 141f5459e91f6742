import assert from "node:assert/strict";
import {
  ActorDeadError,
  type ActorRef,
  ActorSystem,
  AskAbortedError,
  AskTimeoutError,
  defineActor,
  HandlerError,
  UnknownMessageError,
} from "@troupe/troupe";
import type { DeadLetter } from "../../actors/dead_letters.ts";
import { tick, until } from "../helpers.ts";

class ParseError extends Error {
  override name = "ParseError";
}

const Service = defineActor({
  name: "service",
  init: (start: number) => ({
    n: start,
    gate: undefined as Promise<void> | undefined,
  }),
  handlers: {
    add: (s, by: number) => {
      s.n += by;
    },
    get: (s) => s.n,
    echo: (_s, x: { text: string }) => x,
    fail: (_s, msg: string) => {
      throw new ParseError(msg);
    },
    failAsync: async (_s, msg: string) => {
      await tick();
      throw new ParseError(msg);
    },
    wait: async (s, ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return s.n;
    },
    hold: (s, gate: Promise<void>) => gate.then(() => s.n),
  },
  onError: "resume",
});

Deno.test("ask resolves with the handler's result, typed", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 40);
  a.tell("add", 2);
  const n: number = await a.ask("get");
  assert.equal(n, 42);
  assert.deepEqual(await a.ask("echo", { text: "hi" }), { text: "hi" });
});

Deno.test("ask times out with an error naming target and message", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0, { name: "slowpoke" });
  const err = await a.ask("wait", 200, { timeout: 20 }).then(
    () => assert.fail("should time out"),
    (e) => e,
  );
  assert.ok(err instanceof AskTimeoutError);
  assert.equal(err.target, "slowpoke#1");
  assert.equal(err.messageName, "wait");
  assert.equal(err.timeoutMs, 20);
  assert.match(err.message, /"wait" to slowpoke#1 timed out after 20 ms/);
  // Let the handler finish: its reply is now late and goes to dead letters.
  await until(
    () => system.deadLetters.byReason["late-reply"] === 1,
    "late reply",
  );
});

Deno.test("a late reply goes to dead letters, never to the caller", async () => {
  await using system = new ActorSystem();
  const letters: DeadLetter[] = [];
  system.deadLetters.subscribe((d) => letters.push(d));
  const a = system.spawn(Service, 7);
  const gate = Promise.withResolvers<void>();
  const p = a.ask("hold", gate.promise, { timeout: 10 });
  await assert.rejects(p, AskTimeoutError);
  gate.resolve();
  await until(() => letters.length === 1, "the late reply");
  assert.deepEqual(letters[0], {
    target: "service#1",
    name: "hold",
    payload: 7,
    reason: "late-reply",
  });
});

Deno.test("the system default ask timeout applies", async () => {
  await using system = new ActorSystem({ askTimeout: 15 });
  const a = system.spawn(Service, 0);
  const err = await a.ask("wait", 100).catch((e) => e);
  assert.ok(err instanceof AskTimeoutError);
  assert.equal(err.timeoutMs, 15);
});

Deno.test("ask is cancelled by its AbortSignal", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0);
  const ctl = new AbortController();
  const p = a.ask("wait", 50, { signal: ctl.signal });
  ctl.abort("user gave up");
  const err = await p.catch((e) => e);
  assert.ok(err instanceof AskAbortedError);
  assert.equal(err.cause, "user gave up");
  assert.equal(err.messageName, "wait");
  // An already-aborted signal rejects without sending anything.
  const before = system.stats(a).received;
  await assert.rejects(
    a.ask("get", undefined, { signal: AbortSignal.abort() }),
    AskAbortedError,
  );
  assert.equal(system.stats(a).received, before);
  await until(() => system.stats(a).processed === 1, "the waiting handler");
});

Deno.test("a bad timeout is a RangeError, not a silent forever", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0);
  await assert.rejects(a.ask("get", undefined, { timeout: NaN }), RangeError);
  await assert.rejects(a.ask("get", undefined, { timeout: 0 }), RangeError);
  await assert.rejects(a.ask("get", undefined, { timeout: -5 }), RangeError);
  assert.throws(() => new ActorSystem({ askTimeout: -1 }), RangeError);
});

Deno.test("an ask with no deadline outlives the default and still ends", async () => {
  // A system whose default deadline is short: an untimed ask must not take it.
  const system = new ActorSystem({ askTimeout: 20 });
  const a = system.spawn(Service, 7);
  assert.equal(await a.ask("wait", 120, { timeout: Infinity }), 7);
  // It ends when its target dies...
  const dying = a.ask("wait", 10_000, { timeout: Infinity });
  await tick();
  system.stop(a);
  await assert.rejects(dying, ActorDeadError);
  // ...when its signal aborts...
  const b = system.spawn(Service, 0);
  const ctl = new AbortController();
  const aborted = b.ask("wait", 60, { timeout: Infinity, signal: ctl.signal });
  ctl.abort("enough");
  await assert.rejects(aborted, AskAbortedError);
  // ...and when the system shuts down (nothing pending is left forever).
  const c = system.spawn(Service, 0);
  c.tell("wait", 10_000); // c stays busy, so the next ask waits its turn
  const queued = c.ask("get", undefined, { timeout: Infinity }).then(
    () => "answered",
    (e: Error) => e.name,
  );
  await system.shutdown({ timeout: 50 });
  assert.equal(await queued, "ActorDeadError");
});

Deno.test("handler throw reaches the asker with name, message and stack", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0);
  for (const name of ["fail", "failAsync"] as const) {
    const err = await a.ask(name, "bad token").catch((e) => e);
    assert.ok(err instanceof HandlerError);
    assert.equal(err.target, "service#1");
    assert.equal(err.messageName, name);
    assert.equal(err.original.name, "ParseError");
    assert.equal(err.original.message, "bad token");
    assert.match(err.original.stack ?? "", /ask_test\.ts/);
    assert.ok(
      err.cause instanceof ParseError,
      "the thrown object is the cause",
    );
    assert.match(err.message, /ParseError: bad token/);
  }
  // onError: "resume" kept the actor and its state.
  assert.equal(await a.ask("get"), 0);
  assert.equal(system.stats(a).failed, 2);
});

Deno.test("ask to a dead actor rejects at once", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0);
  await system.stop(a);
  let settled: unknown = "pending";
  const p = a.ask("get").catch((e) => {
    settled = e;
  });
  await Promise.resolve(); // one microtask: no timer, no dispatcher turn
  await Promise.resolve();
  assert.ok(settled instanceof ActorDeadError, "rejected within microtasks");
  assert.deepEqual((settled as ActorDeadError).reason, { type: "normal" });
  await p;
  assert.equal(system.deadLetters.byReason["dead-target"], 1);
});

Deno.test("an actor dying mid-ask rejects the ask with the reason", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0, { shutdownTimeout: 10 });
  const never = new Promise<void>(() => {});
  const inflight = a.ask("hold", never);
  const queued = a.ask("get");
  await tick();
  await system.stop(a);
  const e1 = await inflight.catch((e) => e);
  const e2 = await queued.catch((e) => e);
  assert.ok(e1 instanceof ActorDeadError);
  assert.deepEqual(e1.reason, { type: "killed" });
  assert.ok(e2 instanceof ActorDeadError);
  assert.equal(system.stats(a).status, "dead");
});

Deno.test("unknown message names are dead letters at run time", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0);
  const untyped = a as unknown as ActorRef<
    ReturnType<typeof defineActor<void, unknown, { nope: () => void }>>
  >;
  untyped.tell("nope");
  const err = await untyped.ask("nope").catch((e) => e);
  assert.ok(err instanceof UnknownMessageError);
  assert.match(err.message, /no handler for "nope"/);
  assert.match(err.message, /add, get/);
  assert.equal(system.deadLetters.byReason["unknown-message"], 2);
  // The actor is unharmed; prototype names are not handlers either.
  (a as unknown as { tell(n: string): void }).tell("toString");
  assert.equal(await a.ask("get"), 0);
  assert.equal(system.deadLetters.byReason["unknown-message"], 3);
  if (false as boolean) {
    // @ts-expect-error: users read the dead-letter office; they do not forge letters
    system.deadLetters.record("x#1", "ping", undefined, "no-route");
  }
});

Deno.test("tell and ask are checked at compile time", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Service, 0);
  if (false as boolean) {
    // @ts-expect-error: no such message
    a.tell("nope");
    // @ts-expect-error: wrong payload type
    a.tell("add", "2");
    // @ts-expect-error: missing payload
    a.tell("add");
    // @ts-expect-error: reply is a number
    const s: string = await a.ask("get");
    // @ts-expect-error: the spawn argument is a number
    system.spawn(Service, "0");
    void s;
  }
  assert.equal(await a.ask("get"), 0);
});
