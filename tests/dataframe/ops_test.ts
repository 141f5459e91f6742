/**
 * Every operation against a plain computation of the same thing on
 * generated rows (nulls, unicode, an empty partition, one row, zero rows),
 * on every placement and on a local cluster.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { connect, localCluster } from "@troupe/troupe/cluster";
import { createScheduler } from "@troupe/troupe";
import {
  col,
  type ComputeOptions,
  concat,
  fromColumns,
  fromRecords,
  type LazyFrame,
} from "@troupe/troupe/dataframe";
import { dft } from "../fixtures/dataframe_tasks.ts";
import {
  groups,
  makeRows,
  ref,
  type Row,
  sameRecords,
  sortBy,
} from "./helpers.ts";

const DTYPES = {
  k: "int32",
  s: "string",
  x: "float64",
  b: "bool",
  d: "timestamp",
} as const;
const rows = makeRows(500);
const empty = fromColumns({ k: [], s: [], x: [], b: [], d: [] }, {
  dtypes: DTYPES,
});

/** The rows in 5 partitions with an empty one in the middle. */
function frame(): LazyFrame {
  return concat([
    fromRecords(rows.slice(0, 200), { npartitions: 2, dtypes: DTYPES }),
    empty,
    fromRecords(rows.slice(200), { npartitions: 2, dtypes: DTYPES }),
  ]);
}

const nums = (rs: Row[], k: keyof Row) =>
  rs.map((r) => r[k]).filter((v) => v !== null) as number[];

async function checkRowOps(o: ComputeOptions): Promise<void> {
  const df = frame();
  assert.equal(df.npartitions, 5);
  sameRecords((await df.compute(o)).toRecords(), rows, "compute");
  assert.equal(await df.count(o), rows.length);

  const sel = await df.select("x", "k").rename({ x: "value" }).drop("k")
    .compute(o);
  sameRecords(
    sel.toRecords(),
    rows.map((r) => ({ value: r.x })),
    "select/rename/drop",
  );

  const filtered = await df.filter(col("x").gt(10).and(col("k").notNull()))
    .compute(o);
  sameRecords(
    filtered.toRecords(),
    rows.filter((r) => r.x !== null && r.x > 10 && r.k !== null),
    "filter",
  );

  const byTask = await df.filter(dft.startsWithA).compute(o);
  sameRecords(
    byTask.toRecords(),
    rows.filter((r) => r.s === null || r.s.startsWith("a")),
    "filter task",
  );

  const assigned = await df.assign({
    y: col("x").mul(2).add(col("k")),
    big: col("x").ge(100),
  }).compute(o);
  sameRecords(
    assigned.toRecords(),
    rows.map((r) => ({
      ...r,
      y: r.x === null || r.k === null ? null : r.x * 2 + r.k,
      big: r.x === null ? null : r.x >= 100,
    })),
    "assign",
  );

  const filled = await df.fillNull({ x: 0, s: "?" }).compute(o);
  sameRecords(
    filled.toRecords(),
    rows.map((r) => ({ ...r, x: r.x ?? 0, s: r.s ?? "?" })),
    "fillNull",
  );
  const dropped = await df.dropNull().compute(o);
  sameRecords(
    dropped.toRecords(),
    rows.filter((r) => Object.values(r).every((v) => v !== null)),
    "dropNull",
  );
  const droppedK = await df.dropNull({ subset: ["k"] }).compute(o);
  assert.equal(droppedK.length, rows.filter((r) => r.k !== null).length);

  const cast = await df.astype({ k: "float64", b: "int32" }).compute(o);
  assert.deepEqual(cast.dtypes, {
    k: "float64",
    s: "string",
    x: "float64",
    b: "int32",
    d: "timestamp",
  });
  sameRecords(
    cast.toRecords(),
    rows.map((r) => ({ ...r, b: r.b === null ? null : Number(r.b) })),
    "astype",
  );

  const mapped = await df.mapPartitions(dft.scaled, 3).compute(o);
  assert.deepEqual(
    mapped.column("x2").slice(0, 3),
    Float64Array.from(rows.slice(0, 3), (r) => (r.x ?? 0) * 3),
  );
  assert.deepEqual([...new Set(mapped.column("n") as Int32Array)].sort(), [
    100,
    150,
  ]);

  const head = await df.head(3, o);
  sameRecords(head.toRecords(), rows.slice(0, 3), "head");
  const tail = await df.tail(4, o);
  sameRecords(tail.toRecords(), rows.slice(-4), "tail");

  const again = await df.repartition(3).compute(o);
  sameRecords(again.toRecords(), rows, "repartition 3");
  const more = df.repartition(9);
  assert.equal(more.npartitions, 9);
  sameRecords((await more.compute(o)).toRecords(), rows, "repartition 9");
}

async function checkGroupBy(o: ComputeOptions): Promise<void> {
  const df = frame();
  const all = [
    "mean",
    "sum",
    "count",
    "min",
    "max",
    "std",
    "var",
    "first",
    "last",
    "nunique",
  ] as const;
  const out = await df.groupBy("k").agg({
    x: [...all],
    s: ["count", "nunique", "first", "last", "min", "max"],
    d: ["min", "max"],
  }).compute(o);
  const want = [...groups(rows, ["k"]).values()].map((g) => {
    const xs = nums(g, "x");
    const ss = g.map((r) => r.s).filter((v) => v !== null) as string[];
    const ds = g.map((r) => r.d).filter((v) => v !== null) as Date[];
    const t = ds.map((d) => d.getTime());
    return {
      k: g[0].k,
      x_mean: ref.mean(xs),
      x_sum: ref.sum(xs),
      x_count: xs.length,
      x_min: ref.min(xs),
      x_max: ref.max(xs),
      x_std: ref.std(xs),
      x_var: ref.var(xs),
      x_first: ref.first(xs),
      x_last: ref.last(xs),
      x_nunique: ref.nunique(xs),
      s_count: ss.length,
      s_nunique: ref.nunique(ss),
      s_first: ref.first(ss),
      s_last: ref.last(ss),
      s_min: ss.length === 0 ? null : ss.reduce((a, b) => a < b ? a : b),
      s_max: ss.length === 0 ? null : ss.reduce((a, b) => a > b ? a : b),
      d_min: t.length === 0 ? null : new Date(Math.min(...t)),
      d_max: t.length === 0 ? null : new Date(Math.max(...t)),
    };
  });
  sameRecords(out.toRecords(), sortBy(want, ["k"]), "groupBy(k).agg");

  const two = await df.groupBy(["k", "b"]).sum().compute(o);
  const twoWant = [...groups(rows, ["k", "b"]).values()].map((g) => ({
    k: g[0].k,
    b: g[0].b,
    x: ref.sum(nums(g, "x")),
  }));
  sameRecords(
    two.toRecords(),
    sortBy(twoWant, ["k", "b"]),
    "groupBy(k, b).sum",
  );

  const byString = await df.groupBy("s").mean().compute(o);
  const sWant = [...groups(rows, ["s"]).values()].map((g) => ({
    s: g[0].s,
    k: ref.mean(nums(g, "k")),
    x: ref.mean(nums(g, "x")),
  }));
  sameRecords(byString.toRecords(), sortBy(sWant, ["s"]), "groupBy(s).mean");

  const shuffled = df.groupBy("s", { splitOut: 3 }).agg({ x: "sum" });
  assert.equal(shuffled.npartitions, 3);
  const spread = await shuffled.sortValues("s").compute(o);
  sameRecords(
    spread.toRecords(),
    sortBy(
      sWant.map((w) => ({
        s: w.s,
        x: ref.sum(nums(groups(rows, ["s"]).get(JSON.stringify([w.s]))!, "x")),
      })),
      ["s"],
    ),
    "splitOut",
  );

  const nullKey = await df.groupBy("k", { dropna: false }).size().compute(o);
  assert.equal(nullKey.toRecords().at(-1)!.k, null);
  assert.equal(
    nullKey.toRecords().at(-1)!.size,
    rows.filter((r) => r.k === null).length,
  );

  const counts = await df.valueCounts("k").compute(o);
  const cWant = [...groups(rows, ["k"]).values()].map((g) => ({
    k: g[0].k,
    count: g.length,
  }));
  sameRecords(
    counts.toRecords(),
    sortBy(cWant, ["count", "k"], [false, true]),
    "valueCounts",
  );

  const described = (await df.describe().compute(o)).toRecords();
  assert.deepEqual(described.map((r) => r.statistic), [
    "count",
    "mean",
    "std",
    "min",
    "max",
  ]);
  sameRecords([described[1]], [{
    statistic: "mean",
    k: ref.mean(nums(rows, "k")),
    x: ref.mean(nums(rows, "x")),
  }], "describe");

  const distinct = (await df.nunique().compute(o)).toRecords()[0];
  assert.equal(
    distinct.s,
    ref.nunique(rows.map((r) => r.s).filter((v) => v !== null)),
  );
}

async function checkShuffles(o: ComputeOptions): Promise<void> {
  const df = frame();
  // Ties may come in any order (as in Dask): the keys in order, the rows all there.
  const key = (r: Record<string, unknown>) => JSON.stringify(r);
  const sameSorted = (
    got: Record<string, unknown>[],
    by: string[],
    asc: boolean[],
    what: string,
  ) => {
    const want = sortBy(rows, by, asc);
    sameRecords(
      got.map((r) => Object.fromEntries(by.map((b) => [b, r[b]]))),
      want.map((r) => Object.fromEntries(by.map((b) => [b, r[b]]))),
      what,
    );
    assert.deepEqual(got.map(key).sort(), rows.map(key).sort(), what);
  };
  sameSorted(
    (await df.sortValues("x").compute(o)).toRecords(),
    ["x"],
    [true],
    "sortValues(x)",
  );
  sameSorted(
    (await df.sortValues(["k", "x"], { ascending: [true, false] }).compute(o))
      .toRecords(),
    ["k", "x"],
    [true, false],
    "sortValues(k, -x)",
  );
  const sortedS = await df.sortValues("s", { ascending: false }).compute(o);
  assert.deepEqual(
    sortedS.column("s"),
    sortBy(rows, ["s"], [false]).map((r) => r.s),
  );

  const deduped = await df.dropDuplicates(["k", "b"]).compute(o);
  const pairs = (rs: Record<string, unknown>[]) =>
    new Set(rs.map((r) => JSON.stringify([r.k, r.b])));
  assert.equal(deduped.length, pairs(rows).size);
  assert.deepEqual(pairs(deduped.toRecords()), pairs(rows));

  const labels = Array.from(
    { length: 8 },
    (_, i) => ({ k: i - 2, label: `L${i - 2}`, x: i * 0.5 }),
  );
  for (const parts of [1, 3]) {
    const right = fromRecords(labels, { npartitions: parts });
    for (const how of ["inner", "left", "right", "outer"] as const) {
      const got = await df.select("k", "s", "x").merge(right, { on: "k", how })
        .compute(o);
      const want: Record<string, unknown>[] = [];
      const matched = new Set<number>();
      for (const r of rows) {
        const hits = labels.filter((l) => r.k !== null && l.k === r.k);
        hits.forEach((h) => matched.add(h.k));
        for (const h of hits) {
          want.push({ k: r.k, s: r.s, x_x: r.x, label: h.label, x_y: h.x });
        }
        if (hits.length === 0 && (how === "left" || how === "outer")) {
          want.push({ k: r.k, s: r.s, x_x: r.x, label: null, x_y: null });
        }
      }
      if (how === "right" || how === "outer") {
        for (const l of labels) {
          if (!matched.has(l.k)) {
            want.push({ k: l.k, s: null, x_x: null, label: l.label, x_y: l.x });
          }
        }
      }
      assert.deepEqual(
        got.columns,
        ["k", "s", "x_x", "label", "x_y"],
        `${how}/${parts}`,
      );
      assert.deepEqual(
        got.toRecords().map(key).sort(),
        want.map(key).sort(),
        `merge ${how} (${parts} right partitions)`,
      );
    }
  }
}

const zeroAndOne = async (o: ComputeOptions) => {
  const none = await empty.groupBy("k").mean().compute(o);
  assert.equal(none.length, 0);
  assert.deepEqual(none.columns, ["k", "x"]);
  assert.equal((await empty.sortValues("x").compute(o)).length, 0);
  const one = fromRecords([rows[3]], { dtypes: DTYPES });
  sameRecords(
    (await one.groupBy("s").agg({ x: "max" }).compute(o)).toRecords(),
    rows[3].s === null ? [] : [{ s: rows[3].s, x: rows[3].x }],
    "one row",
  );
};

const placements: ComputeOptions[] = [
  { placement: "inline" },
  { placement: "local", workers: 2 },
  { placement: "worker", workers: 2 },
  { placement: "process", workers: 2 },
];

for (const p of placements) {
  Deno.test(`[${p.placement}] row operations, group-bys and shuffles equal a plain computation`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(
      system,
      p.placement === "process"
        ? {
          ...p,
          // A process host reads only what it is given: troupe's files
          // (the dataframe's tasks), and the fixtures.
          permissions: { read: [new URL("../../", import.meta.url).pathname] },
        }
        : p,
    );
    const o = { scheduler };
    await checkRowOps(o);
    await checkGroupBy(o);
    await checkShuffles(o);
    await zeroAndOne(o);
  });
}

Deno.test("[localCluster client] row operations, group-bys and shuffles on two nodes", async () => {
  await using system = new ActorSystem();
  await using cluster = await localCluster(system, { nodes: 2, secret: "df" });
  await using client = await connect(cluster.address, { secret: "df" });
  await checkRowOps({ scheduler: client });
  await checkGroupBy({ scheduler: client });
  await checkShuffles({ scheduler: client });
  await zeroAndOne({ scheduler: client });
});

Deno.test("compute() with no scheduler runs on a local scheduler made for the call", async () => {
  const out = await frame().groupBy("b").count().compute({ workers: 2 });
  assert.equal(out.length, 2);
});
