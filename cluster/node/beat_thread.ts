/**
 * A node's heartbeat thread: a Web Worker in the node's process that holds
 * a connection of its own to the scheduler and says "still here" on it
 * every `everyMs`, so that a task holding the node's thread (a CPU-bound
 * minute) does not look like a node gone silent. A paused or dead process
 * stops this thread too, so silence still means lost. The node sends
 * `{ t: "start", address, secret, tls, nodeId, token, everyMs }` (the
 * token is the one the scheduler gave it in `init`), then `{ t: "stop" }`,
 * which the thread answers `{ t: "stopped" }` once its connection is closed.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { connectTransport } from "../wire/endpoint.ts";
import type { FramedConnection } from "../wire/framing.ts";

interface Start {
  t: "start";
  address: string;
  secret?: string | Uint8Array;
  tls?: { caCerts?: string[]; hostname?: string };
  nodeId: string;
  token: string;
  everyMs: number;
}

const stop = new AbortController();
let conn: FramedConnection | undefined;

self.onmessage = async (e: MessageEvent) => {
  const m = e.data as Start | { t: "stop" };
  if (m.t === "stop") {
    stop.abort();
    await conn?.close();
    self.postMessage({ t: "stopped" });
    return self.close();
  }
  if (m.t !== "start") return;
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    conn = await connectTransport(m.address, {
      secret: m.secret,
      tls: m.tls,
      nodeId: m.nodeId,
      signal: stop.signal,
    });
    if (stop.signal.aborted) return void await conn.close();
    const c = conn;
    c.send({ t: "beat", token: m.token });
    timer = setInterval(() => {
      if (!c.isClosed) c.send({ t: "beat" });
    }, m.everyMs);
    await c.closed;
  } catch {
    // No beat thread: the node's own heartbeats still count.
  } finally {
    clearInterval(timer);
  }
};
