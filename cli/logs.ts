/**
 * `troupe logs <host:port> <worker>`: the last lines of a worker node's
 * log, fetched from it through the scheduler (what its logger wrote, and
 * the errors of the tasks that failed there).
 *
 * @module
 */

import { escapeControl } from "../actors/preview.ts";
import type { WorkerLogLine } from "../cluster/scheduler/worker_ops.ts";
import { CLUSTER_HELP, CLUSTER_OPTIONS, withCluster } from "./cluster_call.ts";
import { EXIT, parseCommand, UsageError, wholeNumber } from "./usage.ts";

const HELP = `troupe logs: the last lines of a worker node's log

usage: troupe logs <scheduler host:port> <worker> [options]

options:
  --lines N         how many (default 100, at most 500: what a node keeps)
  --timeout MS      how long the worker has to answer (default 5000)
  --json            the lines as JSON, one object per line
${CLUSTER_HELP}
  -h, --help        this help

A worker keeps the last 500 lines of its log: what troupe worker logs (joins,
losses, retries, with or without --verbose) and the errors of the tasks that
failed there, each cut to 1,000 characters. The worker is a name from troupe
status; a node of several threads by its own name (alpha for alpha.0,
alpha.1, ...) gives all its threads' lines, by time. Exit code 1 when no
worker has that name or it does not answer in time.`;

/**
 * A log line as a terminal shows it: time, worker, level, text (a stack's
 * lines indented under it), control characters escaped.
 *
 * @example
 * ```ts
 * import { formatLogLine } from "./logs.ts";
 * console.log(formatLogLine({ time: 0, worker: "w1", level: "info", text: "joined" }));
 * // 1970-01-01T00:00:00.000Z  w1  info   joined
 * ```
 */
export function formatLogLine(l: WorkerLogLine): string {
  const [first, ...more] = l.text.split("\n").map(escapeControl);
  const head = `${new Date(l.time).toISOString()}  ${
    escapeControl(l.worker)
  }  ${l.level.padEnd(5)}  `;
  return [head + first, ...more.map((m) => `    ${m}`)].join("\n");
}

/**
 * Run `troupe logs` with `args`; resolves to the exit code.
 *
 * @example
 * ```ts ignore
 * import { logsCommand } from "./logs.ts";
 * Deno.exit(await logsCommand(["127.0.0.1:8786", "worker-1"]));
 * ```
 */
export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("logs", args, {
    allowPositionals: true,
    options: {
      ...CLUSTER_OPTIONS,
      lines: { type: "string", default: "100" },
      timeout: { type: "string", default: "5000" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      "logs",
      "troupe logs <scheduler host:port> <worker>",
    );
  }
  const lines = wholeNumber("logs", "--lines", values.lines, 1, 500);
  const timeoutMs = wholeNumber(
    "logs",
    "--timeout",
    values.timeout,
    1,
    600_000,
  );
  const [address, worker] = positionals;
  const got = await withCluster(
    "logs",
    address,
    values,
    (client) => client.workerLogs(worker, { lines, timeoutMs }),
  );
  if ("exit" in got) return got.exit;
  for (const l of got.value) {
    console.log(values.json ? JSON.stringify(l) : formatLogLine(l));
  }
  return EXIT.ok;
}
