/**
 * A cluster in the Prometheus text exposition format (version 0.0.4), for
 * the tools operators already run: what `GET /metrics` serves on the
 * scheduler's dashboard port. The figures come from a `ClusterStatus`:
 * gauges of now, and the engine's running totals (task durations as a
 * histogram, bytes moved), which only grow.
 *
 * @module
 */

import type { ClusterStatus } from "../scheduler/cluster.ts";

/** One metric family as text: HELP, TYPE, then its samples. */
function family(
  name: string,
  type: "gauge" | "counter" | "histogram",
  help: string,
  samples: readonly (readonly [string, number])[],
): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const [suffixAndLabels, value] of samples) {
    out += `${name}${suffixAndLabels} ${number(value)}\n`;
  }
  return out;
}

/** A sample's value as Prometheus writes it. */
function number(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return String(x);
}

/**
 * A label set `{k="v",...}` with values escaped as the format asks
 * (backslash, double quote, newline).
 *
 * @example
 * ```ts
 * import { labels } from "./metrics_text.ts";
 * console.log(labels({ node: 'a"b' })); // {node="a\"b"}
 * ```
 */
export function labels(set: Record<string, string>): string {
  const parts = Object.entries(set).map(([k, v]) =>
    `${k}="${
      v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    }"`
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** The states a task is counted in, always written (0 when none). */
const TASK_STATES = [
  "waiting",
  "ready",
  "processing",
  "memory",
  "erred",
  "cancelled",
  "released",
];

/**
 * `status` as Prometheus text: tasks by state, task durations, bytes and
 * values moved, nodes with their work, CPU, memory and spilled bytes,
 * actors, mailboxes and dead letters.
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { startCluster } from "@troupe/troupe/cluster";
 * import { renderMetrics } from "./metrics_text.ts";
 * import assert from "node:assert/strict";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * assert.match(renderMetrics(cluster.status()), /^troupe_nodes 0$/m);
 * ```
 */
export function renderMetrics(status: ClusterStatus): string {
  const tasks = { ...status.tasks };
  for (const s of TASK_STATES) tasks[s] ??= 0;
  const out: string[] = [];
  out.push(family(
    "troupe_tasks",
    "gauge",
    "Tasks the scheduler knows, by state.",
    Object.entries(tasks).sort().map(([state, n]) => [
      labels({ state }),
      n,
    ]),
  ));
  const running = status.computations.filter((c) => c.done < c.total);
  out.push(family(
    "troupe_computations_running",
    "gauge",
    "Computations not finished.",
    [["", running.length]],
  ));
  const h = status.taskDurations;
  if (h !== undefined) {
    let cumulative = 0;
    const samples: [string, number][] = h.bounds.map((le, i) => {
      cumulative += h.counts[i];
      return [`_bucket${labels({ le: String(le) })}`, cumulative];
    });
    samples.push([`_bucket${labels({ le: "+Inf" })}`, h.count]);
    samples.push(["_sum", h.sum], ["_count", h.count]);
    out.push(family(
      "troupe_task_duration_seconds",
      "histogram",
      "How long task runs took on their workers, as the scheduler saw them.",
      samples,
    ));
  }
  if (status.bytesMoved !== undefined) {
    out.push(family(
      "troupe_transfer_bytes_total",
      "counter",
      "Bytes of values moved between workers (as their sizes were reported).",
      [["", status.bytesMoved]],
    ));
  }
  out.push(family(
    "troupe_transfers_total",
    "counter",
    "Values moved between workers: node to node (direct) or through the scheduler (relayed).",
    [
      [labels({ path: "direct" }), status.transfers.direct],
      [labels({ path: "relayed" }), status.transfers.relayed],
    ],
  ));
  out.push(family("troupe_nodes", "gauge", "Nodes in the cluster.", [[
    "",
    status.nodes.length,
  ]]));
  const perNode = (
    name: string,
    help: string,
    value: (n: ClusterStatus["nodes"][number]) => number | undefined,
  ) => {
    const samples: [string, number][] = [];
    for (const n of status.nodes) {
      const v = value(n);
      if (v !== undefined) samples.push([labels({ node: n.name }), v]);
    }
    out.push(family(name, "gauge", help, samples));
  };
  perNode(
    "troupe_node_tasks_in_flight",
    "Tasks sent to a node and not finished.",
    (n) => n.inFlight,
  );
  perNode(
    "troupe_node_tasks_queued",
    "Ready tasks waiting for a node to have room.",
    (n) => n.queued,
  );
  perNode(
    "troupe_node_results_held",
    "Results a node holds.",
    (n) => n.held,
  );
  perNode(
    "troupe_node_cpu_percent",
    "A node process's CPU use over its last heartbeat, in percent of one core.",
    (n) => n.cpu,
  );
  perNode(
    "troupe_node_memory_rss_bytes",
    "A node process's resident memory at its last heartbeat.",
    (n) => n.memory?.rss,
  );
  perNode(
    "troupe_node_memory_heap_used_bytes",
    "A node process's V8 heap in use at its last heartbeat.",
    (n) => n.memory?.heapUsed,
  );
  // From what nodes with a memory limit report of their held results.
  perNode(
    "troupe_node_memory_limit_bytes",
    "A node's memory limit for the results it holds (0: none).",
    (n) => n.heldMemory?.limit,
  );
  perNode(
    "troupe_node_held_bytes",
    "Bytes of results a node holds in memory.",
    (n) => n.heldMemory?.memory,
  );
  perNode(
    "troupe_node_spilled_bytes",
    "Bytes of results a node holds spilled to its disk.",
    (n) => n.heldMemory?.spilled,
  );
  perNode(
    "troupe_node_paused",
    "1 while a node is past its pause fraction and is given no new task.",
    (n) => n.heldMemory === undefined ? undefined : n.heldMemory.paused ? 1 : 0,
  );
  // From what each node's heartbeat says of its actors.
  perNode(
    "troupe_node_actors",
    "Living actors on a node.",
    (n) => n.actors?.count,
  );
  perNode(
    "troupe_node_mailbox_messages",
    "Messages waiting in a node's actors' mailboxes.",
    (n) => n.actors?.mailboxes,
  );
  perNode(
    "troupe_node_mailbox_deepest",
    "Messages waiting in a node's deepest mailbox.",
    (n) => n.actors === undefined ? undefined : n.actors.deepest[0]?.depth ?? 0,
  );
  const restarts: [string, number][] = [];
  const letters: [string, number][] = [];
  for (const n of status.nodes) {
    if (n.actors === undefined) continue;
    restarts.push([labels({ node: n.name }), n.actors.restarts]);
    for (const [reason, count] of Object.entries(n.actors.deadLetters)) {
      letters.push([labels({ node: n.name, reason }), count]);
    }
  }
  out.push(family(
    "troupe_node_actor_restarts_total",
    "counter",
    "Actors a node's supervisors restarted since it joined.",
    restarts,
  ));
  out.push(family(
    "troupe_node_dead_letters_total",
    "counter",
    "Messages a node could not deliver since it joined, by reason.",
    letters,
  ));
  out.push(
    family(
      "troupe_actors",
      "gauge",
      "Living actors in the scheduler's actor system.",
      [[
        "",
        status.actors.count,
      ]],
    ),
  );
  out.push(family(
    "troupe_mailbox_messages",
    "gauge",
    "Messages waiting in the scheduler's actors' mailboxes.",
    [["", status.actors.mailboxes]],
  ));
  out.push(family(
    "troupe_dead_letters_total",
    "counter",
    "Messages that could not be delivered (dropped, to dead actors...).",
    [["", status.actors.deadLetters]],
  ));
  out.push(family(
    "troupe_task_failures_recent",
    "gauge",
    "Tasks that failed for good among the last 50 kept.",
    [["", status.failures?.length ?? 0]],
  ));
  return out.join("");
}
