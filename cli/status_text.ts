/**
 * A cluster's status as text for a terminal: its nodes in a table (with
 * their resources, CPU, memory and work), tasks by state, computations
 * with a bar each, transfers, cluster-wide sync primitives in use, the
 * actor system's counts and each node's actors (as its heartbeat said).
 *
 * @module
 */

import type { ClusterStatus } from "../cluster/scheduler/cluster.ts";
import { renderProgress } from "../cluster/graph/progress.ts";
import { showAddress } from "../cluster/scheduler/scheduler_main.ts";
import { escapeControl } from "../actors/preview.ts";
import {
  type ActorReport,
  checkActorReport,
} from "../cluster/wire/actor_report.ts";

/**
 * Text that came from the cluster, as it may be printed: its control
 * characters escaped (a node's name could otherwise hold terminal escape
 * codes that clear the screen or rewrite what is above it).
 */
function safe(x: unknown): string {
  return escapeControl(String(x));
}

/** `rows` as columns padded to their widest cell, two spaces apart. */
function table(rows: string[][], numeric: boolean[]): string[] {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((r) => r[i].length))
  );
  return rows.map((r) =>
    r.map((cell, i) =>
      numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])
    ).join("  ").trimEnd()
  );
}

/** `1234567` as `1,234,567`. */
function grouped(n: number): string {
  return safe(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Bytes in a unit that fits: `512 B`, `12.5 MiB`. */
function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

/** `n thing` or `n things`. */
function count(n: number, thing: string): string {
  return `${grouped(n)} ${thing}${n === 1 ? "" : "s"}`;
}

/**
 * A node's actors report as the status carries it (a dashboard's JSON has
 * `null` for an unbounded mailbox), checked; undefined when it is none.
 */
function actorReport(x: unknown): ActorReport | undefined {
  const deepest = (x as { deepest?: unknown })?.deepest;
  try {
    return checkActorReport({
      ...x as object,
      deepest: Array.isArray(deepest)
        ? deepest.map((m) =>
          m?.capacity === null ? { ...m, capacity: Infinity } : m
        )
        : deepest,
    });
  } catch {
    return undefined;
  }
}

/**
 * What a node is doing besides its work: paused (past its memory's pause
 * fraction: no new task), retiring, and its held memory against its limit.
 */
function nodeState(n: ClusterStatus["nodes"][number]): string {
  const m = n.heldMemory;
  const held = m === undefined || !(m.limit > 0)
    ? ""
    : `held ${bytes(m.memory)} of ${bytes(m.limit)}${
      m.spilled > 0 ? `, ${bytes(m.spilled)} spilled` : ""
    }`;
  const flags = [
    ...(n.retiring ? ["retiring"] : []),
    ...(m?.paused ? ["paused"] : []),
  ].join(", ");
  if (flags === "") return held === "" ? "-" : held;
  return held === "" ? flags : `${flags} (${held})`;
}

/**
 * The lines of `troupe status` for `status`.
 *
 * @example
 * ```ts
 * import type { ClusterStatus } from "@troupe/troupe/cluster";
 * import { formatStatus } from "./status_text.ts";
 * import assert from "node:assert/strict";
 *
 * const status: ClusterStatus = {
 *   address: "127.0.0.1:8786",
 *   time: 0,
 *   nodes: [{
 *     name: "w1", address: "127.0.0.1:50001", joined: 0,
 *     resources: { GPU: 2 }, inFlight: 1, queued: 0, held: 3,
 *   }],
 *   tasks: { memory: 3 },
 *   computations: [{ id: 1, total: 4, done: 4, erred: 0 }],
 *   transfers: { direct: 2, relayed: 0 },
 *   stream: [],
 *   actors: { count: 5, mailboxes: 0, deadLetters: 0, busiest: [] },
 *   sync: [],
 * };
 * const text = formatStatus(status);
 * assert.match(text, /^cluster at 127\.0\.0\.1:8786: 1 node$/m);
 * assert.match(text, /^ {2}w1 +127\.0\.0\.1:50001 +GPU=2 +- +- +1 +0 +3$/m);
 * ```
 */
export function formatStatus(status: ClusterStatus): string {
  const out: string[] = [];
  out.push(
    `cluster at ${safe(showAddress(status.address))}: ${
      count(status.nodes.length, "node")
    }`,
  );
  if (status.nodes.length === 0) {
    out.push("  (no nodes yet: start some with troupe worker <host:port>)");
  } else {
    const rows = [
      [
        "name",
        "address",
        "resources",
        "cpu",
        "memory",
        "in flight",
        "queued",
        "held",
      ],
      ...status.nodes.map((n) => [
        safe(n.name),
        safe(n.address),
        Object.entries(n.resources ?? {}).map(([k, v]) => safe(`${k}=${v}`))
          .join(",") || "-",
        n.cpu === undefined ? "-" : `${Math.round(n.cpu)}%`,
        n.memory === undefined ? "-" : bytes(n.memory.rss),
        grouped(n.inFlight),
        grouped(n.queued),
        grouped(n.held),
      ]),
    ];
    const numeric = [false, false, false, true, true, true, true, true];
    // A state column only when a node has one to show (paused, retiring,
    // a memory limit): the usual table stays narrow.
    const states = status.nodes.map(nodeState);
    if (states.some((s) => s !== "-")) {
      rows[0].push("state");
      states.forEach((s, i) => rows[i + 1].push(s));
      numeric.push(false);
    }
    for (const line of table(rows, numeric)) out.push(`  ${line}`);
  }
  const states = Object.entries(status.tasks);
  out.push(
    `tasks: ${
      states.length === 0
        ? "none"
        : states.map(([state, n]) => `${safe(state)} ${grouped(n)}`).join(", ")
    }`,
  );
  if (status.computations.length === 0) {
    out.push("computations: none yet");
  } else {
    out.push("computations:");
    for (const c of status.computations) {
      out.push(`  #${safe(c.id)}  ${safe(renderProgress(c, 0))}`);
    }
  }
  const { direct, relayed } = status.transfers ?? { direct: 0, relayed: 0 };
  out.push(
    `transfers: ${grouped(direct)} node to node, ${
      grouped(relayed)
    } through the scheduler`,
  );
  const sync = status.sync ?? [];
  if (sync.length > 0) {
    out.push(
      `sync in use: ${sync.map((p) => safe(`${p.kind} ${p.name}`)).join(", ")}`,
    );
  }
  const a = status.actors;
  if (a !== undefined) {
    out.push(
      `actors: ${count(a.count, "actor")}, ${
        count(a.mailboxes, "message")
      } in mailboxes, ${count(a.deadLetters, "dead letter")}`,
    );
  }
  // Each node's actors, as its heartbeat said (names and reasons are its).
  const reporting = status.nodes.filter((n) => n.actors !== undefined);
  if (reporting.length > 0) out.push("actors on the nodes:");
  for (const n of reporting) {
    const r = actorReport(n.actors);
    if (r === undefined) {
      out.push(`  ${safe(n.name)}: (a report of its actors that is none)`);
      continue;
    }
    const letters = Object.entries(r.deadLetters);
    const dead = letters.reduce((sum, [, k]) => sum + k, 0);
    const deepest = r.deepest.map((m) =>
      `${safe(m.actor)} ${grouped(m.depth)}/${
        m.capacity === Infinity ? "unbounded" : grouped(m.capacity)
      }`
    );
    out.push(
      `  ${safe(n.name)}: ${count(r.count, "actor")}, ${
        grouped(r.mailboxes)
      } waiting, ${count(r.restarts, "restart")}, ${
        count(dead, "dead letter")
      }${
        letters.length === 0
          ? ""
          : ` (${
            letters.map(([k, v]) => `${safe(k)} ${grouped(v)}`).join(", ")
          })`
      }${deepest.length === 0 ? "" : `; deepest: ${deepest.join(", ")}`}`,
    );
  }
  return out.join("\n");
}
