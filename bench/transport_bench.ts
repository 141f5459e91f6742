/**
 * Benchmark of the cluster transport (`deno task bench:transport`; run it
 * under `flock /tmp/troupe-bench.lock`): one loopback TCP connection, one
 * way, made by `listenTransport` + `connectTransport` (handshake done
 * before timing), both ends in this process.
 *
 * - `transport_small_bytes`: 16-byte `Uint8Array`s through `send`, counted
 *   by the receiver's `onMessage`; msgs/s.
 * - `transport_small_objects`: small objects (`{id, op, ok}`); msgs/s.
 * - `transport_large`: 16 MiB `Uint8Array`s (chunked into 1 MiB frames and
 *   put back together); GB/s (10^9 bytes).
 * - `raw_small_bytes` and `raw_large`: the same payloads as bare
 *   length-prefixed bytes through `conn.write` / `conn.read` on the same
 *   kind of connection, no MessagePack (small records packed 64 KiB per
 *   write, as the transport's batches are): the ceiling.
 *
 * Each repetition runs every figure once (the order reverses every
 * repetition) after a warm-up; figures are medians, ratios are ratios of
 * medians (and per repetition in the table). Output: JSON lines
 * `{"bench", "value", "unit"}`, appended to `bench/results/latest.jsonl`,
 * then a table with the targets of issue 7.
 *
 * Flags: `--reps N` (5), `--warmup N` (1), `--scale F` (shrink the
 * workloads for a smoke run: figures not comparable).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { connectTransport, listenTransport } from "../cluster/wire/endpoint.ts";
import type { FramedConnection } from "../cluster/wire/framing.ts";
import { saveFigures } from "./peer_tools.ts";
import { type Figure, figureTable, type Target } from "./table.ts";
import { median } from "./actors_bench.ts";
import { RUN_SHAPE_OPTIONS, runShape } from "./args.ts";

const RESULTS_DIR = `${fileURLToPath(new URL(".", import.meta.url))}results`;
const MIB = 1024 * 1024;

/** How much each figure moves. */
export interface TransportBenchOptions {
  /** Timed repetitions (the median is reported). */
  reps: number;
  /** Untimed repetitions first. */
  warmup: number;
  /** Small messages per run. */
  small: number;
  /** 16 MiB payloads per run. */
  large: number;
}

/** A connected pair: the sending and the receiving end, and a closer. */
interface Pair {
  tx: FramedConnection;
  rx: FramedConnection;
  close(): Promise<void>;
}

async function transportPair(): Promise<Pair> {
  const accepted = Promise.withResolvers<FramedConnection>();
  const server = listenTransport({
    onConnection: (conn) => accepted.resolve(conn),
  });
  const tx = await connectTransport(`127.0.0.1:${server.addr.port}`);
  const rx = await accepted.promise;
  return {
    tx,
    rx,
    close: async () => {
      await tx.close();
      await server.close();
    },
  };
}

/** Send `n` values made by `make(i)`; the rate the receiver got them at. */
async function smallRun(
  pair: Pair,
  n: number,
  make: (i: number) => unknown,
): Promise<number> {
  let got = 0;
  const done = Promise.withResolvers<void>();
  pair.rx.onMessage(() => {
    if (++got === n) done.resolve();
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    pair.tx.send(make(i));
    // Backpressure: do not let more than ~8 MiB wait for the socket.
    if ((i & 0xffff) === 0xffff && pair.tx.bufferedAmount > 8 * MIB) {
      await pair.tx.flush();
    }
  }
  await done.promise;
  const dt = performance.now() - t0;
  pair.rx.onMessage(undefined);
  return n / (dt / 1000);
}

async function largeRun(pair: Pair, n: number): Promise<number> {
  const payload = new Uint8Array(16 * MIB);
  for (let i = 0; i < payload.length; i += 4096) payload[i] = i & 255;
  let got = 0;
  let bytes = 0;
  const done = Promise.withResolvers<void>();
  pair.rx.onMessage((v) => {
    bytes += (v as Uint8Array).length;
    if (++got === n) done.resolve();
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    pair.tx.send(payload);
    if (pair.tx.bufferedAmount > 64 * MIB) await pair.tx.flush();
  }
  await done.promise;
  const dt = performance.now() - t0;
  pair.rx.onMessage(undefined);
  if (bytes !== n * payload.length) throw new Error(`got ${bytes} bytes`);
  return bytes / 1e9 / (dt / 1000);
}

// ---- raw baseline ----------------------------------------------------------

async function rawPair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [a, b] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  a.setNoDelay(true);
  b.setNoDelay(true);
  return [a, b];
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Read length-prefixed records until `count` have come; calls `record` with
 * each body's length. A reusable buffer, as the transport's reader.
 */
async function rawReader(
  conn: Deno.Conn,
  count: number,
  bufSize: number,
): Promise<number> {
  let buf = new Uint8Array(bufSize);
  let view = new DataView(buf.buffer);
  let start = 0;
  let end = 0;
  let got = 0;
  let bytes = 0;
  while (got < count) {
    while (end - start >= 4) {
      const size = view.getUint32(start);
      if (end - start < 4 + size) break;
      bytes += size;
      got++;
      start += 4 + size;
    }
    if (got === count) break;
    if (start === end) start = end = 0;
    else if (start > 0) {
      buf.copyWithin(0, start, end);
      end -= start;
      start = 0;
    }
    if (end - start >= 4) {
      const need = 4 + view.getUint32(start);
      if (need > buf.length) {
        const next = new Uint8Array(need);
        next.set(buf.subarray(0, end));
        buf = next;
        view = new DataView(buf.buffer);
      }
    }
    const n = await conn.read(buf.subarray(end));
    if (n === null) throw new Error("raw reader: early EOF");
    end += n;
  }
  return bytes;
}

async function rawSmallRun(
  pair: [Deno.TcpConn, Deno.TcpConn],
  n: number,
): Promise<number> {
  const [tx, rx] = pair;
  const t0 = performance.now();
  const reading = rawReader(rx, n, 256 * 1024);
  const block = new Uint8Array(64 * 1024);
  const view = new DataView(block.buffer);
  let off = 0;
  for (let i = 0; i < n; i++) {
    view.setUint32(off, 16);
    block[off + 4] = i & 255; // the other 15 bytes stay zero
    off += 20;
    if (off + 20 > block.length) {
      await writeAll(tx, block.subarray(0, off));
      off = 0;
    }
  }
  if (off > 0) await writeAll(tx, block.subarray(0, off));
  await reading;
  return n / ((performance.now() - t0) / 1000);
}

async function rawLargeRun(
  pair: [Deno.TcpConn, Deno.TcpConn],
  n: number,
): Promise<number> {
  const [tx, rx] = pair;
  const payload = new Uint8Array(16 * MIB);
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, payload.length);
  const t0 = performance.now();
  const reading = rawReader(rx, n, 256 * 1024);
  for (let i = 0; i < n; i++) {
    await writeAll(tx, head);
    await writeAll(tx, payload);
  }
  const bytes = await reading;
  return bytes / 1e9 / ((performance.now() - t0) / 1000);
}

// ---- the run ---------------------------------------------------------------

const TARGETS: Record<string, Target> = {
  transport_small_bytes: { label: ">= 1M", met: (v) => v >= 1e6 },
  transport_small_objects: { label: ">= 1M", met: (v) => v >= 1e6 },
  transport_large: { label: ">= 1 GB/s", met: (v) => v >= 1 },
};

/** Results: figures, ratios, and every repetition's value. */
export interface TransportResults {
  /** The medians. */
  figures: Figure[];
  /** transport / raw. */
  ratios: Figure[];
  /** Every repetition's value by figure. */
  samples: Map<string, number[]>;
}

/** Run every figure `reps` times after `warmup` runs. */
export async function runTransportBenchmarks(
  o: TransportBenchOptions,
): Promise<TransportResults> {
  const pair = await transportPair();
  const raw = await rawPair();
  const bytes16 = new Uint8Array(16);
  const runs: [string, string, () => Promise<number>][] = [
    [
      "transport_small_bytes",
      "msgs/s",
      () => smallRun(pair, o.small, () => bytes16),
    ],
    [
      "transport_small_objects",
      "msgs/s",
      () => smallRun(pair, o.small, (i) => ({ id: i, op: "put", ok: true })),
    ],
    ["raw_small_bytes", "msgs/s", () => rawSmallRun(raw, o.small)],
    ["transport_large", "GB/s", () => largeRun(pair, o.large)],
    ["raw_large", "GB/s", () => rawLargeRun(raw, o.large)],
  ];
  const samples = new Map<string, number[]>(runs.map(([b]) => [b, []]));
  try {
    for (let w = 0; w < o.warmup; w++) {
      for (const [name, , fn] of runs) {
        console.error(`  warm-up ${w + 1}/${o.warmup}: ${name}`);
        await fn();
      }
    }
    for (let r = 0; r < o.reps; r++) {
      const order = r % 2 === 0 ? runs : [...runs].reverse();
      const line: string[] = [];
      for (const [name, unit, fn] of order) {
        const v = await fn();
        samples.get(name)!.push(v);
        line.push(`${name} ${v.toPrecision(3)} ${unit}`);
      }
      console.error(`  rep ${r + 1}/${o.reps}: ${line.join(", ")}`);
    }
  } finally {
    await pair.close();
    raw[0].close();
    raw[1].close();
  }
  const figures = runs.map(([bench, unit]) => ({
    bench,
    value: median(samples.get(bench)!),
    unit,
  }));
  const ratios: Figure[] = [];
  for (
    const [name, top, bottom] of [
      ["small_bytes_vs_raw", "transport_small_bytes", "raw_small_bytes"],
      ["large_vs_raw", "transport_large", "raw_large"],
    ]
  ) {
    const t = samples.get(top)!;
    const b = samples.get(bottom)!;
    ratios.push({ bench: name, value: median(t) / median(b), unit: "x" });
    samples.set(name, t.map((x, i) => x / b[i]));
  }
  return { figures, ratios, samples };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ...RUN_SHAPE_OPTIONS,
    },
  });
  const { reps, warmup, scale } = runShape(values);
  const results = await runTransportBenchmarks({
    reps,
    warmup,
    small: Math.max(1000, Math.round(2_000_000 * scale)),
    large: Math.max(2, Math.round(32 * scale)),
  });
  await saveFigures(
    [...results.figures, ...results.ratios],
    `${RESULTS_DIR}/latest.jsonl`,
    true,
  );
  console.log(
    `\ntroupe transport bench, ${
      new Date().toISOString()
    }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
      `one loopback TCP connection one way, both ends in one process, ` +
      `${reps} reps after ${warmup} warm-up` +
      (scale === 1 ? "" : `, scale ${scale} (smoke run: not comparable)`),
  );
  console.log(
    figureTable(
      [...results.figures, ...results.ratios],
      results.samples,
      (b) => TARGETS[b],
    ),
  );
  console.log(`\nappended to ${RESULTS_DIR}/latest.jsonl`);
}

if (import.meta.main) await main();
