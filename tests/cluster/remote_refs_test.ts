/**
 * Refs inside messages, names for the whole cluster, and node placement
 * without a node named (issue 8), on real node processes (`localCluster`,
 * loopback TCP), and for refs also on worker and process hosts:
 *
 * - a ref anywhere in a tell's or an ask's payload, in an ask's reply or in
 *   a spawn argument arrives as a working ref (ask, tell, watch), whichever
 *   host it came from, also after a hop through a third node; a ref to an
 *   actor of the receiving host is that actor's own ref;
 * - `register(name, ref, { scope: "cluster" })` and `lookup(name, { scope:
 *   "cluster" })` from here and from actors on nodes; a name ends with its
 *   actor (its death, its node's loss);
 * - `{ placement: "node" }` without `host`: the node with the fewest actors.
 */

import assert from "node:assert/strict";
import {
  type ActorRef,
  ActorSystem,
  child,
  defineSupervisor,
  NameTakenError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { localCluster } from "@troupe/troupe/cluster";
import { Holder, Store } from "../fixtures/remote_actors.ts";
import { until } from "../helpers.ts";

const onNode = (host: string) => ({ placement: "node" as const, host });
const cluster = { scope: "cluster" } as const;
/** A payload with the ref deep inside, as `Holder.keep` takes it. */
const box = <T>(ref: T) => ({ deep: [{ ref }] as [{ ref: T }] });
/** Where the actor of `ref` (a `Store` or a `Holder`) runs. */
const whereIs = (ref: ActorRef) =>
  ref.ask("where") as Promise<{ pid: number; host: string }>;

Deno.test("a ref inside a tell or an ask to an actor on a node arrives as a working ref: ask, tell and watch", async () => {
  await using system = new ActorSystem();
  await using c = await localCluster(system, { nodes: 2 });
  const here = system.spawn(Store, 1); // an actor in this process
  const store = system.spawn(Store, 10, onNode("local-1")); // its proxy here
  const holder = system.spawn(Holder, undefined, onNode("local-2"));
  // An actor on local-1's own host (spawned there), as a ref in a reply.
  const { child: [leaf] } = await system.spawn(
    Holder,
    undefined,
    onNode("local-1"),
  ).ask("refs");
  assert.notEqual(leaf.address.host, system.host);
  assert.equal(await leaf.ask("get"), 5);

  const targets: [ActorRef, number][] = [[here, 1], [store, 10], [leaf, 5]];
  for (const [target, n] of targets) {
    // In a tell, then in an ask: either way it is kept as a ref there.
    holder.tell("keep", box(target));
    assert.equal(await holder.ask("askKept", ["get", undefined]), n);
    await holder.ask("keep", box(target));
    const kept = await holder.ask("kept");
    assert.deepEqual(kept && { ...kept, address: undefined }, {
      address: undefined,
      local: false,
      self: false,
    });
    assert.equal(kept?.address.id, target.address.id);
    await holder.ask("tellKept", ["add", 2]);
    assert.equal(await holder.ask("askKept", ["get", undefined]), n + 2);
    assert.equal(await target.ask("get"), n + 2);
  }

  // Watched through the ref it was given: one notice when it stops.
  await holder.ask("keep", box(store));
  await holder.ask("watchKept");
  await system.stop(store);
  await until(
    async () => (await holder.ask("notices")).length > 0,
    "the notice",
  );
  const notices = await holder.ask("notices");
  assert.equal(notices.length, 1);
  assert.equal(notices[0].address.id, store.address.id);
  assert.equal(notices[0].reason.type, "normal");
  assert.equal(c.nodes().length, 2);
});

Deno.test("refs inside an ask's reply arrive as working refs; a ref to an actor of this process is its own ref", async () => {
  await using system = new ActorSystem();
  await using c = await localCluster(system, { nodes: 1 });
  const here = system.spawn(Store, 3);
  const holder = system.spawn(Holder, { boss: here }, onNode("local-1"));
  // The spawn argument carried a ref too.
  assert.equal(await holder.ask("askKept", ["get", undefined]), 3);

  const { self, kept, child: [leaf] } = await holder.ask("refs");
  assert.equal(kept, here, "this process's own ref object");
  assert.equal((await whereIs(self)).pid, c.pids()["local-1"]);
  assert.equal(await leaf.ask("get"), 5);
  leaf.tell("add", 1);
  assert.equal(await leaf.ask("get"), 6);
  // Watched from here through the ref that came back.
  const heard: Termination[] = [];
  system.watch(leaf, (t) => heard.push(t));
  leaf.tell("stop");
  await until(() => heard.length > 0, "the notice");
  assert.equal(heard[0].reason.type, "normal");
  assert.deepEqual(heard[0].address, leaf.address);
  // A ref to the proxy here of an actor on the node is the proxy's ref.
  await holder.ask("keep", box(holder));
  assert.equal((await holder.ask("refs")).kept, holder);
});

Deno.test("a ref relayed through a third node still works, and one that comes home is the actor's own ref", async () => {
  await using system = new ActorSystem();
  await using c = await localCluster(system, { nodes: 3 });
  const [h1, h2, h3] = ["local-1", "local-2", "local-3"].map((n) =>
    system.spawn(Holder, undefined, onNode(n))
  );
  const store = system.spawn(Store, 1, onNode("local-1"));
  const { child: [leaf] } = await h1.ask("refs"); // on local-1's own host
  const pids = c.pids();
  assert.equal((await h3.ask("where")).pid, pids["local-3"]);

  const targets: [ActorRef, number][] = [[store, 1], [leaf, 5]];
  for (const [target, n] of targets) {
    // Here → local-2 → local-3, which uses it.
    await h2.ask("keep", box(target));
    await h2.ask("pass", [h3, "ask"]);
    assert.equal(await h3.ask("askKept", ["get", undefined]), n);
    await h3.ask("tellKept", ["add", 1]);
    assert.equal(await target.ask("get"), n + 1);
    // And from local-3 to local-1, where the leaf is: there it is local.
    await h3.ask("pass", [h1, "tell"]);
    await until(
      async () => (await h1.ask("kept"))?.address.id === target.address.id,
      "the hand-over",
    );
    const home = await h1.ask("kept");
    assert.equal(home?.local, target === leaf, JSON.stringify(home));
    assert.equal(await h1.ask("askKept", ["get", undefined]), n + 1);
  }

  // An actor's own ref, sent by itself to local-2 and back: its own again
  // (by its address, its proxy's here, it is not of local-1's host).
  await h1.ask("sendSelf", h2);
  await until(
    async () =>
      (await h2.ask("kept"))?.address.host !== leaf.address.host ||
      (await h2.ask("kept"))?.address.id !== leaf.address.id,
    "local-2 keeping local-1's holder",
  );
  assert.deepEqual((await h2.ask("kept"))?.address, h1.address);
  assert.equal(
    (await h2.ask("askKept", ["where", undefined]) as { pid: number }).pid,
    pids["local-1"],
  );
  await h2.ask("pass", [h1, "ask"]);
  assert.deepEqual(
    await h1.ask("kept").then((k) => k && { local: k.local, self: k.self }),
    { local: false, self: true },
  );
});

for (const placement of ["worker", "process"] as const) {
  Deno.test(`[${placement}] refs cross in payloads, replies and spawn arguments`, async () => {
    await using system = new ActorSystem();
    const here = system.spawn(Store, 3);
    const holder = system.spawn(Holder, { boss: here }, { placement });
    assert.equal(await holder.ask("askKept", ["get", undefined]), 3);
    await holder.ask("tellKept", ["add", 1]);
    assert.equal(await here.ask("get"), 4);

    const { self, kept, child: [leaf] } = await holder.ask("refs");
    assert.equal(kept, here);
    assert.equal(self, holder, "its own ref is its proxy's here");
    const where = await whereIs(self);
    assert.notEqual(where.host, system.host);
    assert.equal(where.pid === Deno.pid, placement === "worker");
    assert.equal(await leaf.ask("get"), 5);

    // A ref to an actor of one host, given to an actor on another host.
    const other = system.spawn(Holder, undefined, { placement, host: "other" });
    await other.ask("keep", box(leaf));
    assert.notEqual((await other.ask("where")).host, where.host);
    assert.equal(await other.ask("askKept", ["get", undefined]), 5);
    // ... and back to its own host, where it is local.
    await other.ask("pass", [holder, "ask"]);
    assert.equal((await holder.ask("kept"))?.local, true);

    // Maps cross to every host: refs inside them cross too.
    await holder.ask("keepFromMap", new Map([["ref", here]]));
    assert.equal(await holder.ask("askKept", ["get", undefined]), 4);
    // Without refs, the key troupe keeps for refs is plain data; beside a
    // ref it is refused at the sender.
    const lookalike = { "~troupe/ref": ["h", 1] };
    assert.deepEqual(
      await system.spawn(Store, 0, { placement }).ask("echo", lookalike),
      lookalike,
    );
    assert.throws(
      () => holder.tell("keep", { ...box(here), "~troupe/ref": 1 } as never),
      /payload has the key "~troupe\/ref", which troupe keeps for refs/,
    );
    // Still refused, with the reason, as before: what is neither data nor
    // a ref.
    assert.throws(
      () => holder.tell("keep", box(new URL("file:///x")) as never),
      /payload\.deep\[0\]\.ref is a URL \(a built-in object that cannot be cloned\)/,
    );
  });
}

Deno.test("a cluster-wide name is found from here and from every node; a taken one is refused, an unknown one is undefined", async () => {
  await using system = new ActorSystem();
  await using c = await localCluster(system, { nodes: 2 });
  const pids = c.pids();
  const store = system.spawn(Store, 10, onNode("local-1"));
  const h1 = system.spawn(Holder, undefined, onNode("local-1"));
  const h2 = system.spawn(Holder, undefined, onNode("local-2"));

  // Registered here, found here and from a node.
  await system.register("store", store, cluster);
  assert.equal(await system.lookup("store", cluster), store);
  assert.equal(await h2.ask("lookupAndKeep", "store"), true);
  assert.equal(await h2.ask("askKept", ["get", undefined]), 10);
  assert.equal(await h2.ask("lookup", "store"), store);

  // Registered by an actor on a node, found here and from the other node.
  assert.deepEqual(await h1.ask("register", ["h1", "self"]), { ok: true });
  const found = await system.lookup("h1", { ...cluster, behavior: Holder });
  assert.equal((await found?.ask("where"))?.pid, pids["local-1"]);
  assert.equal(await h2.ask("lookupAndKeep", "h1"), true);
  assert.equal(
    (await h2.ask("askKept", ["where", undefined]) as { pid: number }).pid,
    pids["local-1"],
  );

  // Taken: from here and from a node (typed there too); the same actor
  // again is fine.
  await assert.rejects(system.register("h1", store, cluster), NameTakenError);
  assert.deepEqual(await h2.ask("register", ["store", "self"]), {
    error: "NameTakenError",
    taken: true,
  });
  await system.register("store", store, cluster);
  assert.deepEqual(await h1.ask("register", ["h1", "self"]), { ok: true });

  // Unknown, and gone after unregister.
  assert.equal(await system.lookup("nobody", cluster), undefined);
  assert.equal(await h2.ask("lookupAndKeep", "nobody"), false);
  assert.equal(await h2.ask("unregister", "h1"), true);
  assert.equal(await h2.ask("unregister", "h1"), false);
  assert.equal(await system.lookup("h1", cluster), undefined);
  // Local names and cluster names are apart.
  assert.equal(system.lookup("store"), undefined);
  await assert.rejects(
    system.register("x", store, { scope: "local" } as never),
    /unknown name scope "local"/,
  );
});

Deno.test("a cluster-wide name ends with its actor: its death or its node's loss removes it, and it can be taken again", async () => {
  await using system = new ActorSystem();
  await using c = await localCluster(system, { nodes: 2, respawn: false });
  const a = system.spawn(Store, 1, onNode("local-1")); // a proxy here
  const b = system.spawn(Store, 2, onNode("local-2"));
  const h1 = system.spawn(Holder, undefined, onNode("local-1"));
  const h2 = system.spawn(Holder, undefined, onNode("local-2"));
  await system.register("a", a, cluster);
  await system.register("b", b, cluster);
  // One on local-1's own host, registered from there.
  assert.deepEqual(await h1.ask("register", ["h1", "self"]), { ok: true });
  const here = system.spawn(Store, 0);
  await h2.ask("keep", box(here));
  assert.deepEqual(await h2.ask("register", ["here", "kept"]), { ok: true });

  // A death.
  await system.stop(a);
  await until(
    async () => (await system.lookup("a", cluster)) === undefined,
    "the name's removal",
  );
  await system.register("a", b, cluster); // free again
  await system.stop(here);
  await until(
    async () => (await h2.ask("lookupAndKeep", "here")) === false,
    "the name's removal, seen from a node",
  );

  // A node's loss: the actors there (on its host, and proxied here) end.
  const p = system.spawn(Store, 0, onNode("local-1"));
  await system.register("p", p, cluster);
  c.kill("local-1", "SIGKILL");
  await until(
    async () =>
      (await system.lookup("h1", cluster)) === undefined &&
      (await system.lookup("p", cluster)) === undefined,
    "the names' removal",
  );
  // What lives on is still named, from here and from the surviving node.
  assert.equal(await system.lookup("a", cluster), b);
  assert.equal(await h2.ask("lookupAndKeep", "b"), true);
  assert.equal(await h2.ask("askKept", ["get", undefined]), 2);
  assert.deepEqual(await h2.ask("register", ["h1", "self"]), { ok: true });
});

Deno.test("placement node without a host: the node with the fewest actors, in turn among equals; a restart goes where a node is left", async () => {
  await using system = new ActorSystem();
  await using c = await localCluster(system, { nodes: 2, respawn: false });
  const pids = c.pids();
  const any = { placement: "node" } as const;
  const stores = [0, 1, 2, 3].map((n) => system.spawn(Store, n, any));
  const where = async (r: ActorRef<typeof Store>) => (await r.ask("where")).pid;
  const placed = await Promise.all(stores.map(where));
  const on = (pid: number) => placed.filter((p) => p === pid).length;
  assert.equal(on(pids["local-1"]), 2, JSON.stringify(placed));
  assert.equal(on(pids["local-2"]), 2, JSON.stringify(placed));
  // One fewer on a node: the next goes there.
  await system.stop(stores[0]);
  assert.equal(await where(system.spawn(Store, 0, any)), placed[0]);

  // A supervised child without a host, whose node is lost: it restarts on
  // the node that is left.
  const sup = system.spawn(defineSupervisor({
    strategy: "one_for_one",
    intensity: 10,
    periodMs: 60_000,
    children: [child("s", Store, 7, any)],
  }));
  const s = (await sup.ask("child", "s")) as ActorRef<typeof Store>;
  const first = await where(s);
  const lost = first === pids["local-1"] ? "local-1" : "local-2";
  const left = lost === "local-1" ? "local-2" : "local-1";
  c.kill(lost, "SIGKILL");
  await until(
    () => system.stats(s).restarts >= 1 && system.stats(s).status === "running",
    "the restart",
    30_000,
  );
  assert.equal(await where(s), pids[left]);
  assert.equal(await s.ask("get"), 7);
  // With no node at all, the spawn fails, saying why.
  c.kill(left, "SIGKILL");
  await until(() => c.nodes().length === 0, "both nodes gone");
  const none = system.spawn(Store, 0, any);
  await assert.rejects(none.ask("get"), /no node is attached/);
});
