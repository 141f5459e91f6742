/**
 * Writing partitions as CSV: RFC 4180 quoting where a value needs it (the
 * delimiter, a quote, a newline, spaces at either end, or an empty string,
 * which would read back as a null), nulls as empty fields, numbers in their
 * shortest round-trip form, dates and timestamps in ISO 8601.
 *
 * @module
 */

import { textOf } from "./_cast.ts";
import { bit, type Part } from "./_part.ts";

function quoteIfNeeded(s: string, delimiter: string): string {
  if (
    s === "" || s.includes(delimiter) || s.includes('"') || s.includes("\n") ||
    s.includes("\r") || s[0] === " " || s[s.length - 1] === " "
  ) {
    return `"${s.replaceAll('"', '""')}"`;
  }
  return s;
}

/** The CSV text of the header line. */
export function csvHeader(names: readonly string[], delimiter: string): string {
  return names.map((n) => quoteIfNeeded(n, delimiter)).join(delimiter) + "\n";
}

/** The CSV text of `part`'s rows (no header). */
export function csvRows(part: Part, delimiter: string): string {
  const texts = part.columns.map((c) => textOf(c));
  const strings = part.columns.map((c) => c.type === "string");
  const lines: string[] = new Array(part.length);
  const fields: string[] = new Array(part.columns.length);
  for (let i = 0; i < part.length; i++) {
    for (let c = 0; c < part.columns.length; c++) {
      if (!bit(part.columns[c].valid, i)) fields[c] = "";
      else {
        const t = texts[c](i);
        fields[c] = strings[c] || t.includes(delimiter)
          ? quoteIfNeeded(t, delimiter)
          : t;
      }
    }
    lines[i] = fields.join(delimiter);
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
