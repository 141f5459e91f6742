/**
 * `troupe restart <host:port>`: every worker node of a cluster imports its
 * task modules again, fresh, without stopping (see
 * `Cluster.restartWorkers`).
 *
 * @module
 */

import { escapeControl } from "../actors/preview.ts";
import { CLUSTER_HELP, CLUSTER_OPTIONS, withCluster } from "./cluster_call.ts";
import { EXIT, parseCommand, UsageError, wholeNumber } from "./usage.ts";

const HELP = `troupe restart: every worker reloads its task modules

usage: troupe restart <scheduler host:port> [options]

options:
  --timeout MS      how long each worker has to answer (default 5000)
${CLUSTER_HELP}
  -h, --help        this help

Each worker imports every task module again, fresh, when a task of it next
runs: tasks running now finish on the old code, tasks started after run the
code on disk. Only the task modules themselves are read again: a module that
a task module imports keeps its first copy (to reload those, restart the
worker processes: SIGTERM each in turn and start it again, no work is lost).
A worker also reloads a task module by itself when its file changed on disk
since it loaded it. Exit code 1 when a worker did not answer.`;

/**
 * Run `troupe restart` with `args`; resolves to the exit code.
 *
 * @example
 * ```ts ignore
 * import { restartCommand } from "./restart.ts";
 * Deno.exit(await restartCommand(["127.0.0.1:8786"]));
 * ```
 */
export async function restartCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("restart", args, {
    allowPositionals: true,
    options: {
      ...CLUSTER_OPTIONS,
      timeout: { type: "string", default: "5000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    throw new UsageError("restart", "troupe restart <scheduler host:port>");
  }
  const timeoutMs = wholeNumber(
    "restart",
    "--timeout",
    values.timeout,
    1,
    600_000,
  );
  const got = await withCluster(
    "restart",
    positionals[0],
    values,
    (client) => client.restartWorkers({ timeoutMs }),
  );
  if ("exit" in got) return got.exit;
  const { reloaded, failed } = got.value;
  const names = (list: string[]) => list.map(escapeControl).join(", ");
  console.log(
    reloaded.length === 0 && failed.length === 0
      ? "no workers in the cluster"
      : `reloaded task modules on ${reloaded.length} worker${
        reloaded.length === 1 ? "" : "s"
      }${reloaded.length > 0 ? `: ${names(reloaded)}` : ""}`,
  );
  for (const f of failed) {
    console.error(
      `troupe restart: ${escapeControl(f.worker)} did not: ${
        escapeControl(f.error)
      }`,
    );
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failure;
}
