/**
 * `troupe worker <host:port>`: join a cluster as a worker node (the code of
 * `cluster/node_main.ts`, with the command's own help).
 *
 * @module
 */

import { nodeMain } from "../cluster/node/node_main.ts";
import { EXIT, UsageError } from "./usage.ts";
import { MEMORY_HELP } from "../cluster/memory/memory_args.ts";

const HELP = `troupe worker: join a cluster as a worker node, and run its tasks

usage: troupe worker <scheduler host:port> [options]

options:
  --name NAME          its name in the cluster (default: a random one; unique)
  --nthreads N         run N tasks at once: the process and N - 1 Web Workers,
                       joining as NAME.0, NAME.1, ... (default 1)
  --secret-file F      the cluster's secret (default: the TROUPE_SECRET
                       environment variable, else for a scheduler on loopback
                       the secret file troupe scheduler wrote)
  --tls-ca F           the CA certificate (PEM) of a scheduler started with TLS
  --tls-cert F --tls-key F
                       with --tls-ca: serve its values to the other nodes over
                       TLS (else a TLS cluster's values go through the scheduler)
  --resources R=N,...  what it has, for tasks that ask (e.g. GPU=2)
${MEMORY_HELP}
  --verbose            log joins and losses on stderr
  --metrics-port P     serve /metrics, /healthz and /readyz on this port (0:
                       any free one; it prints "metrics at <url>")
  --metrics-host H     where that listens (default 127.0.0.1; elsewhere it
                       asks for the dashboard's token, derived from the secret)
  --exit-with-parent   leave when stdin closes (for a program that starts it)
  -h, --help           this help

It serves the cluster until SIGINT or SIGTERM, then leaves in good order (exit
code 0): the scheduler gives its tasks to other workers, and a leave does not
count as a worker death against them (a crash or a lost connection does). While
the scheduler is away it dials again, with backoff; it exits 1 when refused (a
wrong secret, another protocol version), 2 for a usage error. Its tasks
are functions exported by modules it imports by URL: the same files at the same
paths as on the client, or, for a compiled troupe, the modules compiled into
it. It serves the values it holds to the other nodes on the same interface.`;

/**
 * `troupe worker <host:port> ...`: the exit code once the node has left.
 *
 * @example
 * ```ts ignore
 * import { workerCommand } from "./worker.ts";
 * Deno.exit(await workerCommand(["127.0.0.1:8786", "--name", "w1"]));
 * ```
 */
export async function workerCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (args.length === 0) {
    throw new UsageError(
      "worker",
      "the scheduler's address is missing: troupe worker <host:port>",
    );
  }
  // (node_main reports its own usage errors, exit code 2)
  return await nodeMain(args, {
    name: "troupe worker",
    usage: "(troupe worker --help says how)",
  });
}
