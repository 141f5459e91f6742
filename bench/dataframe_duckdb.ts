/**
 * One DuckDB workload of the dataframe benchmark (npm `@duckdb/node-api`,
 * run by Deno with --allow-ffi), in its own process: prints `{ ms, rss_mb,
 * check }` as `dataframe_job.ts` does, for the same queries.
 *
 * Usage: `deno run -A bench/dataframe_duckdb.ts WORKLOAD MAIN FACT SIDE`
 *
 * @module
 */

import { DuckDBInstance } from "@duckdb/node-api";
import { peakRssMb } from "./dataframe_job.ts";

const SQL: Record<
  string,
  (main: string, fact: string, side: string) => string
> = {
  groupby_int: (m) =>
    `SELECT sum(x) + sum(y) AS c FROM (SELECT k, avg(x) AS x, avg(y) AS y, avg(z) AS z FROM read_csv('${m}') GROUP BY k)`,
  groupby_str: (m) =>
    `SELECT sum(x) + sum(y) AS c FROM (SELECT name, avg(x) AS x, avg(y) AS y, avg(z) AS z FROM read_csv('${m}') GROUP BY name)`,
  chain: (m) =>
    `SELECT sum(w) AS c FROM (SELECT k, avg(y * z) AS w FROM read_csv('${m}') WHERE x > 0.5 GROUP BY k)`,
  merge: (_m, f, s) =>
    `SELECT count(*) AS c FROM read_csv('${f}') AS a JOIN read_csv('${s}') AS b ON a.id = b.id`,
};

if (import.meta.main) {
  const [name, main, fact, side] = Deno.args;
  const t0 = performance.now();
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(SQL[name](main, fact, side));
  const check = Number(reader.getRows()[0][0]);
  const ms = performance.now() - t0;
  conn.closeSync();
  console.log(JSON.stringify({ ms, rss_mb: peakRssMb(), check }));
}
