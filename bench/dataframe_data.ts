/**
 * The dataframe benchmarks' data: a CSV of `rows` rows made from a seeded
 * generator (so every run and every peer reads the same bytes), about 28.5
 * bytes a row: `k` an integer key with 100 groups, `name` a string of 1,000
 * distinct values, `x`, `y`, `z` floats; and a smaller CSV of `id` (the
 * keys of `k`'s merge side) and `w`.
 *
 * @module
 */

/** A small seeded PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADER = "k,name,x,y,z\n";

function fixed(v: number, digits: number): string {
  return v.toFixed(digits);
}

/**
 * Write the main CSV to `path`: rows `k,name,x,y,z`. Written in blocks, so
 * 100M rows take no more memory than 10M.
 */
export async function writeMainCsv(
  path: string,
  rows: number,
  seed = 1,
): Promise<number> {
  const rand = seeded(seed);
  const enc = new TextEncoder();
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  let bytes = 0;
  const write = async (text: string) => {
    const b = enc.encode(text);
    bytes += b.length;
    let off = 0;
    while (off < b.length) off += await file.write(b.subarray(off));
  };
  await write(HEADER);
  const BLOCK = 100_000;
  for (let done = 0; done < rows; done += BLOCK) {
    const n = Math.min(BLOCK, rows - done);
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * 100);
      const name = Math.floor(rand() * 1000);
      const x = rand();
      const y = (rand() - 0.5) * 40;
      const z = rand() * 100;
      lines[i] = `${k},s${name},${fixed(x, 4)},${fixed(y, 3)},${fixed(z, 2)}\n`;
    }
    await write(lines.join(""));
  }
  return bytes;
}

/** Write the merge side: `rows` rows `id,w` with ids 0..rows-1 shuffled. */
export async function writeSideCsv(
  path: string,
  rows: number,
  seed = 2,
): Promise<number> {
  const rand = seeded(seed);
  const ids = new Int32Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = i;
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }
  const lines: string[] = ["id,w\n"];
  for (let i = 0; i < rows; i++) lines.push(`${ids[i]},${fixed(rand(), 4)}\n`);
  const text = lines.join("");
  await Deno.writeTextFile(path, text);
  return text.length;
}

/**
 * Write the merge's large side: `rows` rows `id,x` whose ids fall in
 * 0..sideRows-1.
 */
export async function writeFactCsv(
  path: string,
  rows: number,
  sideRows: number,
  seed = 3,
): Promise<number> {
  const rand = seeded(seed);
  const enc = new TextEncoder();
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  let bytes = 0;
  const write = async (text: string) => {
    const b = enc.encode(text);
    bytes += b.length;
    let off = 0;
    while (off < b.length) off += await file.write(b.subarray(off));
  };
  await write("id,x\n");
  const BLOCK = 100_000;
  for (let done = 0; done < rows; done += BLOCK) {
    const n = Math.min(BLOCK, rows - done);
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      lines[i] = `${Math.floor(rand() * sideRows)},${fixed(rand(), 4)}\n`;
    }
    await write(lines.join(""));
  }
  return bytes;
}
