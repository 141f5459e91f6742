/** Errors that say what is wrong: typed, naming shapes, axes and indices. */

import assert from "node:assert/strict";
import {
  ArrayIndexError,
  ChunkError,
  concatenate,
  DTypeError,
  fromArray,
  ones,
  random,
  ShapeMismatchError,
  zeros,
} from "@troupe/troupe/array";
import { validate } from "../../array/_program.ts";

Deno.test("mismatched shapes name both shapes", () => {
  const e = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err as Error;
    }
    assert.fail("no error");
  };
  const add = e(() => zeros([2, 3]).add(zeros([4, 3])));
  assert.ok(add instanceof ShapeMismatchError);
  assert.match(add.message, /add: shapes \(2, 3\) and \(4, 3\) do not fit/);
  assert.deepEqual([add.left, add.right], [[2, 3], [4, 3]]);
  assert.match(
    e(() => zeros([2, 3]).matmul(zeros([2, 3]))).message,
    /matmul: shapes \(2, 3\) and \(2, 3\)/,
  );
  assert.match(
    e(() => concatenate([zeros([2, 3]), zeros([2, 4])])).message,
    /\(2, 3\) and \(2, 4\)/,
  );
  assert.match(
    e(() => zeros([6]).reshape([4, 2])).message,
    /reshape: shapes \(6,\) and \(4, 2\)/,
  );
  assert.throws(
    () => fromArray(new Float64Array(5), { shape: [2, 3] }),
    ShapeMismatchError,
  );
  assert.throws(() => fromArray([[1, 2], [3]]), ShapeMismatchError);
});

Deno.test("a chunking that does not fit names the axis", () => {
  for (
    const [chunks, axis, msg] of [
      [
        [[4, 4], [5]],
        0,
        /axis 0: chunks \[4, 4\] sum to 8, but the axis has 10/,
      ],
      [[10, 0], 1, /axis 1: a chunk size must be an integer >= 1/],
      [[10], 1, /chunks are given for 1 axes, the array has 2/],
      [[[10], [2.5, 2.5]], 1, /axis 1/],
    ] as const
  ) {
    assert.throws(
      () => zeros([10, 5], { chunks: chunks as never }),
      (e: Error) =>
        e instanceof ChunkError && e.axis === axis && msg.test(e.message),
    );
  }
  // A reshape across chunks names the axis to rechunk.
  assert.throws(
    () =>
      random([4, 6], { chunks: [2, 3], seed: 1 }).add(
        fromArray(new Float64Array(24), { shape: [4, 6], chunks: [2, 3] }),
      ).reshape([24]),
    (e: Error) =>
      e instanceof ChunkError && e.axis === 1 && /rechunk/.test(e.message),
  );
});

Deno.test("an out-of-range index names the index and the shape", () => {
  const x = zeros([3, 4]);
  assert.throws(
    () => x.slice(5),
    (e: Error) =>
      e instanceof ArrayIndexError &&
      /index 5 is out of range for shape \(3, 4\) on axis 0/.test(e.message),
  );
  assert.throws(
    () => x.slice(0, -5),
    (e: Error) =>
      e instanceof ArrayIndexError && /index -5 .* on axis 1/.test(e.message),
  );
  assert.throws(() => x.slice(0, 0, 0), ArrayIndexError);
  assert.throws(() => x.slice("1:2:0"), RangeError);
  assert.throws(() => x.slice("a:b"), ArrayIndexError);
  assert.throws(
    () => x.sum({ axis: 2 }),
    /axis 2 is out of range for shape \(3, 4\)/,
  );
  assert.throws(() => x.sum({ axis: [0, -2] }), /repeated axis/);
  assert.throws(() => x.transpose([0, 0]), ArrayIndexError);
  assert.throws(() => x.argmax({ axis: [0, 1] as never }), ArrayIndexError);
  assert.throws(() => zeros([0]).max(), /zero-size/);
});

Deno.test("bad dtypes and operands are typed errors", () => {
  assert.throws(() => zeros([2], { dtype: "int64" as never }), DTypeError);
  assert.throws(
    () => ones([2], { dtype: "uint8" }).add(300),
    (e: Error) =>
      e instanceof DTypeError &&
      /300 is out of bounds for uint8/.test(e.message),
  );
  assert.throws(() => ones([2]).gt(0).neg(), DTypeError);
  assert.throws(() => ones([2]).add("1" as never), TypeError);
  assert.throws(() => ones([2]).mean({ splitEvery: 1 }), RangeError);
});

Deno.test("a worker refuses a malformed program before compiling it", () => {
  const leaf = { kind: "src", dtype: "float64" } as const;
  const ok = { leaves: [leaf], code: [["leaf", "float64", 0]] };
  validate(ok as never);
  const bad = [
    { leaves: [leaf], code: [["alert(1)", "float64", 0]] },
    { leaves: [leaf], code: [["leaf", "float64", 3]] },
    { leaves: [leaf], code: [["add", "float64", 0, 0]] },
    {
      leaves: [leaf],
      code: [["leaf", "float64", 0], ["add", "float64", 0, 1]],
    },
    { leaves: [leaf], code: [["const", "float64", "1);alert(1"]] },
    {
      leaves: [{
        kind: "uniform",
        dtype: "float64",
        seed: 1,
        low: "0",
        high: 1,
      }],
      code: [["leaf", "float64", 0]],
    },
    { leaves: [leaf], code: [["leaf", "int64", 0]] },
    { leaves: [], code: [] },
  ];
  for (const p of bad) {
    assert.throws(() => validate(p as never), TypeError, JSON.stringify(p));
  }
});

Deno.test("an operand or array argument of the wrong kind is named in a TypeError", async () => {
  const { concatenate, ones, stack } = await import("@troupe/troupe/array");
  const x = ones([4, 4], { chunks: [2, 2] });
  const cases: [() => unknown, RegExp][] = [
    [
      () => x.add({} as never),
      /expected a number, a boolean or an array, got \{\}/,
    ],
    [() => x.mul("2" as never), /got "2"/],
    [() => x.matmul("a" as never), /expected a ChunkedArray, got "a"/],
    [() => concatenate([x, {} as never]), /expected a ChunkedArray, got \{\}/],
    [() => stack([x, null as never]), /expected a ChunkedArray, got null/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(
      bad,
      (e: unknown) => e instanceof TypeError && message.test(e.message),
    );
  }
});
