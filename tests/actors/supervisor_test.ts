import assert from "node:assert/strict";
import {
  type ActorDeadError,
  type ActorRef,
  ActorSystem,
  child,
  defineActor,
  defineSupervisor,
  HandlerError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import type { SystemEvent } from "../../actors/events.ts";
import { seeded, tick, until } from "../helpers.ts";

/** A child that logs its lifecycle into a shared journal. */
function journaled(journal: string[]) {
  return defineActor({
    name: "worker",
    init: (id: string) => {
      journal.push(`start ${id}`);
      return { id, count: 0 };
    },
    handlers: {
      bump: (s) => ++s.count,
      crash: (s) => {
        throw new Error(`${s.id} crashed`);
      },
      quit: (_s, _p: undefined, ctx) => ctx.stop(),
    },
    onStop: (s) => {
      journal.push(`stop ${s.id}`);
    },
    onRestart: (s) => {
      journal.push(`restart ${s.id}`);
    },
  });
}

async function childRef(
  sup: ActorRef<ReturnType<typeof defineSupervisor>>,
  id: string,
): Promise<ActorRef> {
  const ref = await sup.ask("child", id);
  assert.ok(ref, `child ${id} is running`);
  return ref as ActorRef;
}

Deno.test("children start in order and stop in reverse order", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  const system = new ActorSystem();
  system.spawn(defineSupervisor({
    children: [child("a", W, "a"), child("b", W, "b"), child("c", W, "c")],
  }));
  await until(() => journal.length === 3, "children started");
  await system.shutdown();
  assert.deepEqual(journal, [
    "start a",
    "start b",
    "start c",
    "stop c",
    "stop b",
    "stop a",
  ]);
});

Deno.test("one_for_one restarts only the crashed child, in place", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    strategy: "one_for_one",
    children: [child("a", W, "a"), child("b", W, "b")],
  }));
  const a = await childRef(sup, "a");
  const b = await childRef(sup, "b");
  await a.ask("bump");
  await b.ask("bump");
  journal.length = 0;
  await assert.rejects(a.ask("crash"), HandlerError);
  await until(() => system.stats(a).restarts === 1, "restart of a");
  assert.deepEqual(journal, ["restart a", "start a"]);
  assert.equal(await a.ask("bump"), 1, "fresh state");
  assert.equal(await b.ask("bump"), 2, "b kept its state");
  assert.equal((await childRef(sup, "a")).address.id, a.address.id);
});

Deno.test("one_for_all restarts every child, in start order", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    strategy: "one_for_all",
    children: [child("a", W, "a"), child("b", W, "b"), child("c", W, "c")],
  }));
  const b = await childRef(sup, "b");
  const c = await childRef(sup, "c");
  await c.ask("bump");
  journal.length = 0;
  await assert.rejects(b.ask("crash"), HandlerError);
  await until(() => journal.length === 6, "group restart");
  assert.deepEqual(journal, [
    "restart a",
    "start a",
    "restart b",
    "start b",
    "restart c",
    "start c",
  ]);
  assert.equal(await c.ask("bump"), 1, "c was restarted too");
});

Deno.test("rest_for_one restarts only the later siblings, in order", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    strategy: "rest_for_one",
    children: [
      child("a", W, "a"),
      child("b", W, "b"),
      child("c", W, "c"),
      child("d", W, "d"),
    ],
  }));
  const a = await childRef(sup, "a");
  const b = await childRef(sup, "b");
  await a.ask("bump");
  journal.length = 0;
  await assert.rejects(b.ask("crash"), HandlerError);
  await until(() => journal.length === 6, "partial restart");
  assert.deepEqual(journal, [
    "restart b",
    "start b",
    "restart c",
    "start c",
    "restart d",
    "start d",
  ]);
  assert.equal(await a.ask("bump"), 2, "a, started before b, was untouched");
  assert.equal(system.stats(a).restarts, 0);
});

Deno.test("restart types: transient normal exit stays down, temporary never returns", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    children: [
      child("perm", W, "perm"),
      child("trans", W, "trans", { restart: "transient" }),
      child("temp", W, "temp", { restart: "temporary" }),
    ],
  }));
  const perm = await childRef(sup, "perm");
  const trans = await childRef(sup, "trans");
  const temp = await childRef(sup, "temp");
  const deaths: string[] = [];
  for (const [n, r] of [["perm", perm], ["trans", trans], ["temp", temp]]) {
    system.watch(r as ActorRef, (t) => deaths.push(`${n}:${t.reason.type}`));
  }
  // A normal exit: permanent comes back, transient does not.
  await perm.ask("quit");
  await trans.ask("quit");
  await until(() => system.stats(perm).restarts === 1, "perm restart");
  await until(() => deaths.length === 1, "trans death");
  assert.deepEqual(deaths, ["trans:normal"]);
  // A crash of a temporary child: gone, and removed from the list.
  await assert.rejects(temp.ask("crash"), HandlerError);
  await until(() => deaths.length === 2, "temp death");
  assert.equal(deaths[1], "temp:failed");
  const kids = await sup.ask("children");
  assert.deepEqual(kids.map((k) => [k.id, k.running]), [
    ["perm", true],
    ["trans", false],
  ]);
  // A transient child that crashes is restarted.
  const t2 = await sup.ask("restartChild", "trans");
  await assert.rejects(t2.ask("crash"), HandlerError);
  await until(() => system.stats(t2).restarts === 1, "transient restart");
});

Deno.test("restart intensity exceeded: the supervisor stops its children and escalates", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const events: SystemEvent[] = [];
  system.subscribe((e) => events.push(e));
  const Inner = defineSupervisor({
    name: "inner",
    intensity: 2,
    periodMs: 60_000,
    children: [child("w", W, "w"), child("x", W, "x")],
  });
  const outer = system.spawn(defineSupervisor({
    name: "outer",
    intensity: 0, // the first escalation takes the outer one down too
    children: [child("inner", Inner, undefined)],
  }));
  const inner = await childRef(outer, "inner");
  const innerDeaths: Termination[] = [];
  const outerDeaths: Termination[] = [];
  system.watch(outer, (t) => outerDeaths.push(t));
  const w = await childRef(inner, "w");
  const x = await childRef(inner, "x");
  const xDeaths: Termination[] = [];
  system.watch(x, (t) => xDeaths.push(t));
  system.watch(inner, (t) => innerDeaths.push(t));
  for (let i = 0; i < 2; i++) {
    await assert.rejects(w.ask("crash"), HandlerError);
    await until(() => system.stats(w).restarts === i + 1, `restart ${i + 1}`);
  }
  journal.length = 0;
  await assert.rejects(w.ask("crash"), HandlerError); // the third: too many
  await until(() => outerDeaths.length === 1, "escalation to the top");
  // inner gave up: stopped its children (x in reverse order after w)...
  assert.deepEqual(journal.slice(0, 2), ["stop x", "stop w"]);
  assert.equal(xDeaths.length, 1);
  // ...and failed with the intensity error; outer (intensity 0) failed too.
  const reason = outerDeaths[0].reason;
  assert.equal(reason.type, "failed");
  assert.match(
    reason.type === "failed" ? reason.error.message : "",
    /outer#\d+ gave up: more than 0 restarts/,
  );
  const failures = events.filter((e) => e.type === "failed").map((e) =>
    e.type === "failed" ? e.error.message : ""
  );
  assert.ok(
    failures.some((m) =>
      /inner#\d+ gave up: more than 2 restarts in 60000 ms/.test(m)
    ),
    failures.join("\n"),
  );
  assert.equal(innerDeaths.length, 1);
});

Deno.test("a nested supervisor that gives up is restarted by its parent", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const Inner = defineSupervisor({
    name: "inner",
    intensity: 0,
    children: [child("w", W, "w")],
  });
  const outer = system.spawn(defineSupervisor({
    intensity: 5,
    children: [child("inner", Inner, undefined)],
  }));
  const inner = await childRef(outer, "inner");
  const w1 = await childRef(inner, "w");
  await assert.rejects(w1.ask("crash"), HandlerError);
  await until(() => system.stats(inner).restarts === 1, "inner restarted");
  const w2 = await childRef(inner, "w");
  assert.notEqual(w2.address.id, w1.address.id, "a fresh subtree");
  assert.equal(await w2.ask("bump"), 1);
  assert.equal(system.stats(w1).status, "dead");
});

Deno.test("backoff delays grow, then reset after a quiet period", async () => {
  const W = journaled([]);
  await using system = new ActorSystem();
  const delays: number[] = [];
  system.subscribe((e) => {
    if (e.type === "restarted") delays.push(e.delayMs);
  });
  const sup = system.spawn(defineSupervisor({
    intensity: 100,
    backoff: {
      minMs: 5,
      maxMs: 40,
      factor: 2,
      jitter: 0.5,
      random: seeded(3),
      resetAfterMs: 200,
    },
    children: [child("w", W, "w")],
  }));
  const w = await childRef(sup, "w");
  const gaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await assert.rejects(w.ask("crash"), HandlerError);
    await until(() => system.stats(w).restarts === i + 1, `restart ${i + 1}`);
    gaps.push(performance.now() - t0);
  }
  // Each delay lies within its jittered band: 5, 10, 20, 40, 40 (±50%).
  const bases = [5, 10, 20, 40, 40];
  delays.forEach((d, i) => {
    assert.ok(d >= bases[i] * 0.5 && d <= bases[i] * 1.5, `delay ${i}: ${d}`);
  });
  assert.ok(delays[3] > delays[0] && delays[2] > delays[0], `grew: ${delays}`);
  // The restart really waited (a lower bound only).
  gaps.forEach((g, i) =>
    assert.ok(g >= delays[i] - 1, `waited ${g} >= ${delays[i]}`)
  );
  // After a quiet period the count starts again from minMs.
  await tick(250);
  await assert.rejects(w.ask("crash"), HandlerError);
  await until(() => system.stats(w).restarts === 6, "restart after quiet");
  assert.ok(delays[5] <= 7.5, `reset to the first band: ${delays[5]}`);
});

Deno.test("messages sent during a backoff wait are kept for the restarted child", async () => {
  const W = journaled([]);
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    backoff: { minMs: 30, maxMs: 30, jitter: 0 },
    children: [child("w", W, "w")],
  }));
  const w = await childRef(sup, "w");
  await assert.rejects(w.ask("crash"), HandlerError);
  const answer = w.ask("bump"); // queued while suspended
  assert.equal(await answer, 1);
  assert.equal(system.stats(w).restarts, 1);
});

Deno.test("per-child shutdown timeout: a stuck child is killed", async () => {
  await using system = new ActorSystem();
  const Stuck = defineActor({
    init: () => ({}),
    handlers: { hang: () => new Promise<void>(() => {}) },
  });
  const sup = system.spawn(defineSupervisor({
    children: [child("s", Stuck, undefined, { shutdown: 20 })],
  }));
  const s = await childRef(sup, "s");
  const deaths: Termination[] = [];
  system.watch(s, (t) => deaths.push(t));
  const hung = s.ask("hang", undefined, { timeout: 5_000 }).catch((e) => e);
  await tick();
  await sup.ask("terminateChild", "s");
  await tick();
  assert.deepEqual(deaths.map((d) => d.reason.type), ["killed"]);
  assert.equal((await hung as ActorDeadError).reason.type, "killed");
});

Deno.test("a child that dies before its supervisor finished starting is still handled", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  // "early" crashes right after starting, while "late" is still starting.
  const Early = defineActor({
    init: () => ({}),
    handlers: {},
    onStart: (_s, ctx) => {
      queueMicrotask(() => ctx.stop());
    },
  });
  const SlowStart = defineActor({
    init: async () => {
      await tick(20);
      journal.push("late ready");
      return {};
    },
    handlers: {},
  });
  const sup = system.spawn(defineSupervisor({
    children: [
      child("early", Early, undefined, { restart: "transient" }),
      child("late", SlowStart, undefined),
      child("w", W, "w"),
    ],
  }));
  await until(() => journal.includes("start w"), "start finished");
  await tick();
  const kids = await sup.ask("children");
  assert.deepEqual(kids.map((k) => [k.id, k.running]), [
    ["early", false], // its normal exit was handled: transient, not restarted
    ["late", true],
    ["w", true],
  ]);
});

Deno.test("a child that fails to start makes the supervisor fail", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const Broken = defineActor({
    init: (): { ok: boolean } => {
      throw new Error("cannot open database");
    },
    handlers: {},
  });
  const sup = system.spawn(defineSupervisor({
    children: [child("w", W, "w"), child("db", Broken, undefined)],
  }));
  const deaths: Termination[] = [];
  system.watch(sup, (t) => deaths.push(t));
  await until(() => deaths.length === 1, "supervisor failure");
  const reason = deaths[0].reason;
  assert.equal(reason.type, "failed");
  assert.match(
    reason.type === "failed" ? reason.error.message : "",
    /cannot open database/,
  );
  assert.deepEqual(journal, ["start w", "stop w"]);
});

Deno.test("supervisor API: start, terminate, restart and delete children", async () => {
  const journal: string[] = [];
  const W = journaled(journal);
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({ children: [] }));
  const a = await sup.ask("startChild", child("a", W, "a"));
  assert.equal(await a.ask("bump"), 1);
  await assert.rejects(
    sup.ask("startChild", child("a", W, "a")),
    /duplicate id "a"/,
  );
  await assert.rejects(sup.ask("child", "zz"), /has no child "zz"/);
  await assert.rejects(sup.ask("deleteChild", "a"), /is running/);
  await sup.ask("terminateChild", "a");
  assert.equal(system.stats(a).status, "dead");
  const a2 = await sup.ask("restartChild", "a");
  assert.notEqual(a2.address.id, a.address.id);
  await sup.ask("terminateChild", "a");
  await sup.ask("deleteChild", "a");
  assert.deepEqual(await sup.ask("children"), []);
});

Deno.test("supervisor options are checked when defined", () => {
  const W = journaled([]);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => defineSupervisor({ strategy: "all_for_none" as any, children: [] }),
    /unknown supervisor strategy/,
  );
  assert.throws(
    () => defineSupervisor({ intensity: -1, children: [] }),
    RangeError,
  );
  assert.throws(
    () =>
      defineSupervisor({ children: [child("a", W, "a"), child("a", W, "b")] }),
    /duplicate id "a"/,
  );
  assert.throws(
    () => defineSupervisor({ backoff: { minMs: 10, maxMs: 1 }, children: [] }),
    RangeError,
  );
});
