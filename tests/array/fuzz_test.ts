/**
 * Seeded random programs (shapes, chunkings, slices, transposes, broadcasts,
 * elementwise steps, reductions, rechunks) against the plain reference:
 * the places where chunk plans go wrong are the corners no hand-written
 * case thinks of.
 */

import assert from "node:assert/strict";
import { type ChunkedArray, fromArray } from "@troupe/troupe/array";
import { seeded } from "../helpers.ts";
import {
  close,
  map,
  type Plain,
  pyRange,
  randomPlain,
  reduce,
  sum,
  take,
  transpose,
} from "./reference.ts";

const inline = { placement: "inline" } as const;

interface Case {
  lazy: ChunkedArray;
  plain: Plain;
  what: string;
}

function chunking(r: () => number, n: number): number[] {
  const out: number[] = [];
  let left = n;
  while (left > 0) {
    const c = Math.min(left, 1 + Math.floor(r() * Math.max(1, n / 2)));
    out.push(c);
    left -= c;
  }
  return out.length === 0 ? [0] : out;
}

function leaf(r: () => number, seed: number): Case {
  const nd = 1 + Math.floor(r() * 3);
  const shape = Array.from({ length: nd }, () => 1 + Math.floor(r() * 7));
  const plain = randomPlain(shape, seed);
  const chunks = shape.map((n) => chunking(r, n));
  return {
    lazy: fromArray(Float64Array.from(plain.values), { shape, chunks }),
    plain,
    what: `array${JSON.stringify(shape)}/${JSON.stringify(chunks)}`,
  };
}

function step(r: () => number, c: Case, seed: number): Case {
  const nd = c.plain.shape.length;
  switch (Math.floor(r() * 6)) {
    case 0: { // a slice per axis
      const items: string[] = [];
      const per: number[][] = [];
      for (let a = 0; a < nd; a++) {
        const n = c.plain.shape[a];
        const step = [1, 2, -1, -2, 3][Math.floor(r() * 5)];
        const start = r() < 0.5 ? null : Math.floor(r() * (2 * n + 1)) - n;
        const stop = r() < 0.5 ? null : Math.floor(r() * (2 * n + 1)) - n;
        items.push(`${start ?? ""}:${stop ?? ""}:${step}`);
        per.push(pyRange(n, start, stop, step));
      }
      if (per.some((p) => p.length === 0)) return c;
      return {
        lazy: c.lazy.slice(...items),
        plain: take(c.plain, per),
        what: `${c.what}[${items}]`,
      };
    }
    case 1:
      return { lazy: c.lazy.T, plain: transpose(c.plain), what: `${c.what}.T` };
    case 2: { // plus another array of the same shape, other chunks
      const other = randomPlain(c.plain.shape, seed + 1);
      const o = fromArray(Float64Array.from(other.values), {
        shape: c.plain.shape,
        chunks: c.plain.shape.map((n) => chunking(r, n)),
      });
      return {
        lazy: c.lazy.add(o),
        plain: map((a, b) => a + b, c.plain, other),
        what: `${c.what}+other`,
      };
    }
    case 3: { // times a broadcast row
      const n = c.plain.shape[nd - 1];
      const row = randomPlain([n], seed + 2);
      const lz = fromArray(Float64Array.from(row.values), {
        chunks: [chunking(r, n)],
      });
      return {
        lazy: c.lazy.mul(lz),
        plain: map((a, b) => a * b, c.plain, row),
        what: `${c.what}*row`,
      };
    }
    case 4: { // rechunk
      const chunks = c.plain.shape.map((n) => chunking(r, n));
      return {
        lazy: c.lazy.rechunk(chunks),
        plain: c.plain,
        what: `${c.what}.rechunk(${JSON.stringify(chunks)})`,
      };
    }
    default:
      return {
        lazy: c.lazy.abs().sqrt(),
        plain: map((a) => Math.sqrt(Math.abs(a)), c.plain),
        what: `sqrt|${c.what}|`,
      };
  }
}

Deno.test("seeded random programs match the plain reference", async () => {
  const r = seeded(2024);
  for (let i = 0; i < 60; i++) {
    let c = leaf(r, 100 + i);
    const steps = 1 + Math.floor(r() * 4);
    for (let s = 0; s < steps; s++) c = step(r, c, 1000 * i + s);
    const got = await c.lazy.compute(inline);
    assert.deepEqual([...got.shape], c.plain.shape, c.what);
    got.data.forEach((v, k) =>
      assert.ok(close(v, c.plain.values[k]), `${c.what} element ${k}`)
    );
    const total = await c.lazy.sum().compute(inline);
    assert.ok(close(total, sum(c.plain.values), 1e-10), `${c.what}.sum()`);
    const axis = Math.floor(r() * c.plain.shape.length);
    const part = await c.lazy.max({ axis }).compute(inline);
    const ref = reduce(c.plain, (xs) => Math.max(...xs), [axis]);
    part.data.forEach((v, k) =>
      assert.ok(close(v, ref.values[k]), `${c.what}.max(${axis})`)
    );
  }
});
