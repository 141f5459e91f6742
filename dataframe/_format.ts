/**
 * A readable text table of a partition: a header of names and types, the
 * first and last rows when there are many, numbers aligned right.
 *
 * @module
 */

import { textOf } from "./_cast.ts";
import { bit, type Part } from "./_part.ts";

function cell(
  part: Part,
  c: number,
  i: number,
  texts: ((i: number) => string)[],
): string {
  const col = part.columns[c];
  if (!bit(col.valid, i)) return "null";
  if (col.type === "float64") {
    const v = (col.data as Float64Array)[i];
    return Number.isInteger(v) && Math.abs(v) < 1e15
      ? v.toFixed(1)
      : String(Number(v.toPrecision(8)));
  }
  if (col.type === "timestamp") {
    return texts[c](i).replace("T", " ").replace(".000Z", "").replace("Z", "");
  }
  return texts[c](i);
}

/** `part` as a text table, with at most `max` rows shown. */
export function formatPart(part: Part, max = 20): string {
  const n = part.length;
  const texts = part.columns.map((c) => textOf(c));
  const shown = n <= max ? [...Array(n).keys()] : [
    ...Array.from({ length: Math.ceil(max / 2) }, (_, i) => i),
    -1,
    ...Array.from(
      { length: Math.floor(max / 2) },
      (_, i) => n - Math.floor(max / 2) + i,
    ),
  ];
  const header = part.names.slice();
  const types = part.columns.map((c) => c.type);
  const rows = shown.map((i) =>
    i < 0
      ? header.map(() => "...")
      : header.map((_, c) => cell(part, c, i, texts))
  );
  const widths = header.map((h, c) =>
    Math.max(h.length, types[c].length, ...rows.map((r) => r[c].length))
  );
  const right = types.map((t) => t !== "string" && t !== "bool");
  const pad = (s: string, c: number) =>
    right[c] ? s.padStart(widths[c]) : s.padEnd(widths[c]);
  const line = (cells: string[]) => cells.map(pad).join("  ").trimEnd();
  const out = [
    line(header),
    line(types),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  out.push(
    `(${n} row${n === 1 ? "" : "s"}, ${header.length} column${
      header.length === 1 ? "" : "s"
    })`,
  );
  return out.join("\n");
}
