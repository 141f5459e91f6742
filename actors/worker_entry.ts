/**
 * Entry module of a worker host. The parent posts `{ host, parent }` first,
 * then batches; this side answers with batches.
 *
 * @module
 */

import { controlToWire, type WireItem } from "./codec.ts";
import { type HostRuntime, startHost } from "./host_main.ts";

declare const self: {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(data: unknown): void;
  close(): void;
};

let runtime: HostRuntime | undefined;

// `Deno.exit` in a worker ends only the worker, and its parent would never
// know: say so on the way out (the message is delivered after the exit).
globalThis.addEventListener("unload", () => {
  self.postMessage([controlToWire({
    t: "gone",
    detail: `the worker called Deno.exit(${Deno.exitCode})`,
  })]);
});

self.onmessage = (e: MessageEvent) => {
  if (runtime === undefined) {
    const { host, parent } = e.data as { host: string; parent: string };
    runtime = startHost(host, parent, {
      send: (batch) => self.postMessage(batch),
      close: () => self.close(),
    });
    return;
  }
  runtime.receive(e.data as WireItem[]);
};
