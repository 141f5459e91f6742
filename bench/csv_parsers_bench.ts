/**
 * The measurement that chose troupe's CSV parser (`deno task bench:csv`):
 * the maintained npm parsers (csv-parse, papaparse, udsv, d3-dsv) against
 * troupe's byte-level parser on the dataframe benchmark's file (default 2M
 * rows, ~57 MB: `k` int, `name` string, `x`, `y`, `z` floats), each from
 * the file's bytes to typed columns (Int32Array, Float64Array, and the
 * strings as dictionary indexes or an array), one isolate, one core.
 *
 * The npm parsers take a string, so their time includes decoding the bytes;
 * each gets its fastest documented mode (papaparse's dynamic typing and fast
 * mode, udsv's typed columns, csv-parse's sync API with casting, d3-dsv's
 * row parser with a row function). Output: JSON lines, then a table of
 * median ms, MB/s and the ratio to troupe's parser.
 *
 * Flags: `--rows N` (2,000,000), `--reps N` (5).
 *
 * @module
 */

import { parseArgs } from "node:util";
import Papa from "papaparse";
import { parse as csvParse } from "csv-parse/sync";
import { csvParseRows } from "d3-dsv";
import { inferSchema, initParser } from "udsv";
import { CsvParser } from "../dataframe/_csv_parse.ts";
import { PartBuilder } from "../dataframe/_builder.ts";
import { writeMainCsv } from "./dataframe_data.ts";
import { median } from "./actors_bench.ts";
import { renderTable } from "./table.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "2000000" },
    reps: { type: "string", default: "5" },
  },
});
const ROWS = Number(args.values.rows);
const REPS = Number(args.values.reps);

interface Columns {
  k: Int32Array;
  name: Int32Array | string[];
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
}

const dir = await Deno.makeTempDir({ prefix: "troupe-csv-bench-" });
try {
  const path = `${dir}/data.csv`;
  const size = await writeMainCsv(path, ROWS);
  const file = await Deno.readFile(path);
  // (troupe's parser wants one byte of room after the data.)
  const bytes = new Uint8Array(file.length + 1).subarray(0, file.length);
  bytes.set(file);

  const fromRows = (rows: unknown[][]): Columns => {
    const n = rows.length;
    const out: Columns = {
      k: new Int32Array(n),
      name: new Array(n),
      x: new Float64Array(n),
      y: new Float64Array(n),
      z: new Float64Array(n),
    };
    const names = out.name as string[];
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      out.k[i] = +(r[0] as number);
      names[i] = String(r[1]);
      out.x[i] = +(r[2] as number);
      out.y[i] = +(r[3] as number);
      out.z[i] = +(r[4] as number);
    }
    return out;
  };

  const parsers: Record<string, () => Columns> = {
    troupe: () => {
      const layout = {
        fields: 5,
        targets: [0, 1, 2, 3, 4],
        names: ["k", "name", "x", "y", "z"],
        types: ["int32", "string", "float64", "float64", "float64"] as const,
        delimiter: 44,
        quote: 34,
        nullTokens: [],
        header: ["k", "name", "x", "y", "z"],
      };
      const p = new CsvParser(layout, 32_768);
      const out = new PartBuilder(layout.names, layout.types, 1024);
      const room = new Uint8Array(bytes.buffer, 0, bytes.length + 1);
      let pos = bytes.indexOf(10) + 1;
      while (pos < bytes.length) {
        p.reset();
        pos = p.parse(room, pos, bytes.length, true);
        out.appendRange(p.batch());
      }
      const part = out.finish(false);
      const [k, name, x, y, z] = part.columns.map((c) => c.data);
      return {
        k: k as Int32Array,
        name: name as Int32Array,
        x: x as Float64Array,
        y: y as Float64Array,
        z: z as Float64Array,
      };
    },
    papaparse: () => {
      const text = new TextDecoder().decode(bytes);
      const r = Papa.parse<unknown[]>(text, {
        dynamicTyping: true,
        skipEmptyLines: true,
      });
      return fromRows(r.data.slice(1));
    },
    udsv: () => {
      const text = new TextDecoder().decode(bytes);
      const schema = inferSchema(text);
      const parser = initParser(schema);
      const cols = parser.typedCols(text) as unknown[][];
      const n = cols[0].length;
      const out: Columns = {
        k: Int32Array.from(cols[0] as number[]),
        name: cols[1] as string[],
        x: Float64Array.from(cols[2] as number[]),
        y: Float64Array.from(cols[3] as number[]),
        z: Float64Array.from(cols[4] as number[]),
      };
      if (out.k.length !== n) throw new Error("udsv: ragged columns");
      return out;
    },
    "csv-parse": () => {
      const text = new TextDecoder().decode(bytes);
      const rows = csvParse(text, { cast: true, from_line: 2 }) as unknown[][];
      return fromRows(rows);
    },
    "d3-dsv": () => {
      const text = new TextDecoder().decode(bytes);
      const rows = csvParseRows(
        text,
        (r: string[], i: number) => i === 0 ? null : r,
      );
      return fromRows(rows as unknown[][]);
    },
  };

  // Every parser must read the same values.
  const ref = parsers.troupe();
  for (const [name, run] of Object.entries(parsers)) {
    const got = run();
    if (got.k.length !== ROWS) {
      throw new Error(`${name}: ${got.k.length} rows, want ${ROWS}`);
    }
    for (const i of [0, 1, ROWS >> 1, ROWS - 1]) {
      if (
        got.k[i] !== ref.k[i] || got.x[i] !== ref.x[i] || got.z[i] !== ref.z[i]
      ) {
        throw new Error(`${name}: row ${i} differs from troupe's`);
      }
    }
  }

  const times = new Map<string, number[]>();
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, run] of Object.entries(parsers)) {
      const t0 = performance.now();
      run();
      const ms = performance.now() - t0;
      times.set(name, [...(times.get(name) ?? []), ms]);
    }
  }
  const mb = size / 1e6;
  const base = median(times.get("troupe")!);
  const rows = [[
    "parser",
    "median ms",
    "MB/s",
    "x troupe's time",
    "reps (ms)",
  ]];
  for (const [name, ts] of times) {
    const m = median(ts);
    console.log(JSON.stringify({
      bench: `csv_parse_${name}`,
      value: m,
      unit: "ms",
      mb_per_s: mb / (m / 1000),
      rows: ROWS,
    }));
    rows.push([
      name,
      m.toFixed(0),
      (mb / (m / 1000)).toFixed(0),
      `${(m / base).toFixed(2)}x`,
      ts.map((t) => t.toFixed(0)).join(" "),
    ]);
  }
  console.log(`\n${ROWS} rows, ${mb.toFixed(1)} MB\n`);
  console.log(renderTable(rows));
} finally {
  await Deno.remove(dir, { recursive: true });
}
