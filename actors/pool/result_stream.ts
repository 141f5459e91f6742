/**
 * A pool's map as an async iterable (`imap`, `imapUnordered`): results as
 * soon as each is ready, in input or completion order; a consumer that
 * stops early stops the map as an abort does. Runs on `runChunks`.
 *
 * @module
 */

import { type ChunkPool, listOf, runChunks } from "./chunks.ts";
import type { MapOptions } from "./options.ts";
import type { Task } from "./tasks.ts";

/** `task(item)` for every item of `items` on `pool`, as results come. */
export async function* streamResults<T, R>(
  pool: ChunkPool,
  task: Task<[T], R>,
  items: Iterable<T>,
  options: MapOptions,
  ordered: boolean,
): AsyncGenerator<Awaited<R>> {
  const list = listOf(items);
  const ready: (Awaited<R> | undefined)[] = new Array(list.length);
  const have: boolean[] = new Array(list.length).fill(false);
  const fresh: number[] = [];
  let freshAt = 0; // read index: shift() on a long array is O(n)
  let wake: (() => void) | undefined;
  let finished = false;
  let error: unknown;
  // A consumer that stops early (a `break`) stops the map as an abort does.
  const left = new AbortController();
  const signal = options.signal === undefined
    ? left.signal
    : AbortSignal.any([options.signal, left.signal]);
  const running = runChunks(pool, task as Task, list, false, {
    ...options,
    signal,
  }, (
    start,
    results,
  ) => {
    for (let i = 0; i < results.length; i++) {
      ready[start + i] = results[i] as Awaited<R>;
      have[start + i] = true;
      fresh.push(start + i);
    }
    wake?.();
  }).then(
    () => {
      finished = true;
      wake?.();
    },
    (e) => {
      error = e;
      finished = true;
      wake?.();
    },
  );
  let cursor = 0;
  try {
    while (true) {
      if (ordered) {
        while (cursor < list.length && have[cursor]) {
          const v = ready[cursor];
          ready[cursor++] = undefined;
          yield v as Awaited<R>;
        }
        if (cursor === list.length) break;
      } else {
        while (freshAt < fresh.length) {
          const i = fresh[freshAt++];
          const v = ready[i];
          ready[i] = undefined;
          cursor++;
          yield v as Awaited<R>;
        }
        if (cursor === list.length) break;
      }
      if (finished) {
        if (error !== undefined) throw error;
        if (freshAt === fresh.length && (!ordered || !have[cursor])) break;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    // Left before the end (not thrown out by the map's own failure).
    if (cursor < list.length && !finished) {
      left.abort("the consumer stopped");
    }
  }
  await running;
  if (error !== undefined) throw error;
}
