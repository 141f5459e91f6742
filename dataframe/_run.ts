/**
 * Running one fused partition task: its source's batches go through the
 * row-local steps one batch at a time into the sink (a partial group-by, a
 * shuffle's buckets, a file...), so a read + filter + assign + partial
 * aggregate never holds more than a batch. A step that needs the whole
 * partition collects the batches first.
 *
 * @module
 */

import { type AggState, GroupAcc, type PartialAgg } from "./_agg.ts";
import { PartBuilder, sliceRows, takeRows } from "./_builder.ts";
import { csvBatches } from "./_csv_read.ts";
import { csvHeader, csvRows } from "./_csv_write.ts";
import { dictValues } from "./_dict.ts";
import { countJoin, joinCounted } from "./_join_count.ts";
import { hashRows } from "./_keys.ts";
import {
  bit,
  type Column,
  columnOf,
  emptyPart,
  type Part,
  type Schema,
} from "./_part.ts";
import { rangeOf } from "./_sort.ts";
import type { PartTask, Sink, Source } from "./_spec.ts";
import { WHOLE_STEPS } from "./_spec.ts";
import { applyStep, applyWhole, type StepState } from "./_steps.ts";

/** The batches of a source. */
async function* batches(src: Source): AsyncGenerator<Part> {
  switch (src.kind) {
    case "csv":
      yield* csvBatches(src);
      return;
    case "parquet": {
      const { readRowGroup } = await import("./_parquet.ts");
      yield await readRowGroup(src);
      return;
    }
    case "parts":
      for (const p of src.parts) if (p.length > 0) yield p;
  }
}

/** A sink: takes batches, gives the task's result. */
interface Consumer {
  /** Take a batch; false when no more are wanted. */
  push(batch: Part): boolean | Promise<boolean>;
  finish(): unknown;
}

/** Run a fused partition task; its result. */
export async function runPartTask(t: PartTask): Promise<unknown> {
  const schema = t.schemas[t.steps.length];
  const w = t.steps.findIndex((s) => WHOLE_STEPS.has(s.op));
  const pre = w < 0 ? t.steps : t.steps.slice(0, w);
  const post = w < 0 ? [] : t.steps.slice(w);
  const states: StepState[] = t.steps.map(() => ({ seen: 0 }));
  const sink = makeSink(t.sink, schema);
  let collected: PartBuilder | undefined;
  let collectedSchema: Schema | undefined;
  const target: Consumer = w < 0 ? sink : {
    push(b: Part): boolean {
      collected ??= new PartBuilder(
        b.names,
        b.columns.map((c) => c.type),
        b.length,
      );
      collectedSchema ??= {
        names: b.names,
        types: b.columns.map((c) => c.type),
      };
      collected.appendRange(b);
      return true;
    },
    finish: () => undefined,
  };
  const heads = pre.map((s, i) => s.op === "head" ? i : -1).filter((i) =>
    i >= 0
  );
  const counted = joinCounted(t);
  let joined = 0;
  reading: for await (const batch of batches(t.source)) {
    let b = batch;
    for (let i = 0; i < pre.length; i++) {
      if (pre[i] === counted) {
        joined += countJoin(counted, b);
        b = sliceRows(b, 0, 0);
        break;
      }
      b = await applyStep(pre[i], b, states[i]);
    }
    if (b.length > 0 && !(await target.push(b))) break;
    for (const i of heads) {
      if (states[i].seen >= (pre[i] as { n: number }).n) break reading;
    }
  }
  if (w >= 0) {
    let whole = collected?.finish(false) ??
      emptyPart(collectedSchema ?? t.schemas[w]);
    for (let i = 0; i < post.length; i++) {
      if (post[i] === counted) {
        joined += countJoin(counted, whole);
        whole = sliceRows(whole, 0, 0);
        break;
      }
      whole = WHOLE_STEPS.has(post[i].op)
        ? await applyWhole(post[i], whole)
        : await applyStep(post[i], whole, states[w + i]);
    }
    if (whole.length > 0) await sink.push(whole);
  }
  return counted === undefined ? await sink.finish() : joined;
}

/** The key values of row `i` of `cols`, as plain values (for ranges and samples). */
export function keyTuple(cols: readonly Column[], i: number): unknown[] {
  return cols.map((c) => {
    if (!bit(c.valid, i)) return null;
    if (c.type === "string") {
      return dictValues(c.dict!)[(c.data as Int32Array)[i]];
    }
    if (c.type === "int64" || c.type === "timestamp") {
      return Number((c.data as BigInt64Array)[i]);
    }
    if (c.type === "bool") return bit(c.data as Uint8Array, i) ? 1 : 0;
    return (c.data as Float64Array)[i];
  });
}

function bucketsOf(schema: Schema, n: number): PartBuilder[] {
  return Array.from(
    { length: n },
    () => new PartBuilder(schema.names, schema.types, 1024),
  );
}

function pushBuckets(out: PartBuilder[], b: Part, bucket: Int32Array): void {
  const n = out.length;
  const counts = new Int32Array(n);
  for (let i = 0; i < b.length; i++) counts[bucket[i]]++;
  const idx = Array.from({ length: n }, (_, j) => new Int32Array(counts[j]));
  const fill = new Int32Array(n);
  for (let i = 0; i < b.length; i++) idx[bucket[i]][fill[bucket[i]]++] = i;
  for (let j = 0; j < n; j++) {
    if (counts[j] > 0) out[j].appendTake(b, idx[j], counts[j]);
  }
}

function makeSink(sink: Sink, schema: Schema): Consumer {
  switch (sink.kind) {
    case "part": {
      const out = new PartBuilder(schema.names, schema.types, 1024);
      return {
        push: (b) => (out.appendRange(b), true),
        finish: () => out.finish(true),
      };
    }
    case "agg": {
      const acc = new GroupAcc(sink.spec);
      return {
        push: (b) => (acc.add(b), true),
        finish: () =>
          sink.split > 1
            ? splitPartial(acc.partial(), sink.split)
            : acc.partial(),
      };
    }
    case "split": {
      const out = bucketsOf(schema, sink.n);
      return {
        push: (b) => {
          const h = hashRows(sink.by.map((n) => columnOf(b, n)), b.length);
          const bucket = new Int32Array(b.length);
          for (let i = 0; i < b.length; i++) bucket[i] = h[i] % sink.n;
          pushBuckets(out, b, bucket);
          return true;
        },
        finish: () => out.map((p) => p.finish(true)),
      };
    }
    case "range": {
      const out = bucketsOf(schema, sink.bounds.length + 1);
      return {
        push: (b) => {
          const cols = sink.by.map((n) => columnOf(b, n));
          const bucket = new Int32Array(b.length);
          for (let i = 0; i < b.length; i++) {
            bucket[i] = rangeOf(keyTuple(cols, i), sink.bounds, sink.ascending);
          }
          pushBuckets(out, b, bucket);
          return true;
        },
        finish: () => out.map((p) => p.finish(true)),
      };
    }
    case "sample": {
      // Reservoir sampling, seeded: the same rows on every run.
      const kept: unknown[][] = [];
      let seen = 0;
      let seed = 0x2545f491;
      const rand = () => {
        seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0;
        return seed / 4294967296;
      };
      return {
        push: (b) => {
          const cols = sink.by.map((n) => columnOf(b, n));
          for (let i = 0; i < b.length; i++, seen++) {
            if (kept.length < sink.n) kept.push(keyTuple(cols, i));
            else {
              const j = Math.floor(rand() * (seen + 1));
              if (j < sink.n) kept[j] = keyTuple(cols, i);
            }
          }
          return true;
        },
        finish: () => kept,
      };
    }
    case "count": {
      let n = 0;
      return { push: (b) => (n += b.length, true), finish: () => n };
    }
    case "csv": {
      let rows = 0;
      let file: Deno.FsFile | undefined;
      const enc = new TextEncoder();
      const write = async (text: string) => {
        file ??= await Deno.open(sink.path, {
          write: true,
          create: true,
          truncate: true,
        });
        const bytes = enc.encode(text);
        for (let o = 0; o < bytes.length;) {
          o += await file.write(bytes.subarray(o));
        }
      };
      return {
        push: async (b) => {
          if (rows === 0 && sink.header) {
            await write(csvHeader(b.names, sink.delimiter));
          }
          rows += b.length;
          await write(csvRows(b, sink.delimiter));
          return true;
        },
        finish: async () => {
          if (rows === 0) {
            await write(
              sink.header ? csvHeader(schema.names, sink.delimiter) : "",
            );
          }
          file?.close();
          return { path: sink.path, rows };
        },
      };
    }
    case "parquet": {
      const out = new PartBuilder(schema.names, schema.types, 1024);
      return {
        push: (b) => (out.appendRange(b), true),
        finish: async () => {
          const { writeParquetFile } = await import("./_parquet.ts");
          const part = out.finish(false);
          await writeParquetFile(part, sink.path);
          return { path: sink.path, rows: part.length };
        },
      };
    }
  }
}

/** Split a partial aggregate into `n` by the hash of its keys (a shuffle). */
export function splitPartial(p: PartialAgg, n: number): PartialAgg[] {
  const g = p.keys.length;
  const h = hashRows(p.keys.columns, g);
  const members: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < g; i++) members[h[i] % n].push(i);
  return members.map((rows) => {
    const idx = Int32Array.from(rows);
    const pick = <T>(a: ArrayLike<T> | null): T[] | null =>
      a === null ? null : rows.map((i) => a[i]);
    return {
      keys: takeRows(p.keys, idx, rows.length),
      states: p.states.map((st): AggState => ({
        n: Float64Array.from(rows, (i) => st.n[i]),
        a: st.a === null ? null : Float64Array.from(rows, (i) => st.a![i]),
        m2: st.m2 === null ? null : Float64Array.from(rows, (i) => st.m2![i]),
        s: pick(st.s),
        sets: pick(st.sets),
      })),
    };
  });
}
