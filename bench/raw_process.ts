/**
 * The bare subprocess of the host benchmarks' baselines: no troupe, no
 * codec. It writes one empty frame (4 zero bytes) once loaded, then reads
 * frames (4-byte big-endian length, then the body) from stdin and writes
 * each back to stdout, unchanged, until stdin closes. Reads and writes are
 * those of a troupe process host: `Deno.stdin.read` into a 64 KiB buffer,
 * `Deno.stdout.write` chained so that frames never interleave.
 *
 * Run as `deno run bench/raw_process.ts` (it needs no permissions).
 *
 * @module
 */

const stdout = Deno.stdout;
let writing = Promise.resolve();

function send(frame: Uint8Array): void {
  writing = writing.then(async () => {
    let off = 0;
    while (off < frame.length) off += await stdout.write(frame.subarray(off));
  });
}

send(new Uint8Array(4)); // ready

const buf = new Uint8Array(64 * 1024);
let pending = new Uint8Array(64 * 1024);
let len = 0;
while (true) {
  const n = await Deno.stdin.read(buf);
  if (n === null) break;
  if (len + n > pending.length) {
    const next = new Uint8Array(Math.max(len + n, pending.length * 2));
    next.set(pending.subarray(0, len));
    pending = next;
  }
  pending.set(buf.subarray(0, n), len);
  len += n;
  const view = new DataView(pending.buffer);
  let off = 0;
  while (len - off >= 4) {
    const size = view.getUint32(off);
    if (len - off - 4 < size) break;
    // A copy: the buffer is reused while the write is pending.
    send(pending.slice(off, off + 4 + size));
    off += 4 + size;
  }
  if (off > 0) {
    pending.copyWithin(0, off, len);
    len -= off;
  }
}
await writing;
