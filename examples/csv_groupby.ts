/**
 * The tutorial's dataframe example the troupe way: read a CSV in
 * partitions, group by a column, take the mean, compute on worker threads.
 *
 * The Python it mirrors:
 *
 * ```python
 * import dask.dataframe as dd
 * df = dd.read_csv('large_data.csv')
 * result = df.groupby('column').mean()
 * result.compute()
 * ```
 *
 * It writes `large_data.csv` (100,000 rows) to a temporary directory first.
 * Run it with `deno run --allow-read --allow-write examples/csv_groupby.ts`.
 *
 * @module
 */

import { readCsv } from "@troupe/troupe/dataframe";

const dir = await Deno.makeTempDir({ prefix: "troupe-example-" });
try {
  // Some data: a key column with 4 values, two numbers.
  const lines = ["column,price,quantity"];
  for (let i = 0; i < 100_000; i++) {
    lines.push(`${"abcd"[i % 4]},${(i % 100) / 10},${i % 7}`);
  }
  await Deno.writeTextFile(`${dir}/large_data.csv`, lines.join("\n") + "\n");

  const df = readCsv(`${dir}/large_data.csv`, { blocksize: "512KB" });
  const result = df.groupBy("column").mean();
  const out = await result.compute();

  console.log(
    `${df.npartitions} partitions, read and grouped on worker threads:`,
  );
  console.log(out.toString());
  console.log("as records:", JSON.stringify(out.toRecords()[0]));
  console.log("price column:", out.column("price"));
} finally {
  await Deno.remove(dir, { recursive: true });
}
