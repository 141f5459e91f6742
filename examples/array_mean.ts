/**
 * `dask.array` the troupe way: the mean of a 10,000 x 10,000 array of
 * random numbers in 1,000 x 1,000 chunks, computed on this machine's cores.
 * Each chunk's task makes its numbers and sums them at once, so no chunk is
 * ever held: 800 MB of numbers in a few MB of memory.
 *
 * The Python it mirrors:
 *
 * ```python
 * import dask.array as da
 * x = da.random.random((10000, 10000), chunks=(1000, 1000))
 * print(x.mean().compute())
 * ```
 *
 * Run it with `deno run --allow-read examples/array_mean.ts`.
 *
 * @module
 */

import { random } from "@troupe/troupe/array";

if (import.meta.main) {
  const x = random([10000, 10000], { chunks: [1000, 1000], seed: 42 });
  console.log(await x.mean().compute());

  // The same seed gives the same numbers whatever the chunking.
  const y = random([10000, 10000], { chunks: [2500, 10000], seed: 42 });
  console.log(
    `x[1234, 5678] == y[1234, 5678]: ${
      (await x.slice(1234, 5678).compute()).data[0] ===
        (await y.slice(1234, 5678).compute()).data[0]
    }`,
  );
  console.log(
    `${x.numblocks[0] * x.numblocks[1]} chunks, ${x.nbytes / 1e6} MB if held`,
  );
}
