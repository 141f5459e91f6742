/**
 * `readParquet`: Parquet files as a lazy frame, one partition per row
 * group, each read by its own task (only that row group's bytes).
 *
 * @module
 */

import { expandPaths } from "./csv.ts";
import { missingColumn, type Schema } from "./_part.ts";
import type { PartPlan } from "./_plan.ts";
import { LazyFrame } from "./lazy_frame.ts";

/**
 * Read Parquet files lazily (a path, a glob or a list): one partition per
 * row group. Only the footers are read here; `columns` picks columns.
 *
 * @example
 * ```ts
 * import { readParquet } from "@troupe/troupe/dataframe";
 * const dir = new URL("../tests/fixtures/dataframe/", import.meta.url).pathname;
 * const df = await readParquet(`${dir}*.parquet`, { columns: ["x"] });
 * console.log((await df.compute({ placement: "inline" })).column("x")); // Float64Array(2) [ 0.5, 1.5 ]
 * ```
 */
export async function readParquet(
  pathOrGlob: string | string[],
  options: { columns?: string[] } = {},
): Promise<LazyFrame> {
  const { parquetInfo } = await import("./_parquet.ts");
  const paths = expandPaths(pathOrGlob);
  const infos = await Promise.all(paths.map((p) => parquetInfo(p)));
  const full = infos[0].schema;
  infos.forEach((info, i) => {
    const same = info.schema.names.length === full.names.length &&
      info.schema.names.every((n, j) =>
        n === full.names[j] && info.schema.types[j] === full.types[j]
      );
    if (!same) {
      throw new TypeError(`${paths[i]}: its columns differ from ${paths[0]}'s`);
    }
  });
  const wanted = options.columns ?? full.names;
  for (const n of wanted) {
    if (!full.names.includes(n)) throw missingColumn(n, full.names);
  }
  const schema: Schema = {
    names: full.names.filter((n) => wanted.includes(n)),
    types: full.names.flatMap((n, i) =>
      wanted.includes(n) ? [full.types[i]] : []
    ),
  };
  const plans: PartPlan[] = [];
  paths.forEach((path, f) => {
    for (let g = 0; g < infos[f].rowGroups; g++) {
      plans.push({
        source: { kind: "parquet", path, rowGroup: g, schema },
        steps: [],
        schemas: [schema],
      });
    }
  });
  return new LazyFrame(plans, schema);
}
