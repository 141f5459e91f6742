/**
 * `readCsv`: CSV files (a path or a glob) as a lazy frame of byte-range
 * partitions. The header and the column types come from a sample of the
 * first file, read here; each partition's task reads and parses its own
 * range (RFC 4180: quoted fields, delimiters and newlines inside quotes,
 * doubled quotes, CRLF), with exact record boundaries even where a range
 * starts inside a quoted field.
 *
 * @module
 */

import { globSync } from "node:fs";
import { type CsvLayout, inferOne } from "./_csv_parse.ts";
import { decodeBytes } from "./_dict.ts";
import { type DType, DTYPES, missingColumn, type Schema } from "./_part.ts";
import type { CsvFile, PartPlan } from "./_plan.ts";
import { LazyFrame } from "./lazy_frame.ts";

/**
 * How `readCsv` reads.
 *
 * @example
 * ```ts
 * import type { ReadCsvOptions } from "@troupe/troupe/dataframe";
 * const options: ReadCsvOptions = { blocksize: "64MB", dtypes: { id: "int64" } };
 * ```
 */
export interface ReadCsvOptions {
  /**
   * Bytes per partition: a number or a size such as `"64MB"` (default: the
   * files split into 4 partitions per core, at most 64 MB each).
   */
  blocksize?: number | string;
  /** Only these columns (the others are skipped unparsed). */
  columns?: string[];
  /** Column types to use instead of those inferred from the sample. */
  dtypes?: Record<string, DType>;
  /**
   * Whether the first line names the columns (default true); or the names,
   * for files without a header line.
   */
  header?: boolean | string[];
  /** The field delimiter (default `,`). */
  delimiter?: string;
  /** The quote character (default `"`), or null for none. */
  quote?: string | null;
  /**
   * Field values read as null in columns that are not strings (default
   * `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL`, `None`, `#N/A`, `<NA>`);
   * an empty field is null in every column.
   */
  nullValues?: string[];
  /** Bytes of the first file sampled for the header and types (default 256 KB). */
  sampleBytes?: number;
}

const NULLS = [
  "NA",
  "N/A",
  "NaN",
  "nan",
  "null",
  "NULL",
  "None",
  "#N/A",
  "<NA>",
];
const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KIB: 1024,
  MIB: 1 << 20,
  GIB: 1 << 30,
};

/** Bytes from a number or a size text (`"64MB"`, `"1.5 GiB"`). */
export function parseBytes(size: number | string): number {
  if (typeof size === "number") {
    if (!(Number.isInteger(size) && size > 0)) {
      throw new RangeError(`blocksize must be a positive integer, got ${size}`);
    }
    return size;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(size);
  const unit = UNITS[(m?.[2] || "B").toUpperCase()];
  if (m === null || unit === undefined) {
    throw new RangeError(`blocksize: "${size}" is not a size such as "64MB"`);
  }
  return Math.max(1, Math.round(Number(m[1]) * unit));
}

/** The files a path or glob names, sorted. */
export function expandPaths(pathOrGlob: string | string[]): string[] {
  const patterns = typeof pathOrGlob === "string" ? [pathOrGlob] : pathOrGlob;
  const out: string[] = [];
  for (const p of patterns) {
    if (/[*?[]/.test(p)) {
      const found = (globSync(p) as string[]).sort();
      if (found.length === 0) {
        throw new Deno.errors.NotFound(`no file matches ${p}`);
      }
      out.push(...found);
    } else {
      Deno.statSync(p); // NotFound names the path
      out.push(p);
    }
  }
  return out;
}

function readHead(path: string, bytes: number): Uint8Array {
  using f = Deno.openSync(path, { read: true });
  const buf = new Uint8Array(bytes);
  let n = 0;
  while (n < bytes) {
    const r = f.readSync(buf.subarray(n));
    if (r === null) break;
    n += r;
  }
  return buf.subarray(0, n);
}

/**
 * Records of a sample (a plain RFC 4180 reader: for the header and type
 * inference only), and the byte offset after each.
 */
export function sampleRecords(
  bytes: Uint8Array,
  delimiter: number,
  quote: number,
  whole: boolean,
  max = Infinity,
): { records: string[][]; ends: number[] } {
  const dec = new TextDecoder();
  const records: string[][] = [];
  const ends: number[] = [];
  let fields: string[] = [];
  let start = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n && records.length < max) {
    if (bytes[i] === quote) {
      const parts: Uint8Array[] = [];
      let s = i + 1;
      let j = s;
      for (;;) {
        while (j < n && bytes[j] !== quote) j++;
        if (j >= n) return { records, ends }; // cut inside quotes
        if (j + 1 < n && bytes[j + 1] === quote) {
          parts.push(bytes.subarray(s, j + 1));
          s = j = j + 2;
          continue;
        }
        break;
      }
      parts.push(bytes.subarray(s, j));
      fields.push(parts.map((p) => dec.decode(p)).join(""));
      i = j + 1;
    } else {
      let j = i;
      while (
        j < n && bytes[j] !== delimiter && bytes[j] !== 10 && bytes[j] !== 13
      ) j++;
      if (j >= n && !whole) return { records, ends };
      fields.push(decodeBytes(bytes, i, j));
      i = j;
    }
    if (i < n && bytes[i] === delimiter) {
      i++;
      continue;
    }
    if (i < n && bytes[i] === 13) i++;
    if (i < n && bytes[i] === 10) i++;
    else if (i < n && bytes[i - 1] !== 13) return { records, ends };
    if (!(fields.length === 1 && fields[0] === "" && i - start <= 2)) {
      records.push(fields);
      ends.push(i);
    }
    fields = [];
    start = i;
  }
  if (fields.length > 0 && records.length < max) {
    records.push(fields);
    ends.push(n);
  }
  return { records, ends };
}

/** The narrowest type all of a column's sample values take. */
function unify(a: DType | null, b: DType): DType {
  if (a === null || a === b) return b;
  const nums: DType[] = ["int32", "int64", "float64"];
  if (nums.includes(a) && nums.includes(b)) {
    return nums[Math.max(nums.indexOf(a), nums.indexOf(b))];
  }
  if (
    (a === "date" && b === "timestamp") || (a === "timestamp" && b === "date")
  ) return "timestamp";
  return "string";
}

/**
 * Read CSV files lazily: one partition per `blocksize` bytes of each file.
 * The header and the types of the columns are read from a sample of the
 * first file (`dtypes` fixes a column's type); every file must have the
 * same columns. A malformed field fails the computation with a
 * `CsvParseError` naming the file, the line and the column.
 *
 * @example The tutorial's group-by
 * ```ts
 * import { readCsv } from "@troupe/troupe/dataframe";
 * import assert from "node:assert/strict";
 * const dir = new URL("../tests/fixtures/dataframe/", import.meta.url).pathname;
 * const df = readCsv(`${dir}*.csv`, { blocksize: "64MB" });
 * const out = await df.groupBy("column").mean().compute({ placement: "inline" });
 * assert.deepEqual(out.toRecords(), [{ column: "a", x: 2, y: 20 }, { column: "b", x: 2, y: 20 }]);
 * ```
 */
export function readCsv(
  pathOrGlob: string | string[],
  options: ReadCsvOptions = {},
): LazyFrame {
  const paths = expandPaths(pathOrGlob);
  const delimiter = options.delimiter ?? ",";
  if (new TextEncoder().encode(delimiter).length !== 1) {
    throw new TypeError(
      `delimiter must be one byte, got ${JSON.stringify(delimiter)}`,
    );
  }
  const quoteText = options.quote === undefined ? '"' : options.quote;
  if (quoteText !== null && new TextEncoder().encode(quoteText).length !== 1) {
    throw new TypeError(
      `quote must be one byte or null, got ${JSON.stringify(quoteText)}`,
    );
  }
  const d = delimiter.charCodeAt(0);
  const q = quoteText === null ? -1 : quoteText.charCodeAt(0);
  const nullTokens = options.nullValues ?? NULLS;
  const sampleBytes = options.sampleBytes ?? 256 << 10;
  const hasHeader = options.header === undefined || options.header === true;

  // The header and types, from the first file's sample.
  const stats = paths.map((p) => Deno.statSync(p));
  const head = readHead(paths[0], sampleBytes);
  const whole = head.length >= stats[0].size;
  // Types from the first records of the sample (as many as Dask's sample
  // holds of a narrow file); `dtypes` fixes a column they misjudge.
  const { records, ends } = sampleRecords(head, d, q, whole, 5_000);
  if (records.length === 0 && hasHeader) {
    throw new TypeError(
      `${paths[0]}: no header line in the first ${sampleBytes} bytes`,
    );
  }
  const header = Array.isArray(options.header)
    ? options.header
    : hasHeader
    ? records[0]
    : (records[0] ?? []).map((_, i) => `column_${i + 1}`);
  const dupe = header.find((n, i) => header.indexOf(n) !== i);
  if (dupe !== undefined) {
    throw new TypeError(`${paths[0]}: two columns are named "${dupe}"`);
  }
  const body = hasHeader ? records.slice(1) : records;
  for (const name of Object.keys(options.dtypes ?? {})) {
    if (!header.includes(name)) throw missingColumn(name, header);
    const t = options.dtypes![name];
    if (!DTYPES.includes(t)) {
      throw new TypeError(
        `dtypes: "${t}" for "${name}" is not one of ${DTYPES.join(", ")}`,
      );
    }
  }
  const types: DType[] = header.map((name, c) => {
    const given = options.dtypes?.[name];
    if (given !== undefined) return given;
    let t: DType | null = null;
    for (const r of body) {
      const v = (r[c] ?? "").trim();
      if (v === "" || nullTokens.includes(v)) continue;
      t = unify(t, inferOne(v));
      if (t === "string") break;
    }
    return t ?? "float64";
  });
  const wanted = options.columns ?? header;
  for (const n of wanted) {
    if (!header.includes(n)) throw missingColumn(n, header);
  }
  const names = header.filter((n) => wanted.includes(n));
  const layout: CsvLayout = {
    fields: header.length,
    targets: header.map((n) => names.indexOf(n)),
    names,
    types: names.map((n) => types[header.indexOf(n)]),
    delimiter: d,
    quote: q,
    nullTokens,
    header,
  };
  const schema: Schema = { names: layout.names, types: layout.types };

  const total = stats.reduce((a, s) => a + s.size, 0);
  const cores = navigator.hardwareConcurrency || 1;
  const blocksize = options.blocksize !== undefined
    ? parseBytes(options.blocksize)
    : Math.min(64 << 20, Math.max(1 << 20, Math.ceil(total / (4 * cores))));

  const plans: PartPlan[] = [];
  paths.forEach((path, f) => {
    const size = stats[f].size;
    let first = 0;
    if (hasHeader) {
      const sample = f === 0
        ? { records, ends }
        : sampleRecords(readHead(path, sampleBytes), d, q, false);
      const got = sample.records[0];
      if (got === undefined || got.join("\u0000") !== header.join("\u0000")) {
        throw new TypeError(
          `${path}: its header (${(got ?? []).join(", ")}) differs from ${
            paths[0]
          }'s (${header.join(", ")})`,
        );
      }
      first = sample.ends[0];
    }
    const blocks = [0];
    for (let at = blocksize; at < size; at += blocksize) blocks.push(at);
    blocks.push(size);
    if (size <= first) blocks.splice(1, blocks.length - 2);
    const file: CsvFile = {
      path,
      size,
      mtime: stats[f].mtime?.getTime() ?? 0,
      blocks,
      first,
      layout,
      starts: null,
    };
    for (let i = 0; i < blocks.length - 1; i++) {
      plans.push({
        source: { kind: "csv", file, index: i },
        steps: [],
        schemas: [schema],
      });
    }
  });
  return new LazyFrame(plans, schema);
}
