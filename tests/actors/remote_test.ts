/**
 * Watches, asks, refs and names across hosts, on node hosts served in this
 * isolate (each batch through MessagePack, as over a network): the paths a
 * message takes through a host in between, and what a peer may send.
 */

import assert from "node:assert/strict";
import {
  type ActorRef,
  ActorSystem,
  type SpawnOptions,
  transfer,
} from "@troupe/troupe";
import { defineRouter } from "../../actors/pool/router.ts";
import type { Envelope } from "../../actors/envelope.ts";
import { EnvelopeError } from "../../actors/errors.ts";
import { Holder, Relay, Store } from "../fixtures/remote_actors.ts";
import { until } from "../helpers.ts";
import { attachLocalNode } from "../node_link.ts";
import { internals } from "../../actors/internals.ts";

const onNode = (host: string) => ({ placement: "node" as const, host });

Deno.test("a watch or an ask passed on to a host that is gone: the watcher hears host-down, the asker fails at once", async () => {
  await using system = new ActorSystem();
  const n1 = attachLocalNode(system, "n1");
  const n2 = attachLocalNode(system, "n2");
  await Promise.all([n1.attached.ready, n2.attached.ready]);
  const store = system.spawn(Store, 0, onNode("n1"));
  const inner = await store.ask("spawnChild", 0); // on n1's own host
  const relay = system.spawn(Relay, undefined, onNode("n2"));
  assert.equal(await relay.ask("ask", [inner, "get", undefined]), 0);

  n1.cut();
  await until(() => system.stats(store).status === "dead", "n1's loss");
  // From n2, through this system, which has no way on to n1 any more.
  await relay.ask("watch", inner);
  await until(
    async () => (await relay.ask("notices")).length > 0,
    "the notice",
  );
  const [notice, ...more] = await relay.ask("notices");
  assert.deepEqual(more, []);
  assert.equal(notice.reason.type, "host-down");
  assert.equal(
    notice.reason.type === "host-down" && notice.reason.host,
    inner.host,
  );
  // The ask fails as the host's death, not at the asker's deadline.
  const outcome = await relay.ask("outcome", [inner, "get", undefined], {
    timeout: 60_000,
  });
  assert.ok("error" in outcome, JSON.stringify(outcome));
  assert.equal(outcome.error, "ActorDeadError", outcome.message);
  assert.match(outcome.message, /no link to this host/);
  assert.deepEqual(internals(system).links.watches.size, {
    mine: 0,
    served: 0,
    relayed: 0,
  });
  n2.cut();
});

Deno.test("a transferred buffer beside a ref moves to a worker actor, also when it waited for the actor to start", async () => {
  await using system = new ActorSystem();
  const here = system.spawn(Store, 1);
  const holder = system.spawn(Holder, undefined, { placement: "worker" });
  const payload = (bytes: ArrayBuffer) =>
    transfer({ deep: [{ ref: here }] as [{ ref: typeof here }], bytes }, [
      bytes,
    ]);
  // Sent while the actor starts: it waits in the proxy's queue here.
  const early = new Uint8Array([1, 2, 3]).buffer;
  holder.tell("keep", payload(early));
  assert.equal(await holder.ask("askKept", ["get", undefined]), 1);
  assert.equal(early.byteLength, 0, "detached here: it moved");
  // Sent to the running actor.
  const late = new Uint8Array([4, 5]).buffer;
  holder.tell("keep", payload(late));
  assert.equal(await holder.ask("askKept", ["get", undefined]), 1);
  assert.equal(late.byteLength, 0, "detached here: it moved");
});

Deno.test("a reply with a malformed ref fails its ask at once, saying so", async () => {
  await using system = new ActorSystem({ host: "a" });
  const sent: Envelope[] = [];
  const off = system.link("b", (env) => sent.push(env));
  const asked = system.refFor({ host: "b", id: 1 }).ask("get");
  const ask = sent[0] as Extract<Envelope, { kind: "ask" }>;
  assert.equal(ask.kind, "ask");
  const bad = { "~troupe/ref": ["", "x"] };
  assert.throws(
    () =>
      system.deliver({
        kind: "reply",
        to: ask.from,
        corr: ask.corr,
        payload: { bad },
        refs: true,
      }),
    EnvelopeError,
  );
  await assert.rejects(asked, /bad ref \["", "x"\]/);
  off();
});

Deno.test("an ask with a malformed ref is answered with why, to an actor or to the system", async () => {
  await using system = new ActorSystem({ host: "a" });
  const sent: Envelope[] = [];
  const off = system.link("b", (env) => sent.push(env));
  const store = system.spawn(Store, 0);
  for (const id of [store.address.id, 0]) {
    assert.throws(
      () =>
        system.deliver({
          kind: "ask",
          to: { host: "a", id },
          from: { host: "b", id: 0 },
          corr: 7 + id,
          name: id === 0 ? "troupe:lookup" : "get",
          payload: [{ "~troupe/ref": ["b"] }],
          refs: true,
        }),
      EnvelopeError,
    );
    const answer = sent.pop();
    assert.equal(answer?.kind, "failure", JSON.stringify(answer));
    assert.equal(answer.corr, 7 + id);
    assert.match(
      answer.failure.type === "handler" ? answer.failure.error.message : "",
      /bad ref \["b"\]/,
    );
  }
  assert.equal(await store.ask("get"), 0);
  off();
});

Deno.test("an actor on a host of a node's own (a worker there) is reached from here by its ref, and keeps a name it registers", async () => {
  await using system = new ActorSystem();
  const n1 = attachLocalNode(system, "n1");
  await n1.attached.ready;
  const holder = system.spawn(Holder, undefined, onNode("n1"));
  // Its child runs on a worker host of n1's: n1's proxy of it comes back.
  const proxy = await holder.ask("spawnHolder", "worker") as ActorRef;
  // Its own ref is by that proxy's address, on n1; a child it spawned
  // there is by its address on that worker, which is under n1's.
  const { self, child: [leaf] } = await proxy.ask("refs") as {
    self: ActorRef;
    child: ActorRef[];
  };
  const [nodeHost, there] = await Promise.all(
    [holder, self].map(async (r) => (await r.ask("where")).host),
  );
  assert.ok(there.startsWith(`${nodeHost}/`), `${there} under ${nodeHost}`);
  assert.deepEqual(self.address, proxy.address);
  assert.equal(leaf.address.host, there);
  assert.equal(await leaf.ask("get"), 5);
  // Used from here by the refs it gave: asked, watched, and by name.
  await proxy.ask("keep", { deep: [{ ref: leaf }] });
  assert.deepEqual(await proxy.ask("register", ["w", "self"]), { ok: true });
  assert.deepEqual(await proxy.ask("register", ["leaf", "kept"]), { ok: true });
  const found = await system.lookup("w", { scope: "cluster" });
  assert.deepEqual(found?.address, proxy.address);
  const notices: string[] = [];
  system.watch(self, (t) => notices.push(`self: ${t.reason.type}`));
  system.watch(leaf, (t) => notices.push(`leaf: ${t.reason.type}`));
  assert.equal((await found!.ask("where") as { host: string }).host, there);
  // Still named after a round trip to it: the names' watches were not
  // refused.
  assert.deepEqual(
    (await system.lookup("w", { scope: "cluster" }))?.address,
    proxy.address,
  );
  const leafFound = await system.lookup("leaf", { scope: "cluster" });
  assert.equal(leafFound?.address.host, there);
  assert.equal(await leafFound?.ask("get"), 5);
  assert.deepEqual(notices, []);
  n1.cut();
  await until(() => notices.length === 2, "the notices");
  assert.deepEqual(notices.sort(), ["leaf: host-down", "self: host-down"]);
});

Deno.test("an actor on a host's own host (a node's worker, a worker's process) reaches an actor here by its ref, not its parent's actor of the same id", async () => {
  await using system = new ActorSystem();
  const n1 = attachLocalNode(system, "n1");
  await n1.attached.ready;
  const here = system.spawn(Store, 40); // id 1 here, as the first holder there
  const outer: SpawnOptions[] = [onNode("n1"), { placement: "worker" }];
  const inner = ["worker", "process"] as const;
  for (let i = 0; i < 2; i++) {
    const holder = system.spawn(Holder, undefined, outer[i]);
    const nested = await holder.ask("spawnHolder", inner[i]) as ActorRef<
      typeof Holder
    >;
    await nested.ask("keep", { deep: [{ ref: here }] });
    await nested.ask("askKept", ["add", 1]);
    assert.equal(await nested.ask("askKept", ["get", undefined]), 41 + i);
    assert.equal(await here.ask("get"), 41 + i);
  }
  n1.cut();
});

Deno.test("a tell that came over a link and cannot go on to its actor's host is a dead letter: its sender's host lives on", async () => {
  await using system = new ActorSystem();
  const store = system.spawn(Store, 0, { placement: "process" });
  const relay = system.spawn(Relay, undefined, { placement: "worker" });
  const letters: string[] = [];
  system.deadLetters.subscribe((d) => letters.push(`${d.name}: ${d.reason}`));
  const why: string[] = [];
  system.subscribe((e) => {
    if (e.type === "failed") why.push(e.error.message);
  });
  // Shared memory crosses to a worker, not to a process: the relay on its
  // worker tells it to the process actor, through the proxy here.
  await relay.ask("tell", [store.address, "note", new SharedArrayBuffer(8)]);
  await relay.ask("tell", [store.address, "note", "plain"]);
  assert.deepEqual(await store.ask("seen"), ["plain"]);
  assert.equal(system.stats(relay).status, "running");
  assert.notEqual((await relay.ask("where")).host, system.host);
  assert.deepEqual(letters, ["note: no-route"]);
  assert.equal(why.length, 1);
  assert.match(
    why[0],
    /cannot send "note" to store#1 on a process host: payload is a SharedArrayBuffer/,
  );
});

Deno.test("a tell from a link that a router here cannot route (its key function throws) is a loss here: its sender's host lives on", async () => {
  await using system = new ActorSystem();
  const Routed = defineRouter({
    of: Store,
    args: [0, 0],
    routing: {
      hash: (_name, payload) => (payload as { user: string }).user.trim(),
    },
  });
  const router = system.spawn(Routed);
  const relay = system.spawn(Relay, undefined, { placement: "worker" });
  const why: string[] = [];
  system.subscribe((e) => {
    if (e.type === "failed") why.push(e.error.message);
  });
  await relay.ask("tell", [router.address, "note", "no user"]);
  await relay.ask("tell", [router.address, "note", { user: " a " }]);
  // (Routed by the same key as the note.)
  const seen = await router.ask("seen", { user: "a" } as never);
  assert.deepEqual(seen, [{ user: " a " }]);
  assert.equal(system.stats(relay).status, "running");
  assert.equal(system.deadLetters.count, 1);
  assert.equal(why.length, 1);
  assert.match(why[0], /trim/);
});

Deno.test("a tell or an ask passed on here that cannot cross to the next host is refused here: its sender's host lives on", async () => {
  await using system = new ActorSystem();
  const holder = system.spawn(Holder, undefined, { placement: "process" });
  // A holder it spawned on its host: by its address there, not a proxy's
  // here.
  const self = await holder.ask("spawnHolder", "local") as ActorRef;
  assert.notEqual(self.address.host, system.host);
  const relay = system.spawn(Relay, undefined, { placement: "worker" });
  const shared = new SharedArrayBuffer(8);
  // By its address there: through this system, which passes it on.
  await relay.ask("tell", [self.address, "keepFromMap", shared]);
  const asked = await relay.ask("outcome", [
    self.address,
    "keepFromMap",
    shared,
  ]);
  assert.ok("error" in asked, JSON.stringify(asked));
  assert.match(asked.message, /payload is a SharedArrayBuffer/);
  assert.equal(system.stats(relay).status, "running");
  assert.equal(await relay.ask("ask", [self.address, "kept", undefined]), null);
  assert.equal(system.deadLetters.count, 1);
  assert.equal(internals(system).links.outbound.size, 0);
});
