/**
 * Helpers of the transport tests: connected pairs on loopback, a logger that
 * remembers, waiting for a condition, certificates made with openssl.
 *
 * @module
 */

import {
  FramedConnection,
  type FramingOptions,
} from "../../cluster/wire/framing.ts";

/** Two framed ends of one loopback TCP connection (no handshake). */
export async function framedPair(
  a: FramingOptions = {},
  b: FramingOptions = {},
): Promise<[FramedConnection, FramedConnection]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [raw, accepted] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  return [new FramedConnection(raw, a), new FramedConnection(accepted, b)];
}

/** A raw socket on one side, a framed connection on the other. */
export async function rawToFramed(
  options: FramingOptions = {},
): Promise<[Deno.TcpConn, FramedConnection]> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [raw, accepted] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  return [raw, new FramedConnection(accepted, options)];
}

/** Write all of `bytes` to `conn`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Read from `conn` until the peer closes (or resets); return the bytes. */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      parts.push(buf.slice(0, n));
    }
  } catch { /* reset by the peer */ }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A 4-byte big-endian length prefix. */
export function prefix(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** A logger that keeps what it is told. */
export function memoryLogger(): {
  lines: string[];
  log: (m: string) => void;
} {
  const lines: string[] = [];
  return { lines, log: (m: string) => void lines.push(m) };
}

/** Wait (polling every 5 ms) until `cond()` holds; no deadline of its own. */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

/** Run a command; throw with its stderr when it fails. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Whether `openssl` can be run. */
export async function hasOpenssl(): Promise<boolean> {
  try {
    await run("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
}

/** A self-signed CA and a server certificate for IP 127.0.0.1 it signed. */
export interface TestCerts {
  /** The CA certificate (PEM). */
  ca: string;
  /** The server certificate (PEM). */
  cert: string;
  /** The server key (PEM). */
  key: string;
}

/**
 * Make a CA and a server certificate with openssl, in a temporary directory
 * the shell makes and removes (the tests may not write files themselves).
 */
export async function makeCerts(): Promise<TestCerts> {
  const dir = (await run("mktemp", ["-d"])).trim();
  try {
    const script = `
set -e
cd "${dir}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \\
  -keyout ca.key -out ca.crt -days 2 -subj /CN=troupe-test-ca \\
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \\
  -keyout server.key -out server.csr -subj /CN=127.0.0.1
printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \\
  -out server.crt -days 2 -extfile ext.cnf
`;
    await run("bash", ["-c", script]);
    return {
      ca: await Deno.readTextFile(`${dir}/ca.crt`),
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
    };
  } finally {
    await run("rm", ["-rf", dir]);
  }
}
