/**
 * The SIMD kernels of the random numbers (array/_rng_simd.wat): they make
 * the JS loop's numbers bit for bit whatever the chunking, strides and
 * placement; their sums (the words added as integers) agree with the
 * reference; the buffers they reuse never show through a result; and the
 * committed bytes are the .wat's.
 */

import assert from "node:assert/strict";
import { normal, random, uniform } from "@troupe/troupe/array";
import { uniformAt } from "../../array/_rng.ts";
import { rngKernels, useRngKernels } from "../../array/_rng_wasm.ts";
import { compile, type Prog, runner } from "../../array/_program.ts";
import { fusedRowSum } from "../../array/_sum_wasm.ts";

const inline = { placement: "inline" } as const;

/** `f()` computed by the JS loops alone, then by the kernels. */
async function bothWays<T>(f: () => Promise<T>): Promise<[T, T]> {
  useRngKernels(false);
  try {
    const js = await f();
    useRngKernels(true);
    return [js, await f()];
  } finally {
    useRngKernels(true);
  }
}

Deno.test("random kernels: the SIMD loop makes the JS loop's numbers, bit for bit", async () => {
  assert.ok(rngKernels() !== undefined, "WebAssembly SIMD is there");
  const cases = [
    () => random([23, 17], { chunks: [5, 4], seed: 42 }),
    () => random([9001], { chunks: 9001, seed: 1 }), // rows past a piece
    () => random([30, 40], { chunks: [7, 9], seed: 7 }).T,
    () =>
      random([30, 40], { chunks: [7, 9], seed: 7 }).slice("28:2:-3", "::-2"),
    () => uniform([13, 11], -2, 5, { chunks: [4, 3], seed: 9 }),
    () => normal([19, 21], { chunks: [6, 5], seed: 5 }),
    () => normal([50], { chunks: 7, seed: 5, dtype: "float32" }),
    () => {
      // Three random leaves in one program: three buffers.
      const a = random([12, 12], { chunks: [5, 5], seed: 1 });
      const b = random([12, 12], { chunks: [5, 5], seed: 2 });
      return a.add(b.T).mul(normal([12, 12], { chunks: [5, 5], seed: 3 }));
    },
  ];
  for (const [i, make] of cases.entries()) {
    const [js, simd] = await bothWays(() => make().compute(inline));
    assert.deepEqual(simd.data, js.data, `case ${i}`);
  }
});

Deno.test("random kernels: fused sums of odd lengths, long rows and across 2^32 agree with the reference", async () => {
  for (const n of [1, 2, 3, 5, 127, 129, 4097, 9001]) {
    for (const chunks of [n, 3]) {
      const got = await random([n], { chunks, seed: 11 }).sum().compute(
        inline,
      );
      let expect = 0;
      for (let i = 0; i < n; i++) expect += uniformAt(11, i);
      assert.ok(
        Math.abs(got - expect) <= 1e-12 * n,
        `n ${n}, chunks ${chunks}: ${got} vs ${expect}`,
      );
    }
  }
  // A chunk across 2^32 (the keys change inside it), and a reversed run.
  const big = random([2 ** 32 + 5000], { chunks: 10_000, seed: 3 });
  for (
    const s of [
      `${2 ** 32 - 4099}:${2 ** 32 + 4101}`,
      `${2 ** 32 + 9}:${2 ** 32 - 9}:-1`,
    ]
  ) {
    const got = await big.slice(s).sum().compute(inline);
    const vals = await big.slice(s).compute(inline);
    let expect = 0;
    for (const v of vals.data) expect += v;
    assert.ok(Math.abs(got - expect) <= 1e-11, `${s}: ${got} vs ${expect}`);
  }
  // uniform(low, high) summed: n * low + span * the sum of uniforms.
  const u = await uniform([1000], -1, 3, { chunks: 300, seed: 4 }).sum()
    .compute(inline);
  let expect = 0;
  for (let i = 0; i < 1000; i++) expect += -1 + 4 * uniformAt(4, i);
  assert.ok(Math.abs(u - expect) < 1e-9, `${u} vs ${expect}`);
});

Deno.test("random kernels: sums of added and subtracted random arrays (summed leaf by leaf) agree with the JS loop", async () => {
  const x = random([45, 45], { chunks: [10, 7], seed: 12 });
  const y = uniform([45, 45], -3, 2, { chunks: [9, 9], seed: 13 });
  const cases = [
    () => x.add(x.T).mean(),
    () => x.sub(y).add(2.5).sum(),
    () => x.add(y.T).sub(x.slice("::-1")).sum(),
    () => x.mul(x.T).sum(), // not a sum of leaves: the compiled loop
  ];
  for (const [i, make] of cases.entries()) {
    const [js, simd] = await bothWays(() => make().compute(inline));
    assert.ok(
      Math.abs(simd - js) <= 1e-12 * Math.max(1, Math.abs(js)),
      `case ${i}: ${simd} vs ${js}`,
    );
  }
});

Deno.test("random kernels: a result never shares the buffers they reuse", async () => {
  const a = random([64, 64], { chunks: [64, 64], seed: 1 });
  const b = random([64, 64], { chunks: [64, 64], seed: 2 });
  const first = await a.add(b).compute(inline);
  const copy = first.data.slice();
  // Another computation fills the same buffers with other numbers.
  await random([64, 64], { chunks: [64, 64], seed: 3 }).mul(a).compute(inline);
  await random([4096], { chunks: 4096, seed: 4 }).sum().compute(inline);
  assert.deepEqual(first.data, copy);
  assert.notEqual(first.data.buffer, rngKernels()!.memory.buffer);
  assert.equal(first.data[5], uniformAt(1, 5) + uniformAt(2, 5));
});

Deno.test("random kernels: the same numbers on worker hosts as inline", async () => {
  const x = random([40, 40], { chunks: [9, 13], seed: 8 });
  const [js] = await bothWays(() => x.add(x.T).compute(inline));
  const onWorkers = await x.add(x.T).compute({
    placement: "worker",
    workers: 2,
  });
  assert.deepEqual(onWorkers.data, js.data);
  const m = await x.mean().compute({ placement: "worker", workers: 2 });
  let expect = 0;
  for (let i = 0; i < 1600; i++) expect += uniformAt(8, i);
  assert.ok(Math.abs(m - expect / 1600) < 1e-14);
});

Deno.test("random kernels: the committed bytes are the .wat's", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/build_rng_wasm.ts", "--check"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
});

Deno.test("random kernels: a chunk runner made before the kernels' memory grew still reads its numbers", () => {
  const leaf = (seed: number) => ({
    kind: "uniform" as const,
    dtype: "float64" as const,
    seed,
    low: 0,
    high: 1,
  });
  const one: Prog = {
    leaves: [leaf(1)],
    code: [["leaf", "float64", 0], ["const", "float64", 2], [
      "mul",
      "float64",
      0,
      1,
    ]],
  };
  const spec = { shape: [8], base: [0], coefs: [[1]] };
  const early = runner(one, spec, [undefined]);
  // A program of many random leaves: their buffers grow the memory.
  const many = 40;
  const wide: Prog = {
    leaves: Array.from({ length: many }, (_, k) => leaf(k + 10)),
    code: Array.from(
      { length: many },
      (_, k) => ["leaf", "float64", k] as Prog["code"][number],
    ),
  };
  const before = rngKernels()!.memory.buffer.byteLength;
  runner(wide, {
    shape: [8],
    base: new Array(many).fill(0),
    coefs: new Array(many).fill([1]),
  }, new Array(many).fill(undefined)).fill(0, 0, 8, new Float64Array(8), 0);
  assert.ok(rngKernels()!.memory.buffer.byteLength > before, "it grew");
  const out = new Float64Array(8);
  early.fill(0, 0, 8, out, 0);
  for (let i = 0; i < 8; i++) assert.equal(out[i], 2 * uniformAt(1, i));
});

Deno.test("fused sums in WebAssembly: +, -, * of random leaves and constants, summed, are the JS loop's sums exactly, whatever the chunking", async () => {
  const x = random([37, 23], { chunks: [10, 7], seed: 21 });
  const y = uniform([37, 23], -3, 2, { chunks: [9, 23], seed: 22 });
  const sq = random([29, 29], { chunks: [8, 5], seed: 23 });
  const cases = [
    () => sq.mul(sq.T).sum(),
    () => sq.mul(sq.T).mean(),
    () => x.mul(y).sub(2.5).mul(x).sum(), // three leaves, a constant
    () => x.sub(0.5).mul(y.add(1)).sum(),
    () => x.slice("::-1", "::-2").mul(y.slice("::-1", "::-2")).sum(),
    () =>
      random([41], { chunks: 1, seed: 3 }).mul(
        random([41], { seed: 4, chunks: 41 }),
      ).sum(),
    () =>
      random([4099], { chunks: 4099, seed: 5 }).mul(
        uniform([4099], 1, 3, { chunks: 4099, seed: 6 }),
      ).sum(),
  ];
  for (const [i, make] of cases.entries()) {
    const [js, simd] = await bothWays(() => make().compute(inline));
    assert.equal(simd, js, `case ${i}`);
  }
});

Deno.test("fused sums in WebAssembly: row by row the same bits as the compiled JS loop, odd lengths, negative steps, counters wrapping", () => {
  const prog: Prog = {
    leaves: [
      { kind: "uniform", dtype: "float64", seed: 1, low: 0, high: 1 },
      { kind: "uniform", dtype: "float64", seed: 2, low: -1, high: 2 },
      { kind: "uniform", dtype: "float64", seed: 3, low: 0, high: 4 },
    ],
    code: [
      ["leaf", "float64", 0],
      ["leaf", "float64", 1],
      ["mul", "float64", 0, 1],
      ["const", "float64", 0.5],
      ["sub", "float64", 2, 3],
      ["leaf", "float64", 2],
      ["add", "float64", 4, 5],
      ["mul", "float64", 6, 0],
    ],
  };
  const fused = fusedRowSum(prog);
  assert.ok(fused !== undefined, "the program is one the kernel takes");
  const js = compile(prog, true, false);
  const F = new Float64Array(3);
  const starts = [
    { O: [0, 7, 9], T: [1, 1, 1] },
    { O: [123, 2 ** 32 - 3, 5], T: [1, -30000, 7] }, // (wraps mod 2^32)
    { O: [2 ** 32 - 1, 0, 77], T: [-1, 2000, -2000] },
  ];
  for (const { O, T } of starts) {
    const o = Float64Array.from(O), t = Float64Array.from(T);
    const K = Int32Array.from([11, 22, 33, 44, -55, 66]);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 2000, 4095, 4097]) {
      const a = fused(undefined, 0, n, [], o, t, F, K);
      const b = js(undefined, 0, n, [], o, t, F, K, []);
      assert.ok(Object.is(a, b), `n ${n}, O ${O}: ${a} vs ${b}`);
    }
  }
  // Programs it does not take: the JS loop sums them.
  const leaf = prog.leaves[0];
  for (
    const other of [
      { leaves: [{ ...leaf, kind: "normal" }], code: [["leaf", "float64", 0]] },
      {
        leaves: [{ ...leaf, dtype: "float32" }],
        code: [["leaf", "float32", 0]],
      },
      {
        leaves: [leaf],
        code: [["leaf", "float64", 0], ["div", "float64", 0, 0]],
      },
      {
        leaves: [{ kind: "src", dtype: "float64" }],
        code: [["leaf", "float64", 0]],
      },
    ]
  ) assert.equal(fusedRowSum(other as Prog), undefined, JSON.stringify(other));
});
