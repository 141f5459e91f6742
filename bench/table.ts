/**
 * The readable table every benchmark prints after its JSON lines.
 *
 * @module
 */

/** Render `rows` (the first is the header) as a Markdown table. */
export function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  const line = (r: string[]): string =>
    "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  return [
    line(rows[0]),
    "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|",
    ...rows.slice(1).map(line),
  ].join("\n");
}
