/**
 * Task graphs as plain data, to send from a client to a cluster's
 * scheduler: each node as its key, its task's module URL and name, its
 * arguments with holes where its dependencies go, the holes' paths, the
 * dependencies' keys and its options. The scheduler rebuilds `Delayed`
 * values from it (their tasks are named, never run there: workers import
 * them by module URL).
 *
 * @module
 */

import type { Task } from "../../actors/pool/tasks.ts";
import { Delayed, type TaskOptions, validResources } from "./delayed.ts";
import type { Graph } from "./graph.ts";
import { type DepSite, fillArgs, KEY, type Keyed } from "./keys.ts";
import { clip, preview } from "../../actors/preview.ts";

/** One node of a graph on the wire. */
export type WireNode = [
  key: string,
  module: string,
  name: string,
  args: unknown[],
  paths: (string | number)[][],
  deps: string[],
  options: TaskOptions,
];

/** `graph`'s nodes as plain data (its external keys travel apart). */
export function graphToWire(graph: Graph): WireNode[] {
  return graph.nodes.map((node) => {
    const paths = node.deps.map((s) => s.path as (string | number)[]);
    return [
      node.key,
      node.task.taskModule,
      node.task.taskName,
      fillArgs(node.args, paths, paths.map(() => null)),
      paths,
      node.deps.map((s) => s.ref[KEY]),
      { ...node.options },
    ];
  });
}

/** A task known by name only: the scheduler never calls it. */
function namedTask(module: string, name: string): Task {
  const task = () => {
    throw new TypeError(`task ${name} runs on workers, not here`);
  };
  Object.defineProperties(task, {
    taskModule: { value: module },
    taskName: { value: name },
  });
  return task as unknown as Task;
}

/**
 * Rebuild a graph sent by `graphToWire`; `external` resolves keys that are
 * not nodes of it (the client's futures). Throws a `TypeError` naming what
 * is malformed.
 */
export function graphFromWire(
  nodes: unknown,
  external: (key: string) => Keyed | undefined,
): Delayed[] {
  if (!Array.isArray(nodes)) throw new TypeError("a graph must be a list");
  const built = new Map<string, Keyed>();
  const tasks = new Map<string, Task>();
  const out: Delayed[] = [];
  for (const n of nodes) {
    if (!Array.isArray(n) || n.length !== 7) {
      throw new TypeError("a graph node must be a list of 7");
    }
    const [key, module, name, args, paths, deps, options] = n as WireNode;
    if (
      typeof key !== "string" || typeof module !== "string" ||
      typeof name !== "string" || !Array.isArray(args) ||
      !Array.isArray(paths) || !Array.isArray(deps) ||
      paths.length !== deps.length || typeof options !== "object" ||
      options === null
    ) {
      throw new TypeError(`graph node ${preview(key)} is malformed`);
    }
    if (!paths.every(isPath) || !deps.every((k) => typeof k === "string")) {
      throw new TypeError(
        `graph node ${clip(key)} has a dependency that is not a key at a path`,
      );
    }
    const refs = deps.map((k) => {
      const ref = built.get(k) ?? external(k);
      if (ref === undefined) {
        throw new TypeError(
          `graph node ${clip(key)} needs ${clip(k)}, which is unknown`,
        );
      }
      return ref;
    });
    const id = `${module}#${name}`;
    let task = tasks.get(id);
    if (task === undefined) tasks.set(id, task = namedTask(module, name));
    const sites: DepSite[] = refs.map((ref, i) => ({ path: paths[i], ref }));
    const node = new Delayed(
      key,
      task,
      fillArgs(args, paths, refs),
      sites,
      cleanOptions(options as TaskOptions),
    );
    built.set(key, node);
    out.push(node);
  }
  return out;
}

/**
 * Whether `p` is where a dependency goes in a node's arguments: an index,
 * then property names, indices or Map keys, all primitive (a peer's object
 * there would be turned into a string along the way, at any cost) and no
 * `__proto__`.
 */
function isPath(p: unknown): p is (string | number)[] {
  return Array.isArray(p) && p.length > 0 && p.length <= 1000 &&
    Number.isSafeInteger(p[0]) && (p[0] as number) >= 0 &&
    p.every((s) =>
      typeof s === "number" || typeof s === "boolean" ||
      (typeof s === "string" && s !== "__proto__")
    );
}

/** Only the options a scheduler reads, and only sound values of them. */
function cleanOptions(o: TaskOptions): TaskOptions {
  const out: TaskOptions = {};
  if (Number.isInteger(o.retries) && o.retries! >= 0) out.retries = o.retries;
  if (typeof o.timeout === "number" && o.timeout > 0) out.timeout = o.timeout;
  if (Number.isFinite(o.priority)) out.priority = o.priority;
  if (
    Array.isArray(o.workers) && o.workers.every((w) => typeof w === "string")
  ) out.workers = o.workers;
  if (validResources(o.resources)) out.resources = o.resources;
  return out;
}
