/**
 * The readable table every benchmark prints after its JSON lines.
 *
 * @module
 */

/** A figure's goal from its issue. */
export interface Target {
  /** What the table shows, e.g. `>= 2M`. */
  label: string;
  /** Whether a value meets it. */
  met: (value: number) => boolean;
}

/** A value for the table: rates in k or M, ratios with an x. */
export function show(value: number, unit: string): string {
  if (unit === "x") return `${value.toFixed(2)}x`;
  if (unit === "ms") return value < 10 ? value.toFixed(3) : value.toFixed(1);
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(1);
}

/** A figure as the benchmarks print it. */
export interface Figure {
  /** Its name. */
  bench: string;
  /** The median. */
  value: number;
  /** Its unit. */
  unit: string;
}

/**
 * The readable table of `figures`: median, unit, every sample (`per` names
 * them: reps or rounds), target, whether it is met.
 */
export function figureTable(
  figures: Figure[],
  samples: Map<string, number[]>,
  targetOf: (bench: string) => Target | undefined,
  per = "reps",
): string {
  const rows = [["bench", "median", "unit", per, "target", "ok"]];
  for (const f of figures) {
    rows.push(
      figureRow(
        f.bench,
        f.value,
        f.unit,
        samples.get(f.bench) ?? [f.value],
        targetOf(f.bench),
      ),
    );
  }
  return renderTable(rows);
}

/** One row: name, median, unit, every sample, target, whether it is met. */
export function figureRow(
  bench: string,
  value: number,
  unit: string,
  samples: number[],
  target: Target | undefined,
): string[] {
  return [
    bench,
    show(value, unit),
    unit,
    samples.map((v) => show(v, unit)).join(" "),
    target?.label ?? "",
    target === undefined ? "" : target.met(value) ? "yes" : "NO",
  ];
}

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
