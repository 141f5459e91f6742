/**
 * Retiring a node of several threads by its name: each thread joins as
 * `<name>.<i>`, and `retireWorkers([name])` retires them all (it matched
 * only exact names, so the node's own name retired nothing).
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { connect, startCluster } from "@troupe/troupe/cluster";

import { runWithSecret } from "./deno_run.ts";
const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli/troupe.ts`;
const SECRET = "retire-threads-secret";

/** `troupe worker` as a process of its own. */
function worker(address: string, args: string[]): Deno.ChildProcess {
  return runWithSecret(CLI, ["worker", address, ...args], SECRET, {
    stderr: "piped",
  });
}

Deno.test("retireWorkers([name]) of a node of 3 threads retires all its threads, and its process exits 0; an exact name still retires one", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: SECRET,
    logger: () => {},
  });
  const alpha = worker(cluster.address, ["--name", "alpha", "--nthreads", "3"]);
  const beta = worker(cluster.address, ["--name", "beta", "--nthreads", "2"]);
  const errors = [alpha, beta].map((p) => new Response(p.stderr).text());
  try {
    await cluster.waitForNodes(5);
    await using client = await connect(cluster.address, { secret: SECRET });
    // One thread by its exact name: only that one.
    assert.deepEqual(await client.retireWorkers(["beta.1"]), ["beta.1"]);
    const retired = await client.retireWorkers(["alpha"]);
    assert.deepEqual(retired.sort(), ["alpha.0", "alpha.1", "alpha.2"]);
    assert.deepEqual((await alpha.status).code, 0, await errors[0]);
    assert.deepEqual(cluster.nodes().map((n) => n.name), ["beta.0"]);
    // A name that is neither a node nor a node's base retires nothing.
    assert.deepEqual(await client.retireWorkers(["alph"]), []);
  } finally {
    for (const p of [alpha, beta]) {
      try {
        p.kill("SIGTERM");
      } catch { /* exited */ }
      await p.status;
    }
    await Promise.all(errors);
  }
});
