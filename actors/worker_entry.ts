/**
 * Entry module of a worker host. The parent posts `{ host, parent }` first,
 * then batches; this side answers with batches.
 *
 * @module
 */

import { controlToWire } from "./codec.ts";
import { Lane } from "./lane.ts";
import { type HostRuntime, startHost } from "./host_main.ts";

declare const self: {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(data: unknown): void;
  close(): void;
};

let runtime: HostRuntime | undefined;
let lane: Lane | undefined;
const post = (msg: unknown) => self.postMessage(msg);

// `Deno.exit` in a worker ends only the worker, and its parent would never
// know: say so on the way out (the message is delivered after the exit).
globalThis.addEventListener("unload", () => {
  lane?.send(
    [controlToWire({
      t: "gone",
      detail: `the worker called Deno.exit(${Deno.exitCode})`,
    })],
    post,
    true,
  );
});

self.onmessage = (e: MessageEvent) => {
  if (lane === undefined) {
    const { host, parent, sab } = e.data as {
      host: string;
      parent: string;
      sab: SharedArrayBuffer;
    };
    const l = lane = new Lane(sab, 1, (batch) => runtime!.receive(batch));
    runtime = startHost(host, parent, {
      send: (batch) => l.send(batch, post),
      close: () => {
        l.close();
        self.close();
      },
    });
    return;
  }
  lane.accept(e.data);
};
