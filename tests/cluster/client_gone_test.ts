/**
 * A client killed mid-graph (Ctrl-C, kill -9): once `clientLingerMs` has
 * passed without it coming back, nobody wants its results, so its work
 * stops (tasks not started are dropped, even those sent ahead to a node)
 * and the scheduler holds nothing for it.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { tick, until } from "../helpers.ts";

const JOB = new URL("../fixtures/client_job.ts", import.meta.url).pathname;

for (const mode of ["compute", "persist"] as const) {
  Deno.test(`a client killed during a ${mode}: after its linger the work stops and nothing is held`, async () => {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      clientLingerMs: 300,
    });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-env",
        JOB,
        cluster.address,
        mode,
      ],
      env: { TROUPE_SECRET: cluster.secret as string },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let said = "";
    while (!said.includes("\n")) {
      const { value, done } = await out.read();
      if (done) break;
      said += value;
    }
    assert.equal(said, "submitted\n");
    const ran = () =>
      cluster.status().stream.filter((r) => r.task === "nap" && r.ok).length;
    await until(() => ran() >= 20, "some of its tasks to run", 30_000);
    child.kill("SIGKILL");
    await child.status;
    while (!(await out.read()).done) { /* to its end */ }
    // (2,000 tasks of 50 ms on two nodes would take 50 s: this is far less.)
    await until(
      () =>
        Object.keys(cluster.status().tasks).length === 0 &&
        cluster.status().nodes.every((n) => n.inFlight === 0 && n.held === 0),
      "the scheduler to hold nothing for it",
      15_000,
    );
    const stopped = performance.timeOrigin + performance.now(); // (the stream's clock)
    await tick(1_000);
    const later = cluster.status().stream.filter((r) => r.end > stopped);
    assert.deepEqual(later, [], "no task ran after its work was dropped");
  });
}
