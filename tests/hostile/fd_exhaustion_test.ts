/**
 * A scheduler (with its dashboard) under `ulimit -n 64`, flooded with
 * silent connections until it has no file descriptor left: it backs off
 * instead of spinning (a few log lines, not millions), its dashboard
 * survives, and once the junk is gone a real client computes on its node
 * and the dashboard answers.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect } from "@troupe/troupe/cluster";
import { delayed } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";
import { startNode, startScheduler, stopNode, within } from "./harness.ts";

/** Open `n` connections to `port` (as many as the kernel lets through). */
async function flood(port: number, n: number): Promise<Deno.Conn[]> {
  const conns = await Promise.allSettled(
    Array.from(
      { length: n },
      () => Deno.connect({ hostname: "127.0.0.1", port }),
    ),
  );
  return conns.flatMap((c) => c.status === "fulfilled" ? [c.value] : []);
}

/** GET `path` of the dashboard at `url`; the status code. */
async function get(url: string, path: string): Promise<number> {
  const response = await fetch(new URL(path, url));
  await response.body?.cancel();
  return response.status;
}

Deno.test("a scheduler out of file descriptors backs off, keeps its dashboard, and serves again once the junk is gone", async () => {
  await using scheduler = await startScheduler({
    handshakeTimeout: 1_500,
    headerTimeout: 1_500,
  }, 64);
  const { info, lines } = scheduler;
  const node = startNode(info.address, info.secret, "fd-node");
  const junk: Deno.Conn[] = [];
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
    const dashboardPort = Number(new URL(info.dashboard).port);
    // More connections than it has descriptors, to both of its ports.
    junk.push(...await flood(info.port, 120));
    junk.push(...await flood(dashboardPort, 40));
    await until(
      () => lines.some((l) => /accept failed.*os error 24/.test(l)),
      "the scheduler to run out of file descriptors",
      20_000,
    );
    // It stays out of them a while: the junk is held open.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok(!scheduler.exited(), lines.slice(-10).join("\n"));
    const failed = lines.filter((l) => /accept failed/.test(l)).length;
    assert.ok(
      failed <= 20,
      `${failed} "accept failed" lines: it spins instead of backing off`,
    );
    for (const c of junk.splice(0)) c.close();

    // It serves again: a client computes on its node, the dashboard answers.
    await within(
      (async () => {
        for (;;) {
          try {
            await using client = await connect(info.address, {
              secret: info.secret,
              reconnect: false,
            });
            const squares = Array.from(
              { length: 10 },
              (_, i) => delayed(g.square)(i),
            );
            assert.deepEqual(await client.compute(delayed(g.sum)(squares)), [
              285,
            ]);
            return;
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      })(),
      30_000,
      "a client's graph after the flood",
    );
    assert.equal(await get(info.dashboard, "api/status"), 200);
    assert.ok(!scheduler.exited());
    assert.ok(
      lines.some((l) => /accepting again, after \d+ failed accepts/.test(l)),
      "it says when it accepts again",
    );
    assert.ok(lines.length < 2_000, `${lines.length} log lines`);
  } finally {
    for (const c of junk) c.close();
    await stopNode(node);
  }
  const status = await scheduler.stop();
  assert.equal(status.code, 0, lines.slice(-20).join("\n"));
});
