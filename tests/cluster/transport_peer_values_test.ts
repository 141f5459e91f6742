// What a peer sends is never stringified or logged unbounded: a hello, a
// client's request, a sync request, a graph, a peer-data request and a
// peer-data answer whose values are huge (long strings, long lists) are
// refused with a message of bounded length, and the listener goes on.

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  connectTransport,
  listenTransport,
} from "../../cluster/wire/endpoint.ts";
import {
  type FramedConnection,
  FramedConnection as Framed,
} from "../../cluster/wire/framing.ts";
import { PROTOCOL_VERSION } from "../../cluster/wire/handshake.ts";
import { runNode, startCluster } from "@troupe/troupe/cluster";
import {
  closePeers,
  pullFrom,
  serveData,
  setPeerConfig,
} from "../../cluster/wire/peer_data.ts";
import { memoryLogger, prefix, writeAll } from "./transport_helpers.ts";
import { sharedReferences } from "../hostile/harness.ts";
import { until } from "../helpers.ts";

const SECRET = "peer values secret";
/** Longer than any sound message, shorter than the pre-auth frame limit. */
const LONG = "x".repeat(20_000);
const MANY = Array.from({ length: 5_000 }, (_, i) => i);
/** A message built from a peer's value stays below this many characters. */
const BOUND = 600;

function hello(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    t: "hello",
    protocol: PROTOCOL_VERSION,
    node: "peer",
    nonce: new Uint8Array(32).fill(7),
    auth: true,
    maxFrame: 1 << 20,
    ...fields,
  };
}

/** Send `value` on a fresh raw connection; resolve when the listener closes it. */
async function sendRaw(port: number, value: unknown): Promise<unknown[]> {
  const raw = await Deno.connect({ hostname: "127.0.0.1", port });
  const conn = new Framed(raw);
  conn.send(value);
  const replies: unknown[] = [];
  try {
    for await (const m of conn) replies.push(m);
  } catch { /* closed with an error: fine */ }
  await conn.close();
  return replies;
}

Deno.test("a hello carrying huge values is refused with a bounded reason, and the next peer gets in", async () => {
  const { lines, log } = memoryLogger();
  await using server = listenTransport({
    secret: SECRET,
    logger: log,
    onConnection: (conn) => conn.send("welcome"),
  });
  const cases: [Record<string, unknown>, RegExp][] = [
    [hello({ protocol: LONG }), /version: the peer speaks protocol "x+…/],
    [hello({ protocol: MANY }), /version: the peer speaks protocol \[0, 1, /],
    [{ t: MANY }, /expected a handshake "hello" message, got \[0, 1/],
    [{ t: "reject", code: "auth", reason: LONG }, /refused the connection/],
    [{ t: "reject", code: "auth", reason: MANY }, /refused the connection/],
  ];
  for (const [value, reason] of cases) {
    const before = lines.length;
    const replies = await sendRaw(server.addr.port, value);
    await until(() => lines.length > before, "the refusal logged");
    const line = lines[lines.length - 1];
    assert.match(line, reason);
    assert.ok(line.length < BOUND, `${line.length} characters: ${line}`);
    // What the listener told the peer is bounded too.
    const refusal = replies.find((r) => (r as { t?: string }).t === "reject") as
      | { reason: string }
      | undefined;
    assert.ok(
      refusal === undefined || refusal.reason.length < BOUND,
      `the refusal sent is ${refusal?.reason.length} characters`,
    );
  }
  await using good = await connectTransport(`127.0.0.1:${server.addr.port}`, {
    secret: SECRET,
  });
  assert.equal(await good.receive(), "welcome");
});

Deno.test("a client's malformed requests with huge values get bounded errors; the cluster goes on", async () => {
  const { lines, log } = memoryLogger();
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { secret: SECRET, logger: log });
  const answers = new Map<number, { t: string; error?: { message: string } }>();
  const open = async (): Promise<FramedConnection> => {
    const conn = await connectTransport(cluster.address, { secret: SECRET });
    conn.send({ t: "client", id: `c-${crypto.randomUUID()}` });
    conn.onMessage((m) => {
      const a = m as { id: number; t: string; error?: { message: string } };
      answers.set(a.id, a);
    });
    return conn;
  };
  const conn = await open();
  const requests: [number, Record<string, unknown>, RegExp][] = [
    [1, { t: "sync", kind: LONG, name: "n", op: "acquire" }, /sync kind/],
    [2, { t: "sync", kind: MANY, name: "n", op: "acquire" }, /sync kind/],
    [3, { t: "sync", kind: "mutex", name: "n", op: LONG }, /no operation/],
    [4, { t: "sync", kind: "semaphore", name: LONG, op: "acquire" }, /permits/],
    [5, {
      t: "compute",
      nodes: [[MANY, "m", "f", [], [], [], {}]],
      outputs: [],
    }, /malformed/],
    [6, {
      t: "compute",
      nodes: [["k", "m", "f", [null], [[0]], [MANY], {}]],
      outputs: [],
    }, /not a key at a path/],
    [7, {
      t: "compute",
      nodes: [["k", "m", "f", [null], [[0]], [LONG], {}]],
      outputs: [],
    }, /needs x+…\(\+\d+\), which is unknown/],
    [8, { t: "compute", nodes: [], outputs: [LONG] }, /unknown output/],
    [9, { t: MANY }, /no request \[0, 1/],
  ];
  for (const [id, request] of requests) conn.send({ ...request, id });
  await until(() => requests.every(([id]) => answers.has(id)), "every answer");
  for (const [id, , reason] of requests) {
    const a = answers.get(id)!;
    assert.equal(a.t, "err");
    assert.match(a.error!.message, reason);
    assert.ok(
      a.error!.message.length < BOUND,
      `request ${id}: ${a.error!.message.length} characters`,
    );
  }
  // Without an id to answer, the connection is closed, with a bounded log.
  conn.send({ t: LONG });
  await until(() => conn.isClosed, "the cluster to close it");
  const second = await open();
  second.send({ t: "status", id: MANY });
  await until(() => second.isClosed, "the cluster to close the second");
  await until(
    () => lines.filter((l) => /: closed$/.test(l)).length >= 2,
    "both closes logged",
  );
  for (const l of lines) assert.ok(l.length < BOUND, l);
  // A sound client is served.
  const sound = await open();
  sound.send({ t: "status", id: 10 });
  await until(() => answers.get(10)?.t === "ok", "the status answer");
  await sound.close();
});

Deno.test("a node's data server closes a request of huge keys; a data client bounds a huge error", async () => {
  const data = serveData("127.0.0.1", SECRET);
  const port = data.addr.port;
  try {
    const conn = await connectTransport(`127.0.0.1:${port}`, {
      secret: SECRET,
    });
    const got: unknown[] = [];
    conn.onMessage((m) => got.push(m));
    conn.send({ t: "get", id: 1, keys: [MANY] });
    await until(() => conn.isClosed, "the data server to close it");
    await conn.close();
    assert.equal(got.length, 0, "a key that is not a string gets no answer");
    const again = await connectTransport(`127.0.0.1:${port}`, {
      secret: SECRET,
    });
    again.onMessage((m) => got.push(m));
    again.send({ t: "get", id: 2, keys: [LONG] });
    await until(() => got.length === 1, "an answer");
    const answer = got[0] as { t: string; message: string };
    assert.equal(answer.t, "err");
    assert.match(answer.message, /^x+…\(\+\d+\) is not held here$/);
    assert.ok(answer.message.length < BOUND);
    await again.close();
  } finally {
    await data.close();
  }

  // A data server that answers with huge values is held to a bound.
  await using liar = listenTransport({
    secret: SECRET,
    onConnection: async (conn) => {
      let n = 0;
      for await (const m of conn) {
        const { id } = m as { id: number };
        conn.send(
          n++ === 0
            ? { t: "err", id, message: MANY }
            : { t: "err", id, message: LONG },
        );
      }
    },
  });
  setPeerConfig({ secret: SECRET });
  try {
    const address = `127.0.0.1:${liar.addr.port}`;
    const first = await pullFrom(address, ["k"]).catch((e) => e);
    assert.ok(first instanceof Error);
    assert.match(first.message, /no known shape/);
    const second = await pullFrom(address, ["k"]).catch((e) => e);
    assert.ok(second.message.length < BOUND, `${second.message.length}`);
  } finally {
    await closePeers();
    setPeerConfig({});
  }
});

Deno.test("a frame that uses msgpackr's shared references is malformed: a 423-byte hello would expand to 2^30 values", async () => {
  const { lines, log } = memoryLogger();
  await using server = listenTransport({
    secret: SECRET,
    logger: log,
    onConnection: (conn) => conn.send("welcome"),
  });
  const body = sharedReferences(30);
  const raw = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.addr.port,
  });
  await writeAll(raw, prefix(body.length));
  await writeAll(raw, body);
  await until(() => lines.length > 0, "the refusal logged");
  raw.close();
  assert.match(
    lines[0],
    /malformed: frame body of \d+ bytes is not MessagePack/,
  );
  await using good = await connectTransport(`127.0.0.1:${server.addr.port}`, {
    secret: SECRET,
  });
  assert.equal(await good.receive(), "welcome");
});

Deno.test("a node given an init of the wrong shape does not serve it: it leaves and dials again", async () => {
  let joins = 0;
  let heartbeats = 0;
  await using fake = listenTransport({
    secret: SECRET,
    logger: () => {},
    onConnection: async (conn) => {
      for await (const m of conn) {
        const t = (m as { t?: string })?.t;
        if (t === "join") {
          joins++;
          conn.send({ t: "init", host: "h", parent: "p", heartbeatMs: "soon" });
        } else if (t === "hb") heartbeats++;
      }
    },
  });
  const stop = new AbortController();
  const node = runNode(`127.0.0.1:${fake.addr.port}`, {
    secret: SECRET,
    name: "shaped",
    signal: stop.signal,
  });
  try {
    await until(() => joins >= 2, "the node to dial again", 10_000);
    assert.equal(heartbeats, 0, "it never served the bad init");
  } finally {
    stop.abort();
    await node;
  }
});
