/**
 * `merge(...).count()` counts each left row's matches instead of building
 * the joined rows (and reads only the left keys): its counts must equal
 * the joined rows a plain computation makes, for inner and left joins,
 * null keys, keys matched several times, after a whole-partition step,
 * inline and on worker hosts.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler } from "@troupe/troupe";
import { col, fromRecords, readCsv } from "@troupe/troupe/dataframe";
import { dft } from "../fixtures/dataframe_tasks.ts";
import { makeRows, toCsvText } from "./helpers.ts";

const rows = makeRows(600, 11);
// k = 1 twice (two matches for each such left row); 9 is outside the left
// keys' range (-3..8) and matches nothing.
const labels = [
  { k: 1, label: "one" },
  { k: 1, label: "uno" },
  { k: 2, label: "two" },
  { k: -3, label: "minus three" },
  { k: 9, label: "nine" },
];

function joined(how: "inner" | "left"): number {
  let n = 0;
  for (const r of rows) {
    const hits = labels.filter((l) => r.k !== null && l.k === r.k).length;
    n += hits > 0 ? hits : how === "left" ? 1 : 0;
  }
  return n;
}

for (const placement of ["inline", "worker"] as const) {
  Deno.test(`[${placement}] merge(...).count() equals the joined rows of a plain computation`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "troupe-df-mc-" });
    try {
      const path = `${dir}/rows.csv`;
      await Deno.writeTextFile(path, toCsvText(rows));
      await using system = new ActorSystem();
      await using scheduler = createScheduler(system, {
        placement,
        workers: 2,
      });
      const o = { scheduler };
      const left = readCsv(path, { blocksize: 997 });
      assert.ok(left.npartitions > 4);
      const right = fromRecords(labels);
      for (const how of ["inner", "left"] as const) {
        const want = joined(how);
        const merged = left.merge(right, { on: "k", how });
        assert.equal(await merged.count(o), want, `${how}: count`);
        // The rows themselves, built, agree with the count.
        assert.equal((await merged.compute(o)).length, want, `${how}: rows`);
        // After a step that needs the whole partition (its rows, all columns).
        const mapped = left.mapPartitions(dft.scaled, 2)
          .merge(right, { on: "k", how });
        assert.equal(await mapped.count(o), want, `${how}: after a map`);
        // A join that is not the last step is not counted early.
        const filtered = left.merge(right, { on: "k", how })
          .filter(col("label").notNull());
        assert.equal(
          await filtered.count(o),
          joined("inner"),
          `${how}: then a filter`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
