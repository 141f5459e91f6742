/**
 * Node hosts: a host attached over a link (a cluster connection) works as
 * any other host. Here the link is in-process and passes each batch through
 * MessagePack, as a network link would.
 */

import assert from "node:assert/strict";
import { ActorDeadError, ActorSystem, HostError } from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { Counter } from "../fixtures/behaviors.ts";
import { until } from "../helpers.ts";
import { attachLocalNode } from "../node_link.ts";
import { attachHost } from "../../actors/hosts/attach_host.ts";

Deno.test("an actor on a node: tell, ask, errors and stop, as anywhere", async () => {
  await using system = new ActorSystem();
  const { attached } = attachLocalNode(system, "n1");
  await attached.ready;
  const c = system.spawn(Counter, 5, { placement: "node", host: "n1" });
  c.tell("add", 2);
  assert.equal(await c.ask("get"), 7);
  assert.deepEqual(await c.ask("echo", { a: [1, "x"] }), { a: [1, "x"] });
  assert.equal(system.hosts().find((h) => h.name === "n1")?.kind, "node");
  await system.stop(c);
  assert.equal(system.stats(c).status, "dead");
});

Deno.test("a node whose link drops: its actors die once, with host-down", async () => {
  await using system = new ActorSystem();
  const { attached, cut } = attachLocalNode(system, "n2");
  await attached.ready;
  const c = system.spawn(Counter, 0, { placement: "node", host: "n2" });
  await system.whenStarted(c);
  const notices: Termination[] = [];
  system.watch(c, (t) => notices.push(t));
  const pending = c.ask("slow", 1_000).catch((e) => e);
  cut();
  await until(() => notices.length > 0, "the termination notice");
  assert.equal(notices.length, 1);
  assert.equal(notices[0].reason.type, "host-down");
  assert.ok((await pending) instanceof ActorDeadError);
  // A name freed by a dropped node can be attached again.
  const again = attachLocalNode(system, "n2");
  await again.attached.ready;
  const d = system.spawn(Counter, 1, { placement: "node", host: "n2" });
  assert.equal(await d.ask("get"), 1);
  again.cut();
});

Deno.test("node placement needs an attached node: the one named, or any", async () => {
  await using system = new ActorSystem();
  // Without `host`, any attached node: here there is none.
  const homeless = system.spawn(Counter, 0, { placement: "node" });
  await assert.rejects(homeless.ask("get"), /no node is attached/);
  const ghost = system.spawn(Counter, 0, {
    placement: "node",
    host: "nowhere",
  });
  await assert.rejects(ghost.ask("get"), /no node named "nowhere"/);
  const { attached, cut } = attachLocalNode(system, "n3");
  await attached.ready;
  assert.throws(
    () =>
      attachHost(system, "n3", {
        send() {},
        close() {},
        closed: new Promise(() => {}),
      }),
    (e) => e instanceof HostError && /already attached/.test(e.message),
  );
  assert.throws(
    () =>
      attachHost(system, "a/b", {
        send() {},
        close() {},
        closed: new Promise(() => {}),
      }),
    /without "\/"/,
  );
  cut();
});
