/**
 * Dataframes larger than memory: a group-by over a CSV 4x larger than the
 * workers' memory limits together completes with the right result in
 * bounded memory, on a real 2-node local cluster and on a local scheduler
 * of worker hosts. Two group-bys: one on a key of few groups (a tree of
 * tiny partials: the partitions stream through) and one on a key of many
 * groups shuffled into `splitOut` reductions, whose buckets are held until
 * every partition has been split, so they spill (the files are seen during
 * the run and gone after).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ActorSystem, createScheduler } from "@troupe/troupe";
import { localCluster } from "@troupe/troupe/cluster";
import { type ComputeOptions, readCsv } from "@troupe/troupe/dataframe";
import { mib, peakRss, spillFiles } from "../memory_watch.ts";

const MiB = 2 ** 20;
/** Groups of the shuffled key `g`. */
const G = 100_000;
/** Groups of the small key `k`. */
const K = 50;

/** Sums and counts of `x` per group of `k` and of `g`. */
interface Expected {
  kSum: Float64Array;
  kCount: Float64Array;
  gSum: Float64Array;
  gCount: Float64Array;
  rows: number;
}

/**
 * A CSV `k,g,x` of at least `bytes` bytes, written a batch at a time, and
 * what its group-bys must give (summed as it is written: the file is
 * never in this process's memory).
 */
function writeCsv(path: string, bytes: number): Expected {
  const want: Expected = {
    kSum: new Float64Array(K),
    kCount: new Float64Array(K),
    gSum: new Float64Array(G),
    gCount: new Float64Array(G),
    rows: 0,
  };
  const file = Deno.openSync(path, { write: true, create: true });
  const encoder = new TextEncoder();
  try {
    let written = file.writeSync(encoder.encode("k,g,x\n"));
    let i = 0;
    while (written < bytes) {
      let text = "";
      for (let r = 0; r < 20_000; r++, i++) {
        const k = (i * 7) % K;
        const g = (i * 7919) % G;
        // Hundredths: exact in decimal, so the parsed value is the same.
        const x = ((i * 104_729) % 100_003) / 100;
        want.kSum[k] += x;
        want.kCount[k]++;
        want.gSum[g] += x;
        want.gCount[g]++;
        text += `${k},${g},${x}\n`;
      }
      const chunk = encoder.encode(text);
      for (let at = 0; at < chunk.length;) {
        at += file.writeSync(chunk.subarray(at));
      }
      written += chunk.length;
    }
    want.rows = i;
  } finally {
    file.close();
  }
  return want;
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

/**
 * Both group-bys on `scheduler`, checked against `want`; `between` runs
 * after the first (the tree) and before the second (the shuffle).
 */
async function groupBys(
  path: string,
  scheduler: NonNullable<ComputeOptions["scheduler"]>,
  want: Expected,
  between: () => void,
): Promise<void> {
  const df = readCsv(path, { blocksize: 4 * MiB });
  assert.ok(df.npartitions >= 30, `${df.npartitions} partitions`);
  const byK = await df.groupBy("k").agg({ x: ["mean", "count"] }).compute({
    scheduler,
  });
  assert.equal(byK.length, K);
  const ks = byK.column("k");
  const kMean = byK.column("x_mean");
  const kCount = byK.column("x_count");
  for (let r = 0; r < K; r++) {
    const k = Number(ks[r]);
    assert.equal(Number(kCount[r]), want.kCount[k], `count of k=${k}`);
    assert.ok(
      close(Number(kMean[r]), want.kSum[k] / want.kCount[k]),
      `mean of k=${k}: ${kMean[r]}`,
    );
  }
  between();
  const byG = await df.groupBy("g", { splitOut: 4 }).agg({
    x: ["mean", "count"],
  }).compute({ scheduler });
  const groups = want.gCount.filter((c) => c > 0).length;
  assert.equal(byG.length, groups);
  const gs = byG.column("g");
  const gMean = byG.column("x_mean");
  const gCount = byG.column("x_count");
  let rows = 0;
  for (let r = 0; r < byG.length; r++) {
    const g = Number(gs[r]);
    rows += Number(gCount[r]);
    assert.equal(Number(gCount[r]), want.gCount[g], `count of g=${g}`);
    assert.ok(
      close(Number(gMean[r]), want.gSum[g] / want.gCount[g]),
      `mean of g=${g}: ${gMean[r]}`,
    );
  }
  assert.equal(rows, want.rows);
}

/** What a watch saw while a run went on. */
interface Seen {
  mostFiles: number;
  spills: number;
  stop(): void;
}

/** Watch `dir`'s spill files and the spills `spillsNow` counts. */
function watch(dir: string, spillsNow: () => number, also = () => {}): Seen {
  const seen: Seen = {
    mostFiles: 0,
    spills: 0,
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    seen.mostFiles = Math.max(seen.mostFiles, spillFiles(dir).length);
    seen.spills = Math.max(seen.spills, spillsNow());
    also();
  }, 10);
  return seen;
}

function assertNoSpillLeft(dir: string): void {
  assert.deepEqual(spillFiles(dir), [], "no spill file left");
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name),
    [],
    "no spill directory left",
  );
}

Deno.test("out of core: group-bys over a CSV 4x the nodes' limits complete on a 2-node cluster, spilling, in bounded memory", async () => {
  const data = Deno.makeTempDirSync({ prefix: "troupe-df-ooc-" });
  const spill = Deno.makeTempDirSync({ prefix: "troupe-df-spill-" });
  const LIMIT = 16 * MiB;
  try {
    const path = join(data, "big.csv");
    const want = writeCsv(path, 8 * LIMIT); // 4x the two limits together
    await using system = new ActorSystem();
    await using cluster = await localCluster(system, {
      nodes: 2,
      memoryLimit: LIMIT,
      // 16 MiB is less than the runtime's own resident memory: only held
      // results are measured against it (target), not the process's RSS.
      memoryFractions: { spill: false, terminate: false },
      localDirectory: spill,
      read: [data],
    });
    const pids = Object.values(cluster.pids());
    const seen = watch(
      spill,
      () =>
        cluster.status().nodes.reduce(
          (n, node) => n + (node.heldMemory?.spills ?? 0),
          0,
        ),
    );
    let treePeaks: number[] = [];
    try {
      await groupBys(
        path,
        cluster.scheduler,
        want,
        () => treePeaks = pids.map(peakRss),
      );
    } finally {
      seen.stop();
    }
    const peaks = pids.map(peakRss);
    console.log(
      `CSV ${mib(Deno.statSync(path).size)} MiB (${want.rows} rows), limit ${
        mib(LIMIT)
      } MiB per node: peak RSS of the nodes ${
        treePeaks.map(mib).join(", ")
      } MiB after the tree group-by, ${
        peaks.map(mib).join(", ")
      } MiB after the shuffle; most spill files at once ${seen.mostFiles}; spills ${seen.spills}`,
    );
    assert.ok(seen.mostFiles > 0, "spill files existed during the run");
    assert.ok(seen.spills > 0, "status() showed spills");
    // The tree streams: the limit plus a fixed overhead (the runtime, a
    // partition being read, garbage not yet collected).
    for (const p of treePeaks) {
      assert.ok(p < LIMIT + 300 * MiB, `${mib(p)} MiB after the tree`);
    }
    // A shuffle's reduction takes every piece of its bucket at once (its
    // inputs are in memory while it runs, whatever the limit): looser.
    for (const p of peaks) {
      assert.ok(p < LIMIT + 700 * MiB, `${mib(p)} MiB after the shuffle`);
    }
  } finally {
    try {
      assertNoSpillLeft(spill);
    } finally {
      Deno.removeSync(spill, { recursive: true });
      Deno.removeSync(data, { recursive: true });
    }
  }
});

Deno.test("out of core: group-bys over a CSV 4x the worker hosts' limits complete on a local scheduler, spilling, in bounded memory", async () => {
  const data = Deno.makeTempDirSync({ prefix: "troupe-df-ooc-" });
  const spill = Deno.makeTempDirSync({ prefix: "troupe-df-spill-" });
  const LIMIT = 16 * MiB;
  try {
    const path = join(data, "big.csv");
    const want = writeCsv(path, 8 * LIMIT); // 4x the two limits together
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, {
      placement: "worker",
      workers: 2,
      memoryLimit: LIMIT,
      memoryFractions: { spill: false, terminate: false },
      localDirectory: spill,
    });
    // Worker hosts are threads of this process: its resident memory, from
    // just before the run, is what they add.
    const before = Deno.memoryUsage().rss;
    let peak = before;
    const seen = watch(
      spill,
      () =>
        scheduler.status().workers.reduce(
          (n, w) => n + (w.heldMemory?.spills ?? 0),
          0,
        ),
      () => peak = Math.max(peak, Deno.memoryUsage().rss),
    );
    let treePeak = 0;
    try {
      await groupBys(path, scheduler, want, () => treePeak = peak);
    } finally {
      seen.stop();
    }
    console.log(
      `CSV ${mib(Deno.statSync(path).size)} MiB (${want.rows} rows), limit ${
        mib(LIMIT)
      } MiB per worker host: RSS of this process ${mib(before)} MiB before, ${
        mib(treePeak)
      } MiB at most after the tree group-by, ${
        mib(peak)
      } MiB after the shuffle; most spill files at once ${seen.mostFiles}; spills ${seen.spills}`,
    );
    assert.ok(seen.mostFiles > 0, "spill files existed during the run");
    assert.ok(seen.spills > 0, "status() showed spills");
    // (as on the cluster: the tree within a fixed overhead, the shuffle's
    // reductions with their inputs looser; both workers' heaps are here)
    assert.ok(
      treePeak - before < 2 * LIMIT + 300 * MiB,
      `${mib(treePeak - before)} MiB more after the tree`,
    );
    assert.ok(
      peak - before < 2 * LIMIT + 900 * MiB,
      `${mib(peak - before)} MiB more after the shuffle`,
    );
  } finally {
    try {
      assertNoSpillLeft(spill);
    } finally {
      Deno.removeSync(spill, { recursive: true });
      Deno.removeSync(data, { recursive: true });
    }
  }
});
