/**
 * The `troupe` command: run a cluster's scheduler and its workers, run a
 * module's task graph on a cluster, see a cluster's status, take the tour.
 * `troupe --help` lists the commands, `troupe <command> --help` says how
 * each goes. Exit codes: 0 done, 1 a failure at run time, 2 a usage error.
 *
 * Run it with `deno task troupe <command> ...`, or compile it into one
 * binary with `deno task compile` (see the README, "Shipping one binary").
 *
 * This file is the face of cli/, the top of the tree: cli/ may import every
 * other folder, and none imports it.
 *
 * @module
 */

// First: a copy of a compiled troupe started as a process host or as a
// cluster node becomes one here, before the command's own code runs.
import "@troupe/troupe/host";
import "@troupe/troupe/node";
import type { ExecSpec } from "../actors/hosts/hosts.ts";
export type { ExecSpec };
import { schedulerMain } from "../cluster/scheduler/scheduler_main.ts";
import { demoCommand } from "./demo.ts";
import { runCommand } from "./run.ts";
import { statusCommand } from "./status.ts";
import { EXIT, reportFailure, reportUsage, UsageError } from "./usage.ts";
import { workerCommand } from "./worker.ts";
import { VERSION } from "./version.ts";
import { cancelCommand } from "./cancel.ts";
import { logsCommand } from "./logs.ts";
import { restartCommand } from "./restart.ts";

const HELP = `troupe: actors, pools, task graphs and clusters for Deno

usage: troupe <command> [options]

commands:
  scheduler          run a cluster's scheduler, and its dashboard
  worker <host:port> join a cluster as a worker node
  run <module>       compute a module's task graph (or run its main) on a
                     cluster: a running one (--scheduler) or a local one
  status <host:port> the cluster at a glance: nodes, tasks, transfers
  cancel <host:port> <name|number>
                     cancel a running computation
  logs <host:port> <worker>
                     the last lines of a worker's log
  restart <host:port>
                     every worker reloads its task modules
  demo               a short tour of troupe
  help <command>     how a command goes (also: troupe <command> --help)
  --version          troupe's version

A cluster across machines:
  troupe scheduler --host 0.0.0.0          # prints its address and dashboard
  troupe worker scheduler-host:8786        # on each worker machine
  troupe run job.ts --scheduler scheduler-host:8786
  troupe status scheduler-host:8786

The cluster's shared secret comes from --secret-file or the TROUPE_SECRET
variable; off loopback it is required. Exit codes: 0 done, 1 a failure at
run time (the message says what to do), 2 a usage error.`;

/**
 * What the commands need from the program that runs them.
 *
 * @example
 * ```ts
 * import type { TroupeOptions } from "./troupe.ts";
 * const options: TroupeOptions = { exec: { command: "./troupe", args: [] } };
 * ```
 */
export interface TroupeOptions {
  /**
   * How to re-execute this program as a process host or a cluster node
   * (default: `deno run` of troupe's entries, or the binary itself when
   * compiled).
   */
  exec?: ExecSpec;
}

const COMMANDS = [
  "scheduler",
  "worker",
  "run",
  "status",
  "cancel",
  "logs",
  "restart",
  "demo",
];

/**
 * Run the command line `args`; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./troupe.ts";
 * console.log(await main(["status", "--help"])); // 0 (after the help)
 * ```
 */
export async function main(
  args: string[],
  options: TroupeOptions = {},
): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "scheduler":
        return await schedulerMain(rest);
      case "worker":
        return await workerCommand(rest);
      case "run":
        return await runCommand(rest, options);
      case "status":
        return await statusCommand(rest);
      case "cancel":
        return await cancelCommand(rest);
      case "logs":
        return await logsCommand(rest);
      case "restart":
        return await restartCommand(rest);
      case "demo":
        return await demoCommand(rest, options);
      case "help":
        if (rest[0] !== undefined) {
          if (!COMMANDS.includes(rest[0])) {
            throw new UsageError(
              "",
              `no command "${rest[0]}": the commands are ${
                COMMANDS.join(", ")
              }`,
            );
          }
          return await main([rest[0], "--help"], options);
        }
        console.log(HELP);
        return EXIT.ok;
      case "--version":
      case "-V":
        console.log(`troupe ${VERSION}`);
        return EXIT.ok;
      case "--help":
      case "-h":
        console.log(HELP);
        return EXIT.ok;
      case undefined:
        console.error(HELP);
        return EXIT.usage;
      default:
        throw new UsageError(
          "",
          `no command "${command}": the commands are ${COMMANDS.join(", ")}`,
        );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      return reportUsage(e.command, e.message);
    }
    // Anything not turned into a message by the command itself.
    const error = e as Error;
    return reportFailure(
      command ?? "",
      `${error?.name ?? "Error"}: ${error?.message ?? String(e)}`,
    );
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
