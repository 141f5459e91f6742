/** Errors name what went wrong, and nothing hangs. */

import assert from "node:assert/strict";
import {
  col,
  ColumnNotFoundError,
  DTypeError,
  fromColumns,
  readCsv,
} from "@troupe/troupe/dataframe";
import { TaskFailedError } from "@troupe/troupe";
import { dft } from "../fixtures/dataframe_tasks.ts";
import { slow } from "../fixtures/dataframe_slow_tasks.ts";

const df = fromColumns({ k: [1, 2], s: ["a", "b"], x: [0.5, 1.5] });

Deno.test("a missing column names it and lists the columns there are", () => {
  for (
    const bad of [
      () => df.select("nope"),
      () => df.filter(col("nope").gt(1)),
      () => df.groupBy("nope"),
      () => df.groupBy("k").agg({ nope: "sum" }),
      () => df.sortValues("nope"),
      () => df.merge(df, { on: "nope" }),
      () => df.assign({ y: col("x").add(col("nope")) }),
    ]
  ) {
    assert.throws(bad, (e: unknown) => {
      assert.ok(e instanceof ColumnNotFoundError, String(e));
      assert.equal(e.column, "nope");
      assert.match(
        e.message,
        /no column "nope"; the columns are: "k", "s", "x"/,
      );
      return true;
    });
  }
});

Deno.test("a type clash names the column and both types", () => {
  assert.throws(
    () => df.assign({ y: col("s").mul(2) }),
    /mul needs numbers: column "s" is string \(the other side is int32\)/,
  );
  assert.throws(
    () => df.filter(col("s").gt(col("x"))),
    /gt compares column "s" of type string with column "x" of type float64/,
  );
  assert.throws(
    () => df.filter(col("x")),
    /filter needs a bool expression: col\("x"\) is float64/,
  );
  assert.throws(
    () => df.groupBy("k").agg({ s: "mean" }),
    /mean needs a numeric column: "s" is string/,
  );
  assert.throws(
    () => df.merge(df.astype({ k: "string" }), { on: "k" }),
    /key "k" is int32 on the left, "k" is string on the right/,
  );
  assert.throws(
    () => fromColumns({ m: [1, "a"] }),
    (e: unknown) =>
      e instanceof DTypeError && /mixes int32 and string/.test(e.message),
  );
});

Deno.test("a failing task fails the computation with its error, on worker hosts too; nothing hangs", async () => {
  for (const placement of ["inline", "worker"] as const) {
    const err = await df.mapPartitions(dft.broken).compute({
      placement,
      workers: 1,
    }).catch((e) => e);
    assert.ok(err instanceof TaskFailedError, `${placement}: ${err}`);
    assert.match(String((err.cause as Error).message), /broken on purpose/);
    const cast = await fromColumns({ s: ["1", "x"] }).astype({ s: "int32" })
      .compute({ placement, workers: 1 }).catch((e) => e);
    assert.ok(cast instanceof DTypeError, `${placement}: ${cast}`);
    assert.match(
      cast.message,
      /cannot cast "x" in column "s" from string to int32/,
    );
  }
  await assert.rejects(
    df.persist({}),
    /persist keeps partitions on a scheduler's workers/,
  );
});

Deno.test("bad options are refused with what was wrong", () => {
  assert.throws(() => readCsv("/no/such/file.csv"), Deno.errors.NotFound);
  assert.throws(
    () => df.repartition(0),
    /repartition: n must be an integer >= 1/,
  );
  assert.throws(
    () => df.groupBy("k", { splitOut: 0 }),
    /splitOut must be an integer >= 1/,
  );
  assert.throws(
    () => df.merge(df, { on: "k", how: "cross" as "inner" }),
    /how must be/,
  );
  assert.throws(
    () => df.groupBy("k").agg({ x: "median" as "mean" }),
    /"median" for "x" is not one of/,
  );
});

Deno.test("an async mapPartitions task is told how to give its columns (no method that does not exist)", () => {
  assert.throws(
    () => df.mapPartitions(slow.later),
    (e: Error) =>
      e instanceof TypeError &&
      /later returned a Promise for the empty frame/.test(e.message) &&
      /df\.length is 0/.test(e.message) &&
      !/mapPartitionsAsync/.test(e.message),
  );
  // A task that answers the empty frame at once may be async otherwise.
  assert.equal(df.mapPartitions(slow.pause, 1).npartitions, df.npartitions);
});

Deno.test("merge and concat given something other than a frame say which argument it was", async () => {
  const { LazyFrame } = await import("@troupe/troupe/dataframe");
  const notFrames: unknown[] = [
    { plans: [], schema: {} },
    null,
    [1, 2],
    "df",
  ];
  for (const bad of notFrames) {
    assert.throws(
      () => df.merge(bad as never, { on: "k" }),
      (e: unknown) =>
        e instanceof TypeError &&
        /merge's right frame must be a LazyFrame/.test(e.message),
    );
    assert.throws(
      () => LazyFrame.concat([df, bad as never]),
      (e: unknown) =>
        e instanceof TypeError &&
        /concat's frame 1 must be a LazyFrame/.test(e.message),
    );
  }
  assert.throws(
    () => LazyFrame.concat(df as never),
    /concat takes a list of frames/,
  );
});
