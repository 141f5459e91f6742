/**
 * A node SIGKILLed in the middle of a shuffle: a 2-node local cluster (real
 * node processes) runs a merge whose both sides are hash-shuffled; once a
 * split task has finished on a node (its buckets held there) and before the
 * result, that node is killed. The lost buckets are computed again on the
 * node that lives or its fresh replacement, and the result is still exact.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { fromRecords, readCsv } from "@troupe/troupe/dataframe";
import { slow } from "../fixtures/dataframe_slow_tasks.ts";
import { tick, until } from "../helpers.ts";
import { makeRows, toCsvText } from "./helpers.ts";

Deno.test("a node SIGKILLed mid-shuffle: the merge's result is still exact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-df-kill-" });
  try {
    const rows = makeRows(3000, 5);
    const path = `${dir}/rows.csv`;
    await Deno.writeTextFile(path, toCsvText(rows));
    const labels = Array.from({ length: 12 }, (_, i) => ({
      k: i - 3,
      label: `L${i - 3}`,
    }));
    // The expected joined rows, plainly: (k, s, label) per match.
    const want = rows.flatMap((r) =>
      labels.filter((l) => r.k !== null && l.k === r.k).map((l) =>
        JSON.stringify([r.k, r.s, l.label])
      )
    ).sort();

    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      secret: "df-kill",
      read: [Deno.cwd(), dir],
    });
    const left = readCsv(path, { blocksize: 4096 })
      .mapPartitions(slow.pause, 150);
    assert.ok(left.npartitions >= 8, `${left.npartitions} partitions`);
    const right = fromRecords(labels, { npartitions: 2 });
    const merged = left.merge(right, { on: "k", broadcast: false })
      .select("k", "s", "label");

    let finished = false;
    const job = merged.compute({ scheduler: cluster.scheduler });
    job.finally(() => finished = true).catch(() => {});
    // The shuffle's left splits that ended, as the task stream shows them
    // (polled: the stream keeps the last 500 runs only).
    const splits: { key: string; end: number }[] = [];
    const seen = new Set<string>();
    const watching = (async () => {
      while (!finished) {
        for (const r of cluster.status().stream) {
          const id = `${r.key} ${r.worker} ${r.end}`;
          if (r.ok && r.key.startsWith("merge-left-split-") && !seen.has(id)) {
            seen.add(id);
            splits.push(r);
          }
        }
        await tick(20);
      }
    })();
    // The first split of the left side to end on a node: its buckets are
    // there, and the merges that need them have not all run.
    let victim = "";
    let lostKey = "";
    await until(
      () => {
        const run = cluster.status().stream.find((r) =>
          r.ok && r.key.startsWith("merge-left-split-")
        );
        if (run !== undefined) [victim, lostKey] = [run.worker, run.key];
        return run !== undefined || finished;
      },
      "a split task of the shuffle to end",
      30_000,
    );
    assert.ok(!finished, "the merge ended before a node could be killed");
    const before = cluster.pids()[victim];
    assert.ok(before !== undefined, `no process for ${victim}`);
    const killedAt = Date.now();
    cluster.kill(victim, "SIGKILL");

    const got = await job;
    const gotRows = got.toRecords().map((r) =>
      JSON.stringify([r.k, r.s, r.label])
    ).sort();
    assert.equal(gotRows.length, want.length);
    assert.deepEqual(gotRows, want);
    finished = true;
    await watching;
    // The split whose buckets died with the node ran again, elsewhere or
    // on the node's replacement: the kill did lose shuffle data.
    assert.ok(
      splits.some((r) => r.key === lostKey && r.end > killedAt),
      `${lostKey} did not run again after the kill`,
    );
    // The killed process is gone (a fresh one, if any, has another pid).
    assert.notEqual(cluster.pids()[victim], before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
