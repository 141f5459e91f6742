import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ActorSystem, defineTasks } from "@troupe/troupe";
import { createScheduler, type Delayed, delayed } from "@troupe/troupe";
import { hex128, murmur128 } from "../../cluster/graph/hash128.ts";
import { g } from "../fixtures/graph_tasks.ts";
import { fixed, keyCalls } from "../fixtures/key_calls.ts";
import { seeded } from "../helpers.ts";

const key = (...args: unknown[]) =>
  delayed(fixed.echo)(...args as [unknown]).key;
const MiB32 = 2 ** 25;

/**
 * A description of an argument list that is equal for two lists exactly
 * when a task cannot tell them apart (the reference the keys are checked
 * against): numbers by `Object.is`, strings with lone surrogates escaped,
 * holes apart from `undefined`, containers in their own order, bytes by
 * kind, objects without a canonical form by identity.
 */
function describe(v: unknown, ids: Ids): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "string":
      return JSON.stringify(v);
    case "bigint":
      return `${v}n`;
    case "boolean":
      return String(v);
    case "undefined":
      return "undefined";
    case "symbol":
      return `Symbol.for(${JSON.stringify(Symbol.keyFor(v))})`;
    case "function":
      return `fn#${ids(v)}`;
  }
  if (v === null || v === undefined) return "null";
  if (
    typeof (v as { key?: unknown }).key === "string" && "task" in (v as object)
  ) {
    return `dep(${(v as Delayed).key})`;
  }
  if (Array.isArray(v)) {
    const items: string[] = [];
    for (let i = 0; i < v.length; i++) {
      items.push(i in v ? describe(v[i], ids) : "<hole>");
    }
    return `[${items.join(",")}]`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const entries = Object.keys(v).map((k) =>
      `${JSON.stringify(k)}:${describe((v as Record<string, unknown>)[k], ids)}`
    );
    return `${proto === null ? "null-proto" : ""}{${entries.join(",")}}`;
  }
  if (ArrayBuffer.isView(v)) {
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return `${v.constructor.name}<${[...bytes].join(" ")}>`;
  }
  if (v instanceof ArrayBuffer) {
    return `ArrayBuffer<${[...new Uint8Array(v)].join(" ")}>`;
  }
  if (v instanceof Map) {
    return `Map{${
      [...v].map(([k, x]) => `${describe(k, ids)}=>${describe(x, ids)}`)
    }}`;
  }
  if (v instanceof Set) {
    return `Set{${[...v].map((x) => describe(x, ids))}}`;
  }
  if (v instanceof Date) {
    const t = v.getTime();
    return `Date(${t !== t ? "NaN" : t})`;
  }
  if (v instanceof RegExp) return `RegExp(${JSON.stringify(String(v))})`;
  return `object#${ids(v)}`;
}

/** Numbers objects by identity. */
type Ids = (x: WeakKey) => number;

function identities(): Ids {
  const ids = new WeakMap<WeakKey, number>();
  let next = 0;
  return (x) => {
    let id = ids.get(x);
    if (id === undefined) ids.set(x, id = ++next);
    return id;
  };
}

/**
 * Check that argument lists get the same key exactly when they describe
 * the same: different calls never share a key, equal ones always do.
 */
function checkKeys(calls: readonly unknown[][]): number {
  const ids = identities();
  const keyOf = new Map<string, string>();
  const callOf = new Map<string, string>();
  for (const args of calls) {
    const d = `(${args.map((a) => describe(a, ids)).join(", ")})`;
    const k = delayed(fixed.echo)(...args as [unknown]).key;
    const known = keyOf.get(d);
    if (known !== undefined) {
      assert.equal(k, known, `the same call ${d} got two keys`);
      continue;
    }
    const other = callOf.get(k);
    assert.equal(
      other,
      undefined,
      `two different calls share the key ${k}:\n  ${other}\n  ${d}`,
    );
    keyOf.set(d, k);
    callOf.set(k, d);
  }
  return keyOf.size;
}

Deno.test("keys: the collisions found in issue 13 are gone", () => {
  assert.notEqual(
    delayed(g.add)(2 ** 25, 2 ** 26).key,
    delayed(g.add)(2 ** 29 + 2 ** 25, 2 ** 29 + 2 ** 26).key,
  );
  assert.notEqual(
    delayed(g.add)(1, 2).key,
    delayed(g.add)(1 - 2 ** 31, 2 - 2 ** 31).key,
  );
  // Byte ranges [start, end) of 85 blocks of 32 MiB.
  const blocks = Array.from(
    { length: 85 },
    (_, k) => delayed(g.add)(k * MiB32, (k + 1) * MiB32).key,
  );
  assert.equal(new Set(blocks).size, 85);
});

Deno.test("keys: 85 byte-range blocks at k x 32 MiB all run, so their sum is exact", async () => {
  await using system = new ActorSystem();
  await using scheduler = createScheduler(system, { placement: "inline" });
  // start + end of each byte range [k x 32 MiB, (k + 1) x 32 MiB).
  const blocks = Array.from(
    { length: 85 },
    (_, k) => delayed(g.add)(k * MiB32, (k + 1) * MiB32),
  );
  const [total] = await scheduler.compute(delayed(g.sum)(blocks));
  assert.equal(total, MiB32 * 85 * 85);
});

Deno.test("keys: structured adversarial inputs never share a key", () => {
  const calls: unknown[][] = [];
  const numbers: number[] = [];
  // k x 2^m for many k and m, both signs, alone and in pairs.
  for (let m = 0; m <= 62; m++) {
    for (let k = 1; k <= 40; k++) {
      const x = k * 2 ** m;
      numbers.push(x, -x);
      calls.push([x], [-x], [x, (k + 1) * 2 ** m], [-x, -(k + 1) * 2 ** m]);
      calls.push([x, 2 ** m], [2 ** 29 + x, 2 ** 29 + 2 * x]);
    }
  }
  // 32-bit edges, 2^53 neighbours, the special values.
  for (const base of [2 ** 31, 2 ** 32, 2 ** 53]) {
    for (let d = -3; d <= 3; d++) numbers.push(base + d, -(base + d));
  }
  numbers.push(
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    Number.EPSILON,
    1 + Number.EPSILON,
    0.1,
    0.1 + 0.2,
    0.3,
  );
  for (const x of numbers) calls.push([x], [x, x], [[x]], [{ x }]);
  calls.push([0, -0], [-0, 0], [-0, -0], [0, 0], [NaN, NaN]);
  // Every NaN is the same value to a task: one key for all.
  const nan = new Float64Array(3);
  const bits = new BigUint64Array(nan.buffer);
  bits[0] = 0x7ff8000000000001n;
  bits[1] = 0xfff8000000000000n;
  bits[2] = 0x7ff0000000000abcn;
  assert.equal(key(nan[0]), key(NaN));
  assert.equal(key(nan[1]), key(NaN));
  assert.equal(key(nan[2]), key(NaN));
  // ... but the bytes of a typed array are hashed as they are.
  assert.notEqual(key(nan.subarray(0, 1)), key(nan.subarray(1, 2)));
  // The 85 blocks at k x 32 MiB (offset, length), and neighbours.
  for (let k = 0; k < 85; k++) {
    calls.push([k * MiB32, (k + 1) * MiB32], [k * MiB32, MiB32]);
    calls.push([k * MiB32 + 1], [k * MiB32, (k + 1) * MiB32 - 1]);
  }
  // Strings that differ late, by one code unit, or only in form.
  const long = "x".repeat(5000);
  for (let i = 0; i < 30; i++) {
    calls.push([long + String.fromCharCode(i)], ["a".repeat(i)]);
    calls.push([long.slice(0, 4000 + i)]);
  }
  calls.push(
    ["\uD800"],
    ["\uDC00"],
    ["\uFFFD"],
    ["\uD800\uDC00"],
    ["\u{10000}"],
    ["é"],
    ["e\u0301"],
    ["\u00ff"],
    ["\u0100"],
    ["\u00ff\u0001"],
    ["\u01ff"],
    [""],
    ["ab", "c"],
    ["a", "bc"],
    ["abc"],
    [["ab", "c"]],
    ["a", "b", "c"],
  );
  // The same text as a string, a number, a bigint, a boolean, null.
  calls.push(
    ["1"],
    [1],
    [1n],
    ["1n"],
    [true],
    ["true"],
    [null],
    ["null"],
    [undefined],
    ["undefined"],
    [],
    [0],
    [0n],
    [false],
    [""],
    [-1n],
    [2n ** 63n],
    [2n ** 63n - 1n],
    [-(2n ** 63n)],
    [-(2n ** 63n) - 1n],
    [2n ** 64n],
    [-(2n ** 64n)],
    [2n ** 200n],
    [2n ** 200n + 1n],
    [Symbol.for("1")],
    [Symbol.for("a")],
  );
  // Nesting: flat against nested, boundaries between arguments.
  calls.push(
    [[1, 2]],
    [1, 2],
    [[[1, 2]]],
    [[1], [2]],
    [[1, [2]]],
    [[[1], 2]],
    [[]],
    [[[]]],
    [[], []],
    [[[], []]],
    [[1, 2], 3],
    [1, [2, 3]],
    [[1, 2, 3]],
    [[undefined]],
    [[, 1]],
    [[undefined, 1]],
    [new Array(3)],
    [[undefined, undefined, undefined]],
  );
  // Objects: key order, missing against undefined, objects against arrays,
  // Maps and Sets against what they hold.
  const nullProto = Object.assign(Object.create(null), { a: 1 });
  calls.push(
    [{ a: 1, b: 2 }],
    [{ b: 2, a: 1 }],
    [{ a: 1 }],
    [{ a: "1" }],
    [{ a: [1] }],
    [{ a: undefined }],
    [{}],
    [{ "": 1 }],
    [{ a: 1, b: undefined }],
    [{ ab: 1 }],
    [{ a: { b: 1 } }],
    [nullProto],
    [new Map([["a", 1]])],
    [new Map([["a", 1], ["b", 2]])],
    [new Map([["b", 2], ["a", 1]])],
    [new Map<unknown, unknown>([[1, "a"]])],
    [new Map<unknown, unknown>([["1", "a"]])],
    [[["a", 1]]],
    [new Set([1, 2])],
    [new Set([2, 1])],
    [new Set(["1", "2"])],
    [new Map()],
    [new Set()],
    [new Date(0)],
    [new Date(1)],
    [new Date(NaN)],
    [/a/],
    [/a/g],
    [/a/gi],
    ["/a/g"],
  );
  // Typed arrays of every kind over the same bytes, views at offsets, and
  // long arrays (hashed in place) that differ in their last byte.
  const buffer = new Uint8Array(32).map((_, i) => i * 37 + 11).buffer;
  const kinds = [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
    ...(typeof Float16Array === "function" ? [Float16Array] : []),
  ];
  for (const Kind of kinds) {
    calls.push([new Kind(buffer)], [new Kind(buffer, 8, 1)]);
    calls.push([new Kind(buffer, 16)], [new Kind(0)]);
  }
  calls.push(
    [new DataView(buffer)],
    [new DataView(buffer, 8)],
    [buffer],
    [buffer.slice(8)],
    [new ArrayBuffer(0)],
  );
  for (const n of [1023, 1024, 1025, 4096, 100_000]) {
    const a = new Uint8Array(n).map((_, i) => i & 255);
    const b = a.slice();
    b[n - 1] ^= 1;
    calls.push([a], [b], [a.buffer], [new Float32Array(a.buffer, 0, n >> 2)]);
  }
  // Dependencies by their key, against the key itself as a string; the
  // same arguments to another task, or a task of the same name elsewhere.
  const one = delayed(fixed.add)(1, 2);
  const two = delayed(fixed.add)(2, 1);
  calls.push([one], [two], [one.key], [[one]], [{ one }], [one, two]);
  calls.push([fixed.add], [fixed.read], ["add"]);
  const count = checkKeys(calls);
  assert.ok(count > 10_000, `only ${count} distinct calls were checked`);

  const elsewhere = defineTasks("https://example.org/other.ts", {
    echo: (x: unknown) => x,
  });
  const calls2 = [[1], ["a"], [[1, 2]], []];
  for (const args of calls2) {
    assert.notEqual(
      delayed(elsewhere.echo)(...args as [unknown]).key,
      delayed(fixed.echo)(...args as [unknown]).key,
    );
  }
});

Deno.test("keys: random structured values get the same key exactly when they are the same", () => {
  const rand = seeded(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const deps = [delayed(fixed.add)(1, 1), delayed(fixed.add)(1, 2)];
  const leaves: (() => unknown)[] = [
    () => pick([0, 1, 2, -0, -1, 0.5, NaN, Infinity, 2 ** 31, 2 ** 53 + 2]),
    () => pick(["", "a", "b", "ab", "ba", "\uD800", "é", "1", "a".repeat(40)]),
    () => pick([0n, 1n, -1n, 2n ** 64n, -(2n ** 64n)]),
    () => pick([true, false, null, undefined]),
    () => new Date(pick([0, 1, NaN])),
    () => pick(deps),
    () => {
      const Kind = pick([Uint8Array, Int8Array, Uint16Array, Float32Array]);
      const n = Math.floor(rand() * 3);
      return new Kind(
        new Uint8Array(n * Kind.BYTES_PER_ELEMENT).map(() =>
          rand() < 0.5 ? 0 : 255
        )
          .buffer,
      );
    },
  ];
  const make = (depth: number): unknown => {
    const r = rand();
    if (depth >= 3 || r < 0.45) return pick(leaves)();
    const n = Math.floor(rand() * 3);
    if (r < 0.6) {
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) {
        if (rand() < 0.15) a.length++; // a hole
        else a.push(make(depth + 1));
      }
      return a;
    }
    if (r < 0.75) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        o[pick(["a", "b", "c", "1"])] = make(depth + 1);
      }
      return o;
    }
    if (r < 0.88) {
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        m.set(pick(["a", 1, "1", 1n]), make(depth + 1));
      }
      return m;
    }
    const s = new Set<unknown>();
    for (let i = 0; i < n; i++) s.add(pick(["a", 1, "1", -0, 0, NaN]));
    return s;
  };
  const calls: unknown[][] = [];
  for (let i = 0; i < 20_000; i++) {
    const args = Array.from(
      { length: 1 + Math.floor(rand() * 2) },
      () => make(0),
    );
    calls.push(args);
    // A copy is the same call (one with dependencies aside: a copy of a
    // `Delayed` is a plain object).
    if (!containsDep(args)) {
      assert.equal(
        delayed(fixed.echo)(...structuredClone(args) as [unknown]).key,
        delayed(fixed.echo)(...args as [unknown]).key,
      );
    }
  }
  const distinct = checkKeys(calls);
  // Small alphabets: many calls repeat, many differ by one leaf.
  assert.ok(distinct > 5_000 && distinct < 20_000, `${distinct} distinct`);
});

function containsDep(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  if ((v as { task?: unknown }).task !== undefined) return true;
  if (Array.isArray(v)) return v.some(containsDep);
  if (v instanceof Map) return [...v.values()].some(containsDep);
  if (v instanceof Set || ArrayBuffer.isView(v) || v instanceof Date) {
    return false;
  }
  return Object.values(v).some(containsDep);
}

Deno.test("keys: objects with no canonical form are keyed by identity", () => {
  class Point {
    constructor(readonly x: number) {}
  }
  const p = new Point(1);
  assert.equal(key(p), key(p));
  assert.notEqual(key(p), key(new Point(1)));
  assert.notEqual(key(p), key({ x: 1 }));
  const f = () => 1;
  assert.equal(key(f), key(f));
  assert.notEqual(key(f), key(() => 1));
  const shared = new SharedArrayBuffer(8);
  assert.equal(key(shared), key(shared));
  assert.notEqual(key(shared), key(new SharedArrayBuffer(8)));
  assert.notEqual(key(new Uint8Array(shared)), key(new Uint8Array(shared)));
  assert.notEqual(key(Symbol("a")), key(Symbol("a")));
  // A task is keyed by its module and name, so the key is the same anywhere.
  assert.equal(key(fixed.add), key(fixed.add));
});

Deno.test("keys: a cycle, and a lazy value whose place cannot be found again, are refused", () => {
  const a: unknown[] = [];
  a.push(a);
  assert.throws(
    () => key(a),
    /nested more than 100 levels deep.*or holds a cycle/,
  );
  const one = delayed(fixed.add)(1, 2);
  assert.throws(
    () => key(new Set([one])),
    /a lazy value cannot be a Set element/,
  );
  assert.throws(
    () => key(new Map([[one, 1]])),
    /a lazy value cannot be a Map key/,
  );
  // In a Map's value it is found (and replaced when the task runs).
  assert.equal(delayed(fixed.echo)(new Map([["k", one]])).deps.length, 1);
});

Deno.test("keys: the same calls give the same keys in another process, and in every version", async () => {
  const here = keyCalls();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      fileURLToPath(new URL("../fixtures/key_calls.ts", import.meta.url)),
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), here);
  // Changing the encoding changes every key: bump its format then.
  assert.deepEqual(Object.fromEntries(here), {
    "add(1, 2)": "add-8c867920dd4646d7be62b89efb35ed33",
    "add(-0, 0)": "add-90426505ade214223bb8f7da029ef583",
    "add(NaN, Infinity)": "add-45b1d83e25b8fb528b20213b05cfaf63",
    "read(32 MiB x 84, 32 MiB)": "read-03d8a3219ba802c0d0f5663fcc149e90",
    "echo(string)": "echo-111c5b47a163e0c7e0ad70bcb81425bf",
    "echo(bigint)": "echo-1b4272537dccdb81e4de452a67cbd57a",
    "echo(nested)": "echo-a4fa31dcf360f5938513b0abe802d7b5",
    "echo(bytes 2 KiB)": "echo-e00815f242d4c5f912a7f204065a6329",
    "echo(dependency)": "echo-5d596e9602d22fad352666698b84f102",
    "echo(task)": "echo-9a8f6c23a5aa1365bc239832a631b478",
  });
});

Deno.test("keys: the hash is MurmurHash3 x86_128 (SMHasher's verification value)", () => {
  // SMHasher: hash keys {0}, {0,1}, ... of 0..255 bytes with seed 256 - n,
  // then the hash of those 256 hashes; its first word is 0xB3ECE62A.
  const out = new Uint32Array(4);
  const bytes = new Uint8Array(256).map((_, i) => i);
  const all = new Uint8Array(256 * 16);
  const view = new DataView(all.buffer);
  for (let n = 0; n < 256; n++) {
    murmur128(bytes, 0, n, 256 - n, out);
    for (let w = 0; w < 4; w++) view.setUint32(n * 16 + 4 * w, out[w], true);
  }
  murmur128(all, 0, all.length, 0, out);
  assert.equal(out[0], 0xb3ece62a);
  // A range of a larger array hashes as the same bytes on their own.
  murmur128(all, 5, 100, 7, out);
  const a = hex128(out);
  murmur128(all.slice(5, 100), 0, 95, 7, out);
  assert.equal(hex128(out), a);
  assert.match(a, /^[0-9a-f]{32}$/);
});
