/**
 * The counter-based random numbers: the same seed and shape give the same
 * numbers whatever the chunking, slicing or transposing; counters past
 * 2^32 stay distinct; the numbers look uniform and normal.
 */

import assert from "node:assert/strict";
import { normal, random, uniform } from "@troupe/troupe/array";
import { ndtri, normalAt, uniformAt } from "../../array/_rng.ts";

const inline = { placement: "inline" } as const;

Deno.test("random: the same numbers whatever the chunks, and equal to the reference", async () => {
  const shape = [23, 17];
  const whole = await random(shape, { chunks: -1, seed: 42 }).compute(inline);
  for (const chunks of [1, [5, 4], [[20, 3], [1, 16]]] as const) {
    const other = await random(shape, { chunks: chunks as never, seed: 42 })
      .compute(inline);
    assert.deepEqual(other.data, whole.data, JSON.stringify(chunks));
  }
  for (const i of [0, 1, 100, 390]) {
    assert.equal(whole.data[i], uniformAt(42, i));
  }
  const other = await random(shape, { chunks: -1, seed: 43 }).compute(inline);
  assert.notDeepEqual(other.data, whole.data);
  const n = await normal(shape, { chunks: [4, 4], seed: 42 }).compute(inline);
  assert.equal(n.data[77], normalAt(42, 77));
});

Deno.test("random: slices and transposes read the same numbers", async () => {
  const x = random([30, 40], { chunks: [7, 9], seed: 7 });
  const full = await x.compute(inline);
  const t = await x.T.compute(inline);
  assert.equal(t.get(5, 3), full.get(3, 5));
  const s = await x.slice("28:2:-3", 11).compute(inline);
  assert.equal(s.get(2), full.get(22, 11));
  const sum = await x.add(x.T.T).slice(4).sum().compute(inline);
  let expect = 0;
  for (let j = 0; j < 40; j++) expect += 2 * full.get(4, j);
  assert.ok(Math.abs(sum - expect) < 1e-12);
});

Deno.test("random: counters past 2^32 (and a chunk across it) are exact", async () => {
  // 2^32 + 50 elements; only the touched chunk is ever computed.
  const n = 2 ** 32 + 50;
  const x = random([n], { chunks: 100_000, seed: 3 });
  const around = await x.slice(`${2 ** 32 - 5}:${2 ** 32 + 5}`).compute(inline);
  for (let k = 0; k < 10; k++) {
    assert.equal(around.data[k], uniformAt(3, 2 ** 32 - 5 + k), `element ${k}`);
  }
  const back = await x.slice(`${2 ** 32 + 4}:${2 ** 32 - 6}:-1`).compute(
    inline,
  );
  assert.deepEqual(Array.from(back.data), Array.from(around.data).reverse());
  assert.notEqual(
    uniformAt(3, 2 ** 32),
    uniformAt(3, 0),
    "the high bits count",
  );
  const tall = random([4, 2 ** 31], { chunks: [1, 2 ** 20], seed: 3 });
  const corner = await tall.slice(3, "-3:").compute(inline);
  assert.equal(corner.data[2], uniformAt(3, 4 * 2 ** 31 - 1));
});

Deno.test("random: uniform statistics (moments, histogram, neighbours)", async () => {
  const x = random([1000, 1000], { chunks: 250, seed: 12345 });
  const m = await x.mean().compute(inline);
  const v = await x.var().compute(inline);
  // Standard errors: 0.29/1000 for the mean, ~0.09/1000 for the variance.
  assert.ok(Math.abs(m - 0.5) < 2e-3, `mean ${m}`);
  assert.ok(Math.abs(v - 1 / 12) < 1e-3, `var ${v}`);
  const data = (await x.compute(inline)).data;
  const bins = new Array(64).fill(0);
  for (const u of data) bins[Math.floor(u * 64)]++;
  const e = data.length / 64;
  const chi2 = bins.reduce((s, b) => s + (b - e) ** 2 / e, 0);
  // 63 degrees of freedom: 120 is far past the 99.99th percentile.
  assert.ok(chi2 < 120, `chi2 ${chi2}`);
  let c = 0;
  for (let i = 1; i < data.length; i++) {
    c += (data[i] - 0.5) * (data[i - 1] - 0.5);
  }
  const corr = c / (data.length - 1) / (1 / 12);
  assert.ok(Math.abs(corr) < 5e-3, `lag-1 correlation ${corr}`);
  let cs = 0;
  for (let i = 1000; i < data.length; i++) {
    cs += (data[i] - 0.5) * (data[i - 1000] - 0.5);
  }
  assert.ok(
    Math.abs(cs / (data.length - 1000) * 12) < 5e-3,
    "row-to-row correlation",
  );
  const lowBits = new Array(16).fill(0);
  for (const u of data) lowBits[Math.floor(u * 2 ** 40) & 15]++;
  assert.ok(
    lowBits.every((b) => Math.abs(b - 62500) < 1500),
    "low bits uniform",
  );
  const u = await uniform([1000], -3, 2, { seed: 1 }).compute(inline);
  assert.ok(u.data.every((a) => a >= -3 && a < 2));
});

Deno.test("normal: the inverse CDF is exact, and the moments are right", async () => {
  assert.equal(ndtri(0.5), 0);
  assert.ok(Math.abs(ndtri(0.975) - 1.959963984540054) < 1e-15);
  assert.ok(Math.abs(ndtri(1e-10) + 6.361340902404056) < 1e-13);
  assert.ok(Math.abs(ndtri(0.3) + 0.5244005127080407) < 1e-15);
  const z = normal([500, 1000], {
    chunks: [100, 300],
    seed: 9,
    loc: 2,
    scale: 3,
  });
  const m = await z.mean().compute(inline);
  const s = await z.std().compute(inline);
  assert.ok(Math.abs(m - 2) < 0.02, `mean ${m}`);
  assert.ok(Math.abs(s - 3) < 0.02, `std ${s}`);
  const tail = await z.sub(2).div(3).gt(3).mean().compute(inline);
  assert.ok(Math.abs(tail - 0.0013499) < 4e-4, `P(z > 3) = ${tail}`);
});

Deno.test("a seed must be an integer in [0, 2^53); no seed gives fresh numbers", async () => {
  assert.throws(() => random([2], { seed: -1 }), RangeError);
  assert.throws(() => random([2], { seed: 1.5 }), RangeError);
  const a = await random([4]).compute(inline);
  const b = await random([4]).compute(inline);
  assert.notDeepEqual(a.data, b.data);
});
