import {
  ClosedError,
  Queue,
  SyncError,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { seeded, tick } from "../helpers.ts";

Deno.test("Queue: 1,000,000 items through a bounded queue, 4 producers, 3 consumers: none lost, none twice", async () => {
  const N = 1_000_000;
  const producers = 4;
  const consumers = 3;
  const q = new Queue<number>({ maxSize: 64 });
  const seen = new Uint8Array(N);
  let highWater = 0;
  const produce = async (p: number): Promise<void> => {
    for (let i = p; i < N; i += producers) {
      await q.put(i);
      if (q.size > highWater) highWater = q.size;
    }
  };
  const consume = async (): Promise<number> => {
    let n = 0;
    for await (const x of q) {
      seen[x]++;
      n++;
    }
    return n;
  };
  const taking = Array.from({ length: consumers }, consume);
  await Promise.all(Array.from({ length: producers }, (_, p) => produce(p)));
  q.close();
  const counts = await Promise.all(taking);
  assert.equal(counts.reduce((a, b) => a + b, 0), N);
  assert.ok(counts.every((c) => c > 0), `every consumer took some: ${counts}`);
  assert.ok(seen.every((c) => c === 1), "each item exactly once");
  assert.ok(highWater <= 64);
});

Deno.test("Queue: items come out FIFO and waiting getters are served in order", async () => {
  const q = new Queue<string>();
  const getters = [q.get(), q.get()];
  assert.deepEqual(q.waiting, { getters: 2, putters: 0 });
  await q.put("a");
  await q.put("b");
  await q.put("c");
  assert.deepEqual(await Promise.all(getters), ["a", "b"]);
  assert.equal(await q.get(), "c");
});

Deno.test("Queue: a full queue makes put wait; putters go in FIFO order", async () => {
  const q = new Queue<number>({ maxSize: 2 });
  assert.ok(q.tryPut(1));
  assert.ok(q.tryPut(2));
  assert.ok(!q.tryPut(3));
  const puts = [q.put(3), q.put(4)];
  assert.deepEqual(q.waiting, { getters: 0, putters: 2 });
  const got: number[] = [];
  for (let i = 0; i < 4; i++) got.push(await q.get());
  await Promise.all(puts);
  assert.deepEqual(got, [1, 2, 3, 4]);
  assert.deepEqual(q.tryGet(), { ok: false });
  assert.throws(() => new Queue({ maxSize: 0 }), RangeError);
});

Deno.test("Queue: a put that times out adds nothing", async () => {
  const q = new Queue<number>({ maxSize: 1 });
  await q.put(1);
  await assert.rejects(q.put(2, { timeout: 1 }), WaitTimeoutError);
  assert.equal(await q.get(), 1);
  assert.equal(q.size, 0);
  assert.equal(q.unfinished, 1);
});

Deno.test("Queue: close refuses puts, rejects waiters, drains what is left", async () => {
  const q = new Queue<number>({ maxSize: 1 });
  await q.put(1);
  const blocked = q.put(2);
  q.close();
  q.close(); // idempotent
  await assert.rejects(blocked, ClosedError);
  await assert.rejects(q.put(3), ClosedError);
  assert.throws(() => q.tryPut(3), ClosedError);
  assert.equal(await q.get(), 1);
  await assert.rejects(q.get(), ClosedError);

  const empty = new Queue<number>();
  const getter = empty.get();
  const iterating = Array.fromAsync(empty);
  empty.close();
  await assert.rejects(getter, ClosedError);
  assert.deepEqual(await iterating, []);
});

Deno.test("Queue: join waits for taskDone of every item", async () => {
  const q = new Queue<number>();
  const done: number[] = [];
  for (let i = 0; i < 5; i++) await q.put(i);
  const workers = [0, 1].map(async () => {
    for (;;) {
      const r = q.tryGet();
      if (!r.ok) return;
      await tick();
      done.push(r.value);
      q.taskDone();
    }
  });
  await q.join();
  assert.equal(done.length, 5);
  await Promise.all(workers);
  await q.join(); // nothing unfinished: at once
  assert.throws(() => q.taskDone(), SyncError);
});

Deno.test("a LIFO queue: last in, first out; bounded like a FIFO one", async () => {
  const q = new Queue<number>({ maxSize: 3, order: "lifo" });
  for (const x of [1, 2, 3]) await q.put(x);
  const waiting = q.put(4);
  assert.equal(await q.get(), 3);
  await waiting; // 4 went in when 3 came out
  const out: number[] = [];
  q.close();
  for await (const x of q) out.push(x);
  assert.deepEqual(out, [4, 2, 1]);
});

Deno.test("a priority queue: lowest first, stable for equal priority", async () => {
  const rand = seeded(99);
  const q = new Queue<{ p: number; seq: number }>({
    priority: (x) => x.p,
  });
  const items = Array.from({ length: 2_000 }, (_, seq) => ({
    p: Math.floor(rand() * 10),
    seq,
  }));
  for (const x of items) await q.put(x);
  const out: { p: number; seq: number }[] = [];
  while (q.size > 0) out.push(await q.get());
  const expected = [...items].sort((a, b) => a.p - b.p || a.seq - b.seq);
  assert.deepEqual(out, expected);

  const natural = new Queue<string>({ order: "priority" });
  for (const s of ["pear", "apple", "fig"]) natural.tryPut(s);
  assert.deepEqual(
    [await natural.get(), await natural.get(), await natural.get()],
    ["apple", "fig", "pear"],
  );
  const highest = new Queue<number>({
    order: "priority",
    compare: (a, b) => b - a,
  });
  for (const x of [3, 9, 1]) highest.tryPut(x);
  assert.equal(await highest.get(), 9);
  // An order that contradicts the options, or none known, is refused.
  assert.throws(
    () => new Queue<number>({ order: "lifo", compare: (a, b) => a - b }),
    /compare and priority order items by priority, not "lifo"/,
  );
  assert.throws(
    () => new Queue({ order: "random" as "fifo" }),
    /order must be "fifo", "lifo" or "priority", got "random"/,
  );
});

Deno.test("Queue property: random producers, consumers, timeouts and aborts conserve items", async () => {
  for (const seed of [21, 22, 23, 24]) {
    const rand = seeded(seed);
    const q = new Queue<number>({ maxSize: 1 + Math.floor(rand() * 4) });
    const put = new Set<number>();
    const got: number[] = [];
    let next = 0;
    const producers = Array.from({ length: 4 }, async () => {
      for (let k = 0; k < 40; k++) {
        await tick(Math.floor(rand() * 2));
        const item = next++;
        const timeout = rand() < 0.3 ? Math.floor(rand() * 2) : undefined;
        try {
          await q.put(item, { timeout });
          put.add(item);
        } catch (e) {
          assert.ok(e instanceof WaitTimeoutError);
        }
      }
    });
    const consumers = Array.from({ length: 3 }, async () => {
      for (;;) {
        await tick(Math.floor(rand() * 2));
        const ac = new AbortController();
        const r = rand();
        if (r < 0.2) ac.abort();
        try {
          got.push(await q.get({ signal: ac.signal }));
        } catch (e) {
          if (e instanceof ClosedError) return;
        }
      }
    });
    await Promise.all(producers);
    q.close();
    await Promise.all(consumers);
    // Exactly the items whose put succeeded came out, once each.
    assert.equal(got.length, put.size, `seed ${seed}`);
    assert.deepEqual(new Set(got), put, `seed ${seed}`);
    assert.equal(q.size, 0);
  }
});
