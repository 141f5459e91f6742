/**
 * Each node's actors as its heartbeat reports them (count, deepest
 * mailboxes, restarts, dead letters by reason): in the status, on the
 * dashboard's API and in /metrics; and a node's report that is too big or
 * malformed is refused with a typed error, the scheduler and the node
 * carrying on.
 */

import assert from "node:assert/strict";
import {
  type ActorRef,
  ActorSystem,
  child,
  defineActor,
  defineSupervisor,
} from "@troupe/troupe";
import {
  localCluster,
  serveDashboard,
  startCluster,
  TransportError,
} from "@troupe/troupe/cluster";
import type { ClusterStatus } from "@troupe/troupe/cluster";
import { Store } from "../fixtures/remote_actors.ts";
import { until } from "../helpers.ts";
import {
  actorReporter,
  checkActorReport,
  REPORT_NAME_MAX,
} from "../../cluster/wire/actor_report.ts";
import { runWithSecret } from "./deno_run.ts";

/** Opened at the end of a test, so that the `Stuck` actors may stop. */
let gate = Promise.withResolvers<void>();

/** An actor that finishes a `block` only at `gate`, and crashes on `crash`. */
const Stuck = defineActor({
  name: "stuck",
  init: () => ({}),
  handlers: {
    block: () => gate.promise,
    poke: () => {},
    crash: (): never => {
      throw new Error("crash");
    },
  },
});

Deno.test("actorReporter: the 5 deepest mailboxes deepest first, names cut, restarts counted, dead letters by reason; checkActorReport takes what it makes", async () => {
  gate = Promise.withResolvers<void>();
  await using system = new ActorSystem();
  const { report, stop } = actorReporter(system);
  // Seven stuck actors with 1..7 messages waiting (one with a long name).
  for (let depth = 1; depth <= 7; depth++) {
    const ref = system.spawn(Stuck, undefined, {
      mailbox: { capacity: 10 },
      ...(depth === 7 ? { name: "n".repeat(500) } : {}),
    });
    ref.tell("block", undefined);
    for (let i = 0; i < depth; i++) ref.tell("poke", undefined);
  }
  // A supervised one that crashes twice: two restarts.
  const sup = system.spawn(defineSupervisor({
    strategy: "one_for_one",
    children: [child("c", Stuck, undefined)],
  }));
  const c = await sup.ask("child", "c") as ActorRef;
  c.tell("crash", undefined);
  await until(() => report().restarts === 1, "a restart");
  c.tell("crash", undefined);
  await until(() => report().restarts === 2, "two restarts");
  const r = report();
  assert.deepEqual(r.deepest.map((m) => m.depth), [7, 6, 5, 4, 3]);
  assert.ok(r.deepest.every((m) => m.capacity === 10));
  assert.equal(r.deepest[0].actor.length, REPORT_NAME_MAX);
  assert.match(r.deepest[0].actor, /^stuck "n+$/);
  assert.match(r.deepest[1].actor, /^stuck#\d+$/);
  assert.equal(r.mailboxes, 28);
  assert.equal(r.count, 9);
  assert.deepEqual(checkActorReport(r), r);
  // A message to nobody: counted by its reason.
  system.refFor({ host: system.host, id: 999_999 }).tell("poke", undefined);
  await until(
    () => report().deadLetters["dead-target"] === 1,
    "the dead letter",
  );
  stop();
  gate.resolve();
});

Deno.test("a node's actors report shows its full mailbox and its dead letters by reason, in the status, /api/status and /metrics", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 1,
    heartbeatMs: 100,
    logger: () => {},
  });
  const [node] = cluster.status().nodes;
  // A store that never finishes its first message, with a mailbox of 3:
  // of the 10 told after, what does not fit is dropped on the node.
  const store = system.spawn(Store, 0, {
    placement: "node",
    host: node.name,
    mailbox: { capacity: 3, overflow: "drop-newest" },
  });
  assert.equal(await store.ask("get"), 0);
  store.tell("hang", undefined);
  for (let i = 0; i < 10; i++) store.tell("add", 1);
  const seen = () => {
    const a = cluster.status().nodes[0]?.actors;
    return (a?.deadLetters["mailbox-full"] ?? 0) + (a?.deepest[0]?.depth ?? 0);
  };
  await until(
    () => seen() === 10,
    "the node's report of the full mailbox",
    10_000,
  );
  const actors = cluster.status().nodes[0].actors!;
  assert.ok(actors.count >= 2, "the store and the node's graph worker");
  assert.equal(actors.restarts, 0);
  const [deepest] = actors.deepest;
  assert.equal(actors.deepest.length, 1);
  assert.match(deepest.actor, /^store#\d+$/);
  assert.equal(deepest.capacity, 3);
  assert.ok(deepest.depth >= 1 && deepest.depth <= 3, `${deepest.depth}`);
  assert.equal(actors.mailboxes, deepest.depth);
  const dropped = actors.deadLetters["mailbox-full"];
  assert.equal(dropped, 10 - deepest.depth);

  await using dashboard = serveDashboard(cluster);
  const status: ClusterStatus = await (await fetch(
    new URL("api/status", dashboard.url),
  )).json();
  assert.deepEqual(status.nodes[0].actors, actors);
  const metrics = await (await fetch(new URL("metrics", dashboard.url)))
    .text();
  const label = `node="${node.name}"`;
  assert.match(
    metrics,
    new RegExp(
      `^troupe_node_dead_letters_total\\{${label},reason="mailbox-full"\\} ${dropped}$`,
      "m",
    ),
  );
  assert.match(
    metrics,
    new RegExp(
      `^troupe_node_mailbox_deepest\\{${label}\\} ${deepest.depth}$`,
      "m",
    ),
  );
  assert.match(
    metrics,
    new RegExp(`^troupe_node_actor_restarts_total\\{${label}\\} 0$`, "m"),
  );
});

Deno.test("a node's actors report that is too big or malformed is refused with a typed error; the scheduler and the node carry on", async () => {
  await using system = new ActorSystem();
  const warnings: string[] = [];
  await using cluster = startCluster(system, {
    logger: (m) => warnings.push(m),
  });
  const node = runWithSecret(
    new URL("../fixtures/bogus_node.ts", import.meta.url).pathname,
    [cluster.address, "actors"],
    cluster.secret as string,
  );
  await cluster.waitForNodes(1);
  // Five bad reports (10,000 mailboxes, a 100,000-character name, a count
  // of -1, a reason that is none, a string), then a sound one.
  await until(
    () => cluster.status().nodes[0]?.actors !== undefined,
    "the sound report after the bad ones",
    10_000,
  );
  assert.deepEqual(cluster.status().nodes[0].actors, {
    count: 3,
    mailboxes: 2,
    restarts: 1,
    deadLetters: { "mailbox-full": 5 },
    deepest: [{ actor: "a#1", depth: 1, capacity: 4 }],
  });
  const refused = warnings.filter((w) => /actors report refused/.test(w));
  assert.equal(refused.length, 1, "logged once, however many: " + warnings);
  assert.match(
    refused[0],
    /^node bogus sent an actors report refused: TransportError: protocol: actors report: 10000 mailboxes \(at most 5\)/,
  );
  assert.ok(refused[0].length < 300, "the log line is bounded");
  assert.equal(cluster.nodes().length, 1, "the node keeps its place");
  await cluster.close();
  await node.status;
});

Deno.test("checkActorReport names what is wrong with a report, as a TransportError", () => {
  const sound = {
    count: 1,
    mailboxes: 0,
    restarts: 0,
    deadLetters: {},
    deepest: [],
  };
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    [[], /not an object/],
    [{ ...sound, count: 1.5 }, /count is not a count/],
    [{ ...sound, restarts: Infinity }, /restarts is not a count/],
    [{ ...sound, deadLetters: [] }, /deadLetters is not an object/],
    [
      {
        ...sound,
        deadLetters: Object.fromEntries(
          Array.from({ length: 17 }, (_, i) => [`r-${"x".repeat(i)}`, 1]),
        ),
      },
      /17 dead-letter reasons \(at most 16\)/,
    ],
    [{ ...sound, deadLetters: { __proto__x: 1 } }, /reason that is none/],
    [{ ...sound, deadLetters: { stopped: -2 } }, /"stopped" is not a count/],
    [{ ...sound, deepest: {} }, /deepest is not a list/],
    [{ ...sound, deepest: [null] }, /actor is not a name/],
    [
      { ...sound, deepest: [{ actor: "a", depth: 1, capacity: 0 }] },
      /capacity is not a bound/,
    ],
    [
      { ...sound, deepest: [{ actor: "a", depth: "1", capacity: 1 }] },
      /depth is not a count/,
    ],
  ];
  for (const [report, why] of cases) {
    assert.throws(
      () => checkActorReport(report),
      (e) =>
        e instanceof TransportError && e.code === "protocol" &&
        why.test(e.message),
      JSON.stringify(report)?.slice(0, 80),
    );
  }
  const extra = checkActorReport({
    ...sound,
    deepest: [{ actor: "a", depth: 2, capacity: Infinity, more: "x" }],
    extra: "x".repeat(10),
  });
  assert.deepEqual(extra, {
    ...sound,
    deepest: [{ actor: "a", depth: 2, capacity: Infinity }],
  });
});
