/**
 * CSV ranges read one after another in one isolate reuse their read
 * buffer (a fresh 2 MB buffer per range was garbage freed late: peak memory
 * grew with the number of partitions); two ranges read at the same time
 * never share one.
 */

import assert from "node:assert/strict";
import { csvBatches } from "../../dataframe/_csv_read.ts";
import { giveBuffer, takeBuffer } from "../../dataframe/_buffers.ts";
import type { CsvLayout } from "../../dataframe/_csv_parse.ts";
import type { CsvSource } from "../../dataframe/_spec.ts";

const layout: CsvLayout = {
  fields: 2,
  targets: [0, 1],
  names: ["k", "x"],
  types: ["int32", "float64"],
  delimiter: 44,
  quote: 34,
  nullTokens: [""],
  header: ["k", "x"],
};

async function readAll(src: CsvSource): Promise<number[]> {
  const ks: number[] = [];
  for await (const b of csvBatches(src, 1000)) {
    const k = b.columns[0].data as Int32Array;
    for (let i = 0; i < b.length; i++) ks.push(k[i]);
  }
  return ks;
}

Deno.test("CSV ranges read one after another reuse one read buffer; concurrent ones never share", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-df-buf-" });
  try {
    const path = `${dir}/d.csv`;
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i / 2}`);
    const text = rows.join("\n") + "\n";
    await Deno.writeTextFile(path, text);
    const size = new TextEncoder().encode(text).length;
    const src = (start: number, end: number): CsvSource => ({
      kind: "csv",
      path,
      start,
      end,
      exact: false,
      layout,
      stamp: "",
    });
    // Empty the pool this isolate may hold from other tests.
    const held = [takeBuffer(1), takeBuffer(1), takeBuffer(1)];
    assert.equal(held.length, 3);

    // A buffer in the pool: the next range reads the file into it, and
    // gives it back.
    const mine = new Uint8Array(size + 64);
    giveBuffer(mine);
    const first = await readAll(src(0, size));
    assert.deepEqual(first, rows.map((_, i) => i));
    assert.deepEqual(
      new TextDecoder().decode(mine.subarray(0, 20)),
      text.slice(0, 20),
      "the range was not read into the kept buffer",
    );
    const back = takeBuffer(size + 1);
    assert.equal(back.buffer, mine.buffer, "the buffer was not given back");
    // A fresh one when the pool is empty; the next read keeps it.
    mine.fill(0);
    assert.deepEqual(await readAll(src(0, size)), first);
    assert.equal(mine[0], 0);
    const kept = takeBuffer(size + 1);
    assert.notEqual(kept.buffer, mine.buffer);
    assert.deepEqual(
      new TextDecoder().decode(kept.subarray(0, 20)),
      text.slice(0, 20),
    );

    // Two ranges at once, batch by batch in turn: each its own buffer.
    const a = csvBatches(src(0, size >> 1), 100);
    const b = csvBatches(src(size >> 1, size), 100);
    const got: number[][] = [[], []];
    const done = [false, false];
    while (!(done[0] && done[1])) {
      for (const [j, g] of [a, b].entries()) {
        if (done[j]) continue;
        const r = await g.next();
        if (r.done) done[j] = true;
        else {
          const k = r.value.columns[0].data as Int32Array;
          for (let i = 0; i < r.value.length; i++) got[j].push(k[i]);
        }
      }
    }
    assert.deepEqual([...got[0], ...got[1]], first);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
