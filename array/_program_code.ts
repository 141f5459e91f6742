/**
 * Pieces of the row loops that `_program.ts` generates: the helpers they
 * call, a uniform leaf's value, and the summing loop.
 *
 * @module
 */

/** A number as a JS literal (NaN, infinities and -0 included). */
export function literal(x: number): string {
  if (typeof x !== "number") throw new TypeError(`not a number: ${x}`);
  if (Object.is(x, -0)) return "-0";
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return `(${String(x)})`;
}

/** Helpers the generated loops call. */
export const HELPERS: string = `
function pymod(a, b) { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; }
function nmax(a, b) { return a > b || a !== a ? a : b; }
function nmin(a, b) { return a < b || a !== a ? a : b; }
`;

/**
 * `low + span * u` for a uniform `u` in [0, 1): `span * u`, or `u` alone,
 * where that is the same number (low 0 and span positive: the product is
 * never -0, and +0 plus a number that is not -0 is that number).
 */
export function scaled(leaf: { low: number; high: number }, u: string): string {
  const span = leaf.high - leaf.low;
  if (leaf.low !== 0 || !(span > 0)) {
    return `${literal(leaf.low)} + ${literal(span)} * ${u}`;
  }
  return span === 1 ? u : `${literal(span)} * ${u}`;
}

/** Values added up per sum loop turn, each into its own accumulator. */
const SUM_LANES = 4;

/**
 * The sum variant adds the values up instead of storing them (a fused sum
 * or mean): no scratch block written and read back. Element j goes to
 * accumulator j mod 4 (the loop unrolled four times): one accumulator
 * would make each add wait for the one before.
 */
export function generateSum(
  pre: string[],
  body: string[],
  last: string,
): string {
  const lanes = Array.from({ length: SUM_LANES }, (_, u) => u);
  const step = (j: string, u: number) =>
    `{ const j = ${j};\n${body.join("\n")}\na${u} += ${last}; }`;
  return `"use strict";${HELPERS}
return function row(dst, d, n, S, O, T, F, K, R) {
${pre.join("\n")}
let ${lanes.map((u) => `a${u} = 0`).join(", ")};
let jb = 0;
for (const n${SUM_LANES} = n - n % ${SUM_LANES}; jb < n${SUM_LANES}; jb += ${SUM_LANES}) {
${lanes.map((u) => step(`jb + ${u}`, u)).join("\n")}
}
for (; jb < n; jb++) ${step("jb", 0)}
return (a0 + a1) + (a2 + a3);
};`;
}
