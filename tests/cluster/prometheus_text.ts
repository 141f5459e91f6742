/**
 * A strict reader of the Prometheus text format (0.0.4), for the tests of
 * `/metrics`: every line is a HELP, a TYPE or a sample of a family declared
 * before it; names and labels are well-formed; no series twice; a
 * histogram's buckets are cumulative, end at +Inf and agree with _count.
 */

import assert from "node:assert/strict";

/** One sample: its name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What a metrics text holds. */
export interface Parsed {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parse `text`, failing the test at the first line that breaks the format. */
export function parseMetrics(text: string): Parsed {
  assert.ok(text.endsWith("\n"), "the text ends with a newline");
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const [, name, doc] = line.match(/^# HELP (\S+) (.*)$/) ?? [];
      assert.match(name ?? "", NAME, line);
      assert.ok(!help.has(name), `HELP twice: ${line}`);
      help.set(name, doc);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, name, type] = line.match(/^# TYPE (\S+) (\S+)$/) ?? [];
      assert.match(name ?? "", NAME, line);
      assert.ok(
        ["counter", "gauge", "histogram", "summary", "untyped"].includes(type),
        line,
      );
      assert.ok(!types.has(name), `TYPE twice: ${line}`);
      types.set(name, type);
      continue;
    }
    assert.ok(!line.startsWith("#") && line !== "", `a stray line: ${line}`);
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/);
    assert.ok(m, `not a sample: ${line}`);
    const [, name, , body, raw] = m;
    const labels: Record<string, string> = {};
    if (body !== undefined && body !== "") {
      const re = /([^=,]+)="((?:[^"\\]|\\.)*)"(,|$)/y;
      let at = 0;
      while (at < body.length) {
        re.lastIndex = at;
        const l = re.exec(body);
        assert.ok(l, `bad labels in: ${line}`);
        assert.match(l[1], LABEL, line);
        assert.ok(!(l[1] in labels), `a label twice: ${line}`);
        labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
        at = re.lastIndex;
      }
    }
    const value = raw === "+Inf"
      ? Infinity
      : raw === "-Inf"
      ? -Infinity
      : raw === "NaN"
      ? NaN
      : Number(raw);
    assert.ok(raw === "NaN" || !Number.isNaN(value), `bad value: ${line}`);
    const family = types.has(name)
      ? name
      : name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(family), `a sample before its TYPE: ${line}`);
    if (family !== name) assert.equal(types.get(family), "histogram", line);
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(series), `a series twice: ${line}`);
    seen.add(series);
    samples.push({ name, labels, value });
  }
  for (const [name, type] of types) {
    if (type !== "histogram") continue;
    const buckets = samples.filter((s) => s.name === `${name}_bucket`);
    let last = -Infinity, previous = 0;
    for (const b of buckets) {
      const le = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
      assert.ok(le > last, `${name}: buckets in order`);
      assert.ok(b.value >= previous, `${name}: buckets cumulative`);
      last = le;
      previous = b.value;
    }
    assert.equal(last, Infinity, `${name}: a +Inf bucket`);
    const count = samples.find((s) => s.name === `${name}_count`);
    assert.equal(count?.value, previous, `${name}: _count is the +Inf bucket`);
    assert.ok(samples.some((s) => s.name === `${name}_sum`), `${name}: _sum`);
  }
  return { types, help, samples };
}

/** The value of the one sample `name` with `labels`, or undefined. */
export function sample(
  parsed: Parsed,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return parsed.samples.find((s) =>
    s.name === name &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}
