/**
 * The actor-core contract, run again for every placement: the same
 * behaviour on this event loop, on a Web Worker host and on a subprocess
 * host must answer the same way.
 */
import assert from "node:assert/strict";
import {
  ActorDeadError,
  type ActorRef,
  ActorSystem,
  AskTimeoutError,
  child,
  defineSupervisor,
  HandlerError,
  type Placement,
  transfer,
  UnknownMessageError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { Counter } from "../fixtures/behaviors.ts";
import { tick, until } from "../helpers.ts";

const PLACEMENTS: Placement[] = ["local", "worker", "process"];

for (const placement of PLACEMENTS) {
  Deno.test(`[${placement}] tell and ask, typed, in order`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 40, { placement });
    for (let i = 0; i < 100; i++) c.tell("add", 1);
    // (The first ask waits for the host to start: under a loaded parallel
    // run that took longer than the default 5 s deadline once.)
    assert.equal(await c.ask("get", undefined, { timeout: 60_000 }), 140);
    assert.deepEqual(await c.ask("echo", { a: [1, "x", null] }), {
      a: [1, "x", null],
    });
  });

  Deno.test(`[${placement}] a handler error crosses with name, message and stack`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 0, { placement });
    const err = await c.ask("fail", "out of range").catch((e) => e);
    assert.ok(err instanceof HandlerError);
    assert.equal(err.original.name, "RangeError");
    assert.equal(err.original.message, "out of range");
    assert.match(err.original.stack ?? "", /fixtures\/behaviors\.ts/);
    assert.equal((err.cause as Error).name, "RangeError");
  });

  Deno.test(`[${placement}] ask times out; unknown messages are refused`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 0, { placement });
    await system.whenStarted(c);
    const err = await c.ask("slow", 300, { timeout: 30 }).catch((e) => e);
    assert.ok(err instanceof AskTimeoutError);
    assert.match(err.message, /"slow"/);
    const untyped = c as unknown as ActorRef<
      { kind: "behavior"; name: string; handlers: { nope: () => void } }
    >;
    await assert.rejects(untyped.ask("nope"), UnknownMessageError);
  });

  Deno.test(`[${placement}] a crash is one death, heard once, and later asks fail`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 0, { placement });
    const notices: Termination[] = [];
    system.watch(c, (t) => notices.push(t));
    await assert.rejects(c.ask("fail", "boom"), HandlerError);
    await until(() => notices.length === 1, "the termination notice");
    await tick(10);
    assert.equal(notices.length, 1);
    assert.equal(notices[0].reason.type, "failed");
    await assert.rejects(c.ask("get"), ActorDeadError);
  });

  Deno.test(`[${placement}] a supervisor restarts the child in place`, async () => {
    await using system = new ActorSystem();
    const sup = system.spawn(defineSupervisor({
      children: [child("c", Counter, 5, { placement })],
    }));
    const c = (await sup.ask("child", "c"))! as ActorRef<typeof Counter>;
    c.tell("add", 1);
    assert.equal(await c.ask("get"), 6);
    await assert.rejects(c.ask("fail", "boom"), HandlerError);
    await until(() => system.stats(c).restarts === 1, "the restart");
    assert.equal(await c.ask("get"), 5, "same ref, fresh state");
  });

  Deno.test(`[${placement}] messages queued behind a crash go to the restarted child`, async () => {
    await using system = new ActorSystem();
    const sup = system.spawn(defineSupervisor({
      children: [child("c", Counter, 5, { placement })],
    }));
    const c = (await sup.ask("child", "c"))! as ActorRef<typeof Counter>;
    await c.ask("get");
    // Sent without waiting: all three reach the actor before it has crashed.
    const crash = c.ask("fail", "boom");
    c.tell("add", 5);
    const after = c.ask("get");
    await assert.rejects(crash, HandlerError);
    assert.equal(await after, 10, "fresh state (5) plus the queued add");
    assert.equal(system.stats(c).restarts, 1);
  });

  Deno.test(`[${placement}] order holds when messages take different paths`, async () => {
    // To a worker, plain data may go by the shared lane while a Map or a
    // transferred buffer goes by postMessage; per-sender order still holds.
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 0, { placement });
    await c.ask("get");
    const expected: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 7 === 3 && placement !== "process") {
        c.tell("note", new Map([["i", i]]));
        expected.push(`map:${i}`);
      } else if (i % 11 === 5 && placement !== "process") {
        c.tell("note", transfer(new Uint8Array([i % 256]).buffer));
        expected.push(`bytes:${i % 256}`);
      } else {
        c.tell("note", i);
        expected.push(i);
      }
      if (i % 50 === 0) await c.ask("get"); // let the lane warm up between
    }
    assert.deepEqual(await c.ask("notes"), expected);
  });

  Deno.test(`[${placement}] a payload that cannot cross is refused at the sender`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 0, { placement });
    const fn = () => 1;
    if (placement === "local") {
      // In one isolate anything goes: nothing is copied.
      assert.equal(await c.ask("echo", fn), fn);
      return;
    }
    assert.throws(
      () => c.tell("echo", { f: fn }),
      /cannot send "echo" to counter#1 on a .* host: payload\.f is a function/,
    );
    await assert.rejects(
      c.ask("echo", [Symbol("s")]),
      /payload\[0\] is a symbol/,
    );
    // A Map crosses as a Map everywhere; shared memory only to a worker.
    assert.ok((await c.ask("echo", new Map([[1, 2]]))) instanceof Map);
    const shared = new SharedArrayBuffer(8);
    if (placement === "process") {
      assert.throws(
        () => c.tell("echo", { shared }),
        /payload\.shared is a SharedArrayBuffer \(another process cannot share memory\)/,
      );
      // A view of shared memory is data: it arrives as a copy of its bytes.
      const view = new Float64Array(new SharedArrayBuffer(16));
      view[0] = -0;
      view[1] = 2.5;
      const back = await c.ask("echo", view) as Float64Array;
      assert.ok(
        back instanceof Float64Array &&
          !(back.buffer instanceof SharedArrayBuffer),
      );
      assert.deepEqual([...back], [-0, 2.5]);
    } else {
      assert.ok((await c.ask("echo", shared)) instanceof SharedArrayBuffer);
    }
    assert.equal(await c.ask("get"), 0, "the actor is fine");
  });

  Deno.test(`[${placement}] a reply that cannot cross fails the ask, not the host`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 4, { placement });
    if (placement === "local") {
      assert.equal(typeof (await c.ask("badReply")).f, "function");
      return;
    }
    const err = await c.ask("badReply").catch((e) => e);
    assert.ok(err instanceof HandlerError, String(err));
    assert.match(err.message, /reply cannot cross .*: reply\.f is a function/);
    assert.equal(await c.ask("get"), 4, "the actor and its host are fine");
  });
}
