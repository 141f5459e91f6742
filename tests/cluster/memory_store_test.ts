/**
 * The memory manager's parts: byte accounting, LRU order, spill and read
 * back of typed arrays and objects, thresholds, spill directories (removed
 * on close; a dead process's removed at the next start), limit parsing.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { byteSize, measure } from "../../cluster/memory/byte_size.ts";
import { resolveFractions } from "../../cluster/memory/fractions.ts";
import { HeldStore } from "../../cluster/memory/held_store.ts";
import {
  MemoryLimitError,
  parseMemoryLimit,
} from "../../cluster/memory/memory_limit.ts";
import {
  cleanStaleSpaces,
  LOCK_FILE,
  openSpillSpace,
} from "../../cluster/memory/spill_space.ts";
import { NdArray } from "../../array/_ndarray.ts";
import { until } from "../helpers.ts";

const MiB = 2 ** 20;

function files(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

Deno.test("byte size: binary data exactly, chunk and partition objects as the sum of their buffers", () => {
  assert.equal(byteSize(new Float64Array(1000)), 8000);
  assert.equal(byteSize(new ArrayBuffer(123)), 123);
  assert.equal(byteSize(new DataView(new ArrayBuffer(64), 8, 16)), 16);
  // A dataframe partition: columns of typed arrays, a dictionary, a bitmap.
  const part = {
    names: ["x", "s"],
    length: 1000,
    columns: [
      {
        type: "float64",
        data: new Float64Array(1000),
        valid: new Uint8Array(125),
        dict: null,
      },
      {
        type: "string",
        data: new Int32Array(1000),
        valid: null,
        dict: { offsets: new Int32Array(11), bytes: new Uint8Array(500) },
      },
    ],
  };
  const buffers = 8000 + 125 + 4000 + 44 + 500;
  const b = byteSize(part);
  assert.ok(b >= buffers && b < buffers + 1024, `${b} vs ${buffers}`);
  // A list of array chunks: each counted in full.
  const chunks = [new Float64Array(MiB / 8), new Float64Array(MiB / 8)];
  assert.ok(byteSize(chunks) >= 2 * MiB && byteSize(chunks) < 2 * MiB + 64);
  // The same buffer reached twice counts once.
  const a = new Uint8Array(4096);
  assert.ok(byteSize({ a, b: a }) < 4096 + 64);
  // Plain data, or not.
  assert.equal(measure(part).plain, true);
  assert.equal(
    measure(new NdArray([2], "float64", new Float64Array(2))).plain,
    false,
  );
  assert.equal(measure({ f: () => 1 }).plain, false);
});

Deno.test("held store: least recently used results spill past target; reads bring them back, exact", () => {
  const dir = Deno.makeTempDirSync();
  const store = new HeldStore({
    limit: 10 * MiB,
    fractions: resolveFractions(),
    localDirectory: dir,
  });
  try {
    const make = (seed: number) =>
      Float64Array.from({ length: MiB / 8 }, (_, i) => seed * 1e6 + i + 0.5);
    for (let i = 0; i < 6; i++) store.set(`k${i}`, make(i)); // 6 MiB: at target
    assert.equal(store.counters().spills, 0);
    assert.equal(store.counters().memory, 6 * MiB);
    // Touch k0: now k1 is the least recently used.
    assert.equal((store.get("k0") as Float64Array)[3], 3.5);
    store.set("k6", make(6));
    let c = store.counters();
    assert.equal(c.spills, 1);
    assert.equal(c.memory, 6 * MiB);
    assert.equal(c.spilled, MiB);
    assert.equal(c.spilledCount, 1);
    assert.ok(c.full);
    assert.equal(c.paused, false);
    const space = store.directory!;
    assert.deepEqual(files(space).filter((f) => f.endsWith(".bin")).length, 1);
    // k1 went to disk: reading it brings it back, and spills the LRU (k2).
    const k1 = store.get("k1") as Float64Array;
    assert.ok(k1 instanceof Float64Array);
    assert.deepEqual(k1, make(1));
    c = store.counters();
    assert.equal(c.unspills, 1);
    assert.equal(c.unspillBytes, MiB);
    assert.equal(c.spills, 2);
    assert.ok(store.has("k2") && store.has("k1"));
    assert.deepEqual(store.get("k2"), make(2));
    // Dropping spilled and held values removes their files and bytes.
    for (let i = 0; i <= 6; i++) assert.ok(store.delete(`k${i}`));
    c = store.counters();
    assert.equal(c.memory, 0);
    assert.equal(c.spilled, 0);
    assert.deepEqual(files(space).filter((f) => f.endsWith(".bin")), []);
    store.close();
    assert.deepEqual(files(dir), [], "the spill space is removed on close");
  } finally {
    store.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("held store: objects, typed arrays of every kind and odd offsets round-trip through a spill", async () => {
  const dir = Deno.makeTempDirSync();
  const store = new HeldStore({
    limit: 1000,
    fractions: resolveFractions({ target: 0.001 }), // spill everything
    directory: join(dir, "mine"),
  });
  try {
    const view = new Float64Array(new ArrayBuffer(8 * 10), 8, 3);
    view.set([1.5, -0, NaN]);
    const values: Record<string, unknown> = {
      f64: Float64Array.from([1, 2.5, -3, Infinity]),
      f32: Float32Array.from([1.25, -2]),
      i32: Int32Array.from([-7, 2 ** 31 - 1]),
      u8: Uint8Array.from([0, 255, 7]),
      big: BigInt64Array.from([-5n, 2n ** 62n]),
      view,
      buffer: Uint8Array.from([9, 8, 7]).buffer,
      part: {
        names: ["a"],
        length: 2,
        columns: [{
          type: "int32",
          data: Int32Array.from([4, 5]),
          valid: null,
          dict: null,
        }],
      },
      map: new Map([["x", 1]]),
      list: [1, "two", { three: 3 }, null],
      text: "é🙂",
    };
    for (const [k, v] of Object.entries(values)) store.set(k, v);
    // (values other than typed arrays wait for the codec's first load)
    await until(() => store.counters().memory === 0, "all spilled");
    assert.equal(store.counters().spilledCount, Object.keys(values).length);
    for (const [k, v] of Object.entries(values)) {
      const back = store.get(k);
      if (k === "view") {
        assert.ok(back instanceof Float64Array);
        assert.deepEqual([...back as Float64Array], [1.5, -0, NaN]);
        assert.ok(Object.is((back as Float64Array)[1], -0));
      } else assert.deepEqual(back, v, k);
    }
    // A class instance does not survive a spill: it stays in memory.
    const nd = new NdArray([2], "float64", Float64Array.from([1, 2]));
    store.set("nd", nd);
    assert.equal(store.get("nd"), nd);
    assert.ok(store.counters().memory > 0);
    assert.ok(files(dir).includes("mine"));
  } finally {
    store.close();
  }
  assert.deepEqual(files(dir), [], "its directory is removed on close");
  Deno.removeSync(dir);
});

Deno.test("held store: pause past the pause fraction, resumes below it; a value bigger than target stays on disk", () => {
  const dir = Deno.makeTempDirSync();
  let changes = 0;
  const store = new HeldStore({
    limit: 1000,
    fractions: resolveFractions({ target: false, pause: 0.5 }),
    localDirectory: dir,
  }, { changed: () => changes++ });
  try {
    store.set("a", new Uint8Array(400));
    assert.equal(store.counters().paused, false);
    store.set("b", new Uint8Array(200));
    assert.equal(store.counters().paused, true);
    assert.equal(store.counters().spills, 0, "target off: nothing spilled");
    store.delete("a");
    assert.equal(store.counters().paused, false);
    assert.ok(changes >= 3);
  } finally {
    store.close();
  }
  const big = new HeldStore({
    limit: 1000,
    fractions: resolveFractions(),
    localDirectory: dir,
  });
  try {
    big.set("huge", new Uint8Array(900).fill(3));
    assert.equal(big.counters().spilled, 900);
    assert.equal((big.get("huge") as Uint8Array)[899], 3);
    assert.equal(big.counters().spilled, 900, "still on disk");
    assert.equal(big.counters().memory, 0);
  } finally {
    big.close();
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("spill spaces: a killed process's space is removed at the next start; a live one's is kept", async () => {
  const root = Deno.makeTempDirSync();
  // Two real processes each open a space there; one is SIGKILLed.
  const opener = (name: string) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { openSpillSpace } from ${
          JSON.stringify(
            new URL("../../cluster/memory/spill_space.ts", import.meta.url)
              .href,
          )
        };
        const s = openSpillSpace(${JSON.stringify(root)}, "${name}");
        Deno.writeFileSync(s.path + "/1.bin", new Uint8Array(10));
        console.log(s.path);
        setInterval(() => {}, 1e6);`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  const spawned = [opener("doomed"), opener("alive")];
  const paths: string[] = [];
  // (the decoded streams, cancelled at the end: the pipe keeps each
  // child's stdout locked until it ends, so that cannot be cancelled)
  const decoded: ReadableStream<string>[] = [];
  for (const child of spawned) {
    const out = child.stdout.pipeThrough(new TextDecoderStream());
    decoded.push(out);
    const reader = out.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    reader.releaseLock();
    paths.push(text.trim());
  }
  const [doomed, alive] = spawned;
  doomed.kill("SIGKILL");
  await doomed.status;
  const unlocked = join(root, "other");
  Deno.mkdirSync(unlocked);
  const space = openSpillSpace(root, "node-1");
  try {
    assert.deepEqual(space.cleaned, [paths[0]]);
    assert.deepEqual(
      files(root).sort(),
      [
        "other",
        paths[1].slice(root.length + 1),
        space.path.slice(root.length + 1),
      ].sort(),
    );
    assert.equal(
      Deno.readTextFileSync(join(space.path, LOCK_FILE)).trim(),
      String(Deno.pid),
    );
    // Our own space and the live process's stay to a second look.
    assert.deepEqual(cleanStaleSpaces(root), []);
  } finally {
    space.close();
    alive.kill("SIGKILL");
    await alive.status;
    for (const d of decoded) await d.cancel();
  }
  assert.ok(!files(root).includes(space.path.slice(root.length + 1)));
  // Now the second one is dead too.
  assert.deepEqual(cleanStaleSpaces(root), [paths[1]]);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("memory limits: bytes and sizes with units; a bad one is a typed error that names it", () => {
  assert.equal(parseMemoryLimit("2GiB"), 2 ** 31);
  assert.equal(parseMemoryLimit("2 gib"), 2 ** 31);
  assert.equal(parseMemoryLimit("1.5GB"), 1.5e9);
  assert.equal(parseMemoryLimit("100"), 100);
  assert.equal(parseMemoryLimit("64MiB"), 64 * MiB);
  assert.equal(parseMemoryLimit(0), 0);
  assert.throws(() => parseMemoryLimit("2 parsecs"), MemoryLimitError);
  assert.throws(() => parseMemoryLimit(-1), /memoryLimit/);
  assert.throws(() => resolveFractions({ pause: 1.5 }), /pause/);
});
