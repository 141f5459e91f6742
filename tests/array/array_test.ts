/**
 * Chunked arrays against plain in-memory computations, across chunkings
 * (one chunk, uneven last chunks, 1-wide chunks), on the inline scheduler;
 * placements_test.ts runs the same kinds of graphs on the other placements.
 */

import assert from "node:assert/strict";
import {
  arange,
  type ChunkedArray,
  ChunkError,
  type ChunksOption,
  concatenate,
  fromArray,
  full,
  linspace,
  type NdArray,
  ones,
  random,
  stack,
  where,
  zeros,
} from "@troupe/troupe/array";
import { collectGraph } from "../../cluster/graph/graph.ts";
import {
  argmax,
  argmin,
  close,
  map,
  mean,
  type Plain,
  pyRange,
  randomPlain,
  reduce,
  sum,
  take,
  transpose,
  variance,
} from "./reference.ts";

const inline = { placement: "inline" } as const;

function assertPlain(
  actual: NdArray,
  expected: Plain,
  tol = 1e-12,
  what = "",
): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what} shape`);
  const a = Array.from(actual.data);
  for (let i = 0; i < a.length; i++) {
    if (!close(a[i], expected.values[i], tol)) {
      assert.fail(`${what} element ${i}: ${a[i]} != ${expected.values[i]}`);
    }
  }
}

const chunkings = [
  ["one chunk", -1],
  ["uneven", [3, 2]],
  ["1-wide", 1],
] as const;

const A = randomPlain([7, 5], 1);
const B = randomPlain([7, 5], 2);
const ROW = randomPlain([5], 3);
const COL = randomPlain([7, 1], 4);

function arr(p: Plain, chunks: number | readonly number[]): ChunkedArray {
  return fromArray(Float64Array.from(p.values), {
    shape: p.shape,
    chunks: chunks as number[],
  });
}

for (const [label, chunks] of chunkings) {
  Deno.test(`[${label}] elementwise steps and broadcasting match plain loops`, async () => {
    const x = arr(A, chunks);
    const y = arr(B, [4, 5]); // other chunks: the steps run on the common refinement
    const row = arr(ROW, [2]);
    const col = arr(COL, chunks === 1 ? 1 : [7, 1]);
    const cases: [string, ChunkedArray, Plain][] = [
      ["add", x.add(y), map((a, b) => a + b, A, B)],
      ["sub", x.sub(row), map((a, b) => a - b, A, ROW)],
      ["mul", x.mul(col), map((a, b) => a * b, A, COL)],
      ["div", x.div(y), map((a, b) => a / b, A, B)],
      ["pow", x.abs().pow(1.5), map((a) => Math.abs(a) ** 1.5, A)],
      ["mod", x.mod(2), map((a) => ((a % 2) + 2) % 2, A)],
      ["maximum", x.maximum(y), map(Math.max, A, B)],
      ["minimum", x.minimum(0), map((a) => Math.min(a, 0), A)],
      ["neg", x.neg(), map((a) => -a, A)],
      ["sqrt", x.abs().sqrt(), map((a) => Math.sqrt(Math.abs(a)), A)],
      ["exp", x.exp(), map(Math.exp, A)],
      ["log", x.abs().add(1).log(), map((a) => Math.log(Math.abs(a) + 1), A)],
      [
        "sin/cos",
        x.sin().add(x.cos()),
        map((a) => Math.sin(a) + Math.cos(a), A),
      ],
      ["lt", x.lt(y), map((a, b) => (a < b ? 1 : 0), A, B)],
      ["ge", x.ge(0), map((a) => (a >= 0 ? 1 : 0), A)],
      ["eq", x.eq(x), map(() => 1, A)],
      [
        "where",
        where(x.gt(0), x, y.mul(2)),
        map((a, b) => (a > 0 ? a : 2 * b), A, B),
      ],
      ["astype", x.astype("int32"), map((a) => Math.trunc(a), A)],
      [
        "a fused chain",
        x.add(1).mul(y).sub(x.div(2)).abs().sqrt().add(row),
        map(
          (a, b, r) => Math.sqrt(Math.abs((a + 1) * b - a / 2)) + r,
          A,
          B,
          ROW,
        ),
      ],
      ["scalar first via neg", x.neg().add(3), map((a) => 3 - a, A)],
    ];
    for (const [what, lazy, expected] of cases) {
      assertPlain(await lazy.compute(inline), expected, 1e-12, what);
    }
  });

  Deno.test(`[${label}] reductions over all and some axes match plain loops`, async () => {
    const x = arr(A, chunks);
    const kinds: [
      string,
      (o?: { axis?: number | number[] }) => unknown,
      (xs: number[]) => number,
    ][] = [
      ["sum", (o) => x.sum(o), sum],
      ["mean", (o) => x.mean(o), mean],
      ["var", (o) => x.var(o), variance()],
      ["std", (o) => x.std(o), (xs) => Math.sqrt(variance()(xs))],
      ["min", (o) => x.min(o), (xs) => Math.min(...xs)],
      ["max", (o) => x.max(o), (xs) => Math.max(...xs)],
      [
        "prod",
        (o) => x.div(4).prod(o),
        (xs) => xs.reduce((a, b) => a * (b / 4), 1),
      ],
    ];
    for (const [what, run, f] of kinds) {
      const all = await (run() as { compute(o: unknown): Promise<number> })
        .compute(inline);
      assert.ok(
        close(all, reduce(A, f).values[0], 1e-12),
        `${what} over all: ${all}`,
      );
      for (const axis of [0, 1, -1, [0, 1]]) {
        const r = await (run({ axis }) as ChunkedArray).compute(inline);
        const axes = (Array.isArray(axis) ? axis : [axis]).map((
          a,
        ) => (a < 0 ? a + 2 : a));
        assertPlain(r, reduce(A, f, axes), 1e-12, `${what} axis ${axis}`);
      }
    }
    assert.ok(
      close(await x.var({ ddof: 1 }).compute(inline), variance(1)(A.values)),
    );
    assertPlain(
      await x.std({ axis: 0, ddof: 1 }).compute(inline),
      reduce(A, (xs) => Math.sqrt(variance(1)(xs)), [0]),
    );
    assert.equal(await x.argmax().compute(inline), argmax(A.values));
    assert.equal(await x.argmin().compute(inline), argmin(A.values));
    assertPlain(
      await x.argmax({ axis: 0 }).compute(inline),
      reduce(A, argmax, [0]),
      0,
    );
    assertPlain(
      await x.argmin({ axis: 1 }).compute(inline),
      reduce(A, argmin, [1]),
      0,
    );
    assert.equal(
      await x.gt(4.9).any().compute(inline),
      A.values.some((v) => v > 4.9),
    );
    assert.equal(await x.gt(-5).all().compute(inline), true);
    assertPlain(
      await x.gt(0).any({ axis: 1 }).compute(inline),
      reduce(A, (xs) => (xs.some((v) => v > 0) ? 1 : 0), [1]),
    );
    const kept = await x.sum({ axis: 1, keepdims: true }).compute(inline);
    assert.deepEqual(kept.shape, [7, 1]);
    // Sums fused into the loop of a program (not a held chunk read in place).
    assert.ok(close(await x.mul(2).sum().compute(inline), 2 * sum(A.values)));
    assert.ok(close(await x.T.mean().compute(inline), mean(A.values)));
    const small = await x.mean({ splitEvery: 2 }).compute(inline); // a deeper tree
    assert.ok(close(small, mean(A.values)));
  });

  Deno.test(`[${label}] slices match plain indexing and compute only touched chunks`, async () => {
    const x = arr(A, chunks);
    const cases: [Parameters<ChunkedArray["slice"]>, (number | number[])[]][] =
      [
        [["1:6:2"], [pyRange(7, 1, 6, 2), pyRange(5, null, null)]],
        [["::-1", "::-2"], [
          pyRange(7, null, null, -1),
          pyRange(5, null, null, -2),
        ]],
        [[-1], [6, pyRange(5, null, null)]],
        [[2, -2], [2, 3]],
        [["...", 0], [pyRange(7, null, null), 0]],
        [[{ start: -3 }, { stop: 2 }], [
          pyRange(7, -3, null),
          pyRange(5, null, 2),
        ]],
        [["5:1:-1", "1:"], [pyRange(7, 5, 1, -1), pyRange(5, 1, null)]],
        [["7:"], [pyRange(7, 7, null), pyRange(5, null, null)]],
      ];
    for (const [index, per] of cases) {
      assertPlain(
        await x.slice(...index).compute(inline),
        take(A, per),
        0,
        JSON.stringify(index),
      );
      // A slice of a slice, and a reduction of a slice.
      const s = x.slice(...index);
      if (s.ndim === 2 && s.size > 0) {
        assert.ok(
          close(await s.sum().compute(inline), sum(take(A, per).values)),
        );
      }
    }
    const withAxis = await x.slice(null, 1).compute(inline);
    assert.deepEqual(withAxis.shape, [1, 5]);
    // Pruning: one row of a 7-row array touches the chunks of one row.
    const row = x.slice(3);
    const { nodes } = collectGraph(row.toDelayed());
    const sources = nodes.filter((n) => n.key.startsWith("array-"));
    assert.equal(sources.length, x.numblocks[1], "only the chunks of row 3");
  });

  Deno.test(`[${label}] transpose, reshape, rechunk, concatenate, stack, matmul`, async () => {
    const x = arr(A, chunks);
    assertPlain(await x.T.compute(inline), transpose(A));
    assertPlain(await x.add(x.T.T).compute(inline), map((a) => 2 * a, A));
    const sq = x.slice(":5", ":5");
    const SQ = take(A, [pyRange(7, 0, 5), pyRange(5, null, null)]);
    assertPlain(
      await sq.add(sq.T).compute(inline),
      map((a, b) => a + b, SQ, transpose(SQ)),
    );
    for (const target of [[2, 3], 1, -1, [[4, 3], [1, 4]]] as ChunksOption[]) {
      assertPlain(
        await x.rechunk(target).compute(inline),
        A,
        0,
        `rechunk ${JSON.stringify(target)}`,
      );
    }
    const flat = x.rechunk([chunks === 1 ? 1 : 3, -1]).reshape([35]);
    assertPlain(
      await flat.compute(inline),
      { shape: [35], values: A.values },
      0,
    );
    if (flat.chunks[0].some((c) => c % 7 !== 0)) {
      assert.throws(
        () => flat.reshape([5, 7]),
        (e: Error) => e instanceof ChunkError && e.axis === 0,
      );
    }
    assertPlain(await flat.rechunk(14).reshape([5, 7]).compute(inline), {
      shape: [5, 7],
      values: A.values,
    }, 0);
    assertPlain(await x.reshape([7, 5, 1]).compute(inline), {
      shape: [7, 5, 1],
      values: A.values,
    }, 0);
    const cat = concatenate([x, arr(B, [2, 5])], 0);
    assertPlain(await cat.compute(inline), {
      shape: [14, 5],
      values: [...A.values, ...B.values],
    });
    const catCols = await concatenate([x, arr(B, [7, 2])], 1).compute(inline);
    assert.equal(catCols.get(6, 9), B.values[6 * 5 + 4]);
    const st = await stack([x, arr(B, 2)], 1).compute(inline);
    assert.deepEqual(st.shape, [7, 2, 5]);
    assert.equal(st.get(3, 1, 2), B.values[3 * 5 + 2]);
    const M = randomPlain([5, 3], 9);
    const m = arr(M, chunks === 1 ? 1 : [2, 2]);
    const expected: Plain = { shape: [7, 3], values: [] };
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 5; k++) {
          s += A.values[i * 5 + k] * M.values[k * 3 + j];
        }
        expected.values.push(s);
      }
    }
    assertPlain(await x.matmul(m).compute(inline), expected, 1e-12, "matmul");
    const v = await x.matmul(arr(ROW, 2)).compute(inline);
    assert.deepEqual(v.shape, [7]);
    assert.ok(
      close(
        v.get(0),
        A.values.slice(0, 5).reduce((s, a, k) => s + a * ROW.values[k], 0),
      ),
    );
  });
}

Deno.test("fused chains and fused reductions hold no intermediate chunk", () => {
  const x = random([40, 40], { chunks: 10, seed: 1 });
  const y = x.add(1).mul(x.T).sub(2).sqrt();
  const blocks = y.toDelayed();
  assert.equal(blocks.length, 16);
  assert.equal(collectGraph(blocks).nodes.length, 16, "one task per chunk");
  const m = y.mean().toDelayed();
  const { nodes } = collectGraph([m]);
  assert.equal(nodes.length, 16 + 1, "16 fused partials, one aggregate");
  assert.ok(
    nodes.every((n) => /^(mean_chunk|mean_agg)-/.test(n.key)),
    nodes.map((n) => n.key).join(),
  );
  const big = random([10000, 10000], { chunks: 1000, seed: 42 }).mean()
    .toDelayed();
  const keys = collectGraph([big]).nodes.map((n) => n.key);
  assert.equal(
    keys.length,
    100 + 7 + 1,
    "100 partials, 7 combines, 1 aggregate",
  );
  assert.match(keys[0], /^mean_chunk-[0-9a-z]+-0-0$/);
});

Deno.test("keys are deterministic and name the operation, its inputs and the block", () => {
  const k = (a: ChunkedArray) => a.toDelayed().map((d) => d.key);
  const x = random([6, 6], { chunks: 3, seed: 5 });
  assert.deepEqual(
    k(x.add(1)),
    k(random([6, 6], { chunks: 3, seed: 5 }).add(1)),
  );
  assert.notDeepEqual(k(x.add(1)), k(x.add(2)));
  assert.notDeepEqual(
    k(x.add(1)),
    k(random([6, 6], { chunks: 3, seed: 6 }).add(1)),
  );
  assert.notDeepEqual(
    k(x.add(1)),
    k(random([6, 6], { chunks: 2, seed: 5 }).add(1)),
  );
  assert.match(k(x.add(1))[3], /^add-[0-9a-z]+-1-1$/);
  const a = fromArray(new Float64Array([1, 2, 3]));
  assert.equal(a.name, fromArray(new Float64Array([1, 2, 3])).name);
  assert.notEqual(a.name, fromArray(new Float64Array([1, 2, 4])).name);
});

Deno.test("dtypes follow NumPy's promotion, wrapping and rounding", async () => {
  const u8 = fromArray(new Uint8Array([250, 10, 0]));
  assert.deepEqual(Array.from((await u8.add(10).compute(inline)).data), [
    4,
    20,
    10,
  ]);
  assert.equal(u8.add(10).dtype, "uint8");
  assert.equal(u8.add(1.5).dtype, "float64");
  assert.equal(u8.div(2).dtype, "float32");
  const i32 = fromArray(new Int32Array([2 ** 30, 3, -7]));
  assert.equal(i32.mul(4).dtype, "int32");
  assert.deepEqual(Array.from((await i32.mul(4).compute(inline)).data), [
    0,
    12,
    -28,
  ]);
  assert.equal(i32.add(u8).dtype, "int32");
  assert.equal(fromArray(new Float32Array([1])).add(i32).dtype, "float64");
  assert.equal(fromArray(new Float32Array([1])).add(u8).dtype, "float32");
  assert.equal(
    fromArray(new Int16Array([1])).add(fromArray(new Uint16Array([1]))).dtype,
    "int32",
  );
  assert.equal(
    fromArray(new Int32Array([1])).add(fromArray(new Uint32Array([1]))).dtype,
    "float64",
  );
  const f32 = fromArray(new Float32Array([0.1, 0.2]));
  const s = await f32.add(f32).compute(inline);
  assert.equal(s.dtype, "float32");
  assert.equal(s.data[0], Math.fround(Math.fround(0.1) + Math.fround(0.1)));
  const bools = fromArray(new Float64Array([1, -1, 0])).gt(0);
  assert.equal(bools.dtype, "bool");
  assert.deepEqual((await bools.compute(inline)).toArray(), [
    true,
    false,
    false,
  ]);
  assert.equal(bools.add(bools).dtype, "bool"); // NumPy: logical or
  assert.equal(bools.add(1).dtype, "int32");
  assert.equal(await bools.sum().compute(inline), 1);
  assert.equal(i32.sum().constructor.name, "Scalar");
  assert.equal((i32.sum({ axis: 0 }) as ChunkedArray).dtype, "float64");
  assert.equal(f32.mean({ axis: 0 }).dtype, "float32");
  assert.deepEqual(
    Array.from(
      (await fromArray(new Float64Array([-2.7, 2.7, 300])).astype("uint8")
        .compute(inline)).data,
    ),
    [254, 2, 44],
  );
});

Deno.test("creation: zeros, ones, full, arange, linspace give NumPy's values", async () => {
  assert.deepEqual(
    (await zeros([2, 2], { chunks: 1 }).compute(inline)).toArray(),
    [[0, 0], [0, 0]],
  );
  assert.equal(
    await ones([3, 4], { chunks: [2, 3] }).sum().compute(inline),
    12,
  );
  assert.deepEqual(
    Array.from(
      (await full([3], 2.5, { dtype: "float32" }).compute(inline)).data,
    ),
    [2.5, 2.5, 2.5],
  );
  assert.deepEqual((await arange(5, { chunks: 2 }).compute(inline)).toArray(), [
    0,
    1,
    2,
    3,
    4,
  ]);
  assert.deepEqual((await arange(1, 2, 0.25).compute(inline)).toArray(), [
    1,
    1.25,
    1.5,
    1.75,
  ]);
  assert.deepEqual((await arange(5, 0, -2).compute(inline)).toArray(), [
    5,
    3,
    1,
  ]);
  assert.equal(arange(3).dtype, "int32");
  assert.deepEqual(
    (await linspace(0, 1, 5, { chunks: 2 }).compute(inline)).toArray(),
    [0, 0.25, 0.5, 0.75, 1],
  );
  assert.deepEqual(
    (await linspace(0, 1, 4, { endpoint: false }).compute(inline)).toArray(),
    [0, 0.25, 0.5, 0.75],
  );
  const l = await linspace(0.1, 0.7, 7, { chunks: 3 }).compute(inline);
  assert.equal(l.get(6), 0.7, "the last element is stop exactly");
  const nested = await fromArray([[1, 2], [3, 4]], { chunks: 1 }).compute(
    inline,
  );
  assert.equal(nested.dtype, "int32");
  assert.equal(nested.get(1, 0), 3);
  const empty = zeros([0, 3]);
  assert.equal(await empty.sum().compute(inline), 0);
  assert.ok(Number.isNaN(await empty.mean().compute(inline)));
  assert.deepEqual((await empty.compute(inline)).shape, [0, 3]);
});

Deno.test("a lazy reduction is an operand: x - x.mean() centres x", async () => {
  const x = arr(A, [3, 2]);
  const centred = x.sub(x.mean());
  assert.deepEqual(centred.shape, [7, 5]);
  assert.ok(Math.abs(await centred.mean().compute(inline)) < 1e-12);
  const above = await where(x.gt(x.mean()), 1, 0).sum().compute(inline);
  assert.equal(above, A.values.filter((v) => v > mean(A.values)).length);
  assert.ok(close(await x.div(x.abs().max()).abs().max().compute(inline), 1));
});

Deno.test("NaN propagates through min, max and argmax as NumPy's do", async () => {
  const x = fromArray(new Float64Array([1, NaN, 3, NaN, -1]), { chunks: 2 });
  assert.ok(Number.isNaN(await x.max().compute(inline)));
  assert.ok(Number.isNaN(await x.min().compute(inline)));
  assert.equal(await x.argmax().compute(inline), 1);
  assert.equal(await x.argmin().compute(inline), 1);
  assert.equal(
    await fromArray([3, 1, 3, 1], { chunks: 1 }).argmax().compute(inline),
    0,
    "first on ties",
  );
  assert.equal(
    await fromArray([3, 1, 3, 1], { chunks: 1 }).argmin().compute(inline),
    1,
  );
});

Deno.test("float64 sums of many values stay exact to a few ulps", async () => {
  // 1e6 copies of 0.1, and a large offset cancelling out: a naive running
  // sum drifts by ~1e-6 relative here.
  const x = full([1000, 1000], 0.1, { chunks: [250, 1000] });
  const s = await x.sum().compute(inline);
  assert.ok(Math.abs(s - 100000) < 1e-7, `sum ${s}`);
  const long = await full([3_000_000], 0.1, { chunks: 2_000_000 }).sum()
    .compute(inline);
  assert.ok(Math.abs(long - 300000) < 1e-7, `sum of long rows ${long}`);
  const held = fromArray(new Float64Array(2_000_000).fill(0.1), {
    chunks: 1_500_000,
  });
  assert.ok(Math.abs(await held.sum().compute(inline) - 200000) < 1e-7);
  const v = await full([1000, 1000], 1e8, { chunks: 500 }).add(
    random([1000, 1000], { seed: 1, chunks: 500 }),
  ).var()
    .compute(inline);
  assert.ok(Math.abs(v - 1 / 12) < 2e-3, `var ${v}`);
});
