import assert from "node:assert/strict";
import {
  ActorSystem,
  AskAbortedError,
  child,
  createPool,
  defineSupervisor,
  MapAbortedError,
  type Placement,
  PoolFullError,
  TaskError,
  TaskTimeoutError,
} from "@troupe/troupe";
import { definePool } from "../../actors/pool/define_pool.ts";
import { tasks } from "../fixtures/tasks.ts";
import { tick, until } from "../helpers.ts";

/** Whether process `pid` is still alive (`ps` exits 1 when it is not). */
async function alive(pid: number): Promise<boolean> {
  const { code } = await new Deno.Command("ps", {
    args: ["-p", String(pid)],
    stdout: "null",
  }).output();
  return code === 0;
}

for (const placement of ["local", "worker", "process"] as Placement[]) {
  Deno.test(`[${placement}] map keeps input order; starmap spreads arguments`, async () => {
    await using system = new ActorSystem();
    // A process runner reads only the task module's folder: name it.
    const modules = [tasks.double.taskModule];
    const pool = createPool(system, { size: 2, placement, modules });
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    let progress = 0;
    const out = await pool.map(tasks.double, xs, {
      onProgress: (done, total) => {
        assert.equal(total, 10_000);
        assert.ok(done > progress);
        progress = done;
      },
    });
    assert.deepEqual(out, xs.map((x) => 2 * x));
    assert.equal(progress, 10_000);
    assert.deepEqual(await pool.starmap(tasks.add, [[1, 2], [3, 4]]), [3, 7]);
    assert.deepEqual(await pool.map(tasks.double, []), []);
    assert.equal(await pool.submit(tasks.add, 20, 22), 42);
    assert.equal(await pool.apply(tasks.double, 4), 8);
    await pool.close();
  });

  Deno.test(`[${placement}] a failing item fails the map with its index and error`, async () => {
    await using system = new ActorSystem();
    const modules = [tasks.double.taskModule];
    const pool = createPool(system, { size: 2, placement, modules });
    const err = await pool.map(tasks.unlucky, [1, 2, 13, 4], { chunksize: 1 })
      .catch((e) => e);
    assert.ok(err instanceof TaskError, String(err));
    assert.equal(err.index, 2);
    assert.equal(err.task, "unlucky");
    assert.equal((err.cause as Error).name, "RangeError");
    const one = await pool.submit(tasks.unlucky, 13).catch((e) => e);
    assert.ok(one instanceof TaskError);
    assert.equal(one.index, -1);
    assert.deepEqual(
      await pool.map(tasks.unlucky, [1, 2]),
      [1, 2],
      "pool fine",
    );
    await pool.close();
  });
}

Deno.test("imap yields in order; imapUnordered in completion order", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 3, placement: "local" });
  const items: [number, number][] = [[0, 60], [1, 5], [2, 30]];
  const ordered = [];
  for await (const x of pool.imap(tasks.sleepy, items, { chunksize: 1 })) {
    ordered.push(x);
  }
  assert.deepEqual(ordered, [0, 1, 2]);
  const unordered = [];
  for await (
    const x of pool.imapUnordered(tasks.sleepy, items, { chunksize: 1 })
  ) unordered.push(x);
  assert.deepEqual(unordered, [1, 2, 0]);
  await pool.close();
});

Deno.test("cancelling mid-map sends no further chunk", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  const ctl = new AbortController();
  const items = Array.from({ length: 200 }, (_, i): [number, number] => [i, 1]);
  let atAbort = -1;
  const err = await pool.map(tasks.sleepy, items, {
    chunksize: 1,
    signal: ctl.signal,
    onProgress: (done) => {
      if (done === 3) {
        atAbort = system.stats(pool.runners[0]).received;
        ctl.abort("enough");
      }
    },
  }).catch((e) => e);
  assert.ok(err instanceof MapAbortedError, String(err));
  assert.equal(err.cause, "enough");
  // Nothing was sent after the abort but the cancel of what was.
  assert.equal(system.stats(pool.runners[0]).received, atAbort + 1);
  assert.ok(atAbort < 200, `only part of the map was sent (${atAbort})`);
  await pool.close();
});

Deno.test("a map given an aborted signal rejects at once and starts nothing", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  const signal = AbortSignal.abort("too late");
  const items: [number, number][] = [[1, 1], [2, 1]];
  const calls: [string, () => Promise<unknown>][] = [
    ["map", () => pool.map(tasks.counted, items, { signal })],
    ["starmap", () => pool.starmap(tasks.add, [[1, 2]], { signal })],
    ["imap", async () => {
      for await (const _ of pool.imap(tasks.counted, items, { signal })) {
        // nothing arrives
      }
    }],
    ["imapUnordered", async () => {
      for await (
        const _ of pool.imapUnordered(tasks.counted, items, { signal })
      ) {
        // nothing arrives
      }
    }],
  ];
  for (const [name, call] of calls) {
    const err = await call().catch((e) => e);
    assert.ok(err instanceof MapAbortedError, `${name}: ${err}`);
    assert.equal(err.cause, "too late", name);
  }
  assert.equal(system.stats(pool.runners[0]).received, 0, "nothing was sent");
  await pool.close();
});

for (const placement of ["local", "worker", "process"] as Placement[]) {
  Deno.test(`[${placement}] after an abort, no item that had not started starts`, async () => {
    await using system = new ActorSystem();
    const pool = createPool(system, {
      size: 1,
      placement,
      modules: [tasks.counted.taskModule],
    });
    const before = await pool.submit(tasks.started);
    const ctl = new AbortController();
    // 200 items, one per chunk: many chunks wait at the runner.
    const items = Array.from({ length: 200 }, (_, i): [number, number] => [
      i,
      100,
    ]);
    let atAbort = -1;
    const err = await pool.map(tasks.counted, items, {
      chunksize: 1,
      signal: ctl.signal,
      onProgress: (done) => {
        if (done === 2) {
          atAbort = done;
          ctl.abort("enough");
        }
      },
    }).catch((e) => e);
    assert.ok(err instanceof MapAbortedError, String(err));
    // Queued behind whatever the runner still had: it has seen all of them.
    const started = (await pool.submit(tasks.started)) - before;
    // The items done, plus the one running when the abort came: no more.
    assert.ok(
      started >= atAbort && started <= atAbort + 1,
      `${started} items started, ${atAbort} were done at the abort`,
    );
    await pool.close();
  });
}

Deno.test("an imap left early (a break) stops its map", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  const before = await pool.submit(tasks.started);
  const items = Array.from({ length: 100 }, (_, i): [number, number] => [i, 5]);
  for (const ordered of [true, false]) {
    const seen: number[] = [];
    const stream = ordered
      ? pool.imap(tasks.counted, items, { chunksize: 1 })
      : pool.imapUnordered(tasks.counted, items, { chunksize: 1 });
    for await (const x of stream) {
      seen.push(x);
      if (seen.length === 2) break;
    }
    assert.equal(seen.length, 2);
  }
  // Each map ran the items it yielded and at most the one running then.
  const started = await pool.submit(tasks.started) - before;
  assert.ok(started <= 6, `${started} items started for 4 taken`);
  await pool.close();
});

for (const placement of ["local", "process"] as Placement[]) {
  Deno.test(`[${placement}] a run aborted while it waits at its runner never starts`, async () => {
    await using system = new ActorSystem();
    const pool = createPool(system, {
      size: 1,
      placement,
      modules: [tasks.counted.taskModule],
    });
    const before = await pool.submit(tasks.started);
    // The runner is busy; the run waits behind it, at the runner.
    const blocker = pool.run(tasks.sleepy, [[0, 200]]);
    const ctl = new AbortController();
    const waiting = pool.run(tasks.counted, [[1, 1]], { signal: ctl.signal });
    await until(
      () => system.stats(pool.runners[0]).received >= 3,
      "the run sent to the runner",
    );
    ctl.abort("no longer needed");
    const err = await waiting.catch((e) => e);
    assert.ok(err instanceof AskAbortedError, String(err));
    assert.equal(err.cause, "no longer needed");
    assert.equal(await blocker, 0);
    assert.equal(await pool.submit(tasks.started) - before, 0, "not started");
    await pool.close();
  });
}

Deno.test("a pool whose runners cannot start fails its work with why, and stops trying", async () => {
  // Process hosts that cannot start: their command does not exist.
  await using system = new ActorSystem({
    exec: { command: "/nonexistent/troupe-host", args: [] },
  });
  const pool = createPool(system, { size: 2, placement: "process" });
  // (Their starts fail later, asynchronously.)
  let failedStarts = 0;
  system.subscribe((e) => {
    if (e.type !== "failed") return;
    // A bound against the old failure (replacing them for ever, spinning):
    // stop it, and the count below says so.
    if (++failedStarts > 100) void pool.close();
  });
  const err = await pool.map(tasks.double, [1, 2, 3]).catch((e) => e);
  assert.ok(err instanceof Deno.errors.NotFound, String(err));
  assert.match(err.message, /troupe-host/);
  const again = await pool.submit(tasks.double, 1).catch((e) => e);
  assert.equal(again, err, "later work fails at once, with the same cause");
  await tick(20);
  // Each runner and its replacement tried once: no more.
  assert.ok(failedStarts <= 4, `${failedStarts} failed starts`);
  await pool.close();
});

Deno.test("close waits for the work in flight, past any shutdown timeout; terminate does not", async () => {
  // Runners stop within 20 ms when told to: work must not be cut by that.
  await using system = new ActorSystem({ shutdownTimeout: 20 });
  const pool = createPool(system, { size: 1, placement: "worker" });
  const items: [number, number][] = [[1, 300], [2, 1]];
  const mapped = pool.map(tasks.sleepy, items, { chunksize: 1 });
  const submitted = pool.submit(tasks.sleepy, [3, 300]);
  await until(() => system.stats(pool.runners[0]).received >= 1, "work sent");
  const closed = pool.close();
  await assert.rejects(pool.submit(tasks.double, 1), /the pool is closed/);
  assert.deepEqual(await mapped, [1, 2]);
  assert.equal(await submitted, 3);
  await closed;
  assert.equal(system.stats(pool.runners[0]).status, "dead");

  const other = createPool(system, { size: 1, placement: "worker" });
  const cut = other.map(tasks.sleepy, [[1, 300]]);
  await until(() => system.stats(other.runners[0]).received >= 1, "sent");
  await other.terminate();
  const err = await cut.catch((e) => e);
  assert.match(String(err), /the pool was terminated/);
});

Deno.test("a per-chunk timeout fails a slow map", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  const err = await pool.map(tasks.sleepy, [[1, 200]], { timeout: 20 })
    .catch((e) => e);
  assert.match(String(err), /timed out after 20 ms/);
  await pool.close();
});

Deno.test("a runner dying mid-map: the map completes, the retry is reported", async () => {
  await using system = new ActorSystem();
  const retried: string[] = [];
  const pool = createPool(system, {
    size: 2,
    placement: "worker",
    onRetry: (task, _runner, e) => retried.push(`${task} ${e.name}`),
  });
  const flag = new SharedArrayBuffer(4);
  const items = Array.from(
    { length: 40 },
    (_, i): [number, SharedArrayBuffer] => [i, flag],
  );
  const out = await pool.map(tasks.dieOnce, items, { chunksize: 5 });
  assert.deepEqual(out, items.map(([x]) => x));
  assert.equal(Atomics.load(new Int32Array(flag), 0), 1, "a worker did exit");
  // The chunks that were on the dead runner ran again elsewhere, and each
  // retry was reported (one per chunk it had in flight).
  assert.ok(retried.length >= 1 && retried.length <= 8, `${retried}`);
  // Named by the task, not by the message that carried it.
  assert.ok(retried.every((r) => r === "dieOnce ActorDeadError"), `${retried}`);
  // A submit whose runner dies is retried too, and reported the same way.
  retried.length = 0;
  assert.equal(
    await pool.submit(tasks.dieOnce, [7, new SharedArrayBuffer(4)]),
    7,
  );
  assert.deepEqual(retried, ["dieOnce ActorDeadError"]);
  // The dead runner was replaced: the pool is back to two.
  assert.equal(pool.runners.length, 2);
  assert.ok(pool.runners.every((r) => system.stats(r).status !== "dead"));
  await pool.close();
});

for (const placement of ["worker", "process"] as Placement[]) {
  Deno.test(`[${placement}] runners are recycled after recycleAfter messages, on fresh hosts`, async () => {
    await using system = new ActorSystem();
    const pool = createPool(system, {
      size: 1,
      placement,
      recycleAfter: 3,
      modules: [tasks.isolate.taskModule],
    });
    const seen: string[] = [];
    for (let i = 0; i < 9; i++) seen.push(await pool.submit(tasks.isolate, i));
    // Three messages per runner, each runner in an isolate of its own.
    const distinct = [...new Set(seen)];
    assert.ok(distinct.length >= 3, `${distinct.length} isolates`);
    for (const id of distinct) {
      assert.ok(seen.filter((s) => s === id).length <= 3);
    }
    // A map goes on across recycles and stays exact.
    const xs = Array.from({ length: 50 }, (_, i) => i);
    assert.deepEqual(
      await pool.map(tasks.double, xs, { chunksize: 5 }),
      xs.map((x) => 2 * x),
    );
    await pool.close();
    // Retired hosts were stopped: none of the pool's is left running.
    await until(
      () => system.hosts().every((h) => h.state === "down" || h.actors === 0),
      "retired hosts to stop",
    );
    assert.ok(system.hosts().length <= 1, JSON.stringify(system.hosts()));
  });
}

Deno.test("submit on a full queue waits, or rejects when told to", async () => {
  await using system = new ActorSystem();
  const waiting = createPool(system, {
    size: 1,
    placement: "local",
    maxQueue: 2,
  });
  const all = Array.from(
    { length: 6 },
    (_, i) => waiting.submit(tasks.double, i),
  );
  assert.deepEqual(await Promise.all(all), [0, 2, 4, 6, 8, 10]);
  const strict = createPool(system, {
    size: 1,
    placement: "local",
    maxQueue: 2,
    whenFull: "reject",
  });
  const results = await Promise.allSettled(
    Array.from({ length: 4 }, (_, i) => strict.submit(tasks.sleepy, [i, 5])),
  );
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "rejected",
    "rejected",
  ]);
  assert.ok(
    (results[2] as PromiseRejectedResult).reason instanceof PoolFullError,
  );
  await waiting.close();
  await strict.close();
});

Deno.test("many plain submits: a bounded number go to the runners at once, all settle, the queue bound still counts them", async () => {
  await using system = new ActorSystem();
  await using pool = createPool(system, { size: 2, placement: "local" });
  const n = 3_000;
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => pool.submit(tasks.unlucky, i)),
  );
  for (let i = 0; i < n; i++) {
    const r = results[i];
    if (i === 13) {
      assert.equal(r.status, "rejected");
      assert.match(String((r as PromiseRejectedResult).reason), /unlucky/);
    } else {
      assert.equal((r as PromiseFulfilledResult<number>).value, i);
    }
  }
  // The runners never had thousands of calls queued at once (they did
  // before submits were held in the pool: 1,500 each).
  for (const runner of pool.runners) {
    const { mailboxHighWater } = system.stats(runner);
    assert.ok(mailboxHighWater <= 300, `${mailboxHighWater} queued at once`);
  }
  // Held submits count toward maxQueue as sent ones do.
  await using strict = createPool(system, {
    size: 1,
    placement: "local",
    maxQueue: 1_000,
    whenFull: "reject",
  });
  const settled = await Promise.allSettled(
    Array.from({ length: 1_500 }, (_, i) => strict.submit(tasks.double, i)),
  );
  const rejected = settled.filter((r) => r.status === "rejected");
  assert.equal(rejected.length, 500);
  assert.ok(
    rejected.every((r) =>
      (r as PromiseRejectedResult).reason instanceof PoolFullError
    ),
  );
});

Deno.test("bad input to a pool is a clear error", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  // deno-lint-ignore no-explicit-any
  await assert.rejects(pool.map((() => 1) as any, [1]), /defineTasks/);
  await assert.rejects(
    pool.map(tasks.double, [1], { chunksize: 0 }),
    /chunksize must be an integer >= 1/,
  );
  assert.throws(() => createPool(system, { size: 0 }), /pool size/);
  await pool.close();
  await assert.rejects(pool.submit(tasks.double, 1), /pool is closed/);
});

Deno.test("a pool actor: named, watched, not blocked by a long map, supervised", async () => {
  await using system = new ActorSystem();
  const Pool = definePool({ size: 2, placement: "local", name: "pool" });
  const sup = system.spawn(defineSupervisor({
    children: [child("pool", Pool, undefined, { name: "squares" })],
  }));
  await sup.ask("children");
  const pool = system.lookup("squares", Pool)!;
  // A long map and a submit at once: the submit does not wait for the map.
  const slow = pool.ask("map", [tasks.sleepy, [[1, 80], [2, 80]], {
    chunksize: 1,
  }]);
  const quick = pool.ask("submit", [tasks.add, 2, 3]);
  const first = await Promise.race([
    slow.then(() => "map"),
    quick.then(() => "submit"),
  ]);
  assert.equal(first, "submit");
  assert.equal(await quick, 5);
  assert.deepEqual(await slow, [1, 2]);
  // Bad arguments are refused with a clear error.
  const untyped = pool as unknown as {
    ask(n: string, p: unknown): Promise<unknown>;
  };
  await assert.rejects(
    untyped.ask("submit", tasks.add),
    /takes its arguments as a list/,
  );
  await assert.rejects(untyped.ask("submit", [() => 1]), /defineTasks/);
  // A failing task reaches the asker as the pool's TaskError.
  const err = await pool.ask("submit", [tasks.unlucky, 13]).catch((e) => e);
  assert.ok(err instanceof TaskError, String(err));
  // Stopped, the pool is restarted by its supervisor with fresh runners.
  const runnersBefore = system.actors().filter((a) =>
    a.behavior === "troupe.task-runner"
  )
    .map((a) => a.address.id);
  await system.stop(pool);
  await until(() => system.stats(pool).restarts === 1, "the restart");
  assert.deepEqual(await pool.ask("map", [tasks.double, [1, 2]]), [2, 4]);
  const runnersAfter = system.actors().filter((a) =>
    a.behavior === "troupe.task-runner"
  )
    .map((a) => a.address.id);
  assert.ok(
    runnersAfter.every((id) => !runnersBefore.includes(id)),
    "fresh runners",
  );
});

Deno.test("an abort answers at once; with onAbort finish, running chunks still finish", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  const ctl = new AbortController();
  const finished: number[] = [];
  const map = pool.imap(tasks.sleepy, [[0, 300], [1, 300]], {
    chunksize: 1,
    signal: ctl.signal,
  });
  const consumed = (async () => {
    for await (const x of map) finished.push(x);
  })();
  await until(
    () => system.stats(pool.runners[0]).received >= 1,
    "a chunk sent",
  );
  ctl.abort("changed my mind");
  const err = await consumed.catch((e) => e);
  assert.ok(err instanceof MapAbortedError, String(err));
  // It rejected while the first 300 ms item was still running ...
  assert.deepEqual(finished, []);
  assert.equal(system.stats(pool.runners[0]).status, "running");
  // ... which then finished, unkilled; the runner is the same and idle.
  const runner = pool.runners[0];
  await until(() => system.stats(runner).processed >= 1, "the running chunk");
  assert.equal(pool.runners[0], runner);
  await pool.close();
});

Deno.test("onAbort kill: the busy runner's process is killed and replaced", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, {
    size: 1,
    placement: "process",
    ownHosts: true,
    modules: [tasks.spin.taskModule],
  });
  const pid = await pool.submit(tasks.where);
  assert.ok(await alive(pid));
  const ctl = new AbortController();
  const stuck = pool.map(tasks.spin, [1, 2], {
    signal: ctl.signal,
    onAbort: "kill",
  });
  await until(
    () => system.stats(pool.runners[0]).received >= 2,
    "the chunk sent",
  );
  await tick(200); // (let it reach the loop; a kill before that is a kill too)
  ctl.abort();
  await assert.rejects(stuck, MapAbortedError);
  await until(
    async () => !(await alive(pid)),
    "the stuck process to be killed",
  );
  // A fresh runner on a fresh process took its place.
  await until(
    () => system.stats(pool.runners[0]).status === "running",
    "replacement",
  );
  const fresh = await pool.submit(tasks.where);
  assert.notEqual(fresh, pid);
  assert.deepEqual(await pool.map(tasks.double, [1, 2, 3]), [2, 4, 6]);
  await pool.close();
});

Deno.test("onAbort kill on shared hosts is refused, before anything is sent", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "worker" });
  await assert.rejects(
    pool.map(tasks.double, [1], {
      signal: new AbortController().signal,
      onAbort: "kill",
    }),
    /ownHosts/,
  );
  assert.equal(system.stats(pool.runners[0]).received, 0);
  await pool.close();
});

Deno.test("taskTimeout fails the map at the item that overran, async or not", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local" });
  const slow = await pool.map(tasks.sleepy, [[0, 1], [1, 1], [2, 2_000]], {
    chunksize: 3,
    taskTimeout: 100,
  }).catch((e) => e);
  assert.ok(slow instanceof TaskTimeoutError, String(slow));
  assert.equal(slow.index, 2);
  assert.equal(slow.task, "sleepy");
  assert.match(slow.message, /item 2 after 100 ms/);
  const busy = await pool.map(tasks.busy, [[0, 0], [1, 150]], {
    chunksize: 2,
    taskTimeout: 50,
  }).catch((e) => e);
  assert.ok(busy instanceof TaskTimeoutError, String(busy));
  assert.equal(busy.index, 1);
  // Within their limit, the same tasks pass.
  assert.deepEqual(
    await pool.map(tasks.sleepy, [[0, 1], [1, 1]], { taskTimeout: 1_000 }),
    [0, 1],
  );
  await assert.rejects(
    pool.map(tasks.double, [1], { taskTimeout: 0 }),
    /taskTimeout must be > 0/,
  );
  await pool.close();
});

Deno.test("taskTimeout on a process runner stuck in a loop: its host is killed, the pool goes on", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, {
    size: 1,
    placement: "process",
    modules: [tasks.spin.taskModule],
  });
  const pid = await pool.submit(tasks.where);
  const err = await pool.map(tasks.spin, [7], { taskTimeout: 100 })
    .catch((e) => e);
  assert.ok(err instanceof TaskTimeoutError, String(err));
  assert.equal(err.index, 0);
  await until(async () => !(await alive(pid)), "the stuck host to be killed");
  await until(
    () => system.stats(pool.runners[0]).status === "running",
    "replacement",
  );
  assert.deepEqual(await pool.map(tasks.double, [5]), [10]);
  await pool.close();
});

Deno.test("run: a timeout and a signal, also while waiting for room", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "local", maxQueue: 1 });
  assert.equal(await pool.run(tasks.add, [2, 3]), 5);
  const late = await pool.run(tasks.sleepy, [[1, 500]], { timeout: 30 })
    .catch((e) => e);
  assert.ok(late instanceof TaskTimeoutError, String(late));
  assert.equal(late.index, -1);
  // The queue is full (the sleeper still runs): a waiting run can be aborted,
  // and its place is not lost.
  const blocker = pool.run(tasks.sleepy, [[2, 100]]);
  const ctl = new AbortController();
  const waiting = pool.run(tasks.double, [1], { signal: ctl.signal });
  ctl.abort(new Error("no longer needed"));
  await assert.rejects(waiting, /no longer needed/);
  assert.equal(await blocker, 2);
  assert.equal(await pool.run(tasks.double, [21]), 42);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    pool.run(tasks.double, 1 as any),
    /arguments as a list/,
  );
  await pool.close();
});

Deno.test("recycleAboveHeapMb replaces a worker runner whose heap grew too big", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, {
    size: 1,
    placement: "worker",
    recycleAboveHeapMb: 48,
  });
  const isolates = new Set<string>();
  for (let i = 0; i < 12; i++) {
    isolates.add(await pool.submit(tasks.hog, 16));
    await tick(25); // (heap checks are at most every 20 ms)
  }
  assert.ok(isolates.size >= 2, `${isolates.size} isolate(s)`);
  assert.throws(
    () => createPool(system, { placement: "local", recycleAboveHeapMb: 10 }),
    /worker or process placement/,
  );
  await pool.close();
  await until(
    () => system.hosts().every((h) => h.state === "down" || h.actors === 0),
    "retired hosts to stop",
  );
});

Deno.test("a process pool that may not read its task module says to give it `modules`", async () => {
  await using system = new ActorSystem();
  const pool = createPool(system, { size: 1, placement: "process" });
  try {
    await assert.rejects(pool.submit(tasks.double, 2), (e: unknown) => {
      assert.match(
        String((e as Error).message) + String((e as Error).cause),
        /give the pool `modules: \[import\.meta\.url\]`/,
      );
      return true;
    });
  } finally {
    await pool.close();
  }
});
