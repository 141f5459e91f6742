/**
 * The bare TCP peer of the benchmarks' baseline ping-pong (started by
 * `raw_tcp_peer.ts`): no troupe, no codec. It listens on 127.0.0.1 (any port), prints the port on its first
 * line, accepts one connection (`TCP_NODELAY` on), then reads frames
 * (4-byte big-endian length, then the body) with `conn.read` into a 64 KiB
 * buffer and writes every complete frame back with `conn.write`, unchanged,
 * until the peer closes. All the complete frames of one read go back in
 * one write.
 *
 * Run as `deno run --allow-net=127.0.0.1 bench/raw_tcp_echo.ts`.
 *
 * @module
 */

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(listener.addr.port);
const conn = await listener.accept();
listener.close();
conn.setNoDelay(true);

let buf = new Uint8Array(64 * 1024);
let len = 0;
for (;;) {
  if (len === buf.length) {
    const next = new Uint8Array(buf.length * 2);
    next.set(buf);
    buf = next;
  }
  const n = await conn.read(buf.subarray(len));
  if (n === null) break;
  len += n;
  const view = new DataView(buf.buffer);
  let off = 0;
  while (len - off >= 4) {
    const size = view.getUint32(off);
    if (len - off - 4 < size) break;
    off += 4 + size;
  }
  if (off === 0) continue;
  const out = buf.slice(0, off); // the buffer is reused while writing
  let w = 0;
  while (w < out.length) w += await conn.write(out.subarray(w));
  buf.copyWithin(0, off, len);
  len -= off;
}
conn.close();
