/**
 * A computation's task graph as plain data, for the dashboard's graph view:
 * each task's key, task name, state and dependencies, or past a bound, one
 * node per task name with its tasks counted by state (as Dask's graph page
 * groups by prefix). The engine keeps, per computation, only an outline of
 * references it already has (keys, task names, each record's dependency
 * keys); the snapshot is built from it when asked, never per tick.
 *
 * @module
 */

import type { Computation } from "./computation.ts";

/**
 * What the engine keeps of a computation's graph: parallel lists, in the
 * graph's order (each dependency before what depends on it), of references
 * it already holds (no copy of the graph, no task arguments).
 */
export interface GraphOutline {
  readonly keys: string[];
  readonly names: string[];
  /** Each task's dependency keys (its record's, repeats included). */
  readonly deps: (readonly string[])[];
}

/**
 * A task's state in a snapshot: the engine's, or `forgotten` once the
 * engine dropped it (done, and nothing holds it).
 *
 * @example
 * ```ts
 * import type { TaskGraphState } from "./graph_snapshot.ts";
 * const s: TaskGraphState = "processing";
 * ```
 */
export type TaskGraphState =
  | "released"
  | "waiting"
  | "ready"
  | "processing"
  | "memory"
  | "erred"
  | "cancelled"
  | "forgotten";

/**
 * A computation's graph now: `tasks` (each with the indexes of its
 * dependencies in `tasks`), or when it has more than the bound asked,
 * `groups` (one per task name, its tasks by state, the indexes of the
 * groups it depends on).
 *
 * @example
 * ```ts
 * import type { TaskGraph } from "./graph_snapshot.ts";
 * const nodes = (g: TaskGraph) => g.grouped ? g.groups!.length : g.tasks!.length;
 * ```
 */
export interface TaskGraph {
  /** The computation's id, name and progress record. */
  readonly computation: Computation;
  /** One node per task name (past the bound). */
  readonly grouped: boolean;
  /** Its tasks, dependencies first (not grouped). */
  readonly tasks?: {
    readonly key: string;
    readonly task: string;
    readonly state: TaskGraphState;
    readonly deps: number[];
  }[];
  /** Its task names, in order of first sight (grouped). */
  readonly groups?: {
    readonly task: string;
    total: number;
    readonly states: Partial<Record<TaskGraphState, number>>;
    readonly deps: number[];
  }[];
  /** Groups or edges left out past their bounds (`MAX_GROUPS`, `MAX_EDGES`). */
  readonly truncated?: boolean;
}

/** Groups a snapshot holds at most (a graph of more task names is cut). */
export const MAX_GROUPS = 200;
/** Edges a snapshot holds at most. */
export const MAX_EDGES = 5_000;

/**
 * The snapshot of `c` from its `outline`, with each task's state from
 * `stateOf` (undefined: forgotten); grouped when it has more than `max`
 * tasks. O(tasks + edges), built when asked.
 *
 * @example
 * ```ts
 * import { graphSnapshot } from "./graph_snapshot.ts";
 * const g = graphSnapshot(
 *   { id: 1, total: 2, done: 1, erred: 0 },
 *   { keys: ["a", "b"], names: ["inc", "add"], deps: [[], ["a", "a"]] },
 *   (key) => key === "a" ? "memory" : "processing",
 *   100,
 * );
 * console.log(g.tasks?.[1]); // { key: "b", task: "add", state: "processing", deps: [0] }
 * ```
 */
export function graphSnapshot(
  c: Computation,
  outline: GraphOutline,
  stateOf: (key: string) => Exclude<TaskGraphState, "forgotten"> | undefined,
  max: number,
): TaskGraph {
  const { keys, names, deps } = outline;
  const index = new Map<string, number>();
  keys.forEach((k, i) => index.set(k, i));
  const computation = { ...c };
  let edges = 0;
  let truncated = false;
  if (keys.length <= max) {
    const tasks = keys.map((key, i) => {
      const on: number[] = [];
      for (const d of deps[i]) {
        const j = index.get(d); // (a future from before is not drawn)
        if (j === undefined || on.includes(j)) continue;
        if (edges === MAX_EDGES) truncated = true;
        else {
          on.push(j);
          edges++;
        }
      }
      return {
        key,
        task: names[i],
        state: stateOf(key) ?? "forgotten" as TaskGraphState,
        deps: on,
      };
    });
    return {
      computation,
      grouped: false,
      tasks,
      ...(truncated ? { truncated } : {}),
    };
  }
  const groupOf = new Map<string, number>();
  const groups: NonNullable<TaskGraph["groups"]> = [];
  const seen = new Set<number>(); // group edges, as from * MAX_GROUPS + to
  keys.forEach((key, i) => {
    let g = groupOf.get(names[i]);
    if (g === undefined) {
      if (groups.length === MAX_GROUPS) return void (truncated = true);
      groupOf.set(names[i], g = groups.length);
      groups.push({ task: names[i], total: 0, states: {}, deps: [] });
    }
    const group = groups[g];
    group.total++;
    const state = stateOf(key) ?? "forgotten";
    group.states[state] = (group.states[state] ?? 0) + 1;
    for (const d of deps[i]) {
      const j = index.get(d);
      const from = j === undefined ? undefined : groupOf.get(names[j]);
      // (within a group: drawn as the group itself)
      if (from === undefined || from === g) continue;
      const edge = from * MAX_GROUPS + g;
      if (seen.has(edge)) continue;
      if (edges === MAX_EDGES) {
        truncated = true;
        continue;
      }
      seen.add(edge);
      group.deps.push(from);
      edges++;
    }
  });
  return {
    computation,
    grouped: true,
    groups,
    ...(truncated ? { truncated } : {}),
  };
}
