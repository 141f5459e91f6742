/**
 * Wire fuzzing of a real scheduler (a subprocess) and of a real node's
 * peer-data port, before and after authentication: seeded mutations of
 * valid frames, random bytes and lengths, truncations, MessagePack bombs
 * (deep nesting, huge declared lengths, shared references) and bursts of
 * tiny frames. After each batch the scheduler must still compute a graph
 * exactly and the node still answer a data request; at the end the
 * scheduler's resident memory must come back within 1.5x of what it was
 * before.
 *
 * `TROUPE_FUZZ_SEED` replays a run (the seed is printed first);
 * `TROUPE_FUZZ_FRAMES` sets how many frames at least (default 100,000).
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect } from "@troupe/troupe/cluster";
import { delayed } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";
import {
  authedSocket,
  batch,
  bombs,
  frame,
  listeningPorts,
  memoryOf,
  mutate,
  mutateBytes,
  pack,
  Random,
  type SchedulerInfo,
  startNode,
  startScheduler,
  stopNode,
  weird,
  within,
  writeAll,
} from "./harness.ts";

const SEED = Number(
  Deno.env.get("TROUPE_FUZZ_SEED") ??
    crypto.getRandomValues(new Uint32Array(1))[0],
);
const FRAMES = Number(Deno.env.get("TROUPE_FUZZ_FRAMES") ?? 100_000);
/** A bound against hanging (the run stops there and fails), not a target. */
const LIMIT_MS = 120_000;
const TASKS = new URL("../fixtures/graph_tasks.ts", import.meta.url).href;

console.log(`fuzz seed ${SEED} (TROUPE_FUZZ_SEED=${SEED} replays this run)`);

/** Requests a client may send, as templates to mutate. */
function clientRequest(r: Random, id: number): Record<string, unknown> {
  const names = ["a", "b", "c"];
  switch (r.int(10)) {
    case 0:
      return { t: "status", id };
    case 1:
      return { t: "gather", id, keys: [`k${r.int(5)}`] };
    case 2:
      return { t: "release", keys: [`k${r.int(5)}`] };
    case 3:
      return { t: "cancel", keys: [`k${r.int(5)}`] };
    case 4:
      return {
        t: "sync",
        id,
        low: id,
        kind: r.pick(["mutex", "semaphore", "event", "queue"]),
        name: r.pick(names),
        op: r.pick([
          "tryAcquire",
          "release",
          "inspect",
          "set",
          "clear",
          "tryGet",
          "acquire",
          "wait",
        ]),
        permits: 2,
        maxSize: 4,
        timeout: 50,
      };
    case 5:
      return { t: "sync", id, op: "cancel" };
    case 6:
      return r.chance(0.2)
        ? {
          t: "compute",
          id,
          nodes: [[`sq-${id}`, TASKS, "square", [id % 100], [], [], {}]],
          outputs: [`sq-${id}`],
        }
        : { t: "status", id };
    case 7:
      return { t: "bogus", id };
    case 8:
      return { t: "compute", id, nodes: [], outputs: [] };
    default:
      return { t: "gather", id, keys: [] };
  }
}

function hello(r: Random): Record<string, unknown> {
  return {
    t: "hello",
    protocol: 1,
    node: `peer-${r.int(1000)}`,
    nonce: r.bytes(32),
    auth: true,
    maxFrame: 1 << 20,
  };
}

/**
 * The bytes of one hostile thing to say on a fresh, unauthenticated
 * connection, and how many frames they hold.
 */
function preAuthPayload(r: Random): [Uint8Array, number] {
  const kind = r.int(8);
  switch (kind) {
    case 0: { // a mutated hello, then a mutated proof
      const a = batch(mutate(hello(r), r));
      const b = batch(mutate({ t: "auth", proof: r.bytes(32) }, r));
      return [concat(a, b), 2];
    }
    case 1: { // a hello with bytes flipped, cut or inserted
      return [frame(mutateBytes(pack([0, hello(r)]), r)), 1];
    }
    case 2: { // a wrong length in front of a hello
      const body = pack([0, hello(r)]);
      return [
        frame(body, r.pick([0, 1, body.length + 1, 65_537, 2 ** 32 - 1])),
        1,
      ];
    }
    case 3: // random bytes
      return [r.bytes(1 + r.int(300)), 1];
    case 4: { // a bomb
      const [, bytes] = r.pick(bombs());
      return [frame(bytes), 1];
    }
    case 5: { // many tiny frames
      const n = 50 + r.int(200);
      const one = frame(Uint8Array.of(0x91, 0x00));
      const out = new Uint8Array(one.length * n);
      for (let i = 0; i < n; i++) out.set(one, i * one.length);
      return [out, n];
    }
    case 6: { // a frame cut short
      const f = batch(hello(r));
      return [f.subarray(0, 1 + r.int(f.length - 1)), 1];
    }
    default: { // a batch of several weird values
      const values = Array.from({ length: 1 + r.int(5) }, () => weird(r));
      return [frame(pack([0, ...values])), 1];
    }
  }
}

/** Frames an authenticated client sends: mostly requests, some broken. */
function postAuthScheduler(r: Random, count: number): [Uint8Array[], number] {
  const out: Uint8Array[] = [];
  // The first message says what it is: a client, mostly.
  out.push(
    batch(
      r.chance(0.9)
        ? { t: "client", id: `fuzz-${r.int(1e9)}` }
        : mutate({ t: "client", id: "x" }, r),
    ),
  );
  let frames = 1;
  for (let i = 1; i < count; i++) {
    const values = Array.from(
      { length: 1 + r.int(3) },
      () => {
        const request = clientRequest(r, 1 + r.int(1e6));
        return r.chance(0.6) ? mutate(request, r) : request;
      },
    );
    out.push(frame(pack([0, ...values])));
    frames++;
    if (r.chance(0.002)) break; // (a broken frame would end the connection)
  }
  // How it ends: cleanly, or with something that closes it.
  switch (r.int(5)) {
    case 0:
      out.push(frame(r.pick(bombs())[1]));
      frames++;
      break;
    case 1:
      out.push(frame(mutateBytes(pack([0, clientRequest(r, 1)]), r)));
      frames++;
      break;
    case 2: {
      const f = batch(clientRequest(r, 2));
      out.push(f.subarray(0, 1 + r.int(f.length - 1)));
      frames++;
      break;
    }
  }
  return [out, frames];
}

/** Frames an authenticated peer sends a node's data server. */
function postAuthData(r: Random, count: number): [Uint8Array[], number] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const get = { t: "get", id: 1 + r.int(1e6), keys: [`k${r.int(9)}`] };
    out.push(batch(r.chance(0.2) ? mutate(get, r) : get));
  }
  if (r.chance(0.5)) out.push(frame(r.pick(bombs())[1]));
  return [out, out.length];
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Read and throw away what `conn` says until it closes (or `ms` pass). */
async function drain(conn: Deno.Conn, ms: number): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, ms);
  try {
    while ((await conn.read(buf)) !== null) { /* discard */ }
  } catch {
    /* reset, or closed by the timer */
  } finally {
    clearTimeout(timer);
  }
}

/** Run `jobs` with at most `width` at a time. */
async function pool(
  width: number,
  jobs: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs) await job(next++);
    }),
  );
}

/** Fresh connections, each saying one hostile thing before auth. */
async function fuzzPreAuth(
  port: number,
  r: Random,
  n: number,
): Promise<number> {
  let frames = 0;
  await pool(16, n, async () => {
    const [bytes, count] = preAuthPayload(r);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      return;
    }
    try {
      await writeAll(conn, bytes);
      frames += count;
      await conn.closeWrite();
    } catch { /* refused mid-way: fine */ }
    await drain(conn, 3_000);
    try {
      conn.close();
    } catch { /* closed */ }
  });
  return frames;
}

/** Authenticated connections, each sending a burst of frames. */
async function fuzzPostAuth(
  port: number,
  secret: string,
  r: Random,
  connections: number,
  make: (r: Random) => [Uint8Array[], number],
): Promise<number> {
  let frames = 0;
  await pool(4, connections, async () => {
    const [out, count] = make(r);
    const { conn } = await authedSocket(port, secret);
    const draining = drain(conn, 10_000);
    try {
      // Coalesced into large writes, as a fast peer would.
      for (let i = 0; i < out.length; i += 256) {
        await writeAll(conn, concat(...out.slice(i, i + 256)));
      }
      frames += count;
      await conn.closeWrite();
    } catch {
      frames += count; // (closed by the peer mid-burst: what was written counts)
    }
    await draining;
    try {
      conn.close();
    } catch { /* closed */ }
  });
  return frames;
}

/**
 * Every bomb, once before auth and once after, on `port` (a client's first
 * message first on the scheduler's port): the frames sent.
 */
async function everyBomb(
  port: number,
  secret: string,
  asClient: boolean,
): Promise<number> {
  let frames = 0;
  for (const [, body] of bombs()) {
    for (const authed of [false, true]) {
      const conn = authed
        ? (await authedSocket(port, secret)).conn
        : await Deno.connect({ hostname: "127.0.0.1", port });
      const draining = drain(conn, 10_000);
      try {
        if (authed && asClient) {
          await writeAll(conn, batch({ t: "client", id: "bomber" }));
          frames++;
        }
        await writeAll(conn, frame(body));
        frames++;
        await conn.closeWrite();
      } catch { /* closed by the peer: fine */ }
      await draining;
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
  return frames;
}

/** The scheduler computes a graph exactly, and the node answers for data. */
async function stillServes(
  info: SchedulerInfo,
  dataPort: number,
): Promise<void> {
  await using client = await connect(info.address, {
    secret: info.secret,
    reconnect: false,
  });
  const squares = Array.from({ length: 20 }, (_, i) => delayed(g.square)(i));
  assert.deepEqual(await client.compute(delayed(g.sum)(squares)), [2470]);
  const { conn, reader } = await authedSocket(dataPort, info.secret);
  try {
    await writeAll(conn, batch({ t: "get", id: 7, keys: ["held-nowhere"] }));
    const answer = (await reader.next())?.[0] as { t: string; id: number };
    assert.deepEqual([answer?.t, answer?.id], ["err", 7]);
  } finally {
    conn.close();
  }
}

Deno.test({
  name:
    `wire fuzzing of a scheduler and a node's data port, before and after auth (seed ${SEED})`,
  // (the raw sockets of the fuzzer come and go by the thousand)
  sanitizeResources: true,
  async fn() {
    await using scheduler = await startScheduler({
      handshakeTimeout: 2_000,
      clientLingerMs: 100,
      maxPending: 512,
    });
    const { info } = scheduler;
    const node = startNode(info.address, info.secret, "fuzz-node");
    try {
      {
        await using client = await connect(info.address, {
          secret: info.secret,
          reconnect: false,
        });
        await until(
          async () => (await client.status()).nodes.length === 1,
          "the node to join",
          30_000,
        );
      }
      let dataPort = 0;
      await until(
        () => {
          dataPort = listeningPorts(node.pid)[0] ?? 0;
          return dataPort > 0;
        },
        "the node's data port",
        10_000,
      );
      await stillServes(info, dataPort);
      const before = memoryOf(info.pid).rss;

      const r = new Random(SEED);
      const started = performance.now();
      const sent = {
        preScheduler: 0,
        postScheduler: 0,
        preData: 0,
        postData: 0,
        bombs: 0,
      };
      let batches = 0;
      const total = () =>
        sent.preScheduler + sent.postScheduler + sent.preData +
        sent.postData + sent.bombs;
      while (total() < FRAMES) {
        assert.ok(
          performance.now() - started < LIMIT_MS,
          `only ${total()} frames after ${LIMIT_MS} ms (seed ${SEED})`,
        );
        sent.bombs += await everyBomb(info.port, info.secret, true);
        sent.bombs += await everyBomb(dataPort, info.secret, false);
        sent.preScheduler += await fuzzPreAuth(info.port, r, 200);
        sent.postScheduler += await fuzzPostAuth(
          info.port,
          info.secret,
          r,
          8,
          (r) => postAuthScheduler(r, 1 + r.int(3000)),
        );
        sent.preData += await fuzzPreAuth(dataPort, r, 60);
        sent.postData += await fuzzPostAuth(
          dataPort,
          info.secret,
          r,
          4,
          (r) => postAuthData(r, 1 + r.int(1500)),
        );
        batches++;
        assert.ok(!scheduler.exited(), `the scheduler exited (seed ${SEED})`);
        await within(
          stillServes(info, dataPort),
          30_000,
          `a graph and a data request after batch ${batches} (seed ${SEED})`,
        );
        if (Deno.env.get("TROUPE_FUZZ_VERBOSE")) {
          console.log(
            `batch ${batches}: ${total()} frames, RSS ${
              mib(memoryOf(info.pid).rss)
            } MiB`,
          );
        }
      }
      assert.ok(total() >= FRAMES, `${total()} frames sent, not ${FRAMES}`);
      const seconds = (performance.now() - started) / 1000;
      if (Deno.env.get("TROUPE_FUZZ_VERBOSE")) {
        for (let i = 0; i < 20; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          console.log(`settling ${i}: RSS ${mib(memoryOf(info.pid).rss)} MiB`);
        }
      }
      // Memory comes back (the allocator and the GC take a moment). V8 keeps
      // part of its heap reservation under load (a full CI run saw 64 -> 120
      // MiB), so the bound is 1.5x or 96 MiB over the start, whichever is
      // more: a leak of 1 KiB per frame would be 100 MiB over.
      const bound = Math.max(1.5 * before, before + 96 * 2 ** 20);
      let after = memoryOf(info.pid).rss;
      await until(
        () => {
          after = memoryOf(info.pid).rss;
          return after <= bound;
        },
        `RSS back under ${mib(bound)} MiB from ${mib(before)} MiB (now ${
          mib(after)
        } MiB, seed ${SEED})`,
        30_000,
      );
      const { peak } = memoryOf(info.pid);
      console.log(
        `fuzz figures: ${
          JSON.stringify({
            seed: SEED,
            frames: total(),
            ...sent,
            batches,
            seconds: Number(seconds.toFixed(1)),
            framesPerSecond: Math.round(total() / seconds),
            rssBeforeMiB: mib(before),
            rssAfterMiB: mib(after),
            rssPeakMiB: mib(peak),
          })
        }`,
      );
    } finally {
      await stopNode(node);
    }
    const status = await scheduler.stop();
    assert.equal(status.code, 0, scheduler.lines.slice(-20).join("\n"));
  },
});

function mib(bytes: number): number {
  return Number((bytes / 2 ** 20).toFixed(1));
}
