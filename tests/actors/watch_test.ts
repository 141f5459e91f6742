import assert from "node:assert/strict";
import {
  ActorSystem,
  child,
  defineActor,
  defineSupervisor,
  HandlerError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { tick, until } from "../helpers.ts";

const Plain = defineActor({
  name: "plain",
  init: () => ({}),
  handlers: {
    crash: () => {
      throw new Error("crashed on purpose");
    },
    ping: () => "pong",
  },
});

Deno.test("one notice per death, with the reason", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Plain);
  const notices: Termination[] = [];
  system.watch(a, (t) => notices.push(t));
  await assert.rejects(a.ask("crash"), HandlerError);
  await until(() => notices.length === 1, "the notice");
  await tick();
  assert.equal(notices.length, 1);
  assert.equal(notices[0].address.id, a.address.id);
  assert.equal(notices[0].reason.type, "failed");
  assert.equal(
    notices[0].reason.type === "failed" && notices[0].reason.error.message,
    "crashed on purpose",
  );
});

Deno.test("watching an actor that is already dead still gives one notice", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Plain);
  await system.stop(a);
  const notices: Termination[] = [];
  system.watch(a, (t) => notices.push(t));
  system.watch(a, (t) => notices.push(t));
  await tick();
  assert.deepEqual(notices.map((t) => t.reason), [{ type: "normal" }, {
    type: "normal",
  }]);
  // A ref rebuilt from the dead address also gets its (not-found) notice.
  const again = system.refFor(a.address);
  const late: Termination[] = [];
  system.watch(again, (t) => late.push(t));
  await tick();
  assert.deepEqual(late.map((t) => t.reason.type), ["not-found"]);
});

Deno.test("no notice after unwatch, even if the death already happened", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Plain);
  const b = system.spawn(Plain);
  let heardA = 0;
  let heardB = 0;
  const offA = system.watch(a, () => heardA++);
  const offB = system.watch(b, () => heardB++);
  offA();
  await system.stop(a);
  // b dies, and the unwatch comes before the (asynchronous) delivery.
  const stopping = system.stop(b);
  offB();
  await stopping;
  await tick();
  assert.equal(heardA, 0);
  assert.equal(heardB, 0);
});

Deno.test("100 watchers and concurrent stops: exactly one notice each", async () => {
  await using system = new ActorSystem();
  const Slow = defineActor({
    init: () => ({}),
    handlers: {},
    onStop: () => tick(2),
  });
  const a = system.spawn(Slow);
  const counts = new Array(100).fill(0);
  for (let i = 0; i < 100; i++) system.watch(a, () => counts[i]++);
  await Promise.all([
    system.stop(a),
    system.stop(a),
    system.stop(a),
    system.stop(a, { timeout: 0 }),
  ]);
  await tick(5);
  assert.deepEqual(counts, new Array(100).fill(1));
});

Deno.test("a restart is not a death: watchers hear nothing until the real end", async () => {
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    children: [child("p", Plain, undefined)],
  }));
  const p = (await sup.ask("child", "p"))!;
  const notices: Termination[] = [];
  system.watch(p, (t) => notices.push(t));
  for (let i = 0; i < 3; i++) {
    await assert.rejects(p.ask("crash"), HandlerError);
    await until(() => system.stats(p).restarts === i + 1, "restart");
  }
  assert.equal(await p.ask("ping"), "pong");
  assert.equal(notices.length, 0);
  await sup.ask("terminateChild", "p");
  await tick();
  assert.deepEqual(notices.map((t) => t.reason.type), ["shutdown"]);
});

Deno.test("an actor watching another gets onTerminated in its own turn", async () => {
  await using system = new ActorSystem();
  const target = system.spawn(Plain);
  const Watcher = defineActor({
    init: () => ({ heard: [] as string[] }),
    handlers: {
      watch: (_s, _p: undefined, ctx) => ctx.watch(target),
      unwatch: (_s, _p: undefined, ctx) => ctx.unwatch(target),
      heard: (s) => s.heard,
    },
    onTerminated: (s, notice) => {
      s.heard.push(`${notice.address.id}:${notice.reason.type}`);
    },
  });
  const w = system.spawn(Watcher);
  await w.ask("watch");
  await w.ask("watch"); // watching twice is one watch
  await system.stop(target);
  await tick();
  assert.deepEqual(await w.ask("heard"), [`${target.address.id}:normal`]);

  // After unwatch: nothing.
  const w2 = system.spawn(Watcher);
  const other = system.spawn(Plain);
  const W2 = defineActor({
    init: () => ({ heard: 0 }),
    handlers: {
      watch: (_s, _p: undefined, ctx) => ctx.watch(other),
      unwatch: (_s, _p: undefined, ctx) => ctx.unwatch(other),
      heard: (s) => s.heard,
    },
    onTerminated: (s) => {
      s.heard++;
    },
  });
  const w3 = system.spawn(W2);
  await w3.ask("watch");
  await w3.ask("unwatch");
  await system.stop(other);
  await tick();
  assert.equal(await w3.ask("heard"), 0);
  await system.stop(w2);
});

Deno.test("a dead watcher hears nothing", async () => {
  await using system = new ActorSystem();
  const target = system.spawn(Plain);
  let heard = 0;
  const Watcher = defineActor({
    init: () => ({}),
    handlers: { watch: (_s, _p: undefined, ctx) => ctx.watch(target) },
    onTerminated: () => {
      heard++;
    },
  });
  const w = system.spawn(Watcher);
  await w.ask("watch");
  await system.stop(w);
  await system.stop(target);
  await tick();
  assert.equal(heard, 0);
});
