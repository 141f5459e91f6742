/**
 * `SharedSemaphore`, bounded or not, across real worker actors:
 * never more than k holders (an atomic high-water mark in the buffer), and
 * over-release refused.
 */
import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  LayoutError,
  OverReleaseError,
  SharedSemaphore,
  WaitTimeoutError,
} from "@troupe/troupe/sync";
import { peers } from "./shared_peers.ts";

const K = 2;
const ROUNDS = 30;

Deno.test("SharedSemaphore(k) never admits more than k holders across 4 workers", async () => {
  await using system = new ActorSystem({ askTimeout: 60_000 });
  const workers = peers(system, 4);
  const semaphore = new SharedSemaphore(K);
  const cells = new SharedArrayBuffer(12);
  await Promise.all(
    workers.map((w) =>
      w.ask("permits", { semaphore: semaphore.handle, cells, rounds: ROUNDS })
    ),
  );
  const [inside, highWater, entries] = new Int32Array(cells);
  assert.equal(inside, 0);
  assert.equal(entries, 4 * ROUNDS);
  assert.ok(highWater >= 1 && highWater <= K, `high water ${highWater}`);
  assert.equal(semaphore.value, K);
});

Deno.test("a bounded SharedSemaphore refuses to go above its bound, in any isolate", async () => {
  const bounded = new SharedSemaphore(2, { bounded: true });
  const there = SharedSemaphore.from(bounded.handle);
  assert.equal(there.bound, 2);
  await bounded.acquire();
  await there.acquire();
  await assert.rejects(there.acquire({ timeout: 5 }), WaitTimeoutError);
  there.release();
  bounded.release();
  assert.throws(() => there.release(), OverReleaseError);
  assert.equal(bounded.value, 2);

  // An unbounded one may grow; a handle whose kind says the other kind does
  // not attach.
  const plain = new SharedSemaphore(0);
  plain.release();
  plain.release();
  assert.equal(plain.value, 2);
  assert.equal(SharedSemaphore.from(plain.handle).bound, undefined);
  assert.throws(
    () => SharedSemaphore.from({ ...plain.handle, kind: bounded.handle.kind }),
    LayoutError,
  );
  assert.throws(
    () => SharedSemaphore.from({ ...bounded.handle, kind: plain.handle.kind }),
    LayoutError,
  );
});
