/**
 * The dashboard: its JSON API, page and event stream on a real cluster (a
 * node in this process), the token rules, and the page in headless Chromium
 * when it is installed.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  type ClusterOptions,
  type ClusterStatus,
  connect,
  runNode,
  serveDashboard,
  startCluster,
} from "@troupe/troupe/cluster";
import { delayed } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";
import { until } from "../helpers.ts";
import { screenshots } from "./screenshot.ts";
import { withSpillingNode } from "./spilling_node.ts";
import { Store } from "../fixtures/remote_actors.ts";

/** Whether Debian's `chromium` is on the PATH. */
const chromium = (() => {
  try {
    return new Deno.Command("which", { args: ["chromium"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Read an event stream until its first `data:` event; then cancel it. */
async function firstEvent(
  body: ReadableStream<Uint8Array>,
): Promise<ClusterStatus> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before an event: ${text}`);
      text += value;
      const match = /^data: (.*)\n\n/m.exec(text);
      if (match) return JSON.parse(match[1]);
    }
  } finally {
    await reader.cancel();
  }
}

/** A cluster with one node `alpha` in this process, for `body`. */
async function withNode(
  body: (
    cluster: ReturnType<typeof startCluster>,
    system: ActorSystem,
  ) => Promise<void>,
  options: ClusterOptions = {},
): Promise<void> {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, options);
  const stop = new AbortController();
  const node = runNode(cluster.address, { name: "alpha", signal: stop.signal });
  try {
    await cluster.waitForNodes(1);
    await body(cluster, system);
  } finally {
    stop.abort();
    await node;
  }
}

Deno.test("dashboard: /api/status, the page and the event stream show a real cluster's graph", async () => {
  await withNode(async (cluster) => {
    await using dashboard = serveDashboard(cluster);
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const total = delayed(g.sum)([1, 2, 3, 4].map((x) => delayed(g.square)(x)));
    assert.deepEqual(await cluster.scheduler.compute(total), [30]);

    const response = await fetch(new URL("api/status", dashboard.url));
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /application\/json/);
    const status: ClusterStatus = await response.json();
    assert.equal(status.address, cluster.address);
    assert.equal(status.nodes.length, 1);
    const [alpha] = status.nodes;
    assert.equal(alpha.name, "alpha");
    assert.match(alpha.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof alpha.joined, "number");
    assert.deepEqual(alpha.resources, {});
    assert.equal(alpha.inFlight, 0);
    assert.equal(alpha.queued, 0);
    assert.equal(typeof alpha.held, "number");
    const last = status.computations.at(-1)!;
    const { id, total: all, done, erred, groups } = last;
    assert.deepEqual({ id, total: all, done, erred }, {
      id: 1,
      total: 5,
      done: 5,
      erred: 0,
    });
    assert.deepEqual({ ...groups }, {
      square: { total: 4, done: 4, erred: 0 },
      sum: { total: 1, done: 1, erred: 0 },
    });
    assert.ok(last.ended! >= last.started!);
    assert.equal(typeof status.tasks, "object");
    assert.equal(status.tasks.processing ?? 0, 0);
    assert.ok(status.actors.count >= 1, "the node's graph worker is an actor");
    assert.equal(typeof status.actors.deadLetters, "number");

    const page = await fetch(dashboard.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    const html = await page.text();
    assert.ok(html.includes("<title>troupe dashboard</title>"));
    for (const id of ["workers", "computations", "tasks", "actors"]) {
      assert.ok(html.includes(`id="${id}"`), `the page has #${id}`);
    }
    assert.ok(html.includes('new EventSource("api/events"'));
    assert.ok(html.includes('"name":"alpha"'), "the first snapshot is inline");
    assert.ok(!/<(script|link)[^>]+(src|href)=/.test(html), "no assets");

    const events = await fetch(new URL("api/events", dashboard.url));
    assert.equal(events.status, 200);
    assert.match(events.headers.get("content-type")!, /text\/event-stream/);
    const snapshot = await firstEvent(events.body!);
    assert.equal(snapshot.nodes[0].name, "alpha");
    assert.deepEqual(snapshot.computations.at(-1), last);

    const missing = await fetch(new URL("nope", dashboard.url));
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
  });
});

Deno.test("dashboard: events are pushed as the status changes, and streams end when it closes", async () => {
  let status: ClusterStatus = {
    address: "127.0.0.1:1",
    time: 0,
    nodes: [],
    tasks: {},
    computations: [{ id: 1, total: 4, done: 0, erred: 0 }],
    transfers: { direct: 0, relayed: 0 },
    stream: [],
    actors: { count: 0, mailboxes: 0, deadLetters: 0, busiest: [] },
    sync: [],
  };
  const dashboard = serveDashboard({
    status: () => ({ ...status, time: Date.now() }),
  });
  const response = await fetch(new URL("api/events", dashboard.url));
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  const snapshots: ClusterStatus[] = [];
  let text = "";
  const readEvent = async (): Promise<void> => {
    while (true) {
      const end = text.indexOf("\n\n");
      if (end >= 0) {
        const chunk = text.slice(0, end);
        text = text.slice(end + 2);
        if (chunk.startsWith("data: ")) {
          return void snapshots.push(JSON.parse(chunk.slice(6)));
        }
        continue; // (retry:, comments)
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("ended");
      text += value;
    }
  };
  await readEvent();
  assert.equal(snapshots[0].computations[0].done, 0);
  status = {
    ...status,
    computations: [{ id: 1, total: 4, done: 4, erred: 0 }],
  };
  await readEvent();
  assert.equal(snapshots[1].computations[0].done, 4);
  // Closing ends the open stream (and its timers).
  await dashboard.close();
  while (!(await reader.read()).done) { /* drain */ }
  await dashboard.close(); // idempotent
});

Deno.test("dashboard: off loopback it needs a token; with one, every request must carry it", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system);
  assert.throws(
    () => serveDashboard(cluster, { hostname: "0.0.0.0" }),
    (e: Error) => e instanceof TypeError && /needs a token/.test(e.message),
  );
  assert.throws(() => serveDashboard(cluster, { token: "" }), TypeError);

  await using dashboard = serveDashboard(cluster, { token: "s3cret" });
  const get = async (path: string, init?: RequestInit): Promise<number> => {
    const response = await fetch(new URL(path, dashboard.url), init);
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await get("api/status"), 401);
  assert.equal(await get("/"), 401);
  assert.equal(await get("api/events"), 401);
  assert.equal(await get("api/status?token=wrong"), 401);
  assert.equal(
    await get("api/status", { headers: { authorization: "Bearer wrong" } }),
    401,
  );
  assert.equal(await get("api/status?token=s3cret"), 200);
  assert.equal(await get("?token=s3cret"), 200);
  assert.equal(
    await get("api/status", { headers: { authorization: "Bearer s3cret" } }),
    200,
  );
  const events = await fetch(new URL("api/events?token=s3cret", dashboard.url));
  assert.equal(events.status, 200);
  assert.deepEqual((await firstEvent(events.body!)).nodes, []);
});

Deno.test({
  name: chromium
    ? "dashboard in headless Chromium: the page shows the worker, a named graph at 100% with its task names, the task stream, a failure, the graph view (running, finished, grouped by task name) and the node's actors panel; screenshots at 1400 and 390 px during and after are sane"
    : "dashboard in headless Chromium (skipped: `chromium` is not installed)",
  ignore: !chromium,
  fn: async () => {
    await withNode(async (cluster, system) => {
      await using dashboard = serveDashboard(cluster, { token: "t0k" });
      const leaves = Array.from(
        { length: 40 },
        // (about 16 s: the screenshots "during" are taken while it runs)
        (_, i) => delayed(g.pidAfter)(i, 400),
      );
      await using client = await connect(cluster.address, {
        jobName: "browser-job",
      });
      const running = client.compute(delayed(g.sum)(leaves));
      running.catch(() => {}); // (awaited below; a failed assertion ends it)
      // The page as Chromium renders it (script run, first snapshot shown).
      const dump = async (extra = ""): Promise<string> => {
        const { success, stdout, stderr } = await new Deno.Command(
          "chromium",
          {
            args: [
              "--headless",
              "--no-sandbox",
              "--disable-gpu",
              "--dump-dom",
              // (a 5 min window: every run of the test is in it)
              `${dashboard.url}?token=t0k&window=300${extra}`,
            ],
            stdout: "piped",
            stderr: "piped",
          },
        ).output();
        const dom = new TextDecoder().decode(stdout);
        assert.ok(success, new TextDecoder().decode(stderr));
        return dom;
      };
      // An actor on the node with a full mailbox: a store that never
      // finishes its first message, told 6 more with room for 2.
      const store = system.spawn(Store, 0, {
        placement: "node",
        host: "alpha",
        mailbox: { capacity: 2, overflow: "drop-newest" },
      });
      assert.equal(await store.ask("get"), 0);
      store.tell("hang", undefined);
      for (let i = 0; i < 6; i++) store.tell("add", 1);
      await until(
        () =>
          (cluster.status().nodes[0]?.actors?.deadLetters["mailbox-full"] ??
            0) > 0,
        "the node's report of its dead letters",
      );
      const during = await dump();
      assert.match(during, /<\/span>alpha<\/td>/, "the worker is in the table");
      // The graph view shows the running computation, one dot per task.
      const graph = during.match(/<canvas id="graph"[^>]*>/)?.[0] ?? "";
      assert.match(graph, /data-computation="1"/);
      assert.match(graph, /data-grouped="false"/);
      assert.match(graph, /data-nodes="41"/);
      assert.match(graph, /data-edges="40"/);
      assert.match(graph, /data-states="[^"]*processing:\d+/, "tasks running");
      assert.match(during, /<div class="comp sel" data-id="1">/);
      // The actors panel: the node's store, its mailbox and dead letters.
      const actors = during.match(
        /<div class="nodeActors" data-node="alpha">.*?<\/div><\/div><\/div>/s,
      )?.[0] ?? "";
      assert.match(actors, /<b>\d+<\/b> actors/);
      assert.match(actors, /<span class="letter">mailbox-full <b>\d+<\/b>/);
      assert.match(actors, /<span class="who" title="store#\d+">/);
      assert.match(actors, /<span class="depth">[12]\/2<\/span>/);
      const shotsDuring = await screenshots(
        `${dashboard.url}?token=t0k&window=300`,
      );
      await running;
      await assert.rejects(
        cluster.scheduler.compute(delayed(g.checked)(-1)),
        /negative/,
      );
      await until(
        () => cluster.status().nodes[0]?.cpu !== undefined,
        "a heartbeat with the node's metrics",
      );
      const after = await dump("&graph=1");
      assert.match(after, /<\/span>alpha<\/td>/);
      // The graph of the finished computation: its tasks done and let go.
      const done = after.match(/<canvas id="graph"[^>]*>/)?.[0] ?? "";
      assert.match(done, /data-computation="1"/);
      assert.match(done, /data-states="forgotten:41"/);
      assert.match(done, /data-edges="40"/);
      assert.match(
        after,
        /<span class="name">browser-job <span class="muted">#1<\/span><\/span>/,
        "the computation carries its client's job name",
      );
      // Its tasks by name: 40 pidAfter and one sum.
      assert.match(after, /<\/span>pidAfter<\/span>.*?40\/40/s);
      assert.match(after, /<\/span>sum<\/span>.*?1\/1/s);
      // The failures panel: the task, its worker and its error.
      assert.match(
        after,
        /<div class="failure">.*?alpha.*?<div class="key">checked-[^<]+<\/div><div class="error">.*?RangeError: negative: -1/s,
      );
      assert.match(
        after,
        /class="count">41\/41<\/span><span class="pct">100%<\/span>/,
        "the graph's progress bar reached 100%",
      );
      assert.match(after, /style="width:100%"/);
      assert.match(after, /\d+ actors, \d+ messages in mailboxes/);
      // The task stream drew each run (and the failed one) on its canvas,
      // over a 10 s window, with the task names in its legend.
      const drawn = after.match(/<canvas id="stream"[^>]*data-runs="(\d+)"/);
      assert.ok(drawn, "the task stream's canvas");
      assert.equal(drawn[1], "42", "one bar per task run");
      assert.match(after, /data-window="300000"/);
      assert.match(after, /<\/span>pidAfter<span class="swatch"/);
      assert.match(after, /<td class="n cpu">\d+%<\/td>/, "the node's CPU");
      assert.match(after, /<span>\d+ MiB<\/span><\/div><\/td>/, "its memory");
      // Its memory over time, from the heartbeats before the page opened.
      const points = after.match(
        /<polyline class="series" data-worker="alpha"[^>]*points="([^"]*)"/,
      )?.[1].split(" ") ?? [];
      assert.ok(points.length >= 3, `a memory line (${points.length} points)`);
      // Past the bound: one box per task name.
      const leaves400 = Array.from(
        { length: 400 },
        (_, i) => delayed(g.inc)(i),
      );
      await cluster.scheduler.compute(delayed(g.sum)(leaves400));
      const grouped = (await dump("&graph=3"))
        .match(/<canvas id="graph"[^>]*>/)?.[0] ?? "";
      assert.match(grouped, /data-grouped="true"/);
      assert.match(grouped, /data-nodes="2"/);
      assert.match(grouped, /data-edges="1"/);
      assert.match(grouped, /data-states="forgotten:401"/);
      const shotsAfter = [
        ...await screenshots(`${dashboard.url}?token=t0k&window=300&graph=1`),
        ...await screenshots(`${dashboard.url}?token=t0k&window=300&graph=3`),
      ];
      for (const shot of [...shotsDuring, ...shotsAfter]) {
        assert.equal(shot.width, shot.asked, "the screenshot's width");
        assert.ok(shot.height > 0);
        assert.ok(
          shot.inked > 0.02,
          `the picture is not blank (${(100 * shot.inked).toFixed(1)}% inked)`,
        );
      }
    }, { heartbeatMs: 50, silenceMs: 5_000 });
  },
});

Deno.test({
  name: chromium
    ? "dashboard in headless Chromium: a node's memory limit, held and spilled bytes, and a paused badge; screenshots sane"
    : "dashboard in headless Chromium, a node's memory (skipped: `chromium` is not installed)",
  ignore: !chromium,
  fn: async () => {
    await withSpillingNode(async (cluster) => {
      await using dashboard = serveDashboard(cluster, { token: "t0k" });
      const url = `${dashboard.url}?token=t0k`;
      const { success, stdout, stderr } = await new Deno.Command("chromium", {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--dump-dom",
          url,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(success, new TextDecoder().decode(stderr));
      const dom = new TextDecoder().decode(stdout);
      const row = dom.match(/<tr class="worker">.*?<\/tr>/s)?.[0] ?? "";
      assert.match(row, /spiller/);
      assert.match(row, /<span class="badge paused">paused<\/span>/);
      // 3 MiB held of 8 MiB, 6 MiB spilled.
      assert.match(
        row,
        /<td class="held"[^>]*>.*?<span>3\.0 MiB held<\/span> · <span class="spilled">6\.0 MiB spilled<\/span> · <span class="limit">limit 8\.0 MiB<\/span>/s,
      );
      for (const shot of await screenshots(url)) {
        assert.equal(shot.width, shot.asked);
        assert.ok(shot.inked > 0.02, `not blank (${shot.inked})`);
      }
    });
  },
});

Deno.test("the status has a task stream and the nodes' CPU and memory", async () => {
  await withNode(async (cluster) => {
    const total = delayed(g.sum)([1, 2, 3].map((x) => delayed(g.square)(x)));
    assert.deepEqual(await cluster.scheduler.compute(total), [14]);
    const { stream } = cluster.status();
    assert.equal(stream.length, 4);
    assert.deepEqual(
      stream.map((r) => r.task).sort(),
      ["square", "square", "square", "sum"],
    );
    for (const r of stream) {
      assert.equal(r.worker, "alpha");
      assert.ok(r.ok);
      assert.ok(r.start <= r.end, JSON.stringify(r));
      assert.ok(Math.abs(r.end - Date.now()) < 60_000, "epoch milliseconds");
    }
    // The sum ran after the squares it needed.
    const sum = stream.find((r) => r.task === "sum")!;
    assert.ok(stream.every((r) => r === sum || r.end <= sum.end));
    // Failed runs are in it too, marked.
    await assert.rejects(cluster.scheduler.compute(delayed(g.checked)(-1)));
    assert.ok(
      cluster.status().stream.some((r) => r.task === "checked" && !r.ok),
    );
    // Heartbeats carry the node's CPU and memory.
    await until(
      () => cluster.status().nodes[0]?.cpu !== undefined,
      "a heartbeat with metrics",
    );
    const [node] = cluster.status().nodes;
    assert.ok(node.cpu! >= 0);
    assert.ok(node.memory!.rss > node.memory!.heapUsed);
    assert.ok(node.memory!.heapUsed > 0);
  }, { heartbeatMs: 20, silenceMs: 5_000 });
});

Deno.test("dashboard: a client that stops reading is not sent every snapshot meanwhile (they would pile up in memory)", async () => {
  // Each snapshot differs (its address counts the calls) and is large, so
  // a few of them fill the connection's buffers; the client reads nothing
  // until many more were taken.
  let calls = 0;
  const padding = "x".repeat(4 << 20);
  const snapshots = 12;
  await using dashboard = serveDashboard({
    status: (): ClusterStatus => ({
      address: `${++calls}:${padding}`,
      time: Date.now(),
      nodes: [],
      tasks: {},
      computations: [],
      transfers: { direct: 0, relayed: 0 },
      stream: [],
      actors: { count: 0, mailboxes: 0, deadLetters: 0, busiest: [] },
      sync: [],
    }),
  });
  const { port } = new URL(dashboard.url);
  using conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(port),
  });
  await conn.write(
    new TextEncoder().encode(
      "GET /api/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
    ),
  );
  await until(() => calls >= snapshots, `${snapshots} snapshots`, 60_000);
  // Now read: the snapshots that come are the ones taken while the client
  // could take them, and then the latest, not every one in between.
  const seen: number[] = [];
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1 << 20);
  let text = "";
  while (!seen.some((n) => n >= snapshots)) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`the stream ended: ${seen}`);
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    let end = Math.max(0, text.length - 64);
    for (const m of text.matchAll(/data: \{"address":"(\d+):/g)) {
      seen.push(Number(m[1]));
      end = Math.max(end, m.index + m[0].length);
    }
    text = text.slice(end);
  }
  assert.equal(seen[0], 1, `the first snapshot comes at once: ${seen}`);
  const skipped = seen.some((n, i) => i > 0 && n !== seen[i - 1] + 1);
  assert.ok(skipped, `every snapshot was queued for it: ${seen}`);
});

/** A status of `padding` characters, different at every call (`calls`). */
function bigSource(
  padding: number,
): { status(): ClusterStatus; calls: number } {
  const pad = "x".repeat(padding);
  const source = {
    calls: 0,
    status: (): ClusterStatus => ({
      address: `${++source.calls}:${pad}`,
      time: Date.now(),
      nodes: [],
      tasks: {},
      computations: [],
      transfers: { direct: 0, relayed: 0 },
      stream: [],
      actors: { count: 0, mailboxes: 0, deadLetters: 0, busiest: [] },
      sync: [],
    }),
  };
  return source;
}

/**
 * Send `head` (its lines, without the blank line that ends it) on a fresh
 * connection; the answer's status line, or "" if none.
 */
async function statusLine(port: number, head: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`${head}Connection: close\r\n\r\n`),
  );
  const answer = await within(readAll(conn), 10_000, "an answer");
  return answer.split("\r\n")[0];
}

/** Everything `conn` gives until the other end closes it. */
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

/** `p`, or a failure after `ms` (a bound against hanging, not a timing assertion). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not end`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("dashboard: on loopback it answers requests addressed to loopback only (a rebound DNS name reads nothing)", async () => {
  await using dashboard = serveDashboard(bigSource(0));
  const port = Number(new URL(dashboard.url).port);
  const ask = (host: string | undefined) =>
    statusLine(
      port,
      `GET /api/status HTTP/1.1\r\n${
        host === undefined ? "" : `Host: ${host}\r\n`
      }`,
    );
  for (
    const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "127.0.0.1",
    ]
  ) {
    assert.equal(await ask(host), "HTTP/1.1 200 OK", host);
  }
  for (
    const host of [
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1.evil.example:${port}`,
      `localhost:${port + 1}`,
      undefined,
    ]
  ) {
    assert.equal(await ask(host), "HTTP/1.1 403 Forbidden", String(host));
  }
  // fetch names loopback as it should.
  const ok = await fetch(new URL("api/status", dashboard.url));
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("dashboard: a client that trickles its request's head is dropped at headerTimeout, and connections past maxConnections are closed at once", async () => {
  const { lines, log } = (() => {
    const lines: string[] = [];
    return { lines, log: (m: string) => void lines.push(m) };
  })();
  await using dashboard = serveDashboard(bigSource(0), {
    headerTimeout: 300,
    maxConnections: 3,
    logger: log,
  });
  const port = Number(new URL(dashboard.url).port);
  const encoder = new TextEncoder();
  const trickle = async (): Promise<string> => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const answer = readAll(conn);
    try {
      await conn.write(
        encoder.encode(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`),
      );
      for (let i = 0; i < 1000; i++) {
        await new Promise((r) => setTimeout(r, 20));
        await conn.write(encoder.encode(`X-Slow-${i}: 1\r\n`));
      }
    } catch { /* dropped: the write fails */ }
    return await answer;
  };
  const slow = [trickle(), trickle(), trickle()];
  // (each connection is accepted in turn: wait for the three)
  await new Promise((r) => setTimeout(r, 50));
  const over = await within(
    statusLine(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`),
    10_000,
    "the fourth connection",
  );
  assert.equal(over, "", "closed without an answer");
  const answers = await within(Promise.all(slow), 10_000, "the slow clients");
  for (const a of answers) assert.equal(a, "", "dropped without an answer");
  assert.ok(
    lines.some((l) => /closing new connections until there is room/.test(l)),
    lines.join("\n"),
  );
  // And it still serves.
  assert.equal(
    await statusLine(
      port,
      `GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`,
    ),
    "HTTP/1.1 200 OK",
  );
});

Deno.test("dashboard: event-stream clients that never read are dropped once their writes stall", async () => {
  // Each snapshot is 1 MB and different: a few fill a connection's buffers.
  const source = bigSource(1 << 20);
  await using dashboard = serveDashboard(source, { stallTimeout: 500 });
  const port = Number(new URL(dashboard.url).port);
  const clients = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(
        new TextEncoder().encode(
          `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
        ),
      );
      return conn;
    }),
  );
  // A client that reads keeps the snapshots coming, and counts them.
  const reader = await Deno.connect({ hostname: "127.0.0.1", port });
  await reader.write(
    new TextEncoder().encode(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    ),
  );
  let events = 0;
  const reading = (async () => {
    const buf = new Uint8Array(1 << 20);
    const decoder = new TextDecoder();
    let carry = "";
    try {
      for (;;) {
        const n = await reader.read(buf);
        if (n === null) return;
        const text = carry +
          decoder.decode(buf.subarray(0, n), { stream: true });
        events += text.split("\ndata: ").length - 1;
        carry = text.slice(-8);
      }
    } catch { /* closed */ }
  })();
  try {
    // Long enough for the others' buffers to fill and their writes to
    // stall past stallTimeout.
    await until(() => events >= 24, "24 snapshots read", 60_000);
    // Reading now, each finds the end of its stream after what was sent.
    for (const conn of clients) {
      const text = await within(readAll(conn), 20_000, "a stalled stream");
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(text, /data: \{"address":"\d+:x+/);
    }
    // The one that reads is still served.
    const before = events;
    await until(() => events > before, "one more snapshot read", 60_000);
  } finally {
    for (const conn of clients) conn.close();
    reader.close();
    await reading;
  }
});
