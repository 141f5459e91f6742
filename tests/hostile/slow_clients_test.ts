/**
 * Slow and silent clients of a real scheduler (a subprocess): a dashboard
 * client that trickles its request, event-stream clients that never read,
 * and peers that connect and say nothing, over TCP and over TLS. Each is
 * let go within its deadline, and meanwhile the cluster computes exactly;
 * the scheduler's memory comes back once they are gone.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect } from "@troupe/troupe/cluster";
import { delayed } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";
import { hasOpenssl, makeCerts } from "../cluster/transport_helpers.ts";
import {
  memoryOf,
  type SchedulerInfo,
  startNode,
  startScheduler,
  stopNode,
  within,
  writeAll,
} from "./harness.ts";

const DEADLINE = 1_000;

/** Everything `conn` says until it closes. */
async function readAll(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(1 << 16);
  let text = "";
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
  } catch { /* reset */ }
  return text;
}

/** `count` connections to `port`. */
function open(port: number, count: number): Promise<Deno.TcpConn[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () => Deno.connect({ hostname: "127.0.0.1", port }),
    ),
  );
}

/** A 64-task graph on the cluster, checked exactly. */
async function graph(info: SchedulerInfo): Promise<void> {
  await using client = await connect(info.address, {
    secret: info.secret,
    reconnect: false,
    tls: undefined,
  });
  const squares = Array.from({ length: 63 }, (_, i) => delayed(g.square)(i));
  assert.deepEqual(
    await client.compute(delayed(g.sum)(squares)),
    [(62 * 63 * 125) / 6],
  );
}

Deno.test("slow and silent clients are let go within their deadlines while the cluster computes", async () => {
  await using scheduler = await startScheduler({
    handshakeTimeout: DEADLINE,
    headerTimeout: DEADLINE,
    stallTimeout: DEADLINE,
  });
  const { info, lines } = scheduler;
  const node = startNode(info.address, info.secret, "slow-node");
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
    await graph(info);
    const before = memoryOf(info.pid).rss;
    const dashboardPort = Number(new URL(info.dashboard).port);
    const host = `127.0.0.1:${dashboardPort}`;
    const encoder = new TextEncoder();

    // Peers that connect to the scheduler and say nothing.
    const silent = await open(info.port, 50);
    // Slowloris: dashboard clients sending their head a line at a time.
    const slow = await open(dashboardPort, 30);
    const trickling = slow.map(async (conn) => {
      const answer = readAll(conn);
      try {
        await writeAll(
          conn,
          encoder.encode(`GET / HTTP/1.1\r\nHost: ${host}\r\n`),
        );
        for (let i = 0; i < 10_000; i++) {
          await new Promise((r) => setTimeout(r, 50));
          await writeAll(conn, encoder.encode(`X-${i}: ${i}\r\n`));
        }
      } catch { /* dropped */ }
      return await answer;
    });
    // Event-stream clients that never read.
    const streams = await open(dashboardPort, 200);
    for (const conn of streams) {
      await writeAll(
        conn,
        encoder.encode(`GET /api/events HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
      );
    }
    // Meanwhile the cluster computes, exactly.
    await graph(info);

    // The silent and the slow are let go at their deadlines.
    for (const conn of silent) {
      const said = await within(readAll(conn), 5 * DEADLINE, "a silent peer");
      assert.ok(!said.includes("welcome"));
      conn.close();
    }
    for (
      const answer of await within(
        Promise.all(trickling),
        5 * DEADLINE,
        "the slowloris clients",
      )
    ) {
      assert.equal(answer, "", "dropped without an answer");
    }
    for (const conn of slow) conn.close();
    await until(
      () =>
        lines.filter((l) =>
          /did not complete the handshake within 1000 ms/.test(l)
        )
          .length >= 50,
      "the scheduler to log the 50 silent peers",
    );
    // The event streams go when their clients do; the dashboard serves.
    for (const conn of streams) conn.close();
    const response = await fetch(new URL("api/status", info.dashboard));
    assert.equal(response.status, 200);
    assert.equal((await response.json()).nodes.length, 1);
    await graph(info);
    let after = memoryOf(info.pid).rss;
    await until(
      () => {
        after = memoryOf(info.pid).rss;
        return after <= 1.5 * before;
      },
      `RSS back within 1.5x of ${before} (now ${after})`,
      30_000,
    );
    assert.ok(!scheduler.exited());
  } finally {
    await stopNode(node);
  }
  const status = await scheduler.stop();
  assert.equal(status.code, 0, lines.slice(-20).join("\n"));
});

Deno.test({
  name:
    "peers that say nothing to a TLS port are given up at their deadline, and TLS clients are served meanwhile",
  ignore: !(await hasOpenssl()),
  async fn() {
    const certs = await makeCerts();
    await using scheduler = await startScheduler({
      handshakeTimeout: DEADLINE,
      tls: { cert: certs.cert, key: certs.key },
    });
    const { info, lines } = scheduler;
    const silent = await open(info.port, 20);
    try {
      await using client = await connect(info.address, {
        secret: info.secret,
        tls: { caCerts: [certs.ca] },
        reconnect: false,
      });
      assert.deepEqual((await client.status()).nodes, []);
      // (Deno's TLS stream keeps the socket of a peer that never sent its
      // TLS hello until that peer speaks or leaves, whatever this side does;
      // what the scheduler holds for it goes at the deadline, and it says so.)
      await until(
        () =>
          lines.filter((l) =>
            /did not complete the handshake within 1000 ms/.test(l)
          ).length >= 20,
        "the scheduler to give up the 20 silent peers",
        5 * DEADLINE,
      );
      assert.deepEqual((await client.status()).nodes, []);
    } finally {
      for (const conn of silent) conn.close();
    }
    const status = await scheduler.stop();
    assert.equal(status.code, 0, lines.slice(-20).join("\n"));
  },
});
