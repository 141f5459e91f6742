/**
 * A partition's rows as plain objects: apart from the steps, so that
 * data_frame.ts (which the steps load for `mapPartitions`) needs no step.
 *
 * @module
 */

import { valueAt } from "./_builder.ts";
import type { Part } from "./_part.ts";

/** The rows of `part` as plain objects. */
export function recordsOf(part: Part): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = new Array(part.length);
  for (let i = 0; i < part.length; i++) {
    const r: Record<string, unknown> = {};
    for (let c = 0; c < part.names.length; c++) {
      r[part.names[c]] = valueAt(part.columns[c], i);
    }
    out[i] = r;
  }
  return out;
}
