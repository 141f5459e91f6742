/**
 * A value is the same value on every placement: one table of values echoed
 * through an echo actor (on this event loop, a Web Worker host, a process
 * host and a real cluster node) and an echo task (on worker hosts, process
 * hosts and cluster nodes), each compared exactly with what
 * `structuredClone` gives; and values that cannot cross fail the same way
 * everywhere.
 */

import assert from "node:assert/strict";
import {
  type ActorRef,
  ActorSystem,
  CrossingError,
  HandlerError,
  type Placement,
} from "@troupe/troupe";
import {
  createScheduler,
  delayed,
  type Scheduler,
  TaskFailedError,
} from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import {
  Echo,
  echoTasks,
  failingValues,
  valueTable,
} from "../fixtures/values.ts";
import { framedPair } from "./transport_helpers.ts";

const fixtures = new URL("../fixtures/", import.meta.url).pathname;
const show = (v: unknown) => Deno.inspect(v, { depth: 2 }).slice(0, 120);

/**
 * Assert that `actual` is exactly `expected` as a structured clone: numbers
 * by `Object.is`, the same prototypes, holes as holes, entries in the same
 * order, bytes by kind and content, errors by name, message, stack and
 * cause. (A typed array's bytes are compared, not the buffer around them:
 * over MessagePack a view arrives as its own bytes.)
 */
function assertSame(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected !== "object" || expected === null) {
    assert.ok(
      Object.is(actual, expected),
      `${path}: ${show(actual)}, want ${show(expected)}`,
    );
    return;
  }
  assert.ok(
    typeof actual === "object" && actual !== null,
    `${path}: ${show(actual)}, want an object`,
  );
  const proto = Object.getPrototypeOf(expected);
  assert.equal(
    Object.getPrototypeOf(actual),
    proto,
    `${path}: a ${actual.constructor?.name}, want a ${proto?.constructor?.name}`,
  );
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    assert.equal(a.length, expected.length, `${path}.length`);
    for (let i = 0; i < expected.length; i++) {
      assert.equal(i in a, i in expected, `${path}[${i}]: a hole or not`);
      assertSame(a[i], expected[i], `${path}[${i}]`);
    }
    return;
  }
  if (expected instanceof Map) {
    const a = [...(actual as Map<unknown, unknown>)];
    const e = [...expected];
    assert.equal(a.length, e.length, `${path}.size`);
    e.forEach(([k, v], i) => {
      assertSame(a[i][0], k, `${path}<key ${i}>`);
      assertSame(a[i][1], v, `${path}<value ${i}>`);
    });
    return;
  }
  if (expected instanceof Set) {
    const a = [...(actual as Set<unknown>)];
    const e = [...expected];
    assert.equal(a.length, e.length, `${path}.size`);
    e.forEach((v, i) => assertSame(a[i], v, `${path}<${i}>`));
    return;
  }
  if (expected instanceof Date) {
    assert.ok(
      Object.is((actual as Date).getTime(), expected.getTime()),
      `${path}: ${show(actual)}, want ${show(expected)}`,
    );
    return;
  }
  if (expected instanceof RegExp) {
    const a = actual as RegExp;
    assert.deepEqual(
      [a.source, a.flags, a.lastIndex],
      [expected.source, expected.flags, expected.lastIndex],
      path,
    );
    return;
  }
  if (ArrayBuffer.isView(expected) || expected instanceof ArrayBuffer) {
    const bytes = (v: ArrayBufferView | ArrayBuffer) =>
      v instanceof ArrayBuffer
        ? new Uint8Array(v)
        : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    assert.deepEqual(
      bytes(actual as ArrayBufferView),
      bytes(expected),
      `${path}: the bytes`,
    );
    return;
  }
  if (expected instanceof Error) {
    const a = actual as Error;
    assert.equal(a.name, expected.name, `${path}.name`);
    assert.equal(a.message, expected.message, `${path}.message`);
    assert.equal(
      Object.hasOwn(a, "message"),
      Object.hasOwn(expected, "message"),
      `${path}: an own message or not`,
    );
    assert.equal(a.stack, expected.stack, `${path}.stack`);
    assert.equal(
      Object.hasOwn(a, "cause"),
      Object.hasOwn(expected, "cause"),
      `${path}: a cause or not`,
    );
    assertSame(a.cause, expected.cause, `${path}.cause`);
    assert.deepEqual(Object.keys(a), Object.keys(expected), `${path}: keys`);
    return;
  }
  if (
    expected instanceof Number || expected instanceof String ||
    expected instanceof Boolean || expected instanceof BigInt
  ) {
    assert.ok(
      Object.is((actual as object).valueOf(), expected.valueOf()),
      `${path}: ${show(actual)}, want ${show(expected)}`,
    );
    return;
  }
  const keys = Object.keys(expected);
  assert.deepEqual(Object.keys(actual), keys, `${path}: keys`);
  for (const k of keys) {
    assertSame(
      (actual as Record<string, unknown>)[k],
      (expected as Record<string, unknown>)[k],
      `${path}.${k}`,
    );
  }
}

/** Echo every value of the table through `echo`, compared with a clone. */
async function echoTable(
  where: string,
  echo: (v: unknown) => Promise<unknown>,
): Promise<void> {
  for (const [label, value] of valueTable()) {
    const expected = structuredClone(value);
    let got: unknown;
    try {
      got = await echo(value);
    } catch (e) {
      throw new Error(`[${where}] ${label}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    assertSame(got, expected, `[${where}] ${label}`);
  }
}

/** The table and the failing values through an echo actor at `ref`. */
async function actorChecks(
  where: string,
  ref: ActorRef<typeof Echo>,
): Promise<void> {
  await echoTable(`${where} actor`, (v) => ref.ask("echo", v));
  for (const [label, value, part] of failingValues()) {
    const err = await ref.ask("echo", value as never).catch((e) => e);
    assert.ok(err instanceof CrossingError, `[${where}] ${label}: ${err}`);
    assert.match(
      err.message,
      new RegExp(`^cannot send "echo" to echo#\\d+ on a \\w+ host: `),
    );
    assert.match(err.message, part, `[${where}] ${label}`);
    assert.throws(() => ref.tell("echo", value as never), CrossingError);
  }
  // A reply that cannot cross fails its ask, with the same error.
  for (const what of ["function", "symbol"]) {
    const err = await ref.ask("make", what).catch((e) => e);
    assert.ok(err instanceof HandlerError, `[${where}] make ${what}: ${err}`);
    assert.equal(err.original.name, "CrossingError");
    assert.match(err.message, /the reply cannot cross to the asker's host/);
  }
  assert.ok(Object.is(await ref.ask("echo", -0), -0), "the actor lives on");
}

/** The table and the failing values through an echo task on `scheduler`. */
async function taskChecks(where: string, scheduler: Scheduler): Promise<void> {
  await echoTable(
    `${where} task`,
    async (v) => (await scheduler.compute(delayed(echoTasks.echo)(v)))[0],
  );
  for (const [label, value, part] of failingValues()) {
    const err = await scheduler.compute(delayed(echoTasks.echo)(value)).catch(
      (e) => e,
    );
    assert.ok(err instanceof TaskFailedError, `[${where}] ${label}: ${err}`);
    assert.ok(err.cause instanceof CrossingError, String(err.cause));
    assert.match(
      err.cause.message,
      new RegExp(part.source.replace("payload", "payload\\[4\\]\\[0\\]")),
      `[${where}] ${label}`,
    );
  }
  // A result that cannot cross to the caller fails the computation, naming
  // the task (instead of being computed again and again).
  for (const what of ["function", "symbol"]) {
    const call = delayed(echoTasks.make)(what);
    const err = await within(
      scheduler.compute(call).catch((e) => e),
      60_000,
      `[${where}] a result that cannot cross`,
    );
    assert.ok(err instanceof CrossingError, `[${where}] make ${what}: ${err}`);
    assert.match(
      err.message,
      new RegExp(`the value of ${call.key} cannot cross`),
    );
  }
  const [alive] = await scheduler.compute(delayed(echoTasks.echo)(-0));
  assert.ok(Object.is(alive, -0), "the workers live on");
}

/** `p`, or a failure after `ms` (a bound against hanging). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} hung`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

for (const placement of ["local", "worker", "process"] as Placement[]) {
  Deno.test(`[${placement}] every value of the table crosses an echo actor as structuredClone gives it; what cannot cross fails the same way`, async () => {
    await using system = new ActorSystem();
    const echo = system.spawn(Echo, undefined, { placement });
    await system.whenStarted(echo);
    if (placement === "local") {
      // In one isolate nothing is copied: the very same value comes back.
      for (const [label, value] of valueTable()) {
        assert.ok(Object.is(await echo.ask("echo", value), value), label);
      }
      return;
    }
    await actorChecks(placement, echo);
  });
}

for (const placement of ["worker", "process"] as const) {
  Deno.test(`[${placement}] every value of the table crosses an echo task as structuredClone gives it; what cannot cross fails the same way`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, {
      placement,
      workers: 1,
      // A process host reads only troupe and what it is granted.
      ...(placement === "process" ? { permissions: { read: [fixtures] } } : {}),
    });
    await taskChecks(placement, scheduler);
  });
}

Deno.test("[node] every value of the table crosses an echo actor and an echo task on a cluster node as structuredClone gives it; what cannot cross fails the same way", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, {
    nodes: 2,
    read: [fixtures],
  });
  const echo = system.spawn(Echo, undefined, {
    placement: "node",
    host: "local-1",
  });
  await actorChecks("node", echo);
  await taskChecks("node", cluster.scheduler);
  // An input that cannot cross to the node its task runs on fails that
  // task, naming why (it was fetched again and again before).
  const made = delayed(echoTasks.make, { workers: ["local-1"] })("function");
  const uses = delayed(echoTasks.echo, { workers: ["local-2"] })(made);
  const err = await within(
    cluster.scheduler.compute(uses).catch((e) => e),
    60_000,
    "a task whose input cannot cross",
  );
  assert.ok(err instanceof TaskFailedError, String(err));
  assert.equal(err.key, uses.key);
  assert.ok(err.cause instanceof CrossingError, String(err.cause));
  assert.match(
    err.cause.message,
    /an input cannot cross to its worker: .*\.f is a function/,
  );
});

Deno.test("[transport] every value of the table crosses a cluster connection as structuredClone gives it, in one batch and one by one, and in chunks", async () => {
  // (A chunk size below the largest values: they go in pieces.)
  const [a, b] = await framedPair({ chunkSize: 64 * 1024 });
  try {
    const table = valueTable();
    for (const [, value] of table) a.send(value);
    for (const [label, value] of table) {
      assertSame(await b.receive(), structuredClone(value), label);
    }
    for (const [label, value] of table) {
      a.send(value);
      await a.flush();
      assertSame(await b.receive(), structuredClone(value), label);
    }
    for (const [label, value, part] of failingValues()) {
      assert.throws(
        () => a.send(value),
        (e: unknown) =>
          e instanceof CrossingError &&
          part.test(e.message.replace(/^value/, "payload")),
        label,
      );
    }
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("[worker] an object reached twice comes back as one object, on the shared-memory lane too; over MessagePack, as two equal copies", async () => {
  await using system = new ActorSystem();
  const worker = system.spawn(Echo, undefined, { placement: "worker" });
  const process = system.spawn(Echo, undefined, { placement: "process" });
  await Promise.all([system.whenStarted(worker), system.whenStarted(process)]);
  // Sequential asks: once warm, each small batch takes the lane.
  for (let i = 0; i < 200; i++) {
    const shared = { n: i };
    const back = await worker.ask("echo", { a: shared, b: [shared] }) as {
      a: unknown;
      b: unknown[];
    };
    assert.equal(
      back.a,
      back.b[0],
      `round ${i}: one object, as a clone keeps it`,
    );
  }
  const shared = { n: 1 };
  const copies = await process.ask("echo", { a: shared, b: shared }) as {
    a: unknown;
    b: unknown;
  };
  assert.notEqual(copies.a, copies.b);
  assert.deepEqual(copies.a, copies.b);
});
