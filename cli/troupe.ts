/**
 * The `troupe` command: `troupe scheduler [...]` runs a cluster's scheduler,
 * `troupe worker <host:port> [...]` joins one as a worker node, and
 * `troupe --help` (or `troupe <command> --help`) says how. Exit codes: 0
 * done, 1 a failure at run time, 2 a usage error.
 *
 * Run it with `deno task troupe <command> ...`.
 *
 * @module
 */

import { nodeMain } from "../cluster/node_main.ts";
import { schedulerMain } from "../cluster/scheduler_main.ts";

const HELP = `troupe: actors, pools, task graphs and clusters for Deno

usage: troupe <command> [options]

commands:
  scheduler   run a cluster's scheduler: nodes and clients connect to it
              (troupe scheduler --help)
  worker      join a cluster as a worker node: troupe worker <host:port>
              (troupe worker --help)

The shared secret comes from --secret-file or the TROUPE_SECRET variable;
off loopback it is required.`;

/** Run the command line `args`; the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "scheduler":
      return await schedulerMain(rest);
    case "worker":
      return await nodeMain(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(HELP);
      return command === undefined ? 2 : 0;
    default:
      console.error(`troupe: no command "${command}"\n\n${HELP}`);
      return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
