/**
 * The demo's dataframe step: the tutorial's `read_csv`, `groupby`, `mean`
 * on a CSV it generates in a temporary directory (200,000 rows), computed
 * on worker threads; it prints the groups and removes the file.
 *
 * @module
 */

import { readCsv } from "../dataframe/mod.ts";

/**
 * Generate the CSV, group it by `column`, print the means with `print`.
 *
 * @example
 * ```ts ignore
 * import { dataframeStep } from "./demo_dataframe.ts";
 * await dataframeStep((text) => console.log(text));
 * ```
 */
export async function dataframeStep(
  print: (text: string) => void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "troupe-demo-" });
  try {
    const path = `${dir}/large_data.csv`;
    const lines = ["column,price,quantity"];
    for (let i = 0; i < 200_000; i++) {
      lines.push(`${"abcd"[i % 4]},${(i % 100) / 10},${i % 7}`);
    }
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    const t0 = performance.now();
    const df = readCsv(path, { blocksize: "1MB" });
    const out = await df.groupBy("column").mean().compute();
    print(
      `readCsv(large_data.csv).groupBy("column").mean(): 200,000 rows in ${df.npartitions} partitions, ${
        Math.round(performance.now() - t0)
      } ms on worker threads`,
    );
    for (const r of out.toRecords()) {
      print(`column=${r.column} price=${r.price} quantity=${r.quantity}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
