/**
 * A cluster with one node in this process that has spilled a result to
 * disk and is paused (what the dashboard and `/metrics` show of a node's
 * memory): an 8 MiB limit, a 6 MiB result spilled at once (past the 4 MiB
 * target), then a 3 MiB one held in memory, past the 2.4 MiB pause line.
 */

import { ActorSystem, delayed } from "@troupe/troupe";
import { type Cluster, runNode, startCluster } from "@troupe/troupe/cluster";
import { mt } from "../fixtures/memory_tasks.ts";
import { until } from "../helpers.ts";

const MiB = 2 ** 20;

/** The node's memory limit, in bytes. */
export const LIMIT = 8 * MiB;

/** Run `body` with a cluster whose node `spiller` has spilled and is paused. */
export async function withSpillingNode(
  body: (cluster: Cluster) => Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync();
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    logger: () => {},
    heartbeatMs: 50,
    silenceMs: 5_000,
  });
  const stop = new AbortController();
  const node = runNode(cluster.address, {
    name: "spiller",
    memoryLimit: LIMIT,
    memoryFractions: {
      target: 0.5,
      spill: false,
      pause: 0.3,
      terminate: false,
    },
    localDirectory: dir,
    signal: stop.signal,
  });
  try {
    await cluster.waitForNodes(1);
    const memory = () => cluster.status().nodes[0]?.heldMemory;
    const [big] = cluster.scheduler.persist(delayed(mt.block)(0, 6 * MiB / 8));
    await big.settled();
    await until(() => (memory()?.spilled ?? 0) >= 6 * MiB, "the spill");
    const [small] = cluster.scheduler.persist(
      delayed(mt.block)(1, 3 * MiB / 8),
    );
    await small.settled();
    await until(() => memory()?.paused === true, "the node paused");
    await body(cluster);
    big.release();
    small.release();
  } finally {
    stop.abort();
    await node;
    Deno.removeSync(dir, { recursive: true });
  }
}
