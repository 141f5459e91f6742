/**
 * The bare TCP ping-pong that benchmarks measure troupe against, and the
 * `taskset` pinning they place it (and their other processes) with.
 *
 * `RawTcpPeer.start` runs `raw_tcp_echo.ts` in a subprocess (optionally on
 * one CPU), reads the port it prints and connects to it with `TCP_NODELAY`;
 * `pingPong(n)` then does `n` sequential round trips of one 32-byte frame
 * (4-byte big-endian length, then 28 bytes) with `conn.write` and
 * `conn.read`, each awaiting its echo, and returns round trips per second.
 * No troupe and no codec: the floor under any loopback round trip.
 *
 * `pin` and `pinAll` set the CPUs of running processes (every thread);
 * `onCpu` prefixes a command line so that it starts on one CPU. All of them
 * use `taskset` (util-linux); where it is missing `pin` says false.
 *
 * @module
 */

const RAW_ECHO = new URL("./raw_tcp_echo.ts", import.meta.url);
const FRAME = 32;

/** `argv` as run on CPU `cpu` (`taskset -c`), or unchanged when undefined. */
export function onCpu(argv: string[], cpu?: number): string[] {
  return cpu === undefined ? argv : ["taskset", "-c", String(cpu), ...argv];
}

/** Set the CPUs of every thread of `pid`; false when that is not possible. */
export async function pin(pid: number, cpus: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", cpus, String(pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** `pin` for several processes at once; false if any of them failed. */
export async function pinAll(pids: number[], cpus: string): Promise<boolean> {
  const done = await Promise.all(pids.map((p) => pin(p, cpus)));
  return done.every((ok) => ok);
}

/** A `raw_tcp_echo.ts` subprocess and a `TCP_NODELAY` connection to it. */
export class RawTcpPeer {
  readonly #child: Deno.ChildProcess;
  readonly #conn: Deno.TcpConn;
  readonly #frame = new Uint8Array(FRAME);
  readonly #buf = new Uint8Array(FRAME);

  private constructor(child: Deno.ChildProcess, conn: Deno.TcpConn) {
    this.#child = child;
    this.#conn = conn;
    new DataView(this.#frame.buffer).setUint32(0, FRAME - 4);
  }

  /** Start the echo subprocess (on CPU `cpu` when given) and connect. */
  static async start(cpu?: number): Promise<RawTcpPeer> {
    const argv = onCpu(
      [Deno.execPath(), "run", "--allow-net=127.0.0.1", RAW_ECHO.href],
      cpu,
    );
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("raw_tcp_echo.ts ended before its port");
        text += value;
      }
      await reader.cancel();
      const port = Number(text.split("\n")[0]);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      return new RawTcpPeer(child, conn);
    } catch (e) {
      try {
        child.kill();
      } catch { /* already ended */ }
      await child.status;
      throw e;
    }
  }

  /** The echo subprocess's pid (to `pin` it). */
  get pid(): number {
    return this.#child.pid;
  }

  /** `n` sequential frames, each awaiting its echo; round trips per s. */
  async pingPong(n: number): Promise<number> {
    const conn = this.#conn;
    const frame = this.#frame;
    const buf = this.#buf;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      frame[4] = i & 255;
      for (let w = 0; w < FRAME;) w += await conn.write(frame.subarray(w));
      for (let got = 0; got < FRAME;) {
        const r = await conn.read(buf.subarray(got));
        if (r === null) throw new Error("raw_tcp_echo.ts: early EOF");
        got += r;
      }
      if (buf[4] !== (i & 255)) throw new Error("raw_tcp_echo.ts: wrong echo");
    }
    return n / ((performance.now() - t0) / 1000);
  }

  /** Close the connection and wait for the subprocess to end. */
  async close(): Promise<void> {
    this.#conn.close();
    await this.#child.status;
  }
}
