/**
 * Reading a dashboard as `troupe status` and `troupe run` do: the token
 * derived from the cluster's secret is the scheduler's, and each way of
 * failing says what to do.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { serveDashboard, startCluster } from "@troupe/troupe/cluster";
import { dashboardToken } from "../../cluster/scheduler/scheduler_main.ts";
import {
  chooseToken,
  DashboardError,
  defaultDashboard,
  fetchStatus,
  parseDashboard,
} from "../../cli/dashboard_api.ts";

Deno.test("the token troupe status derives from TROUPE_SECRET opens the scheduler's dashboard", async () => {
  const secret = "dashboard-api-test-secret";
  await using system = new ActorSystem();
  await using cluster = startCluster(system, { secret });
  // What troupe scheduler does off loopback (here on loopback, to test it).
  await using dashboard = serveDashboard(cluster, {
    token: await dashboardToken(secret),
  });
  const url = new URL(dashboard.url);
  Deno.env.set("TROUPE_SECRET", secret);
  try {
    const token = await chooseToken({});
    assert.equal(token, await dashboardToken(secret));
    assert.notEqual(token, secret); // the secret itself never travels
    const status = await fetchStatus({ url, token });
    assert.equal(status.address, cluster.address);
    // A token file, or one in the URL, wins over the secret.
    assert.equal(await chooseToken({ fromUrl: "from-url" }), "from-url");
  } finally {
    Deno.env.delete("TROUPE_SECRET");
  }
  assert.equal(await chooseToken({}), undefined);
  const refused = await fetchStatus({ url }).catch((e) => e);
  assert.ok(refused instanceof DashboardError);
  assert.equal(refused.kind, "token");
  assert.match(refused.message, /wants a token: set the cluster's secret/);
  const wrong = await fetchStatus({ url, token: "nope" }).catch((e) => e);
  assert.equal(wrong.kind, "token");
  assert.match(wrong.message, /the one sent is not it/);
  await assert.rejects(
    chooseToken({ tokenFile: "/no/such/token" }),
    /cannot read the token file \/no\/such\/token/,
  );
});

Deno.test("fetchStatus says when nothing answers, and when what answers is no troupe dashboard", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const gone = await fetchStatus({ url: new URL(`http://127.0.0.1:${port}/`) })
    .catch((e) => e);
  assert.ok(gone instanceof DashboardError);
  assert.equal(gone.kind, "unreachable");
  assert.match(
    gone.message,
    /^no dashboard answers at http:\/\/127\.0\.0\.1:\d+\/ \(Connection refused/,
  );

  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/json/api/status"
        ? Response.json({ hello: "world" })
        : new Response("nothing here", { status: 404 }),
  );
  const base = `http://127.0.0.1:${server.addr.port}/`;
  const notFound = await fetchStatus({ url: new URL(base) }).catch((e) => e);
  assert.equal(notFound.kind, "not-dashboard");
  assert.match(
    notFound.message,
    /answered 404 .*is http:\S+ a troupe dashboard\?/,
  );
  const notStatus = await fetchStatus({ url: new URL(`${base}json/`) })
    .catch((e) => e);
  assert.equal(notStatus.kind, "not-dashboard");
  assert.match(notStatus.message, /JSON that is not a cluster's status/);
});

Deno.test("a dashboard is named by URL (its token taken apart) or host:port", () => {
  assert.deepEqual(parseDashboard("http://127.0.0.1:8787/?token=a%2Fb"), {
    url: new URL("http://127.0.0.1:8787/"),
    token: "a/b",
  });
  assert.deepEqual(parseDashboard("http://h:1/sub"), {
    url: new URL("http://h:1/sub/"),
    token: undefined,
  });
  assert.equal(parseDashboard("[::1]:8787").url.href, "http://[::1]:8787/");
  assert.throws(() => parseDashboard("http://"), /not a URL/);
  assert.throws(() => parseDashboard("nowhere"), /bad address/);
  assert.equal(defaultDashboard("10.1.2.3:9000").href, "http://10.1.2.3:8787/");
  assert.equal(defaultDashboard("[::1]:8786").href, "http://[::1]:8787/");
});

Deno.test("fetchStatus stops reading what answers past a bound: an endless answer is refused, not buffered", async () => {
  const chunk = new TextEncoder().encode("[".repeat(64 * 1024));
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            controller.enqueue(chunk); // forever
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
  );
  const url = new URL(`http://127.0.0.1:${server.addr.port}/`);
  const limit = AbortSignal.timeout(30_000); // (a bound against hanging)
  const e = await fetchStatus({ url }, { signal: limit, maxBytes: 1 << 20 })
    .catch((e) => e);
  assert.ok(e instanceof DashboardError, String(e));
  assert.equal(e.kind, "not-dashboard");
  assert.match(e.message, /answered more than 1048576 bytes/);
});
