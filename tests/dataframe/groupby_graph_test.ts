/**
 * A group-by with few groups moves partial aggregates, never partitions:
 * each partition's read, steps and partial aggregate are one task, and only
 * its partial goes on to the reductions. Checked on the graphs `compute`
 * hands its scheduler (the same graphs run on every placement and on a
 * cluster), with a sort as the control that does move partitions.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler } from "@troupe/troupe";
import { col, type LazyFrame, readCsv } from "@troupe/troupe/dataframe";
import { collectGraph } from "../../cluster/graph/graph.ts";
import type { Delayed } from "../../cluster/graph/delayed.ts";
import { makeRows, toCsvText } from "./helpers.ts";

/** Every edge of the graphs `df.compute()` runs: producer task, sink kind -> consumer task. */
async function edgesOf(df: LazyFrame): Promise<string[]> {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "inline" });
  const edges = new Set<string>();
  const name = (d: Delayed) => {
    const sink = (d.args[0] as { sink?: { kind: string } } | undefined)?.sink;
    return sink === undefined
      ? d.task.taskName
      : `${d.task.taskName}:${sink.kind}`;
  };
  const spy = {
    compute: (...lazies: unknown[]) => {
      for (const node of collectGraph(lazies as Delayed[]).nodes) {
        for (const dep of node.deps) {
          edges.add(`${name(dep.ref as Delayed)} -> ${name(node)}`);
        }
      }
      return scheduler.compute(...lazies);
    },
    persist: () => {
      throw new Error("not used");
    },
  };
  await df.compute({ scheduler: spy });
  return [...edges].sort();
}

Deno.test("a group-by with few groups moves only partial aggregates between tasks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-df-graph-" });
  try {
    const path = `${dir}/rows.csv`;
    await Deno.writeTextFile(path, toCsvText(makeRows(2000)));
    const df = readCsv(path, { blocksize: 2048 });
    assert.ok(df.npartitions >= 16, `${df.npartitions} partitions`);
    for (
      const grouped of [
        df.groupBy("k").mean(),
        df.filter(col("x").gt(0)).assign({ y: col("x").mul(2) })
          .groupBy(["k", "b"]).agg({ y: ["mean", "std"], s: "nunique" }),
      ]
    ) {
      const edges = await edgesOf(grouped);
      // Partials into the tree's reductions, reductions into the finish,
      // and the finished groups (one small partition) into the result.
      assert.ok(edges.includes("run:agg -> combine"), edges.join("\n"));
      for (const e of edges) {
        assert.match(
          e,
          /^((run:agg|combine) -> (combine|finish)|finish -> run:part)$/,
        );
      }
    }
    // The control: a sort moves partitions (split into ranges), and the
    // check sees it.
    const sorted = await edgesOf(df.sortValues("x"));
    assert.ok(
      sorted.some((e) => /^run:(range|part)/.test(e)),
      sorted.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
