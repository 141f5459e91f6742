/**
 * Entry module of a worker host. The parent posts `{ host, parent, sab,
 * preload }` first, then batches; this side answers with batches.
 *
 * It has one tiny static import (the main-module guard, which must count the
 * preload): the host's modules and the behaviour modules the parent names in
 * `preload` load at the same time, which shortens a new host's start.
 * Batches that arrive meanwhile wait, in order.
 *
 * @module
 */

import type { HostRuntime } from "./host_main.ts";
import { importForHost, setProgramMain } from "../main_guard.ts";
import type { Lane } from "./lane.ts";

declare const self: {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(data: unknown, options?: { transfer: Transferable[] }): void;
  close(): void;
};

let lane: Lane | undefined;
const early: unknown[] = [];
const post = (msg: unknown, transfer?: Transferable[]) =>
  transfer === undefined
    ? self.postMessage(msg)
    : self.postMessage(msg, { transfer });

self.onmessage = (e: MessageEvent) => {
  if (lane !== undefined) lane.accept(e.data);
  else if (early.length > 0) early.push(e.data);
  else {
    early.push(e.data);
    void boot(e.data);
  }
};

async function boot(init: {
  host: string;
  parent: string;
  sab: SharedArrayBuffer;
  preload?: string[];
  main?: string;
}): Promise<void> {
  setProgramMain(init.main);
  for (const url of init.preload ?? []) importForHost(url).catch(() => {});
  const [{ startHost }, { Lane }, { controlToWire }] = await Promise.all([
    import("./host_main.ts"),
    import("./lane.ts"),
    import("./codec.ts"),
  ]);
  // The lane hands batches to the runtime made just below (it delivers none
  // before the `early` ones are accepted at the end).
  const l = new Lane(init.sab, 1, (batch) => runtime.receive(batch));
  const runtime: HostRuntime = startHost(init.host, init.parent, {
    // A batch that moves buffers must go by postMessage.
    send: (batch, transfer = []) =>
      l.send(
        batch,
        (msg) => post(msg, transfer.length > 0 ? transfer : undefined),
        transfer.length > 0,
      ),
    close: () => {
      l.close();
      self.close();
    },
  }, false);
  // `Deno.exit` in a worker ends only the worker, and its parent would never
  // know: say so on the way out (the message is delivered after the exit).
  globalThis.addEventListener("unload", () => {
    l.send(
      [controlToWire({
        t: "gone",
        detail: `the worker called Deno.exit(${Deno.exitCode})`,
      })],
      post,
      true,
    );
  });
  lane = l;
  for (const msg of early.splice(1)) l.accept(msg as never);
}
