/**
 * An actor's own ref (`ctx.self`) on a worker, process or node host is the
 * actor's, as the ref that `spawn` (or its supervisor's `child`) gave is: it
 * outlives a supervised restart, in place after a crash or on a fresh host
 * after its host was lost. Whoever holds it (this program, an actor on the
 * same host, an actor on another host) reaches the restarted actor, hears
 * nothing of the restart and one notice when the actor is stopped for good,
 * and a name for the whole cluster registered from it stays.
 */

import assert from "node:assert/strict";
import {
  type ActorRef,
  ActorSystem,
  child,
  defineSupervisor,
  HandlerError,
  type SpawnOptions,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { Holder, type Notice, Store } from "../fixtures/remote_actors.ts";
import { until } from "../helpers.ts";
import { attachLocalNode } from "../node_link.ts";

const cluster = { scope: "cluster" } as const;

for (const placement of ["worker", "process", "node"] as const) {
  Deno.test(`[${placement}] a ref taken from ctx.self outlives supervised restarts: asked, watched and named through it`, async () => {
    await using system = new ActorSystem();
    const nodes = placement === "node" ? [attachLocalNode(system, "n1")] : [];
    await Promise.all(nodes.map((n) => n.attached.ready));
    // The child, and a holder on its host (for a node without `host`: the
    // only one attached); another holder on a host of its own.
    const where: SpawnOptions = placement === "node"
      ? { placement }
      : { placement, host: "a" };
    const beside: SpawnOptions = placement === "node"
      ? { placement, host: "n1" }
      : where;
    const sup = system.spawn(defineSupervisor({
      intensity: 10,
      periodMs: 60_000,
      children: [child("s", Store, 5, where)],
    }));
    const s = (await sup.ask("child", "s")) as ActorRef<typeof Store>;
    const near = system.spawn(Holder, undefined, beside);
    const far = system.spawn(Holder, undefined, {
      placement: "worker",
      host: "b",
    });
    const [sHost, nearHost, farHost] = await Promise.all(
      [s, near, far].map(async (r) => (await r.ask("where")).host),
    );
    assert.equal(nearHost, sHost);
    assert.notEqual(farHost, sHost);

    // Its own ref: asked for, and sent by itself to both holders.
    const self = (await s.ask("self")) as ActorRef<typeof Store>;
    await s.ask("sendSelf", near);
    await s.ask("sendSelf", far);
    for (const h of [near, far]) {
      await until(async () => (await h.ask("kept")) !== null, "the hand-over");
      await h.ask("watchKept");
    }
    const heard: Termination[] = [];
    system.watch(self, (t) => heard.push(t));
    await s.ask("register", "s");
    // From its own host it is reached directly: its proxy here sees none
    // of it (nor of what it tells itself).
    const through = system.stats(s).received;
    await near.ask("askKept", ["add", 1]);
    await s.ask("addSelf", 1);
    assert.equal(system.stats(s).received, through + 1);
    await far.ask("askKept", ["add", 1]);
    assert.equal(await self.ask("get"), 8);

    const unheard = async (what: string) => {
      // (After a round trip through each watcher: a notice would be there.)
      for (const h of [near, far]) {
        assert.deepEqual(
          await h.ask("notices"),
          [],
          `${what}: ${JSON.stringify(h.address)}`,
        );
      }
      assert.deepEqual(heard, [], what);
    };
    const restarted = (n: number) =>
      until(
        () =>
          system.stats(s).restarts === n &&
          system.stats(s).status === "running",
        `restart ${n}`,
      );

    // 1. A crash, through that ref: restarted in place.
    await assert.rejects(self.ask("fail", "boom"), HandlerError);
    await restarted(1);
    assert.equal(await self.ask("get"), 5, "the restarted actor, fresh state");
    assert.equal(await near.ask("askKept", ["get", undefined]), 5);
    assert.equal(await far.ask("askKept", ["get", undefined]), 5);
    const named = await system.lookup("s", { ...cluster, behavior: Store });
    assert.equal(await named?.ask("get"), 5, "the name is still there");
    await unheard("after a restart in place");
    // Its own ref is the one its supervisor hands out.
    assert.deepEqual(self.address, s.address);
    // It tells itself through it, in its new incarnation too.
    await s.ask("addSelf", 2);
    assert.equal(await s.ask("get"), 7);

    // 2. A crash with messages behind it, sent at once by the holder on its
    // host through its new own ref (straight to its mailbox there): the
    // tell and the ask queued behind the crash go to the next incarnation,
    // as those queued behind a local actor's crash do.
    await s.ask("sendSelf", near);
    const queued = await near.ask("sendKept", [
      [["fail", "again"], ["add", 3]],
      ["get", undefined],
    ]);
    assert.equal(queued, 8, "fresh state (5) plus the queued add");
    assert.equal(system.stats(s).restarts, 2);
    await unheard("after a second restart");

    // 3. Its host lost: restarted on a fresh host (a node that is left).
    if (placement === "node") {
      const n2 = attachLocalNode(system, "n2");
      nodes.push(n2);
      await n2.attached.ready;
      nodes[0].cut();
    } else await system.stopHost("a");
    await restarted(3);
    assert.notEqual((await self.ask("where")).host, sHost);
    assert.equal(await self.ask("get"), 5);
    assert.equal(await far.ask("askKept", ["get", undefined]), 5);
    assert.equal(
      await (await system.lookup("s", { ...cluster, behavior: Store }))?.ask(
        "get",
      ),
      5,
    );
    assert.deepEqual(await far.ask("notices"), [], "after its host's loss");
    assert.equal(heard.length, 0, "after its host's loss");

    // 4. Stopped for good: one notice for each watcher, the name gone.
    await sup.ask("terminateChild", "s");
    await until(
      async () => heard.length > 0 && (await far.ask("notices")).length > 0,
      "the notices",
    );
    await until(
      async () => (await system.lookup("s", cluster)) === undefined,
      "the name's removal",
    );
    const notices: Notice[] = await far.ask("notices");
    assert.equal(heard.length, 1);
    assert.equal(notices.length, 1);
    assert.equal(heard[0].reason.type, "shutdown");
    assert.equal(notices[0].reason.type, "shutdown");
    assert.deepEqual(notices[0].address, s.address);
    for (const n of nodes) n.cut();
  });
}
