/**
 * A task graph gathered from its outputs, in the order it should run:
 * dependencies first, depth first toward finishing each output (the order
 * that keeps the fewest intermediate results alive in a reduction, as
 * Dask's ordering aims for). Nodes with the same key are one node.
 *
 * @module
 */

import { Delayed } from "./delayed.ts";
import { KEY, type Keyed } from "./keys.ts";

/**
 * The graph behind some lazy values.
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import { collectGraph } from "./graph.ts";
 * import { delayed } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * export const t = defineTasks(import.meta.url, {
 *   inc: (x: number) => x + 1,
 *   add: (a: number, b: number) => a + b,
 * });
 * const a = delayed(t.inc)(1);
 * const diamond = delayed(t.add)(delayed(t.inc)(a), delayed(t.inc)(a));
 * const g = collectGraph([diamond]);
 * assert.equal(g.nodes.length, 3); // inc(1) is shared; inc(a) twice is one node
 * assert.equal(g.nodes[0].key, a.key);
 * ```
 */
export interface Graph {
  /** Its tasks, each dependency before what depends on it. */
  readonly nodes: readonly Delayed[];
  /** Lazy values it uses that are not part of it (futures). */
  readonly external: ReadonlyMap<string, Keyed>;
}

/**
 * Gather the graph behind `roots` (delayed values or futures).
 *
 * @example
 * ```ts
 * import { defineTasks } from "@troupe/troupe";
 * import { collectGraph } from "./graph.ts";
 * import { delayed } from "@troupe/troupe";
 *
 * export const t = defineTasks(import.meta.url, { inc: (x: number) => x + 1 });
 * console.log(collectGraph([delayed(t.inc)(delayed(t.inc)(0))]).nodes.length); // 2
 * ```
 */
export function collectGraph(roots: readonly Keyed[]): Graph {
  const seen = new Set<string>();
  const nodes: Delayed[] = [];
  const external = new Map<string, Keyed>();
  const stack: Delayed[] = [];
  const next: number[] = [];
  for (const root of roots) {
    const rootKey = root[KEY];
    if (seen.has(rootKey)) continue;
    seen.add(rootKey);
    if (!(root instanceof Delayed)) {
      external.set(rootKey, root);
      continue;
    }
    stack.push(root);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top];
      const i = next[top];
      if (i < node.deps.length) {
        next[top] = i + 1;
        const ref = node.deps[i].ref;
        const key = ref[KEY];
        if (seen.has(key)) continue;
        seen.add(key);
        if (ref instanceof Delayed) {
          stack.push(ref);
          next.push(0);
        } else external.set(key, ref);
      } else {
        stack.pop();
        next.pop();
        nodes.push(node);
      }
    }
  }
  return { nodes, external };
}
