// Framing over real loopback sockets: order, batching, chunking, and every
// kind of bad frame closing its own connection only.

import assert from "node:assert/strict";
import { CrossingError } from "@troupe/troupe";
import {
  connectTransport,
  listenTransport,
} from "../../cluster/wire/endpoint.ts";
import type { FramedConnection } from "../../cluster/wire/framing.ts";
import { handshake } from "../../cluster/wire/handshake.ts";
import { TransportError } from "@troupe/troupe/cluster";
import { FramedConnection as Framed } from "../../cluster/wire/framing.ts";
import {
  framedPair,
  memoryLogger,
  prefix,
  rawToFramed,
  until,
  writeAll,
} from "./transport_helpers.ts";

/** Collect `n` values through onMessage. */
function collect(conn: FramedConnection, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  const done = Promise.withResolvers<unknown[]>();
  conn.onMessage((v) => {
    got.push(v);
    if (got.length === n) done.resolve(got);
  });
  return done.promise;
}

/** Whether `conn` still carries a value both ways. */
async function healthy(a: FramedConnection, b: FramedConnection) {
  a.send({ ping: 1 });
  assert.deepEqual(await b.receive(), { ping: 1 });
  b.send({ pong: 2 });
  assert.deepEqual(await a.receive(), { pong: 2 });
}

Deno.test("many values of many kinds arrive intact and in order", async () => {
  const [a, b] = await framedPair();
  const n = 50_000;
  const want: unknown[] = [];
  for (let i = 0; i < n; i++) {
    want.push(
      i % 5 === 0
        ? i
        : i % 5 === 1
        ? `s${i}`
        : i % 5 === 2
        ? { i, tags: ["a", "b"], nested: { ok: true } }
        : i % 5 === 3
        ? new Uint8Array([i & 255, 1, 2])
        : [i, null, 1.5],
    );
  }
  const got = collect(b, n);
  for (const v of want) a.send(v);
  assert.deepEqual(await got, want);
  assert.equal(b.counters.messagesIn, n);
  await a.close();
  await b.close();
});

Deno.test("small sends are batched: far fewer frames than values", async () => {
  const [a, b] = await framedPair();
  const n = 10_000;
  const got = collect(b, n);
  for (let i = 0; i < n; i++) a.send(i); // one turn: at most ceil(n / 4096) frames
  await a.flush();
  const values = await got;
  assert.equal(values.length, n);
  assert.equal(values[n - 1], n - 1);
  const sent = a.counters.framesOut;
  assert.ok(sent <= 3, `${n} values in ${sent} frames`);
  assert.equal(b.counters.framesIn, sent);
  assert.equal(a.bufferedAmount, 0);
  // Values sent in separate turns go in separate frames.
  a.send("x");
  await a.flush();
  a.send("y");
  await a.flush();
  assert.equal(a.counters.framesOut, sent + 2);
  await a.close();
  await b.close();
});

Deno.test("a 20 MB payload is chunked under a 1 MiB frame limit and put back together", async () => {
  const limits = { maxFrame: 1 << 20, chunkSize: 1 << 20 };
  const [a, b] = await framedPair(limits, limits);
  const big = new Uint8Array(20_000_000);
  for (let i = 0; i < big.length; i += 997) big[i] = i & 255;
  a.send("before");
  a.send(big);
  a.send("after");
  assert.equal(await b.receive(), "before");
  const got = await b.receive() as Uint8Array;
  assert.ok(got instanceof Uint8Array);
  assert.equal(got.length, big.length);
  assert.ok(got.every((x, i) => x === big[i]), "bytes differ");
  assert.equal(await b.receive(), "after");
  assert.ok(b.counters.framesIn >= 20, `${b.counters.framesIn} frames`);
  await a.close();
  await b.close();
});

Deno.test("a chunked batch above the message limit is refused before allocation", async () => {
  const [a, b] = await framedPair(
    { maxFrame: 1 << 16, chunkSize: 1 << 16 },
    { maxFrame: 1 << 16, maxMessage: 1 << 20, logger: () => {} },
  );
  a.send(new Uint8Array(2 << 20));
  const reason = await b.closed;
  assert.equal(reason.error?.code, "oversize");
  assert.match(reason.error!.message, /message limit/);
  await a.close();
});

Deno.test("a chunked batch gets memory for the pieces that come, not for the size it declares", async () => {
  const [raw, victim] = await rawToFramed();
  const external = () => Deno.memoryUsage().external;
  const before = external();
  // [1, total, piece]: the first piece of a 768 MiB batch, 1 KiB long.
  const total = 768 * 1024 * 1024;
  const piece = new Uint8Array(1024).fill(0x90);
  const body = new Uint8Array(2 + 9 + 5 + piece.length);
  const v = new DataView(body.buffer);
  body[0] = 0x93;
  body[1] = 0x01;
  body[2] = 0xcf;
  v.setBigUint64(3, BigInt(total));
  body[11] = 0xc6;
  v.setUint32(12, piece.length);
  body.set(piece, 16);
  await writeAll(raw, prefix(body.length));
  await writeAll(raw, body);
  await until(() => victim.counters.framesIn === 1);
  const grown = external() - before;
  assert.ok(grown < 64 * 1024 * 1024, `${grown >> 20} MiB for a 1 KiB piece`);
  raw.close();
  const reason = await victim.closed;
  assert.equal(reason.error?.code, "truncated");
  assert.match(reason.error!.message, /1024 bytes into a 805306368-byte/);
});

Deno.test("a 4 GiB length prefix closes that connection only, with nothing allocated", async () => {
  const [raw, victim] = await rawToFramed();
  const [a, b] = await framedPair();
  const rssBefore = Deno.memoryUsage().rss;
  await writeAll(raw, prefix(0xffff_ffff));
  await writeAll(raw, new Uint8Array(64).fill(7));
  const reason = await victim.closed;
  assert.equal(reason.kind, "error");
  assert.ok(reason.error instanceof TransportError);
  assert.equal(reason.error.code, "oversize");
  assert.match(reason.error.message, /frame length 4294967295 exceeds/);
  assert.ok(
    Deno.memoryUsage().rss - rssBefore < 1 << 30,
    "a gigabyte was allocated",
  );
  await healthy(a, b);
  raw.close();
  await a.close();
  await b.close();
});

Deno.test("bytes that are not MessagePack are a malformed frame", async () => {
  const [raw, victim] = await rawToFramed();
  // An array32 header claiming 4G elements, then nothing.
  const body = new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]);
  await writeAll(raw, prefix(body.length));
  await writeAll(raw, body);
  const reason = await victim.closed;
  assert.equal(reason.error?.code, "malformed");
  assert.match(reason.error!.message, /not MessagePack/);
  raw.close();
});

Deno.test("MessagePack of the wrong shape is a protocol violation", async () => {
  const [raw, victim] = await rawToFramed();
  const body = new Uint8Array([0xa3, 0x61, 0x62, 0x63]); // the string "abc"
  await writeAll(raw, prefix(body.length));
  await writeAll(raw, body);
  const reason = await victim.closed;
  assert.equal(reason.error?.code, "protocol");
  assert.match(reason.error!.message, /neither a batch/);
  raw.close();
});

Deno.test("text garbage (an HTTP request) is refused by its length prefix", async () => {
  const [raw, victim] = await rawToFramed();
  await writeAll(raw, new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
  const reason = await victim.closed;
  assert.equal(reason.error?.code, "oversize");
  raw.close();
});

Deno.test("a half-written frame then EOF is a truncated frame", async () => {
  const [raw, victim] = await rawToFramed();
  await writeAll(raw, prefix(100));
  await writeAll(raw, new Uint8Array(10));
  await raw.closeWrite();
  const reason = await victim.closed;
  assert.equal(reason.error?.code, "truncated");
  assert.match(reason.error!.message, /10 bytes into a 100-byte frame/);
  raw.close();
});

Deno.test("EOF inside a length prefix is truncated too; at a frame boundary it is a clean EOF", async () => {
  const [raw, victim] = await rawToFramed();
  await writeAll(raw, new Uint8Array([0, 0]));
  raw.close();
  const reason = await victim.closed;
  assert.equal(reason.error?.code, "truncated");
  assert.match(reason.error!.message, /length prefix/);

  const [a, b] = await framedPair();
  a.send(1);
  await a.close();
  assert.equal(await b.receive(), 1);
  assert.deepEqual(await b.closed, { kind: "eof" });
  await assert.rejects(b.receive(), /closed: the peer closed/);
  assert.throws(() => a.send(2), /closed: send on a closed connection/);
});

Deno.test("the iterator yields every value then ends; it throws when the connection failed", async () => {
  const [a, b] = await framedPair();
  for (let i = 0; i < 5; i++) a.send(i);
  await a.close();
  const got: unknown[] = [];
  for await (const v of b) got.push(v);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);

  const [raw, victim] = await rawToFramed();
  await writeAll(raw, prefix(0x7fff_ffff));
  await assert.rejects(async () => {
    for await (const _ of victim) { /* nothing comes */ }
  }, /oversize/);
  raw.close();
});

Deno.test("a value that cannot cross is refused at send, naming the part; the rest still go", async () => {
  const [a, b] = await framedPair();
  a.send(1);
  assert.throws(() => a.send(Symbol("nope")), CrossingError);
  assert.throws(() => a.send({ f: () => 1 }), /value\.f is a function/);
  assert.throws(() => a.send([new WeakMap()]), /value\[0\] is a WeakMap/);
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.throws(
    () => a.send(cycle),
    /nested more than 100 levels deep, or is a cycle/,
  );
  a.send(3);
  assert.equal(await b.receive(), 1);
  assert.equal(await b.receive(), 3);
  assert.equal(a.counters.messagesOut, 2);
  await a.close();
  await b.close();
});

Deno.test("reading pauses at the high-water mark and resumes without losing a value", async () => {
  const [a, b] = await framedPair({}, { highWater: 1000 });
  for (let i = 0; i < 200_000; i++) a.send(i);
  // Nobody takes values yet: the reader stops at its high-water mark (the
  // rest waits in the socket buffers and the sender's queue).
  await until(() => b.counters.messagesIn >= 1000);
  let sum = 0;
  for (let i = 0; i < 200_000; i++) sum += await b.receive() as number;
  assert.equal(sum, (200_000 * 199_999) / 2);
  await a.close();
  await b.close();
});

Deno.test("after the handshake a 4 GiB prefix closes that peer with a logged reason; others go on", async () => {
  const { lines, log } = memoryLogger();
  await using server = listenTransport({
    secret: "s3cret",
    logger: log,
    onConnection: async (conn) => {
      for await (const m of conn) conn.send(m);
    },
  });
  const good = await connectTransport(`127.0.0.1:${server.addr.port}`, {
    secret: "s3cret",
  });
  // A peer that authenticates properly, then misbehaves.
  const raw = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.addr.port,
  });
  const framed = new Framed(raw);
  await handshake(framed, "connect", {
    nodeId: "rogue",
    secret: "s3cret",
    maxFrame: 1 << 20,
    maxMessage: 1 << 20,
  });
  await until(() => server.connections.size === 2);
  await writeAll(raw, prefix(0xffff_ffff));
  await until(() => lines.some((l) => l.includes("node rogue")));
  assert.match(lines.join("\n"), /closed .* \(node rogue\): oversize/);
  assert.equal((await framed.closed).kind, "eof");
  good.send("still here");
  assert.equal(await good.receive(), "still here");
  assert.equal(server.connections.size, 1);
  await good.close();
});

Deno.test("a big payload through the endpoints follows the receiver's smaller frame limit", async () => {
  await using server = listenTransport({
    maxFrame: 256 * 1024,
    onConnection: async (conn) => {
      for await (const m of conn) conn.send((m as Uint8Array).length);
    },
  });
  await using conn = await connectTransport(`127.0.0.1:${server.addr.port}`);
  assert.equal(conn.peer?.maxFrame, 256 * 1024);
  conn.send(new Uint8Array(5_000_000));
  assert.equal(await conn.receive(), 5_000_000);
});
