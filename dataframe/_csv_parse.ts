/**
 * The byte-level CSV parser: RFC 4180 records (quoted fields, embedded
 * delimiters and newlines, doubled quotes, CRLF) straight from a
 * Uint8Array into typed columns of fixed capacity (a batch), reused from
 * batch to batch. Numbers are parsed from the bytes (no string per field);
 * strings are interned into the column's dictionary from the bytes.
 *
 * @module
 */

import { DictBuilder } from "./_dict.ts";
import type { Column, DType, Part } from "./_part.ts";
import { parseDateText, parseTimestampText } from "./_dates.ts";

const LF = 10;
const CR = 13;
const SPACE = 32;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;

/** Exact powers of ten (a double holds 10^0..10^22 exactly). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** A malformed field or record, at a byte offset (the reader adds the line). */
export class FieldError extends Error {
  /** Byte offset in the buffer given to `parse`. */
  readonly at: number;
  /** The field's index in the record (0-based). */
  readonly field: number;
  constructor(message: string, at: number, field: number) {
    super(message);
    this.at = at;
    this.field = field;
  }
}

/** What the parser needs to know about the file's fields. */
export interface CsvLayout {
  /** Fields per record. */
  readonly fields: number;
  /** For each field: its column in the batch, or -1 to skip it. */
  readonly targets: readonly number[];
  /** The batch's column names and types. */
  readonly names: readonly string[];
  readonly types: readonly DType[];
  readonly delimiter: number;
  /** The quote byte, or -1 for none. */
  readonly quote: number;
  /** Field values read as null in columns that are not strings. */
  readonly nullTokens: readonly string[];
  /** Every field's name (for messages). */
  readonly header: readonly string[];
}

const decoder = new TextDecoder();

/** Parses records into a batch of fixed capacity. */
export class CsvParser {
  readonly layout: CsvLayout;
  readonly capacity: number;
  /** Rows in the batch. */
  rows = 0;
  readonly #kinds: Int8Array;
  readonly #slots: Int32Array;
  readonly #f64: Float64Array[] = [];
  readonly #i32: Int32Array[] = [];
  readonly #i64: BigInt64Array[] = [];
  readonly #u8: Uint8Array[] = [];
  readonly #valid: (Uint8Array | null)[];
  readonly #dicts: (DictBuilder | null)[];
  /** Each field's float64 or int32 values (for the number loops). */
  readonly #fieldF64: Float64Array[];
  readonly #fieldI32: Int32Array[];
  /** Bytes that end an unquoted field: delimiter, newlines, quote, and 0. */
  readonly #stop = new Uint8Array(256);
  #scratch = new Uint8Array(256);

  constructor(layout: CsvLayout, capacity: number) {
    this.layout = layout;
    this.capacity = capacity;
    const n = layout.types.length;
    this.#kinds = new Int8Array(layout.fields).fill(-1);
    this.#slots = new Int32Array(layout.fields);
    this.#valid = new Array(n).fill(null);
    this.#dicts = new Array(n).fill(null);
    const slotOf: number[] = [];
    layout.types.forEach((t, c) => {
      switch (t) {
        case "float64":
          slotOf[c] = this.#f64.push(new Float64Array(capacity)) - 1;
          break;
        case "int32":
        case "date":
        case "string":
          slotOf[c] = this.#i32.push(new Int32Array(capacity)) - 1;
          if (t === "string") this.#dicts[c] = new DictBuilder();
          break;
        case "int64":
        case "timestamp":
          slotOf[c] = this.#i64.push(new BigInt64Array(capacity)) - 1;
          break;
        case "bool":
          slotOf[c] = this.#u8.push(new Uint8Array((capacity + 7) >> 3)) - 1;
          break;
      }
    });
    const noF64 = new Float64Array(0);
    const noI32 = new Int32Array(0);
    this.#fieldF64 = new Array(layout.fields).fill(noF64);
    this.#fieldI32 = new Array(layout.fields).fill(noI32);
    for (let f = 0; f < layout.fields; f++) {
      const c = layout.targets[f];
      if (c < 0) continue;
      this.#kinds[f] = KIND[layout.types[c]];
      this.#slots[f] = slotOf[c];
      const t = layout.types[c];
      if (t === "float64") this.#fieldF64[f] = this.#f64[slotOf[c]];
      if (t === "int32" || t === "string" || t === "date") {
        this.#fieldI32[f] = this.#i32[slotOf[c]];
      }
    }
    for (const b of [layout.delimiter, LF, CR, 0]) this.#stop[b] = 1;
    if (layout.quote >= 0) this.#stop[layout.quote] = 1;
  }

  /** Empty the batch (dictionaries are kept: indexes stay valid). */
  reset(): void {
    this.rows = 0;
    this.#valid.fill(null);
  }

  /** The batch as a partition of views (valid until the next parse). */
  batch(): Part {
    const { names, types, targets } = this.layout;
    const columns: Column[] = [];
    for (let c = 0; c < types.length; c++) {
      const f = targets.indexOf(c);
      const slot = this.#slots[f];
      const t = types[c];
      const data = t === "float64"
        ? this.#f64[slot]
        : t === "int64" || t === "timestamp"
        ? this.#i64[slot]
        : t === "bool"
        ? this.#u8[slot]
        : this.#i32[slot];
      columns.push({
        type: t,
        data,
        valid: this.#valid[c],
        dict: this.#dicts[c]?.snapshot() ?? null,
      });
    }
    return { names, columns, length: this.rows };
  }

  #setNull(field: number, row: number): void {
    const c = this.layout.targets[field];
    let v = this.#valid[c];
    if (v === null) {
      v = this.#valid[c] = new Uint8Array((this.capacity + 7) >> 3);
      v.fill(255);
    }
    v[row >> 3] &= ~(1 << (row & 7));
  }

  /**
   * Stop before a record the buffer cuts: row `row` is parsed again later,
   * so a null its fields marked so far is undone (a bitmap starts all set;
   * only nulls clear bits).
   */
  #rollback(row: number, recStart: number): number {
    this.rows = row;
    for (const v of this.#valid) if (v !== null) v[row >> 3] |= 1 << (row & 7);
    return recStart;
  }

  /**
   * Parse records from buf[pos, end) until the batch is full; the offset
   * after the last whole record. When `final` is false a record cut by
   * `end` is left for the next call (its offset returned); when true, `end`
   * ends the last record. `buf` must have room for one byte at `end` (a
   * stop byte goes there while it parses, so that the loops over a field's
   * bytes need no bounds checks).
   */
  parse(buf: Uint8Array, pos: number, end: number, final: boolean): number {
    if (end >= buf.length) {
      throw new RangeError("parse needs one byte of room after end");
    }
    const saved = buf[end];
    buf[end] = 0;
    try {
      return this.#parse(buf, pos, end, final);
    } finally {
      buf[end] = saved;
    }
  }

  #parse(buf: Uint8Array, pos: number, end: number, final: boolean): number {
    const { fields, delimiter: DELIM, quote: QUOTE } = this.layout;
    const kinds = this.#kinds;
    const cols = this.#fieldF64;
    const ints = this.#fieldI32;
    const stop = this.#stop;
    let row = this.rows;
    const cap = this.capacity;
    records: while (row < cap && pos < end) {
      const recStart = pos;
      // A blank line is no record.
      let c = buf[pos];
      if (c === LF) {
        pos++;
        continue;
      }
      if (c === CR && (pos + 1 < end ? buf[pos + 1] === LF : final)) {
        pos += pos + 1 < end ? 2 : 1;
        continue;
      }
      let field = 0;
      for (;;) {
        if (field >= fields) {
          throw new FieldError(
            `too many fields: expected ${fields}`,
            pos,
            field,
          );
        }
        const kind = kinds[field];
        const start = pos;
        c = buf[pos];
        if (c === QUOTE && pos < end) {
          // Quoted: to the closing quote ("" is one quote).
          let p = pos + 1;
          let doubled = false;
          for (;;) {
            while (p < end && buf[p] !== QUOTE) p++;
            if (p + 1 >= end) {
              if (p >= end || !final) {
                if (final) {
                  throw new FieldError(
                    "a quoted field is not closed",
                    start,
                    field,
                  );
                }
                return this.#rollback(row, recStart);
              }
              break; // closing quote at the very end
            }
            if (buf[p + 1] === QUOTE) {
              doubled = true;
              p += 2;
              continue;
            }
            break;
          }
          pos = p + 1;
          c = pos < end ? buf[pos] : -1;
          if (c !== DELIM && c !== LF && c !== CR && c !== -1) {
            throw new FieldError(
              "a quoted field must end at its closing quote (a quote inside a field is written twice)",
              pos,
              field,
            );
          }
          if (kind >= 0) this.#quoted(buf, start + 1, p, doubled, field, row);
        } else if (kind === K_F64 || kind === K_I32) {
          // Unquoted number: digits straight into the mantissa (the stop
          // byte at `end` ends every loop).
          let p = pos;
          let neg = false;
          if (c === MINUS) {
            neg = true;
            c = buf[++p];
          } else if (c === PLUS) c = buf[++p];
          let m = 0;
          let d = c - ZERO;
          const first = p;
          while ((d >>> 0) < 10) {
            m = m * 10 + d;
            d = buf[++p] - ZERO;
          }
          let digits = p - first;
          let exp = 0;
          if (d === DOT - ZERO && kind === K_F64) {
            const at = ++p;
            d = buf[p] - ZERO;
            while ((d >>> 0) < 10) {
              m = m * 10 + d;
              d = buf[++p] - ZERO;
            }
            exp = at - p;
            digits += p - at;
          }
          c = d + ZERO;
          const ends = c === DELIM || c === LF || c === CR ||
            (c === 0 && p >= end);
          if (ends && c === 0 && !final) return this.#rollback(row, recStart);
          if (
            ends && digits > 0 &&
            (kind === K_F64
              ? digits <= 15 && exp >= -22
              : digits <= 10 && (neg ? m <= 2147483648 : m <= 2147483647))
          ) {
            pos = p;
            if (kind === K_F64) {
              const v = exp === 0 ? m : m / POW10[-exp];
              cols[field][row] = neg ? -v : v;
            } else ints[field][row] = neg ? -m : m;
            if (c === 0) c = -1;
          } else {
            pos = this.#fieldEnd(buf, p, end, field, stop);
            c = pos < end ? buf[pos] : -1;
            if (c === -1 && !final) return this.#rollback(row, recStart);
            this.#slow(buf, start, pos, field, row);
          }
        } else {
          // A string, a skipped field, or another type: to the field's end.
          pos = this.#fieldEnd(buf, pos, end, field, stop);
          c = pos < end ? buf[pos] : -1;
          if (c === -1 && !final) return this.#rollback(row, recStart);
          if (kind === K_STR) {
            if (pos === start) this.#setNull(field, row);
            else {
              ints[field][row] = this.#dicts[this.layout.targets[field]]!
                .intern(buf, start, pos);
            }
          } else if (kind >= 0) this.#slow(buf, start, pos, field, row);
        }
        // After the field: a delimiter, the record's end, or the buffer's.
        if (c === DELIM) {
          pos++;
          field++;
          continue;
        }
        if (c === LF) pos++;
        else if (c === CR) {
          if (pos + 1 < end) pos += buf[pos + 1] === LF ? 2 : 1;
          else if (final) pos++;
          else return this.#rollback(row, recStart);
        } else if (!final) return this.#rollback(row, recStart);
        if (field + 1 !== fields) {
          throw new FieldError(
            `too few fields: expected ${fields}, got ${field + 1}`,
            pos - 1,
            field,
          );
        }
        row++;
        continue records;
      }
    }
    this.rows = row;
    return pos;
  }

  /** The offset of the unquoted field's end (delimiter, newline or `end`). */
  #fieldEnd(
    buf: Uint8Array,
    pos: number,
    end: number,
    field: number,
    stop: Uint8Array,
  ): number {
    for (;;) {
      while (stop[buf[pos]] === 0) pos++;
      const c = buf[pos];
      if (c === 0 && pos < end) {
        pos++; // a NUL in the data
        continue;
      }
      if (c === this.layout.quote && pos < end) {
        throw new FieldError(
          "a quote inside an unquoted field (quote the field and write the quote twice)",
          pos,
          field,
        );
      }
      return pos;
    }
  }

  /** A quoted field's bytes [s, e) (doubled quotes when `doubled`). */
  #quoted(
    buf: Uint8Array,
    s: number,
    e: number,
    doubled: boolean,
    field: number,
    row: number,
  ): void {
    let src = buf;
    if (doubled) {
      if (this.#scratch.length < e - s) {
        this.#scratch = new Uint8Array(2 * (e - s));
      }
      const out = this.#scratch;
      let n = 0;
      for (let i = s; i < e; i++) {
        out[n++] = buf[i];
        if (buf[i] === this.layout.quote) i++;
      }
      src = out;
      e = n;
      s = 0;
    }
    if (kinds(this, field) === K_STR) {
      // A quoted empty string is an empty string, not a null.
      this.#i32[this.#slots[field]][row] = this
        .#dicts[this.layout.targets[field]]!
        .intern(src, s, e);
      return;
    }
    this.#slow(src, s, e, field, row);
  }

  /** Any field from its text: trimmed, null tokens, strict number syntax. */
  #slow(
    buf: Uint8Array,
    s: number,
    e: number,
    field: number,
    row: number,
  ): void {
    while (s < e && buf[s] === SPACE) s++;
    while (e > s && buf[e - 1] === SPACE) e--;
    if (s === e) return this.#setNull(field, row);
    const text = decoder.decode(buf.subarray(s, e));
    if (this.layout.nullTokens.includes(text)) {
      return this.#setNull(field, row);
    }
    const c = this.layout.targets[field];
    const type = this.layout.types[c];
    const slot = this.#slots[field];
    const v = convertText(text, type);
    if (v === undefined) {
      throw new FieldError(
        `"${text.length > 40 ? text.slice(0, 40) + "..." : text}" is not ${
          type === "int32" || type === "int64" ? "an" : "a"
        } ${type}${hintFor(text, type)}`,
        s,
        field,
      );
    }
    switch (type) {
      case "float64":
        this.#f64[slot][row] = v as number;
        break;
      case "int32":
      case "date":
        this.#i32[slot][row] = v as number;
        break;
      case "int64":
      case "timestamp":
        this.#i64[slot][row] = v as bigint;
        break;
      case "bool": {
        const b = this.#u8[slot];
        if (v) b[row >> 3] |= 1 << (row & 7);
        else b[row >> 3] &= ~(1 << (row & 7));
        break;
      }
      case "string":
        this.#i32[slot][row] = this.#dicts[c]!.internString(text);
        break;
    }
  }
}

const K_F64 = 0;
const K_I32 = 1;
const K_STR = 2;
const K_OTHER = 3;
const KIND: Record<DType, number> = {
  float64: K_F64,
  int32: K_I32,
  string: K_STR,
  int64: K_OTHER,
  bool: K_OTHER,
  date: K_OTHER,
  timestamp: K_OTHER,
};

function kinds(p: CsvParser, field: number): number {
  const c = p.layout.targets[field];
  return c < 0 ? -1 : KIND[p.layout.types[c]];
}

const FLOAT_RE =
  /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;
const INT_RE = /^[+-]?\d+$/;

/**
 * The value of `text` as `type` (numbers, bigints, booleans, day or
 * millisecond counts, the text itself), or undefined when it is not one.
 */
export function convertText(
  text: string,
  type: DType,
): number | bigint | boolean | string | undefined {
  switch (type) {
    case "float64": {
      if (!FLOAT_RE.test(text)) return undefined;
      const t = text.toLowerCase().replace(/^\+/, "");
      if (t.endsWith("inf") || t.endsWith("infinity")) {
        return t.startsWith("-") ? -Infinity : Infinity;
      }
      return Number(t.endsWith("nan") ? NaN : t);
    }
    case "int32": {
      if (!INT_RE.test(text)) return undefined;
      const v = Number(text);
      return v >= -2147483648 && v <= 2147483647 ? v : undefined;
    }
    case "int64": {
      if (!INT_RE.test(text)) return undefined;
      const v = BigInt(text);
      return v >= -(2n ** 63n) && v < 2n ** 63n ? v : undefined;
    }
    case "bool": {
      const t = text.toLowerCase();
      return t === "true" ? true : t === "false" ? false : undefined;
    }
    case "date":
      return parseDateText(text);
    case "timestamp": {
      // A date alone is its midnight (UTC).
      const days = parseDateText(text);
      const ms = days !== undefined
        ? days * 86_400_000
        : parseTimestampText(text);
      return ms === undefined ? undefined : BigInt(ms);
    }
    case "string":
      return text;
  }
}

function hintFor(text: string, type: DType): string {
  if (type === "int32" && INT_RE.test(text)) {
    return ' (outside int32: give dtypes { column: "int64" } or "float64")';
  }
  if (type !== "string") {
    return ` (the type was inferred from a sample: give dtypes { column: "${
      inferOne(text)
    }" } to fix it)`;
  }
  return "";
}

/** The narrowest type `text` parses as (for inference and hints). */
export function inferOne(text: string): DType {
  if (INT_RE.test(text)) {
    return convertText(text, "int32") !== undefined ? "int32" : "int64";
  }
  if (FLOAT_RE.test(text)) return "float64";
  if (convertText(text, "bool") !== undefined) return "bool";
  if (parseDateText(text) !== undefined) return "date";
  if (parseTimestampText(text) !== undefined) return "timestamp";
  return "string";
}
