/**
 * `GET /api/graph?computation=ID[&max=N]`: a computation's task graph now,
 * for the page's graph view: its tasks with their state and dependencies,
 * or past `max` tasks (default 300, at most 500) one node per task name
 * with its tasks counted by state (see `graph_snapshot.ts`). Built when
 * asked, bounded: at most 500 tasks or 200 groups, 5,000 edges, keys and
 * names cut to 200 characters. A bad or unknown id is answered with 400 or
 * 404 and `{ error }` saying what was wrong.
 *
 * @module
 */

import { computationGraph, Scheduler } from "../graph/scheduler.ts";
import type { TaskGraph } from "../graph/graph_snapshot.ts";
import type { Computation } from "../graph/computation.ts";
import type { HttpResponse } from "./dashboard_http.ts";

/** Tasks drawn one by one by default, and at most. */
const DEFAULT_MAX = 300;
const MAX_TASKS = 500;
/** Characters of a key or task name in an answer at most. */
const NAME_MAX = 200;

/**
 * The answer to a graph request (`url`'s query) for the cluster `source`.
 *
 * @example
 * ```ts
 * import { graphAnswer } from "./graph_api.ts";
 * const answer = graphAnswer({}, new URL("http://x/api/graph?computation=x"));
 * console.log(answer.status); // 400
 * ```
 */
export function graphAnswer(source: unknown, url: URL): HttpResponse {
  const asked = url.searchParams.get("computation") ?? "";
  if (!/^[1-9][0-9]{0,14}$/.test(asked)) {
    return error(
      400,
      `computation must be a computation's id (a positive integer), got ${
        JSON.stringify(asked.slice(0, 40))
      }${asked.length > 40 ? "…" : ""}`,
    );
  }
  const maxText = url.searchParams.get("max");
  const max = maxText === null ? DEFAULT_MAX : Number(maxText);
  if (!(Number.isInteger(max) && max >= 0 && max <= MAX_TASKS)) {
    return error(
      400,
      `max must be a number of tasks from 0 to ${MAX_TASKS}, got ${
        JSON.stringify(String(maxText).slice(0, 40))
      }`,
    );
  }
  const scheduler = (source as { scheduler?: unknown })?.scheduler;
  const id = Number(asked);
  const graph = scheduler instanceof Scheduler
    ? computationGraph(scheduler, id, max)
    : undefined;
  if (graph === undefined) {
    return error(
      404,
      `no computation ${id}: the scheduler keeps the graphs of those running and of the last 8 finished`,
    );
  }
  return {
    status: 200,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
    },
    body: JSON.stringify(bounded(graph)),
  };
}

/**
 * The graph the page opens with (so that it shows before any fetch): of
 * computation `asked` (the page's `?graph=`), else of the latest running
 * one, else of the latest; undefined when there is none.
 *
 * @example
 * ```ts
 * import { initialGraph } from "./graph_api.ts";
 * console.log(initialGraph({}, [], null)); // undefined
 * ```
 */
export function initialGraph(
  source: unknown,
  computations: readonly Computation[],
  asked: string | null,
): TaskGraph | undefined {
  const scheduler = (source as { scheduler?: unknown })?.scheduler;
  if (!(scheduler instanceof Scheduler)) return undefined;
  const running = computations.filter((c) => c.done < c.total);
  const id = asked !== null && /^[1-9][0-9]{0,14}$/.test(asked)
    ? Number(asked)
    : (running.length > 0 ? running : computations).at(-1)?.id;
  const graph = id === undefined
    ? undefined
    : computationGraph(scheduler, id, DEFAULT_MAX);
  return graph === undefined ? undefined : bounded(graph);
}

/**
 * `g` with its keys and names cut to `NAME_MAX` characters, and its
 * computation without its counts per task name (the status has them; they
 * are as many as its task names).
 */
function bounded(g: TaskGraph): TaskGraph {
  const cut = (s: string) =>
    s.length > NAME_MAX ? s.slice(0, NAME_MAX - 1) + "…" : s;
  const { groups: _groups, ...computation } = g.computation;
  return {
    ...g,
    computation: {
      ...computation,
      ...(computation.name === undefined
        ? {}
        : { name: cut(computation.name) }),
    },
    ...(g.tasks === undefined ? {} : {
      tasks: g.tasks.map((t) => ({ ...t, key: cut(t.key), task: cut(t.task) })),
    }),
    ...(g.groups === undefined
      ? {}
      : { groups: g.groups.map((x) => ({ ...x, task: cut(x.task) })) }),
  };
}

function error(status: number, message: string): HttpResponse {
  return {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
    },
    body: JSON.stringify({ error: message }),
  };
}
