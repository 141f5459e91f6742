/**
 * Generated data and plain in-memory reference computations for the
 * dataframe tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { seeded } from "../helpers.ts";

/** One generated row. */
export interface Row extends Record<string, unknown> {
  k: number | null;
  s: string | null;
  x: number | null;
  b: boolean | null;
  d: Date | null;
}

const WORDS = [
  "alpha",
  "beta",
  "gamma",
  "ångström",
  "日本語",
  "a,b",
  'say "hi"',
  "two\nlines",
  "",
  "  padded ",
];

/** `n` rows with nulls, unicode, delimiters, quotes and newlines in strings. */
export function makeRows(n: number, seed = 7): Row[] {
  const rand = seeded(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    rows.push({
      k: r < 0.05 ? null : Math.floor(rand() * 12) - 3,
      s: rand() < 0.05 ? null : WORDS[Math.floor(rand() * WORDS.length)] +
        (rand() < 0.3 ? String(i % 7) : ""),
      x: rand() < 0.05 ? null : Math.round((rand() - 0.3) * 1e6) / 1e3,
      b: rand() < 0.05 ? null : rand() < 0.5,
      d: rand() < 0.05 ? null : new Date(
        Date.UTC(2020, 0, 1) + Math.floor(rand() * 900) * 86_400_000,
      ),
    });
  }
  return rows;
}

/** Compare numbers within a relative tolerance (sums in a different order). */
export function close(a: unknown, b: unknown, what = ""): void {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) && Number.isNaN(b)) return;
    const tol = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
    assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} != ${b}`);
    return;
  }
  if (a instanceof Date && b instanceof Date) {
    assert.equal(a.getTime(), b.getTime(), what);
    return;
  }
  assert.deepEqual(a, b, what);
}

/** Compare lists of records field by field (numbers within tolerance). */
export function sameRecords(
  got: Record<string, unknown>[],
  want: Record<string, unknown>[],
  what = "",
): void {
  assert.equal(
    got.length,
    want.length,
    `${what}: ${got.length} rows, want ${want.length}`,
  );
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(
      Object.keys(got[i]),
      Object.keys(want[i]),
      `${what}: row ${i} columns`,
    );
    for (const k of Object.keys(want[i])) {
      close(got[i][k], want[i][k], `${what}: row ${i} ${k}`);
    }
  }
}

/** Sort records by the given keys (nulls last), as the engine orders groups. */
export function sortBy<T extends Record<string, unknown>>(
  rows: T[],
  keys: string[],
  asc: boolean[] = keys.map(() => true),
): T[] {
  const v = (x: unknown) =>
    x instanceof Date ? x.getTime() : typeof x === "boolean" ? Number(x) : x;
  return rows.slice().sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const x = v(a[keys[i]]), y = v(b[keys[i]]);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return ((x as number) < (y as number) ? -1 : 1) * (asc[i] ? 1 : -1);
    }
    return 0;
  });
}

/** Group rows by keys (rows with a null key dropped); keys in order. */
export function groups(rows: Row[], keys: string[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    if (keys.some((k) => r[k] === null)) continue;
    const id = JSON.stringify(keys.map((k) => r[k]));
    let g = out.get(id);
    if (g === undefined) out.set(id, g = []);
    g.push(r);
  }
  return out;
}

/** Aggregations computed plainly. */
export const ref = {
  mean: (xs: number[]) =>
    xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length,
  sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
  count: (xs: unknown[]) => xs.length,
  min: (xs: number[]) => xs.length === 0 ? null : Math.min(...xs),
  max: (xs: number[]) => xs.length === 0 ? null : Math.max(...xs),
  var: (xs: number[]) => {
    if (xs.length < 2) return null;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  },
  std: (xs: number[]) => {
    const v = ref.var(xs);
    return v === null ? null : Math.sqrt(v);
  },
  first: <T>(xs: T[]) => xs.length === 0 ? null : xs[0],
  last: <T>(xs: T[]) => xs.length === 0 ? null : xs[xs.length - 1],
  nunique: (xs: unknown[]) =>
    new Set(xs.map((x) => x instanceof Date ? x.getTime() : x)).size,
};

/** The CSV text of rows (RFC 4180 quoting), with a header. */
export function toCsvText(rows: Row[], eol = "\n"): string {
  const q = (s: string) =>
    /[",\n\r]|^ | $|^$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const lines = ["k,s,x,b,d"];
  for (const r of rows) {
    lines.push([
      r.k ?? "",
      r.s === null ? "" : q(r.s),
      r.x ?? "",
      r.b ?? "",
      r.d === null ? "" : r.d.toISOString().slice(0, 10),
    ].join(","));
  }
  return lines.join(eol) + eol;
}
