/**
 * Reading CSV byte ranges: a task reads its own range of a file in chunks
 * (memory stays flat however big the range) and parses it into batches;
 * a malformed field is reported with its file, line and column.
 *
 * A range's first record is found exactly, quotes and all: `csvBounds`
 * scans a range for its quote parity and for the first record start under
 * either state (inside or outside a quoted field) at its start; the parity
 * of all ranges before it says which state is true (`resolveStarts`). With
 * quoting off, a range starts after the first newline at or after it.
 *
 * @module
 */

import { giveBuffer, takeBuffer } from "./_buffers.ts";
import { CsvParser, FieldError } from "./_csv_parse.ts";
import type { Part } from "./_part.ts";
import type { CsvSource } from "./_spec.ts";

const LF = 10;
const CHUNK = 2 << 20;

/**
 * A malformed CSV record or field: the message names the file, the line
 * (1-based, counting every newline, also those inside quoted fields) and
 * the column.
 *
 * @example
 * ```ts
 * import { CsvParseError } from "@troupe/troupe/dataframe";
 * const e = new CsvParseError("no number", "data.csv", 3, 2, "price");
 * console.log(e.message); // data.csv:3: column 2 ("price"): no number
 * ```
 */
export class CsvParseError extends Error {
  /** The file. */
  readonly file: string;
  /** The line, 1-based. */
  readonly line: number;
  /** The column (field number), 1-based. */
  readonly column: number;
  /** The column's name from the header. */
  readonly columnName: string;
  /** Build it from what went wrong and where. */
  constructor(
    what: string,
    file: string,
    line: number,
    column: number,
    columnName: string,
  ) {
    super(`${file}:${line}: column ${column} ("${columnName}"): ${what}`);
    this.name = "CsvParseError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.columnName = columnName;
  }
}

/** The 1-based line of byte `offset` of `path` (newlines before it, plus one). */
export async function lineAt(path: string, offset: number): Promise<number> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK);
  let seen = 0;
  let lines = 1;
  while (seen < offset) {
    const n = await file.read(
      buf.subarray(0, Math.min(buf.length, offset - seen)),
    );
    if (n === null) break;
    for (let p = buf.indexOf(LF); p >= 0 && p < n; p = buf.indexOf(LF, p + 1)) {
      lines++;
    }
    seen += n;
  }
  return lines;
}

/** The first record start at or after `at` when nothing is quoted. */
async function alignForward(
  file: Deno.FsFile,
  at: number,
  size: number,
): Promise<number> {
  if (at <= 0) return 0;
  if (at >= size) return size;
  await file.seek(at - 1, Deno.SeekMode.Start);
  const buf = new Uint8Array(64 << 10);
  let base = at - 1;
  for (;;) {
    const n = await file.read(buf);
    if (n === null) return size;
    const p = buf.subarray(0, n).indexOf(LF);
    if (p >= 0) return base + p + 1;
    base += n;
  }
}

/**
 * The batches of a CSV range, each a partition of views into buffers the
 * next batch reuses (a consumer that keeps rows copies them).
 */
export async function* csvBatches(
  src: CsvSource,
  batchRows = 32_768,
): AsyncGenerator<Part> {
  using file = await Deno.open(src.path, { read: true });
  let start = src.start;
  let end = src.end;
  if (!src.exact) {
    const size = (await file.stat()).size;
    start = await alignForward(file, start, size);
    end = await alignForward(file, end, size);
  }
  if (end <= start) return;
  await file.seek(start, Deno.SeekMode.Start);
  const parser = new CsvParser(src.layout, batchRows);
  // One byte more than is read: the parser's stop byte goes there.
  let buf = takeBuffer(Math.min(CHUNK, end - start + 1) + 1);
  try {
    yield* parseRange(src, file, parser, buf, start, end, (b) => buf = b);
  } finally {
    giveBuffer(buf);
  }
}

async function* parseRange(
  src: CsvSource,
  file: Deno.FsFile,
  parser: CsvParser,
  buf: Uint8Array,
  start: number,
  end: number,
  grown: (b: Uint8Array) => void,
): AsyncGenerator<Part> {
  let have = 0;
  let pos = 0;
  let offset = start;
  let left = end - start;
  for (;;) {
    if (pos > 0) {
      buf.copyWithin(0, pos, have);
      have -= pos;
      offset += pos;
      pos = 0;
    }
    if (have === buf.length - 1 && left > 0) {
      // A record longer than the buffer: grow it.
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      grown(buf = bigger);
    }
    if (left > 0) {
      const n = await file.read(
        buf.subarray(have, have + Math.min(buf.length - 1 - have, left)),
      );
      if (n === null) left = 0;
      else {
        have += n;
        left -= n;
      }
    }
    const final = left === 0;
    for (;;) {
      try {
        pos = parser.parse(buf, pos, have, final);
      } catch (e) {
        if (!(e instanceof FieldError)) throw e;
        const header = src.layout.header;
        throw new CsvParseError(
          e.message,
          src.path,
          await lineAt(src.path, offset + e.at),
          Math.min(e.field, header.length - 1) + 1,
          header[Math.min(e.field, header.length - 1)] ?? "",
        );
      }
      if (parser.rows < parser.capacity) break;
      yield parser.batch();
      parser.reset();
    }
    if (final && pos >= have) {
      if (parser.rows > 0) yield parser.batch();
      return;
    }
  }
}

/** What `csvBounds` finds in one range. */
export interface RangeBounds {
  /** Quotes in the range, mod 2. */
  readonly parity: number;
  /** The first record start in the range if its start is outside quotes, or -1. */
  readonly even: number;
  /** The same if its start is inside a quoted field, or -1. */
  readonly odd: number;
}

/** Scan [start, end) of `path` for its quote parity and first record starts. */
export async function csvBounds(
  path: string,
  start: number,
  end: number,
  quote: number,
): Promise<RangeBounds> {
  using file = await Deno.open(path, { read: true });
  const from = Math.max(0, start - 1);
  await file.seek(from, Deno.SeekMode.Start);
  const buf = takeBuffer(Math.min(CHUNK, end - from + 1));
  try {
    return await scanRange(file, buf, from, start, end, quote);
  } finally {
    giveBuffer(buf);
  }
}

async function scanRange(
  file: Deno.FsFile,
  buf: Uint8Array,
  from: number,
  start: number,
  end: number,
  quote: number,
): Promise<RangeBounds> {
  let even = start === 0 ? 0 : -1;
  let odd = -1;
  let parity = 0;
  let at = from;
  while (at < end) {
    const n = await file.read(buf.subarray(0, Math.min(buf.length, end - at)));
    if (n === null) break;
    const b = buf.subarray(0, n);
    // Between quotes the parity is fixed: find the first newline there.
    let p = 0;
    if (at < start) {
      // The byte before the range: a newline there starts a record at `start`.
      if (b[0] === LF) even = start;
      p = 1;
    }
    while (p < n) {
      const q = quote < 0 ? -1 : b.indexOf(quote, p);
      const stop = q < 0 ? n : q;
      if ((parity === 0 ? even : odd) < 0) {
        const nl = b.subarray(0, stop).indexOf(LF, p);
        if (nl >= 0 && at + nl + 1 < end) {
          if (parity === 0) even = at + nl + 1;
          else odd = at + nl + 1;
        }
      }
      if (q < 0) break;
      parity ^= 1;
      p = q + 1;
    }
    at += n;
  }
  return { parity, even, odd };
}

/**
 * The record start of each range from the bounds of all ranges of a file
 * (range 0 starts at the file's start, `first` after the header): ranges
 * [starts[i], starts[i + 1]) hold whole records, some none.
 */
export function resolveStarts(
  bounds: readonly RangeBounds[],
  size: number,
  first: number,
): number[] {
  const n = bounds.length;
  const found: number[] = new Array(n);
  let parity = 0;
  for (let i = 0; i < n; i++) {
    found[i] = i === 0 ? first : parity === 0 ? bounds[i].even : bounds[i].odd;
    parity ^= bounds[i].parity;
  }
  const starts = new Array(n + 1);
  starts[n] = size;
  for (let i = n - 1; i >= 0; i--) {
    starts[i] = found[i] < 0
      ? starts[i + 1]
      : Math.min(Math.max(found[i], first), starts[i + 1]);
  }
  return starts;
}
