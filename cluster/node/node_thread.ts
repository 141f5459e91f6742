/**
 * One extra thread of a node started with `threads: N` (`troupe worker
 * --nthreads N`): a Web Worker in the node's process that joins the
 * cluster as a node of its own, `<name>.<i>`, so that N tasks run at once
 * on N cores. The node's process sends `{ t: "start", address, options }`
 * and later `{ t: "stop" }`; the thread answers `{ t: "done", error? }`
 * when it has left the cluster.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type NodeOptions, runNode } from "./node.ts";

const stop = new AbortController();

self.onmessage = (e: MessageEvent) => {
  const m = e.data as {
    t: string;
    address?: string;
    options?: Omit<NodeOptions, "signal" | "log">;
  };
  if (m.t === "stop") return stop.abort();
  if (m.t !== "start" || m.address === undefined) return;
  runNode(m.address, { ...m.options, signal: stop.signal }).then(
    () => self.postMessage({ t: "done" }),
    (error) => self.postMessage({ t: "done", error: String(error) }),
  );
};
