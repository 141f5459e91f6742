/**
 * What a local scheduler and a cluster client share about their outputs:
 * finding the lazy values inside `compute`'s arguments and putting the
 * results back in their place, checking `persist`'s arguments, and making
 * one delayed call per `map` item.
 *
 * @module
 */

import type { Task } from "../../actors/pool/tasks.ts";
import { Delayed, delayed, type Lazy, type LazyArgs } from "./delayed.ts";
import { Future } from "./future.ts";
import { type DepSite, depSites, fillArgs, KEY } from "./keys.ts";

/** Where the lazy values sit in `outputs`, and their distinct keys. */
export function outputSites(
  outputs: readonly unknown[],
): { sites: DepSite[]; keys: string[] } {
  const sites = depSites(outputs);
  const keys = [...new Set(sites.map((s) => s.ref[KEY]))];
  return { sites, keys };
}

/** `outputs` with each lazy value replaced by its key's value. */
export function fillOutputs(
  outputs: readonly unknown[],
  sites: readonly DepSite[],
  keys: readonly string[],
  values: readonly unknown[],
): unknown[] {
  const byKey = new Map(keys.map((k, i) => [k, values[i]]));
  return fillArgs(
    outputs,
    sites.map((s) => s.path),
    sites.map((s) => byKey.get(s.ref[KEY])),
  );
}

/** Throw unless every one of `outputs` is a delayed value or a future. */
export function checkPersistable(outputs: readonly unknown[]): void {
  for (const o of outputs) {
    if (!(o instanceof Delayed) && !(o instanceof Future)) {
      throw new TypeError(
        "persist takes delayed values or futures (compute takes anything)",
      );
    }
  }
}

/** One delayed call of `task` per item. */
export function mapCalls<T, R>(
  task: Task<[T], R>,
  items: Iterable<Lazy<T>>,
): Delayed<Awaited<R>>[] {
  const make = delayed(task);
  return [...items].map((x) => make(...([x] as LazyArgs<[T]>)));
}
