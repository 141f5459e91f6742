/**
 * Round trips through CSV, Parquet and Arrow; the Arrow layout shared, not
 * copied; partitions crossing worker hosts in shared memory.
 */

import assert from "node:assert/strict";
import { tableFromArrays } from "apache-arrow";
import { ActorSystem } from "@troupe/troupe";
import { createScheduler } from "@troupe/troupe";
import {
  DataFrame,
  fromArrow,
  fromRecords,
  readCsv,
  readParquet,
} from "@troupe/troupe/dataframe";
import { makeRows, sameRecords } from "./helpers.ts";

const DTYPES = {
  k: "int32",
  s: "string",
  x: "float64",
  b: "bool",
  d: "timestamp",
} as const;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "troupe-df-io-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("toCsv then readCsv gives the same rows (quotes, newlines, unicode, nulls, empty strings)", async () => {
  await withDir(async (dir) => {
    const rows = makeRows(300);
    const df = fromRecords(rows, { npartitions: 3, dtypes: DTYPES });
    const paths = await df.toCsv(`${dir}/out`, { placement: "inline" });
    assert.equal(paths.length, 3);
    const back = readCsv(`${dir}/out/*.csv`, { dtypes: DTYPES, blocksize: 97 });
    sameRecords(
      (await back.compute({ placement: "inline" })).toRecords(),
      rows,
      "csv round trip",
    );
    const pattern = await df.toCsv(`${dir}/p-*.csv`, { placement: "inline" });
    assert.deepEqual(pattern, [
      `${dir}/p-0.csv`,
      `${dir}/p-1.csv`,
      `${dir}/p-2.csv`,
    ]);
  });
});

Deno.test("toParquet then readParquet gives the same rows, one partition per row group", async () => {
  await withDir(async (dir) => {
    const rows = makeRows(300);
    const df = fromRecords(rows, { npartitions: 3, dtypes: DTYPES });
    await df.toParquet(dir, { placement: "inline" });
    const back = await readParquet(`${dir}/*.parquet`);
    assert.equal(back.npartitions, 3);
    assert.deepEqual(back.dtypes, DTYPES);
    sameRecords(
      (await back.compute({ placement: "inline" })).toRecords(),
      rows,
      "parquet round trip",
    );
    const picked = await readParquet(`${dir}/*.parquet`, { columns: ["x"] });
    assert.equal(await picked.count({ placement: "inline" }), rows.length);
    await Deno.writeTextFile(`${dir}/bad.parquet`, "not parquet");
    await assert.rejects(
      readParquet(`${dir}/bad.parquet`),
      /not a Parquet file/,
    );
  });
});

Deno.test("toArrow shares the columns' buffers; fromArrow keeps Arrow's", async () => {
  const df = DataFrame.fromColumns({
    x: new Float64Array([1.5, 2.5, 3.5]),
    s: ["a", null, "a"],
    n: [1, 2, null],
  });
  const t = df.toArrow();
  assert.equal(
    t.getChild("x")!.data[0].values.buffer,
    df.part.columns[0].data.buffer,
    "float64 shared",
  );
  assert.equal(
    t.getChild("s")!.data[0].values.buffer,
    df.part.columns[1].data.buffer,
    "indexes shared",
  );
  assert.deepEqual(t.getChild("s")!.toArray(), ["a", null, "a"]);
  assert.deepEqual([...t.getChild("n")!], [1, 2, null]);
  const x = new Float64Array([4, 5]);
  const back = DataFrame.fromArrow(tableFromArrays({ x }));
  assert.equal(
    back.part.columns[0].data.buffer,
    x.buffer,
    "Arrow's buffer kept",
  );
  const lazy = fromArrow(tableFromArrays({ x, y: new Int32Array([7, 8]) }), {
    npartitions: 2,
  });
  assert.deepEqual((await lazy.compute({ placement: "inline" })).toRecords(), [{
    x: 4,
    y: 7,
  }, { x: 5, y: 8 }]);
});

Deno.test("partitions made on worker hosts reach the caller in shared memory, not copied", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, {
    placement: "worker",
    workers: 2,
  });
  const rows = makeRows(100);
  const out = await fromRecords(rows, { npartitions: 1, dtypes: DTYPES })
    .compute({ scheduler });
  for (const c of out.part.columns) {
    assert.ok(
      c.data.buffer instanceof SharedArrayBuffer,
      `${c.type} column in shared memory`,
    );
  }
  sameRecords(out.toRecords(), rows, "from a worker");
});

Deno.test("toString is a readable table; a long frame shows its ends", () => {
  const df = DataFrame.fromColumns({
    n: Array.from({ length: 30 }, (_, i) => i),
    s: Array.from({ length: 30 }, () => "é"),
  });
  const text = df.toString();
  const lines = text.split("\n");
  assert.match(lines[0], /^ +n {2}s$/);
  assert.match(lines[1], /^int32 {2}string$/);
  assert.ok(lines.some((l) => l.includes("...")));
  assert.match(lines.at(-1)!, /\(30 rows, 2 columns\)/);
});
