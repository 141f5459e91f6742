/**
 * `troupe cancel <host:port> <name|id>`: cancel a running computation of a
 * cluster, by its name (a client's `jobName`, or the module name `troupe
 * run` gives) or its number (as `troupe status` and the dashboard show it).
 *
 * @module
 */

import { connect } from "../cluster/client/client.ts";
import { parseAddress } from "../cluster/wire/endpoint.ts";
import { commandLineSecret, secretHint } from "../cluster/wire/secrets.ts";
import { EXIT, parseCommand, reportFailure, UsageError } from "./usage.ts";

const HELP =
  `troupe cancel: cancel a running computation of a cluster, by name or number

usage: troupe cancel <scheduler host:port> <name | number> [options]

options:
  --secret-file F   the cluster's shared secret (default: the TROUPE_SECRET
                    environment variable, else for a scheduler on loopback
                    the secret file troupe scheduler wrote)
  --tls-ca F        the CA certificate (PEM) of a scheduler started with TLS
  -h, --help        this help

Every running computation with that name (a client's jobName; troupe run
names its computations after the module, as job.ts) or that number (#3 on
the dashboard: 3) is cancelled: its tasks not done are cancelled, and the
program that waits for its result gets a CancelledError. Exit code 0 when
one was cancelled, 1 when none matched.`;

/**
 * Run `troupe cancel` with `args`; resolves to the exit code.
 *
 * @example
 * ```ts ignore
 * import { cancelCommand } from "./cancel.ts";
 * Deno.exit(await cancelCommand(["127.0.0.1:8786", "nightly"]));
 * ```
 */
export async function cancelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("cancel", args, {
    allowPositionals: true,
    options: {
      "secret-file": { type: "string" },
      "tls-ca": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      "cancel",
      "troupe cancel <scheduler host:port> <name | number>",
    );
  }
  const [address, which] = positionals;
  try {
    parseAddress(address);
  } catch (e) {
    throw new UsageError(
      "cancel",
      (e as Error).message.replace(/^config: /, ""),
    );
  }
  let cancelled;
  try {
    const secret = await commandLineSecret(address, values["secret-file"]);
    const tls = values["tls-ca"] === undefined
      ? undefined
      : { caCerts: [await Deno.readTextFile(values["tls-ca"])] };
    const client = await connect(address, { secret, tls, reconnect: false });
    try {
      cancelled = await client.cancelComputations(which.replace(/^#/, ""));
    } finally {
      await client.close();
    }
  } catch (e) {
    const why = (e as Error).message;
    return reportFailure(
      "cancel",
      /auth/i.test(why)
        ? `the scheduler at ${address} refused this client (${why}): ${
          secretHint(address)
        }`
        : `could not ask the scheduler at ${address} (${why}): is troupe scheduler running there?`,
    );
  }
  if (cancelled.length === 0) {
    return reportFailure(
      "cancel",
      `no running computation is named or numbered "${which}" (troupe status ${address} lists them)`,
    );
  }
  for (const c of cancelled) {
    console.log(
      `cancelled computation #${c.id}${
        c.name ? ` (${c.name})` : ""
      }: ${c.done}/${c.total} tasks had ended`,
    );
  }
  return EXIT.ok;
}
