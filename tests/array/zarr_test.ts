/** Zarr round trips in a temporary directory, chunk by chunk. */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe/actors";
import { createScheduler } from "@troupe/troupe/cluster";
import { ChunkError, fromArray, fromZarr, random } from "@troupe/troupe/array";

const inline = { placement: "inline" } as const;

Deno.test("toZarr then fromZarr gives the same array, in the same chunks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-zarr-" });
  try {
    const x = random([37, 23], { chunks: [10, 8], seed: 4 }).mul(100);
    await x.toZarr(`${dir}/x`, inline);
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/x/zarr.json`));
    assert.deepEqual(meta.shape, [37, 23]);
    assert.equal(meta.data_type, "float64");
    const y = await fromZarr(`${dir}/x`);
    assert.deepEqual(y.chunks, x.chunks);
    assert.deepEqual(
      (await y.compute(inline)).data,
      (await x.compute(inline)).data,
    );
    const z = await fromZarr(`${dir}/x`, { chunks: [37, 5] });
    assert.deepEqual(z.chunks[1], [5, 5, 5, 5, 3]);
    assert.equal(await z.sum().compute(inline), await x.sum().compute(inline));
    // Other dtypes, and a refusal to overwrite unless asked.
    const b = fromArray(new Int32Array([1, -2, 3, -4, 5]), { chunks: 2 });
    await b.gt(0).toZarr(`${dir}/b`, inline);
    assert.deepEqual(
      (await (await fromZarr(`${dir}/b`)).compute(inline)).toArray(),
      [true, false, true, false, true],
    );
    await assert.rejects(
      () => b.toZarr(`${dir}/b`, inline),
      /already holds a Zarr node/,
    );
    await b.toZarr(`${dir}/b`, { ...inline, overwrite: true });
    assert.equal((await fromZarr(`${dir}/b`)).dtype, "int32");
    assert.equal(await (await fromZarr(`${dir}/b`)).sum().compute(inline), 3);
    await assert.rejects(
      () =>
        fromArray(new Float64Array(10), { chunks: [[3, 4, 3]] }).toZarr(
          `${dir}/c`,
          inline,
        ),
      (e: Error) => e instanceof ChunkError && e.axis === 0,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("toZarr writes chunk by chunk on worker hosts; fromZarr reads there too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-zarr-" });
  try {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, {
      placement: "worker",
      workers: 2,
    });
    const x = random([200, 100], { chunks: [50, 50], seed: 1 });
    await x.add(x.slice("::-1")).toZarr(dir, { scheduler });
    let files = 0;
    for await (const _ of Deno.readDir(`${dir}/c`)) files++;
    assert.equal(files, 4, "a folder per chunk row");
    const y = await fromZarr(dir);
    const [a, b] = [
      await y.mean().compute({ scheduler }),
      await x.mean().compute({ scheduler }),
    ];
    assert.ok(Math.abs(a - 2 * b) < 1e-12);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
