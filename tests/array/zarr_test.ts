/**
 * Zarr round trips in a temporary folder, chunk by chunk, inline and on
 * worker hosts. The tests run without write access, so the round trips run
 * in a subprocess that may write to that folder only; the folder is
 * removed after.
 */

import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

Deno.test("toZarr then fromZarr gives the same arrays, in the same chunks", async () => {
  const mk = await new Deno.Command("mktemp", { args: ["-d"] }).output();
  const dir = new TextDecoder().decode(mk.stdout).trim();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${dir}`,
        "tests/fixtures/array_zarr.ts",
        dir,
      ],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    const out = JSON.parse(
      new TextDecoder().decode(stdout).trim().split("\n").at(-1)!,
    );
    assert.deepEqual(out.meta.shape, [37, 23]);
    assert.equal(out.meta.data_type, "float64");
    assert.deepEqual(out.meta.chunk_grid.configuration.chunk_shape, [10, 8]);
    assert.equal(out.sameChunks, true);
    assert.equal(out.sameData, true);
    assert.deepEqual(out.rechunked, [5, 5, 5, 5, 3]);
    assert.equal(out.sameSum, true);
    assert.deepEqual(out.bools, [true, false, true, false, true]);
    assert.match(out.refused, /already holds a Zarr node/);
    assert.equal(out.intDtype, "int32");
    assert.equal(out.intSum, 3);
    assert.equal(out.irregular, "ChunkError axis 0");
    assert.equal(out.chunkRows, 4, "a folder per chunk row");
    assert.ok(Math.abs(out.workerMeanRatio - 2) < 1e-12);
  } finally {
    await new Deno.Command("rm", { args: ["-rf", dir] }).output();
  }
  const gone = await new Deno.Command("test", { args: ["-e", dir] }).output();
  assert.equal(gone.code, 1, "the folder is removed");
});
