/**
 * What the hostile tests share: a real scheduler (and its dashboard) as a
 * subprocess, a real node as a subprocess, their memory and listening ports
 * read from /proc, a client that does the cluster handshake by hand and
 * then writes raw bytes, frames, MessagePack bombs and seeded mutations.
 *
 * @module
 */

import { Packr, Unpackr } from "msgpackr/pack";
import { PROTOCOL_VERSION } from "../../cluster/wire/handshake.ts";
import { seeded } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURE = new URL("./scheduler_fixture.ts", import.meta.url).pathname;
const NODE_MAIN = new URL("../../cluster/node/node_main.ts", import.meta.url)
  .pathname;

// ---- processes -------------------------------------------------------------

/** What the scheduler fixture says when it listens. */
export interface SchedulerInfo {
  address: string;
  port: number;
  secret: string;
  dashboard: string;
  pid: number;
}

/** A scheduler subprocess: its address, its log lines, stop. */
export interface SchedulerProcess extends AsyncDisposable {
  info: SchedulerInfo;
  child: Deno.ChildProcess;
  /** stderr lines so far. */
  lines: string[];
  /** Whether it has exited. */
  exited(): boolean;
  stop(): Promise<Deno.CommandStatus>;
}

/** Options of the fixture (see scheduler_fixture.ts). */
export interface FixtureOptions {
  handshakeTimeout?: number;
  maxPending?: number;
  silenceMs?: number;
  clientLingerMs?: number;
  headerTimeout?: number;
  stallTimeout?: number;
  dashboardMaxConnections?: number;
  tls?: { cert: string; key: string };
}

/**
 * Start the scheduler fixture; with `ulimit`, under that file-descriptor
 * limit (`bash -c 'ulimit -n N; exec deno ...'`).
 */
export async function startScheduler(
  options: FixtureOptions = {},
  ulimit?: number,
): Promise<SchedulerProcess> {
  const deno = [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-read=${ROOT}`,
    FIXTURE,
    JSON.stringify(options),
  ];
  const quoted = deno.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const child = new Deno.Command("bash", {
    args: ["-c", `${ulimit ? `ulimit -n ${ulimit}; ` : ""}exec ${quoted}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let done = false;
  child.status.then(() => done = true);
  const lines: string[] = [];
  const errs = pumpLines(child.stderr, (l) => lines.push(l));
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done: end } = await reader.read();
    if (end) {
      await errs;
      throw new Error(
        `the scheduler fixture did not start: ${lines.join("\n")}`,
      );
    }
    text += value;
  }
  const rest = (async () => {
    while (!(await reader.read()).done) { /* nothing more */ }
  })();
  const info = JSON.parse(text.split("\n")[0]) as SchedulerInfo;
  const stdin = child.stdin.getWriter();
  const stop = async (): Promise<Deno.CommandStatus> => {
    if (!done) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await stdin.close().catch(() => {});
    const status = await child.status;
    await Promise.all([errs, rest]);
    return status;
  };
  return {
    info,
    child,
    lines,
    exited: () => done,
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  line: (l: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const p of parts) line(p);
  }
  if (rest !== "") line(rest);
}

/** A node subprocess joined to `address` (node_main.ts). */
export function startNode(
  address: string,
  secret: string,
  name: string,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${ROOT}`,
      "--allow-env=TROUPE_SECRET",
      NODE_MAIN,
      address,
      "--name",
      name,
      "--exit-with-parent",
    ],
    env: { TROUPE_SECRET: secret },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Stop a node subprocess started by `startNode`. */
export async function stopNode(node: Deno.ChildProcess): Promise<void> {
  try {
    node.kill("SIGTERM");
  } catch { /* gone */ }
  await node.stdin.close().catch(() => {});
  await node.status;
}

/**
 * The text of `path` under /proc, read by `cat` (Deno asks for every
 * permission to read another process's /proc entries; the tests may run
 * commands).
 */
function proc(script: string): string {
  const out = new Deno.Command("bash", { args: ["-c", script] }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** A process's resident memory now and at its peak, in bytes (/proc). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = proc(`cat /proc/${pid}/status`);
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) *
    1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** The TCP ports `pid` listens on (its sockets' inodes in /proc/net/tcp*). */
export function listeningPorts(pid: number): number[] {
  const links = proc(
    `for f in /proc/${pid}/fd/*; do readlink "$f"; done 2>/dev/null`,
  );
  const inodes = new Set(
    [...links.matchAll(/^socket:\[(\d+)\]$/gm)].map((m) => m[1]),
  );
  const ports: number[] = [];
  const tables = proc("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null");
  for (const line of tables.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A") continue; // LISTEN
    if (inodes.has(f[9])) ports.push(parseInt(f[1].split(":")[1], 16));
  }
  return ports;
}

/** `p`, or a failure after `ms` (a bound against hanging, not a timing assertion). */
export async function within<T>(
  p: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not end within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- frames ----------------------------------------------------------------

const packr = new Packr({ useRecords: false, moreTypes: true });
const unpackr = new Unpackr({ useRecords: false, moreTypes: true });
const encoder = new TextEncoder();

/** `body` with its 4-byte big-endian length in front. */
export function frame(body: Uint8Array, length = body.length): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, length >>> 0);
  out.set(body, 4);
  return out;
}

/** A batch frame of `values`. */
export function batch(...values: unknown[]): Uint8Array {
  return frame(packr.pack([0, ...values]));
}

/** MessagePack of `value`. */
export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Write all of `bytes`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Reads whole frames from a raw connection. */
export class FrameReader {
  #buf = new Uint8Array(64 * 1024);
  #len = 0;
  constructor(readonly conn: Deno.Conn) {}
  /** The next frame's values, or undefined at the end of the stream. */
  async next(): Promise<unknown[] | undefined> {
    for (;;) {
      if (this.#len >= 4) {
        const size = new DataView(this.#buf.buffer).getUint32(0);
        if (this.#len >= 4 + size) {
          const body = this.#buf.slice(4, 4 + size);
          this.#buf.copyWithin(0, 4 + size, this.#len);
          this.#len -= 4 + size;
          const v = unpackr.unpack(body) as unknown[];
          return v.slice(1);
        }
        if (4 + size > this.#buf.length) {
          const bigger = new Uint8Array(4 + size);
          bigger.set(this.#buf.subarray(0, this.#len));
          this.#buf = bigger;
        }
      }
      const n = await this.conn.read(this.#buf.subarray(this.#len));
      if (n === null) return undefined;
      this.#len += n;
    }
  }
}

/**
 * Dial `port` and do the cluster handshake by hand with `secret` (the
 * connecting side's part: hello, proof, welcome): the raw socket, ready for
 * whatever bytes a test writes, and a reader of what comes back.
 */
export async function authedSocket(
  port: number,
  secret: string,
  node = `fuzz-${crypto.randomUUID().slice(0, 8)}`,
): Promise<{ conn: Deno.TcpConn; reader: FrameReader }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // (a peer that never finishes its part: the socket closes, this throws)
  const deadline = setTimeout(() => conn.close(), 15_000);
  try {
    return await handshakeBy(conn, secret, node);
  } catch (e) {
    try {
      conn.close();
    } catch { /* closed */ }
    throw e;
  } finally {
    clearTimeout(deadline);
  }
}

async function handshakeBy(
  conn: Deno.TcpConn,
  secret: string,
  node: string,
): Promise<{ conn: Deno.TcpConn; reader: FrameReader }> {
  const reader = new FrameReader(conn);
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  await writeAll(
    conn,
    batch({
      t: "hello",
      protocol: PROTOCOL_VERSION,
      node,
      nonce,
      auth: true,
      maxFrame: 64 << 20,
    }),
  );
  const next = async (t: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const values = await reader.next();
      if (values === undefined) throw new Error(`closed before ${t}`);
      for (const v of values) {
        const m = v as Record<string, unknown>;
        if (m?.t === t) return m;
        if (m?.t === "reject") throw new Error(`refused: ${m.reason}`);
      }
    }
  };
  const hello = await next("hello");
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const label = encoder.encode(`troupe/${PROTOCOL_VERSION} connect\n`);
  const transcript = new Uint8Array(label.length + 64);
  transcript.set(label);
  transcript.set(nonce, label.length);
  transcript.set(hello.nonce as Uint8Array, label.length + 32);
  const proof = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, transcript),
  );
  await writeAll(conn, batch({ t: "auth", proof }));
  await next("welcome");
  return { conn, reader };
}

// ---- bombs -----------------------------------------------------------------

/** Bytes of MessagePack a decoder must refuse or survive, by name. */
export function bombs(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  // Deep nesting: 60,000 arrays in arrays.
  out.push(["deep arrays", new Uint8Array(60_000).fill(0x91)]);
  // A map nested 30,000 deep.
  out.push([
    "deep maps",
    Uint8Array.from({ length: 60_000 }, (_, i) => i % 2 === 0 ? 0x81 : 0xa0),
  ]);
  // Huge declared lengths, nothing behind them.
  for (
    const [name, head] of [
      ["array32 of 4G", [0xdd, 0xff, 0xff, 0xff, 0xff]],
      ["map32 of 4G", [0xdf, 0xff, 0xff, 0xff, 0xff]],
      ["str32 of 4G", [0xdb, 0xff, 0xff, 0xff, 0xff]],
      ["bin32 of 4G", [0xc6, 0xff, 0xff, 0xff, 0xff]],
      ["ext32 of 4G", [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]],
      ["array16 of 64K", [0xdc, 0xff, 0xff, 0x00]],
    ] as const
  ) {
    out.push([`batch of ${name}`, Uint8Array.from([0x92, 0x00, ...head])]);
  }
  // A batch whose only value is a graph of shared references (msgpackr's
  // "i" and "p" extensions): 30 levels, each two references to the one
  // below (2^30 leaves if expanded), in 616 bytes with the hello around it.
  out.push(["shared references", sharedReferences(30)]);
  out.push([
    "shared references in a graph's arguments",
    sharedReferences(30, {
      t: "compute",
      id: 1,
      nodes: [["k", "file:///nowhere.ts", "f", ["@@"], [], [], {}]],
      outputs: ["k"],
    }),
  ]);
  // A chunked batch declared far bigger than the pre-auth limit.
  out.push([
    "chunk of 1 GiB",
    Uint8Array.from([
      0x93,
      0x01,
      0xce,
      0x40,
      0x00,
      0x00,
      0x00,
      0xc4,
      0x01,
      0x00,
    ]),
  ]);
  // Timestamps, bigints and typed arrays with bad payloads.
  out.push(["bad timestamp", Uint8Array.from([0x92, 0x00, 0xd4, 0xff, 0x00])]);
  out.push([
    "bigint of 64 KB",
    Uint8Array.from([
      0x92,
      0x00,
      0xc9,
      0x00,
      0x00,
      0xf0,
      0x00,
      0x42,
      ...new Uint8Array(0xf000).fill(0xff),
    ]),
  ]);
  out.push([
    "typed array code 99",
    Uint8Array.from([0x92, 0x00, 0xd5, 0x74, 99, 0x00]),
  ]);
  out.push(["regexp", regexpBomb()]);
  return out;
}

/**
 * A batch of `around` in which the string `"@@"` is replaced by `depth`
 * levels of msgpackr references: level k is `["i" id k] [level k-1,
 * ["p" id k-1]]` (2^depth leaves if expanded).
 */
export function sharedReferences(
  depth: number,
  around: unknown = { t: "hello", protocol: "@@" },
): Uint8Array {
  const dag: number[] = [];
  const ext = (type: number, id: number) =>
    dag.push(
      0xd6,
      type,
      id >>> 24,
      (id >>> 16) & 0xff,
      (id >>> 8) & 0xff,
      id & 0xff,
    );
  const level = (k: number): void => {
    ext(0x69, k);
    if (k === 0) return void dag.push(0x90);
    dag.push(0x92);
    level(k - 1);
    ext(0x70, k - 1);
  };
  level(depth);
  const body = pack([0, around]);
  const at = body.findIndex((b, i) =>
    b === 0xa2 && body[i + 1] === 0x40 && body[i + 2] === 0x40
  );
  return Uint8Array.from([
    ...body.subarray(0, at),
    ...dag,
    ...body.subarray(at + 3),
  ]);
}

/** A batch holding msgpackr's RegExp extension with a catastrophic pattern. */
function regexpBomb(): Uint8Array {
  const body = pack(["(a+)+$", ""]);
  return Uint8Array.from([0x92, 0x00, 0xd4, 0x78, 0x00, ...body]);
}

// ---- mutations -------------------------------------------------------------

/** A seeded source of random choices (seed printed by the tests). */
export class Random {
  readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = seeded(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** Values no sound peer sends where a field is expected. */
export function weird(r: Random): unknown {
  switch (r.int(22)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return -0;
    case 3:
      return NaN;
    case 4:
      return Number.MAX_SAFE_INTEGER * 4;
    case 5:
      return -1;
    case 6:
      return 2 ** 32;
    case 7:
      return 1.5;
    case 8:
      return "x".repeat(r.int(4000));
    case 9:
      return "\x1b[2J\u202e\0";
    case 10:
      return "__proto__";
    case 11:
      return { __proto__: { polluted: true }, constructor: 1, toString: 2 };
    case 12:
      return Array.from({ length: r.int(500) }, (_, i) => i);
    case 13:
      return new Uint8Array(r.int(2000));
    case 14:
      return new Map<unknown, unknown>([[1, 2], [{ a: 1 }, [3]]]);
    case 15:
      return new Set([1, "two"]);
    case 16:
      return 2n ** 70n;
    case 17:
      return [[[[[[[[[[[]]]]]]]]]]];
    case 18:
      return true;
    case 19:
      return new Date(8.64e15);
    case 20:
      return new Float64Array(r.int(100));
    default:
      return { t: "hello", nested: { deeper: [1, { x: "y" }] } };
  }
}

/** `value` with one field (at any depth) replaced by a weird value. */
export function mutate(value: unknown, r: Random): unknown {
  if (typeof value !== "object" || value === null || r.chance(0.15)) {
    return weird(r);
  }
  if (Array.isArray(value)) {
    const copy = value.slice();
    if (copy.length === 0 || r.chance(0.1)) copy.push(weird(r));
    else {
      const i = r.int(copy.length);
      copy[i] = mutate(copy[i], r);
    }
    return copy;
  }
  if (value instanceof Uint8Array) return weird(r);
  const copy: Record<string, unknown> = {
    ...(value as Record<string, unknown>),
  };
  const keys = Object.keys(copy);
  const dice = r.next();
  if (keys.length === 0 || dice < 0.1) copy[`k${r.int(5)}`] = weird(r);
  else if (dice < 0.2) delete copy[r.pick(keys)];
  else {
    const k = r.pick(keys);
    copy[k] = mutate(copy[k], r);
  }
  return copy;
}

/** `bytes` with a few bytes flipped, inserted, cut or the tail dropped. */
export function mutateBytes(bytes: Uint8Array, r: Random): Uint8Array {
  const out = Array.from(bytes);
  const n = 1 + r.int(4);
  for (let i = 0; i < n && out.length > 0; i++) {
    const at = r.int(out.length);
    switch (r.int(4)) {
      case 0:
        out[at] = r.int(256);
        break;
      case 1:
        out.splice(at, 0, r.int(256));
        break;
      case 2:
        out.splice(at, 1 + r.int(8));
        break;
      default:
        out[at] = r.pick([0xc1, 0xd4, 0xc7, 0xdd, 0xdf, 0xdb, 0xc6, 0xcf]);
    }
  }
  return Uint8Array.from(out);
}
