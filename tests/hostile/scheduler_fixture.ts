/**
 * A cluster's scheduler and its dashboard as a process of its own, for the
 * hostile tests: `deno run --allow-net=127.0.0.1 --allow-read
 * scheduler_fixture.ts '<options as JSON>'`. It prints one line of JSON
 * (`address`, `port`, `secret`, `dashboard`, `pid`) once it listens, logs
 * everything the cluster and the dashboard report on stderr, and serves
 * until SIGTERM or until its stdin closes.
 *
 * @module
 */

import { ActorSystem } from "@troupe/troupe";
import { serveDashboard, startCluster } from "@troupe/troupe/cluster";
import type { FixtureOptions } from "./harness.ts";

const options = JSON.parse(Deno.args[0] ?? "{}") as FixtureOptions;
const log = (m: string): void => console.error(m);

{
  const secret = crypto.randomUUID();
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    port: 0,
    // (its own, given explicitly: the tests do not rely on the default)
    secret,
    logger: log,
    handshakeTimeout: options.handshakeTimeout,
    maxPending: options.maxPending,
    silenceMs: options.silenceMs,
    heartbeatMs: options.silenceMs === undefined
      ? undefined
      : Math.max(10, Math.floor(options.silenceMs / 4)),
    clientLingerMs: options.clientLingerMs,
    tls: options.tls,
  });
  await using dashboard = serveDashboard(cluster, {
    logger: log,
    headerTimeout: options.headerTimeout,
    stallTimeout: options.stallTimeout,
    maxConnections: options.dashboardMaxConnections,
  });
  const stop = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGTERM", () => stop.resolve());
  (async () => {
    const buf = new Uint8Array(64);
    try {
      while ((await Deno.stdin.read(buf)) !== null) { /* nothing */ }
    } catch { /* closed */ }
    stop.resolve();
  })();
  console.log(JSON.stringify({
    address: cluster.address,
    port: Number(cluster.address.split(":").at(-1)),
    secret,
    dashboard: dashboard.url,
    pid: Deno.pid,
  }));
  await stop.promise;
}
Deno.exit(0);
