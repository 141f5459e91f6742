/**
 * Remote actors on a cluster: actors placed on real node processes
 * (`localCluster`, loopback TCP), used from the scheduler's process and from
 * actors on other nodes: ask, tell, watch, refs passed on through a third
 * host, a node killed with SIGKILL, supervision across the connection.
 */

import assert from "node:assert/strict";
import {
  ActorDeadError,
  type ActorRef,
  ActorSystem,
  child,
  defineSupervisor,
  HandlerError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { describeReason } from "../../actors/errors.ts";
import { localCluster } from "@troupe/troupe/cluster";
import {
  Holder,
  type Leaf,
  type Notice,
  Relay,
  Store,
} from "../fixtures/remote_actors.ts";
import { until } from "../helpers.ts";
import { internals } from "../../actors/internals.ts";

const onNode = (host: string) => ({ placement: "node" as const, host });

Deno.test("ask, tell and errors reach an actor on a node: from this process and from an actor on another node", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const pids = cluster.pids();
  const store = system.spawn(Store, 10, onNode("local-1"));
  const relay = system.spawn(Relay, undefined, onNode("local-2"));
  assert.equal((await store.ask("where")).pid, pids["local-1"]);
  assert.equal((await relay.ask("where")).pid, pids["local-2"]);

  // From this process.
  store.tell("add", 5);
  assert.equal(await store.ask("get"), 15);

  // From an actor on the other node, by address.
  const to = store.address;
  assert.equal(await relay.ask("ask", [to, "get", undefined]), 15);
  await relay.ask("tell", [to, "add", 100]);
  assert.equal(await relay.ask("burst", [to, 1_000]), 1_115);
  assert.deepEqual(await relay.ask("ask", [to, "echo", { a: [1, "x"] }]), {
    a: [1, "x"],
  });
  // Messages from both senders arrived, each sender's in its order.
  store.tell("note", "here-1");
  await relay.ask("tell", [to, "note", "there-1"]);
  store.tell("note", "here-2");
  await relay.ask("tell", [to, "note", "there-2"]);
  const seen = await store.ask("seen") as string[];
  assert.deepEqual(seen.filter((x) => x.startsWith("here")), [
    "here-1",
    "here-2",
  ]);
  assert.deepEqual(seen.filter((x) => x.startsWith("there")), [
    "there-1",
    "there-2",
  ]);

  // An actor that an actor on the node spawned has an address on that
  // node's host: reachable from here and from the other node as well.
  const inner = await store.ask("spawnChild", 7);
  assert.notEqual(inner.host, system.host);
  const innerRef = system.refFor<typeof Leaf>(inner);
  innerRef.tell("add", 1);
  assert.equal(await innerRef.ask("get"), 8);
  assert.equal(await relay.ask("ask", [inner, "get", undefined]), 8);

  // A handler's error crosses with its name and message, to either asker
  // (the failure ends each actor: it has no supervisor).
  const fragile = [0, 1].map(() => system.spawn(Store, 0, onNode("local-1")));
  const err = await fragile[0].ask("fail", "bad input").catch((e) => e);
  assert.ok(err instanceof HandlerError, String(err));
  assert.equal(err.original.name, "RangeError");
  assert.equal(err.original.message, "bad input");
  const far = await relay.ask("ask", [fragile[1].address, "fail", "from afar"])
    .catch((e) => e);
  assert.ok(far instanceof HandlerError, String(far));
  assert.match(far.message, /RangeError: from afar/);
  // Asks to an actor that is gone fail at once, from either side.
  await until(() => system.stats(fragile[1]).status === "dead", "its death");
  await assert.rejects(fragile[1].ask("get"), ActorDeadError);
  const gone = await relay.ask("outcome", [fragile[1].address, "get", 0]);
  assert.equal("error" in gone && gone.error, "ActorDeadError");
});

Deno.test("a ref sent on through a third host still works", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 3 });
  const store = system.spawn(Store, 1, onNode("local-1"));
  const b = system.spawn(Relay, undefined, onNode("local-2"));
  const c = system.spawn(Relay, undefined, onNode("local-3"));
  const here = system.spawn(Relay); // an actor in this process
  const pids = cluster.pids();
  assert.equal((await c.ask("where")).pid, pids["local-3"]);
  // Both kinds of address an actor on A can have: its proxy's (spawned from
  // this process) and one on A's own host (spawned by an actor on A).
  const inner = await store.ask("spawnChild", 40);
  for (const [target, n] of [[store.address, 1], [inner, 40]] as const) {
    // A's ref goes to B, which hands it on to C, which asks it.
    assert.equal(await b.ask("handOn", [target, c.address]), n);
    // B hands it on to an actor in this process, which asks it.
    assert.equal(await b.ask("handOn", [target, here.address]), n);
    // B keeps it; this process gets it from B and uses it.
    await b.ask("keep", target);
    const kept = system.refFor<typeof Store>(await b.ask("kept"));
    kept.tell("add", 1);
    assert.equal(await kept.ask("get"), n + 1);
    // C tells it through B's hand-off, then this process sees the effect.
    await c.ask("tell", [target, "add", -1]);
    assert.equal(await kept.ask("get"), n);
  }
  // A ref object crosses too, as its address (remote_refs_test.ts): B keeps
  // it, and what comes back here is this process's own ref to the store.
  await b.ask("keep", store as never);
  assert.equal(await b.ask("kept"), store);
});

Deno.test("a node killed with SIGKILL: one notice per watched actor, per watcher, saying the host was lost", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    respawn: false,
  });
  const stores = [1, 2, 3].map((n) =>
    system.spawn(Store, n, onNode("local-1"))
  );
  // One more, spawned by an actor on the node: its address is on the node's
  // host, not a proxy here.
  const inner = await stores[0].ask("spawnChild", 0);
  const targets = [...stores.map((s) => s.address), inner];
  const lostHost = (await stores[0].ask("where")).host;

  // Watchers: listeners in this process, an actor in this process, and an
  // actor on the other node (twice over: a second watch adds nothing).
  const heard: Termination[] = [];
  for (const t of targets) system.watch(system.refFor(t), (n) => heard.push(n));
  const here = system.spawn(Relay);
  const there = system.spawn(Relay, undefined, onNode("local-2"));
  for (const t of targets) {
    await here.ask("watch", t);
    await there.ask("watch", t);
    await there.ask("watch", t);
  }
  // Everything is wired up: each target answers through each watcher.
  for (const t of targets) {
    await here.ask("ask", [t, "get", undefined]);
    await there.ask("ask", [t, "get", undefined]);
  }

  cluster.kill("local-1", "SIGKILL");
  await until(async () => {
    const far = await there.ask("notices");
    const near = await here.ask("notices");
    return heard.length >= 4 && near.length >= 4 && far.length >= 4;
  }, "the termination notices");
  // A later event, after which any duplicate would have arrived: the
  // survivor answers a round trip through each path the notices took.
  const late = system.spawn(Store, 0, onNode("local-2"));
  await there.ask("ask", [late.address, "add", 1]);
  await here.ask("ask", [late.address, "get", undefined]);

  const check = (notices: readonly Notice[], who: string) => {
    assert.equal(notices.length, 4, `${who}: ${JSON.stringify(notices)}`);
    const ids = notices.map((n) => `${n.address.host}#${n.address.id}`).sort();
    assert.deepEqual(
      ids,
      targets.map((t) => `${t.host}#${t.id}`).sort(),
      who,
    );
    for (const n of notices) {
      assert.equal(n.reason.type, "host-down", `${who}: ${JSON.stringify(n)}`);
      assert.equal(
        n.reason.type === "host-down" && n.reason.host,
        lostHost,
        who,
      );
      assert.match(describeReason(n.reason), /local-1.* down: node lost/);
    }
  };
  check(heard, "listeners here");
  check(await here.ask("notices"), "an actor here");
  check(await there.ask("notices"), "an actor on the other node");
  assert.equal(system.stats(stores[0]).status, "dead");
});

Deno.test("watching an actor on another node: one notice per death, none after unwatch or for a restart", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const [kept, crashing, unwatched, early] = [0, 1, 2, 3].map((n) =>
    system.spawn(Store, n, onNode("local-1"))
  );
  const inner = await kept.ask("spawnChild", 0);
  const there = system.spawn(Relay, undefined, onNode("local-2"));
  const here = system.spawn(Relay);
  for (const t of [crashing.address, unwatched.address, inner]) {
    await there.ask("watch", t);
    await here.ask("watch", t);
  }
  await there.ask("unwatch", unwatched.address);
  await here.ask("unwatch", unwatched.address);
  await system.stop(early);

  await assert.rejects(crashing.ask("fail", "on purpose"), HandlerError);
  await system.stop(unwatched);
  await there.ask("tell", [inner, "stop", undefined]);
  await there.ask("watch", early.address); // already gone
  await here.ask("watch", early.address);
  const expected = 3; // crashing, inner, early
  await until(async () =>
    (await there.ask("notices")).length >= expected &&
    (await here.ask("notices")).length >= expected, "the notices");
  // A later event: round trips along the paths the notices took.
  await there.ask("ask", [kept.address, "get", undefined]);
  await there.ask("ask", [inner, "get", undefined]).catch(() => {});
  await here.ask("ask", [kept.address, "get", undefined]);

  for (const watcher of [there, here]) {
    const notices = await watcher.ask("notices");
    const by = (a: { host: string; id: number }) =>
      notices.filter((n) => n.address.host === a.host && n.address.id === a.id)
        .map((n) => n.reason);
    assert.equal(notices.length, expected, JSON.stringify(notices));
    const [crash] = by(crashing.address);
    assert.equal(crash.type, "failed");
    assert.match(describeReason(crash), /RangeError: on purpose/);
    assert.deepEqual(by(inner), [{ type: "normal" }]);
    assert.deepEqual(by(early.address), [{ type: "not-found" }]);
    assert.deepEqual(by(unwatched.address), []);
  }
  // Nothing is left behind here: every watch that passed through ended.
  assert.deepEqual(internals(system).links.watches.size, {
    mine: 0,
    served: 0,
    relayed: 0,
  });
  assert.equal(cluster.nodes().length, 2);
});

Deno.test("a watcher's node killed: the watches it placed are dropped on every host", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    respawn: false,
  });
  const store = system.spawn(Store, 0, onNode("local-1"));
  const inner = await store.ask("spawnChild", 0);
  const there = system.spawn(Relay, undefined, onNode("local-2"));
  await there.ask("watch", store.address); // served here (a proxy)
  await there.ask("watch", inner); // passed on here, served on local-1
  const watches = () => internals(system).links.watches.size;
  assert.deepEqual(watches(), { mine: 0, served: 1, relayed: 1 });
  assert.deepEqual(await store.ask("watches"), {
    mine: 0,
    served: 1,
    relayed: 0,
  });
  const lost: string[] = [];
  system.subscribe((e) => {
    if (e.type === "dead-letter") lost.push(e.letter.name);
  });

  cluster.kill("local-2", "SIGKILL");
  await until(() => cluster.nodes().length === 1, "the node's loss");
  assert.deepEqual(watches(), { mine: 0, served: 0, relayed: 0 });
  // local-1 was told (the ask follows the unwatch on the same link).
  assert.deepEqual(await store.ask("watches"), {
    mine: 0,
    served: 0,
    relayed: 0,
  });
  // The targets' deaths send no notice into the void.
  await system.refFor<typeof Leaf>(inner).ask("stop");
  await system.stop(store);
  const probe = system.spawn(Store, 0, onNode("local-1"));
  await probe.ask("get"); // a later event on the same link
  assert.deepEqual(lost.filter((name) => name === "down"), []);
});

Deno.test("an ask in flight when its node is killed fails with host-down, from here and from another node", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    respawn: false,
  });
  // Actors handle one message at a time, and a hanging ask holds its
  // target (and its relay): one of each per ask, and a spare pair for the
  // round trips below.
  const [s1, s2, spare] = [1, 2, 3].map(() =>
    system.spawn(Store, 0, onNode("local-1"))
  );
  const [inner1, inner2, innerSpare] = await Promise.all(
    [s1, s2, spare].map((s) => s.ask("spawnChild", 0)),
  );
  const [r1, r2, r3] = [1, 2, 3].map(() =>
    system.spawn(Relay, undefined, onNode("local-2"))
  );
  const outcomes = Promise.all([
    s1.ask("hang").then(() => "answered", (e) => e),
    system.refFor<typeof Leaf>(inner1).ask("hang").then(
      () => "answered",
      (e) => e,
    ),
    r1.ask("outcome", [s2.address, "hang", undefined]),
    r2.ask("outcome", [inner2, "hang", undefined]),
  ]);
  // The asks have reached the node: later messages on the same paths did.
  await spare.ask("get");
  await system.refFor<typeof Leaf>(innerSpare).ask("get");
  await r3.ask("ask", [spare.address, "get", undefined]);
  await r3.ask("ask", [innerSpare, "get", undefined]);
  cluster.kill("local-1", "SIGKILL");
  const [a, b, c, d] = await outcomes;
  for (const e of [a, b]) {
    assert.ok(e instanceof ActorDeadError, String(e));
    assert.equal(e.reason.type, "host-down");
    assert.match(e.message, /local-1.* down: node lost/);
  }
  for (const o of [c, d]) {
    assert.ok("error" in o, JSON.stringify(o));
    assert.equal(o.error, "ActorDeadError");
    assert.match(o.message, /local-1.* down: node lost/);
  }
});

Deno.test("a supervisor here restarts its children on nodes: after a crash, and after their node is killed; a child's own ref and name outlive both", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2 });
  const sup = system.spawn(defineSupervisor({
    strategy: "one_for_all",
    intensity: 100,
    periodMs: 60_000,
    backoff: { minMs: 10, maxMs: 250, factor: 2, jitter: 0 },
    children: [
      child("a", Store, 1, onNode("local-1")),
      child("b", Store, 2, onNode("local-2")),
    ],
  }));
  const a = (await sup.ask("child", "a")) as ActorRef<typeof Store>;
  const b = (await sup.ask("child", "b")) as ActorRef<typeof Store>;
  const before = cluster.pids();
  assert.equal((await a.ask("where")).pid, before["local-1"]);
  assert.equal((await b.ask("where")).pid, before["local-2"]);
  // Watchers, which must hear nothing of restarts.
  const heard: Termination[] = [];
  system.watch(a, (t) => heard.push(t));
  const there = system.spawn(Relay, undefined, onNode("local-2"));
  await there.ask("watch", a.address);
  await there.ask("watch", b.address);
  // a's own ref (ctx.self), sent by a itself to a holder on the other node,
  // which watches it; and a name for the cluster registered from it.
  const holder = system.spawn(Holder, undefined, onNode("local-2"));
  await a.ask("sendSelf", holder);
  await until(async () => (await holder.ask("kept")) !== null, "a's ref");
  await holder.ask("watchKept");
  await a.ask("register", "a");

  // A crash: one_for_all restarts both, in place on their nodes.
  a.tell("add", 10);
  b.tell("add", 10);
  assert.equal(await a.ask("get"), 11);
  await assert.rejects(a.ask("fail", "crash on purpose"), HandlerError);
  await until(() => system.stats(b).restarts === 1, "b's restart");
  assert.equal(await a.ask("get"), 1); // the same ref, fresh state
  assert.equal(await b.ask("get"), 2);
  assert.equal((await a.ask("where")).pid, before["local-1"]);
  assert.equal(await holder.ask("askKept", ["get", undefined]), 1);

  // The node under a is killed: a restarts on the node that takes its
  // place (the local cluster starts one under the same name).
  cluster.kill("local-1", "SIGKILL");
  await until(() => system.stats(a).restarts >= 2, "a's restart", 30_000);
  await until(
    () =>
      system.stats(a).status === "running" &&
      cluster.pids()["local-1"] !== before["local-1"],
    "a running again",
    30_000,
  );
  assert.equal((await a.ask("where")).pid, cluster.pids()["local-1"]);
  assert.equal(await a.ask("get"), 1);
  assert.equal(await b.ask("get"), 2);
  assert.equal(await holder.ask("askKept", ["get", undefined]), 1);
  const named = await system.lookup("a", { scope: "cluster", behavior: Store });
  assert.deepEqual(named?.address, a.address);

  // Restarts are not deaths: no watcher heard anything; a stop for good is
  // one notice.
  await there.ask("ask", [a.address, "get", undefined]);
  assert.deepEqual(heard, []);
  assert.deepEqual(await there.ask("notices"), []);
  assert.deepEqual(await holder.ask("notices"), []);
  await sup.ask("terminateChild", "a");
  await until(
    async () =>
      (await there.ask("notices")).length >= 1 &&
      (await holder.ask("notices")).length >= 1,
    "notice",
  );
  await there.ask("ask", [b.address, "get", undefined]); // a later event
  assert.equal(heard.length, 1);
  for (
    const notices of [await there.ask("notices"), await holder.ask("notices")]
  ) {
    assert.equal(notices.length, 1, JSON.stringify(notices));
    assert.deepEqual(notices[0].address, a.address);
    assert.notEqual(notices[0].reason.type, "host-down");
  }
  await until(
    async () => (await system.lookup("a", { scope: "cluster" })) === undefined,
    "the name's removal",
  );
});
