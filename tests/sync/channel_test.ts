import { Channel, ClosedError, select } from "@troupe/troupe/sync";
import assert from "node:assert/strict";
import { seeded, tick } from "../helpers.ts";

Deno.test("Channel: an unbuffered send resolves only when a receiver takes it", async () => {
  const ch = new Channel<number>();
  let sent = false;
  const sending = ch.send(1).then(() => sent = true);
  await tick();
  assert.equal(sent, false);
  assert.deepEqual(ch.waiting, { senders: 1, receivers: 0 });
  assert.equal(ch.size, 0); // nothing buffered: the sender holds it
  assert.equal(await ch.receive(), 1);
  await sending;
  assert.ok(sent);
  // A receiver first: the send completes at once.
  const receiving = ch.receive();
  assert.ok(ch.trySend(2));
  assert.equal(await receiving, 2);
  assert.equal(ch.trySend(3), false);
});

Deno.test("Channel: a buffered channel holds n values, then send waits", async () => {
  const ch = new Channel<number>(2);
  await ch.send(1);
  await ch.send(2);
  let third = false;
  const p = ch.send(3).then(() => third = true);
  await tick();
  assert.equal(third, false);
  assert.equal(await ch.receive(), 1);
  await p;
  assert.equal(ch.size, 2);
  assert.deepEqual([await ch.receive(), await ch.receive()], [2, 3]);
});

Deno.test("Channel: close rejects waiting senders, drains the buffer, ends iteration", async () => {
  const ch = new Channel<number>(1);
  await ch.send(1);
  const blocked = ch.send(2);
  ch.close();
  await assert.rejects(blocked, ClosedError);
  await assert.rejects(ch.send(3), ClosedError);
  assert.deepEqual(await Array.fromAsync(ch), [1]);
  await assert.rejects(ch.receive(), ClosedError);
  const un = new Channel<number>();
  const r = un.receive();
  un.close();
  await assert.rejects(r, ClosedError);
  assert.throws(() => new Channel(-1), RangeError);
});

Deno.test("Channel: senders and receivers are served FIFO", async () => {
  const ch = new Channel<number>();
  const sends = [1, 2, 3].map((x) => ch.send(x));
  const got = [await ch.receive(), await ch.receive(), await ch.receive()];
  await Promise.all(sends);
  assert.deepEqual(got, [1, 2, 3]);
  const receives = [ch.receive(), ch.receive()];
  await ch.send(10);
  await ch.send(20);
  assert.deepEqual(await Promise.all(receives), [10, 20]);
});

Deno.test("select: takes what is ready, in the order given; takes nothing from the others", async () => {
  const a = new Channel<string>(1);
  const b = new Channel<string>(1);
  await a.send("a");
  await b.send("b");
  const first = await select([b, a]);
  assert.equal(first.value, "b");
  assert.equal(first.channel, b);
  assert.equal(first.index, 0);
  assert.equal(a.size, 1);
  // Waiting: the first send to either wins; the other keeps its value.
  const waiting = Channel.race([b, new Channel<string>()]);
  assert.equal(b.waiting.receivers, 1);
  await b.send("b2");
  assert.equal((await waiting).value, "b2");
  assert.deepEqual(b.waiting, { senders: 0, receivers: 0 });
});

Deno.test("select: an unbuffered sender is not consumed by a select that lost", async () => {
  const x = new Channel<number>();
  const y = new Channel<number>();
  const picked = select([x, y]);
  const sx = x.send(1);
  const sy = y.send(2); // select already took x's value: this must wait
  assert.equal((await picked).value, 1);
  await sx;
  let ySent = false;
  void sy.then(() => ySent = true);
  await tick();
  assert.equal(ySent, false, "the rendezvous on y has not happened");
  assert.equal(await y.receive(), 2);
  await sy;
});

Deno.test("select: closed channels are skipped; all closed is ClosedError", async () => {
  const a = new Channel<number>();
  const b = new Channel<number>();
  a.close();
  const p = select([a, b]);
  await b.send(5);
  assert.equal((await p).index, 1);
  const q = select([a, b]);
  b.close();
  await assert.rejects(q, ClosedError);
  await assert.rejects(select([a, b]), ClosedError);
});

Deno.test("select property: many selecting receivers over random senders lose nothing", async () => {
  for (const seed of [31, 32, 33]) {
    const rand = seeded(seed);
    const channels = [
      new Channel<number>(),
      new Channel<number>(2),
      new Channel<number>(1),
    ];
    const N = 600;
    const seen = new Uint8Array(N);
    let received = 0;
    let next = 0;
    const senders = channels.map(async (ch) => {
      for (let k = 0; k < N / channels.length; k++) {
        const item = next++;
        if (rand() < 0.5) await tick(Math.floor(rand() * 2));
        await ch.send(item);
      }
    });
    const receivers = Array.from({ length: 4 }, async () => {
      for (;;) {
        const ac = new AbortController();
        if (rand() < 0.1) queueMicrotask(() => ac.abort());
        try {
          const { value } = await select(channels, { signal: ac.signal });
          seen[value]++;
          received++;
        } catch (e) {
          if (e instanceof ClosedError) return;
        }
      }
    });
    await Promise.all(senders);
    for (const ch of channels) ch.close();
    await Promise.all(receivers);
    assert.equal(received, N, `seed ${seed}`);
    assert.ok(seen.every((c) => c === 1), `seed ${seed}: each exactly once`);
  }
});
