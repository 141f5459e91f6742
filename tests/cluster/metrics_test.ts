/**
 * `/metrics`, `/healthz` and `/readyz` on a real cluster's dashboard: the
 * text read strictly, Debian's `promtool check metrics` on it, and a real
 * Prometheus scraping the scheduler on loopback (those two when the
 * `prometheus` package is installed; skipped, saying so, when not).
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { delayed } from "@troupe/troupe";
import { runNode, serveDashboard, startCluster } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";
import { parseMetrics, sample } from "./prometheus_text.ts";
import { LIMIT, withSpillingNode } from "./spilling_node.ts";

/** Whether `tool` is on the PATH. */
function installed(tool: string): boolean {
  try {
    return new Deno.Command("which", { args: [tool], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
const promtool = installed("promtool");
const prometheus = installed("prometheus");

/** A cluster with two nodes in this process that ran a graph with a failure, for `body`. */
async function withWorkedCluster(
  body: (dashboard: string, token: string) => Promise<void>,
): Promise<void> {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { logger: () => {} });
  const stop = new AbortController();
  const nodes = ["m1", "m2"].map((name) =>
    runNode(cluster.address, { name, signal: stop.signal })
  );
  try {
    await cluster.waitForNodes(2);
    const token = "metrics-token";
    await using dashboard = serveDashboard(cluster, { token });
    const total = delayed(g.sum)(
      Array.from({ length: 20 }, (_, i) => delayed(g.square)(i)),
    );
    assert.deepEqual(await cluster.scheduler.compute(total), [2470]);
    await assert.rejects(
      cluster.scheduler.compute(delayed(g.checked)(-1)),
      /negative/,
    );
    await body(dashboard.url, token);
  } finally {
    stop.abort();
    await Promise.all(nodes);
  }
}

async function metricsText(dashboard: string, token: string): Promise<string> {
  const r = await fetch(new URL("metrics", dashboard), {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 200);
  assert.equal(
    r.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  return await r.text();
}

Deno.test("/metrics: tasks by state, durations, transfers, nodes, actors and dead letters, in strict Prometheus text", async () => {
  await withWorkedCluster(async (dashboard, token) => {
    const parsed = parseMetrics(await metricsText(dashboard, token));
    assert.equal(sample(parsed, "troupe_nodes"), 2);
    assert.equal(parsed.types.get("troupe_tasks"), "gauge");
    for (const state of ["memory", "erred", "waiting", "processing"]) {
      assert.ok(
        sample(parsed, "troupe_tasks", { state }) !== undefined,
        `troupe_tasks{state="${state}"}`,
      );
    }
    assert.equal(parsed.types.get("troupe_task_duration_seconds"), "histogram");
    // 20 squares, a sum, and the failing task's run at least.
    assert.ok(sample(parsed, "troupe_task_duration_seconds_count")! >= 22);
    assert.ok(sample(parsed, "troupe_task_duration_seconds_sum")! > 0);
    for (const node of ["m1", "m2"]) {
      assert.equal(sample(parsed, "troupe_node_tasks_in_flight", { node }), 0);
      assert.ok(sample(parsed, "troupe_node_results_held", { node })! >= 0);
    }
    assert.equal(parsed.types.get("troupe_transfer_bytes_total"), "counter");
    assert.equal(parsed.types.get("troupe_dead_letters_total"), "counter");
    assert.ok(sample(parsed, "troupe_actors")! > 0);
    assert.equal(sample(parsed, "troupe_task_failures_recent"), 1);
    assert.equal(parsed.types.get("troupe_node_spilled_bytes"), "gauge");
    // Every family says what it is.
    for (const name of parsed.types.keys()) assert.ok(parsed.help.has(name));
  });
});

Deno.test("/metrics: a node's memory limit, bytes held and spilled, and whether it is paused", async () => {
  await withSpillingNode(async (cluster) => {
    await using dashboard = serveDashboard(cluster, { token: "m" });
    const parsed = parseMetrics(await metricsText(dashboard.url, "m"));
    const node = { node: "spiller" };
    const held = cluster.status().nodes[0].heldMemory!;
    assert.equal(sample(parsed, "troupe_node_memory_limit_bytes", node), LIMIT);
    assert.equal(
      sample(parsed, "troupe_node_spilled_bytes", node),
      held.spilled,
    );
    assert.ok(held.spilled >= 6 * 2 ** 20);
    assert.equal(sample(parsed, "troupe_node_held_bytes", node), held.memory);
    assert.ok(held.memory >= 3 * 2 ** 20);
    assert.equal(sample(parsed, "troupe_node_paused", node), 1);
    for (const name of ["memory_limit_bytes", "held_bytes", "paused"]) {
      assert.equal(parsed.types.get(`troupe_node_${name}`), "gauge");
    }
  });
});

Deno.test("/healthz and /readyz answer without the token; /metrics asks for it", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system);
  await using dashboard = serveDashboard(cluster, { token: "t0ken" });
  for (const [path, body] of [["healthz", "ok\n"], ["readyz", "ready\n"]]) {
    const r = await fetch(new URL(path, dashboard.url));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), body);
  }
  const refused = await fetch(new URL("metrics", dashboard.url));
  await refused.body?.cancel();
  assert.equal(refused.status, 401);
});

Deno.test({
  name: promtool
    ? "promtool check metrics accepts /metrics"
    : "promtool check metrics accepts /metrics (skipped: Debian's prometheus package, which has promtool, is not installed)",
  ignore: !promtool,
  async fn() {
    await withWorkedCluster(async (dashboard, token) => {
      const text = await metricsText(dashboard, token);
      const child = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await child.output();
      const said = new TextDecoder().decode(out.stdout) +
        new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, said);
      assert.equal(said.trim(), "", `promtool's remarks: ${said}`);
    });
  },
});

/** A loopback port free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr;
  l.close();
  return port;
}

Deno.test({
  name: prometheus
    ? "a real Prometheus scrapes the scheduler's /metrics on loopback, with the dashboard's token"
    : "a real Prometheus scrapes the scheduler's /metrics (skipped: Debian's prometheus package is not installed)",
  ignore: !prometheus,
  async fn() {
    await withWorkedCluster(async (dashboard, token) => {
      const dir = await Deno.makeTempDir({ prefix: "troupe-prometheus-" });
      const target = new URL(dashboard).host;
      await Deno.writeTextFile(`${dir}/token`, token);
      await Deno.writeTextFile(
        `${dir}/prometheus.yml`,
        `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: troupe
    authorization:
      credentials_file: ${dir}/token
    static_configs:
      - targets: ["${target}"]
`,
      );
      const web = `127.0.0.1:${freePort()}`;
      const server = new Deno.Command("prometheus", {
        args: [
          `--config.file=${dir}/prometheus.yml`,
          `--storage.tsdb.path=${dir}/data`,
          `--web.listen-address=${web}`,
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const log = new Response(server.stderr).text();
      try {
        const query = async (q: string) => {
          const r = await fetch(
            `http://${web}/api/v1/query?query=${encodeURIComponent(q)}`,
          ).catch(() => undefined);
          if (r === undefined || !r.ok) {
            await r?.body?.cancel();
            return undefined;
          }
          return (await r.json()).data?.result as
            | { metric: Record<string, string>; value: [number, string] }[]
            | undefined;
        };
        await until(
          async () => (await query("troupe_nodes"))?.[0]?.value[1] === "2",
          "Prometheus to have scraped troupe_nodes 2",
          60_000,
        );
        const up = await query(`up{job="troupe"}`);
        assert.equal(up?.[0]?.value[1], "1");
        const held = await query("troupe_node_results_held");
        assert.deepEqual(
          held?.map((s) => s.metric.node).sort(),
          ["m1", "m2"],
        );
        const count = await query("troupe_task_duration_seconds_count");
        assert.ok(Number(count?.[0]?.value[1]) >= 22);
      } finally {
        server.kill("SIGTERM");
        await server.status;
        await log;
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

Deno.test("troupe worker --metrics-port serves its /metrics, /healthz, and /readyz once it has joined", async () => {
  const cli = new URL("../../cli/troupe.ts", import.meta.url).pathname;
  const root = new URL("../../", import.meta.url).pathname;
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: "node-metrics-secret",
    logger: () => {},
  });
  const worker = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${root}`,
      "--allow-env=TROUPE_SECRET",
      cli,
      "worker",
      cluster.address,
      "--name",
      "probe-me",
      "--metrics-port",
      "0",
    ],
    env: { TROUPE_SECRET: "node-metrics-secret", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = new Response(worker.stderr).text();
  const reader = worker.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let said = "";
    while (!said.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      said += value;
    }
    const url = said.match(/^metrics at (http:\/\/127\.0\.0\.1:\d+\/)$/m)?.[1];
    assert.ok(url, said);
    const get = async (path: string) => {
      const r = await fetch(new URL(path, url));
      return { status: r.status, text: await r.text() };
    };
    assert.deepEqual(await get("healthz"), { status: 200, text: "ok\n" });
    await until(
      async () => (await get("readyz")).status === 200,
      "the node to be ready (joined)",
      30_000,
    );
    const metrics = await get("metrics");
    assert.equal(metrics.status, 200);
    const parsed = parseMetrics(metrics.text);
    assert.equal(sample(parsed, "troupe_node_joined", { node: "probe-me" }), 1);
    assert.equal(sample(parsed, "troupe_node_joins_total"), 1);
    assert.ok(sample(parsed, "troupe_node_process_rss_bytes")! > 0);
    assert.equal((await get("nothing")).status, 404);
  } finally {
    await reader.cancel();
    worker.kill("SIGTERM");
    const { code } = await worker.status;
    assert.equal(code, 0, await errors);
  }
});
