/**
 * The actors of the remote-actor benchmark (`remote_bench.ts`), loaded by
 * the cluster's node processes by module URL.
 *
 * @module
 */

import { type Address, defineActor } from "@troupe/troupe";

/** Counts what it is told; answers with the count. */
export const Sink = defineActor({
  name: "sink",
  module: import.meta.url,
  init: () => ({ n: 0 }),
  handlers: {
    add: (s, by: number) => {
      s.n += by;
    },
    get: (s) => s.n,
    reset: (s) => {
      s.n = 0;
    },
  },
});

/** Drives a sink elsewhere by its address; each handler returns a rate. */
export const Source = defineActor({
  name: "source",
  module: import.meta.url,
  init: () => ({}),
  handlers: {
    /**
     * Tell `n` adds of 1 to the sink at `to`, in bursts of `burst`, each
     * followed by an ask for the count; a burst goes out once the ask after
     * the burst before the last has come back (two bursts in flight: flow
     * control, so the sender cannot run ahead of the network). Returns the
     * rate in msg/s, from the first tell to the last answer, which must be
     * `start + n`.
     */
    blast: async (
      _s,
      [to, n, burst, start]: [Address, number, number, number],
      ctx,
    ) => {
      const ref = ctx.system.refFor<typeof Sink>(to);
      const t0 = performance.now();
      let prev: Promise<number> | undefined;
      for (let sent = 0; sent < n;) {
        const k = Math.min(burst, n - sent);
        for (let i = 0; i < k; i++) ref.tell("add", 1);
        sent += k;
        const ack = ref.ask("get", undefined, { timeout: 60_000 });
        if (prev !== undefined) await prev;
        prev = ack;
      }
      const last = await prev!;
      const dt = performance.now() - t0;
      if (last !== start + n) {
        throw new Error(`the sink counted ${last}, expected ${start + n}`);
      }
      return n / (dt / 1000);
    },
    /** `n` sequential asks to the sink at `to`; asks/s. */
    pingpong: async (_s, [to, n]: [Address, number], ctx) => {
      const ref = ctx.system.refFor<typeof Sink>(to);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await ref.ask("get");
      return n / ((performance.now() - t0) / 1000);
    },
    /** `rounds` of `width` asks at once to the sink at `to`; asks/s. */
    concurrent: async (
      _s,
      [to, width, rounds]: [Address, number, number],
      ctx,
    ) => {
      const ref = ctx.system.refFor<typeof Sink>(to);
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) {
        await Promise.all(Array.from({ length: width }, () => ref.ask("get")));
      }
      return (width * rounds) / ((performance.now() - t0) / 1000);
    },
  },
});
