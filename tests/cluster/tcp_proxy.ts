/**
 * A TCP proxy for tests of lost connections: it forwards to a target, and
 * `cut()` drops every connection through it while it keeps listening.
 *
 * @module
 */

/** A TCP proxy to `target` whose live connections `cut()` drops. */
export function proxy(target: string): {
  address: string;
  cut(): void;
  close(): Promise<void>;
} {
  const [hostname, port] = target.split(":");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const live = new Set<Deno.Conn>();
  const pipes: Promise<unknown>[] = [];
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* cut */ }
    for (const c of [from, to]) {
      if (live.delete(c)) c.close();
    }
  };
  const accepting = (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname, port: Number(port) });
      live.add(inbound);
      live.add(outbound);
      pipes.push(pump(inbound, outbound), pump(outbound, inbound));
    }
  })();
  return {
    address: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    cut() {
      for (const c of live) c.close();
      live.clear();
    },
    async close() {
      listener.close();
      this.cut();
      await accepting.catch(() => {});
      await Promise.all(pipes);
    },
  };
}
