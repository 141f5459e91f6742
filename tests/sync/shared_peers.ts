/**
 * Worker actors for the shared-scope tests, one per named host, so that
 * they run on distinct threads.
 *
 * @module
 */
import type { ActorRef, ActorSystem } from "@troupe/troupe";
import { SyncPeer } from "../fixtures/sync_shared.ts";

/** `n` SyncPeer actors, each on a worker host of its own. */
export function peers(
  system: ActorSystem,
  n: number,
): ActorRef<typeof SyncPeer>[] {
  return Array.from(
    { length: n },
    (_, i) =>
      system.spawn(SyncPeer, undefined, {
        placement: "worker",
        host: `sync-${i}`,
      }),
  );
}
