/**
 * Reading and writing files where the tasks run elsewhere: CSV (nulls,
 * unicode, quoted newlines, partition boundaries inside quoted fields, empty
 * partitions, one row, zero rows), CSV and Parquet round trips, and a
 * malformed row's error, on local, worker and process placements and on a
 * cluster client (node processes), each against the plain rows.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { connect, localCluster } from "@troupe/troupe/cluster";
import { createScheduler } from "@troupe/troupe";
import {
  type ComputeOptions,
  CsvParseError,
  fromRecords,
  readCsv,
  readParquet,
} from "@troupe/troupe/dataframe";
import {
  groups,
  makeRows,
  type Row,
  sameRecords,
  toCsvText,
} from "./helpers.ts";

const DTYPES = {
  k: "int32",
  s: "string",
  x: "float64",
  b: "bool",
  d: "timestamp",
} as const;

/** Everything this file checks, with the tasks run by `o`. */
async function checkFiles(dir: string, o: ComputeOptions): Promise<void> {
  const rows = makeRows(300, 3);
  const text = toCsvText(rows);
  const path = `${dir}/rows.csv`;
  await Deno.writeTextFile(path, text);

  // Small ranges: many start inside a quoted field, some hold no record
  // start at all (empty partitions).
  const df = readCsv(path, { blocksize: 61, dtypes: { d: "timestamp" } });
  const bytes = new TextEncoder().encode(text);
  let inside = 0;
  for (let at = 61, q = 0, i = 0; at < bytes.length; at += 61) {
    for (; i < at; i++) if (bytes[i] === 34) q++;
    if (q % 2 === 1) inside++;
  }
  assert.ok(inside > 5, `${inside} boundaries inside quotes`);
  sameRecords((await df.compute(o)).toRecords(), rows, "readCsv");
  const counts = await df.groupBy("s").agg({ x: "count" }).compute(o);
  const want = [...groups(rows, ["s"])].map(([id, g]) => ({
    s: JSON.parse(id)[0],
    x: g.filter((r: Row) => r.x !== null).length,
  })).sort((a, b) => (a.s < b.s ? -1 : 1));
  sameRecords(counts.toRecords(), want, "group-by of the CSV");

  // Zero rows (a header alone) and one row.
  await Deno.writeTextFile(`${dir}/none.csv`, "k,s\n");
  const none = await readCsv(`${dir}/none.csv`, {
    dtypes: { k: "int32", s: "string" },
  }).compute(o);
  assert.equal(none.length, 0);
  assert.deepEqual(none.columns, ["k", "s"]);
  await Deno.writeTextFile(`${dir}/one.csv`, 'k,s\n7,"ünï, ""q"""\n');
  const one = await readCsv(`${dir}/one.csv`).compute(o);
  assert.deepEqual(one.toRecords(), [{ k: 7, s: 'ünï, "q"' }]);

  // Round trips, the files written by the tasks.
  const frame = fromRecords(rows, { npartitions: 3, dtypes: DTYPES });
  const csvs = await frame.toCsv(`${dir}/csv`, o);
  assert.equal(csvs.length, 3);
  sameRecords(
    (await readCsv(`${dir}/csv/*.csv`, { dtypes: DTYPES, blocksize: 97 })
      .compute(o)).toRecords(),
    rows,
    "CSV round trip",
  );
  await frame.toParquet(`${dir}/pq`, o);
  const pq = await readParquet(`${dir}/pq/*.parquet`);
  assert.equal(pq.npartitions, 3);
  sameRecords((await pq.compute(o)).toRecords(), rows, "Parquet round trip");

  // A malformed field: file, line (after a quoted newline) and column.
  const bad = `${dir}/bad.csv`;
  await Deno.writeTextFile(bad, 'n,s\n1,"a\nb"\n2,c\n3x,d\n');
  const err = await readCsv(bad, { dtypes: { n: "int32" } }).compute(o)
    .catch((e) => e);
  assert.ok(err instanceof CsvParseError, String(err));
  assert.equal(err.file, bad);
  assert.equal(err.line, 5);
  assert.equal(err.column, 1);
  assert.equal(err.columnName, "n");
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "troupe-df-place-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const placement of ["local", "worker", "process"] as const) {
  Deno.test(`[${placement}] CSV and Parquet files read and written by the tasks equal the plain rows`, async () => {
    await withDir(async (dir) => {
      await using system = new ActorSystem();
      await using scheduler = createScheduler(system, {
        placement,
        workers: 2,
        // A process host reads troupe's files and the data's folder.
        permissions: placement === "process"
          ? {
            read: [new URL("../../", import.meta.url).pathname, dir],
            write: [dir],
          }
          : undefined,
      });
      await checkFiles(dir, { scheduler });
    });
  });
}

Deno.test("[localCluster client] CSV and Parquet files read and written by node processes equal the plain rows", async () => {
  await withDir(async (dir) => {
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      secret: "df-io",
      read: [Deno.cwd(), dir],
      write: [dir],
    });
    await using client = await connect(cluster.address, { secret: "df-io" });
    await checkFiles(dir, { scheduler: client });
  });
});
