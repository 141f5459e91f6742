/**
 * `troupe status`: the cluster at a glance in the terminal, asked of the
 * scheduler over a client connection (`client.status()`), or read from its
 * dashboard's JSON API with `--dashboard`.
 *
 * @module
 */

import type { ClusterStatus } from "../cluster/scheduler/cluster.ts";
import { connect } from "../cluster/client/client.ts";
import { parseAddress } from "../cluster/wire/endpoint.ts";
import {
  chooseToken,
  DashboardError,
  type DashboardTarget,
  fetchStatus,
  isSchedulerOf,
  parseDashboard,
} from "./dashboard_api.ts";
import { formatStatus } from "./status_text.ts";
import { commandLineSecret, secretHint } from "../cluster/wire/secrets.ts";
import { showAddress } from "../cluster/scheduler/scheduler_main.ts";
import { EXIT, parseCommand, reportFailure, UsageError } from "./usage.ts";

const HELP =
  `troupe status: the cluster at a glance: its nodes with their resources and
work, tasks by state, computations, transfers, the scheduler's actors

usage: troupe status <scheduler host:port> [options]
       troupe status --dashboard URL [options]

It asks the scheduler at host:port itself, over a client connection (with the
cluster's secret, and its CA with --tls-ca when it serves TLS). With
--dashboard it reads the scheduler's dashboard instead (GET /api/status: the
URL troupe scheduler printed, "?token=..." and all, or its host:port); with
both, it checks that the dashboard is that scheduler's.

options:
  --dashboard URL     read this dashboard rather than ask the scheduler
  --secret-file F     the cluster's secret (default: the TROUPE_SECRET
                      environment variable, else for a scheduler on loopback
                      the secret file troupe scheduler wrote); a dashboard's
                      token is derived from it
  --tls-ca F          the CA certificate (PEM) of a scheduler serving TLS
  --token-file F      the dashboard's token itself (as given to
                      troupe scheduler --dashboard-token-file)
  --json              print the status as JSON (as /api/status gives it)
  -h, --help          this help

It exits 0 when it printed the status, 1 when the scheduler or the dashboard
could not be read (with why and what to do), 2 for a usage error.`;

/**
 * `troupe status [<scheduler host:port>] [--dashboard URL] ...`: print the
 * cluster's status; the exit code.
 *
 * @example
 * ```ts ignore
 * import { statusCommand } from "./status.ts";
 * Deno.exit(await statusCommand(["127.0.0.1:8786"]));
 * ```
 */
export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand("status", args, {
    allowPositionals: true,
    options: {
      dashboard: { type: "string" },
      "secret-file": { type: "string" },
      "token-file": { type: "string" },
      "tls-ca": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      "status",
      `one scheduler at a time, got ${positionals.length}: ${
        positionals.join(" ")
      }`,
    );
  }
  const scheduler = positionals[0];
  if (scheduler === undefined && values.dashboard === undefined) {
    throw new UsageError(
      "status",
      "which cluster? troupe status <scheduler host:port>, or --dashboard URL",
    );
  }
  if (values.dashboard === undefined) {
    try {
      parseAddress(scheduler!);
    } catch (e) {
      throw new UsageError(
        "status",
        (e as Error).message.replace(/^config: /, ""),
      );
    }
    if (values["token-file"] !== undefined) {
      throw new UsageError(
        "status",
        "--token-file is for a dashboard: give --dashboard URL too (or leave it out to ask the scheduler)",
      );
    }
    return await askScheduler(scheduler!, {
      secretFile: values["secret-file"],
      tlsCa: values["tls-ca"],
      json: values.json,
    });
  }
  let target: DashboardTarget;
  try {
    if (scheduler !== undefined) parseAddress(scheduler);
    target = parseDashboard(values.dashboard);
  } catch (e) {
    throw new UsageError(
      "status",
      (e as Error).message.replace(/^config: /, ""),
    );
  }

  try {
    target.token = await chooseToken({
      tokenFile: values["token-file"],
      fromUrl: target.token,
      secretFile: values["secret-file"],
    });
    const status = await fetchStatus(target, {
      signal: AbortSignal.timeout(30_000),
    });
    if (
      scheduler !== undefined && !isSchedulerOf(status, scheduler)
    ) {
      return reportFailure(
        "status",
        `the dashboard at ${target.url.href} is the one of the scheduler at ${
          showAddress(status.address)
        }, not ${scheduler}: give that scheduler's dashboard with --dashboard URL (troupe scheduler prints it)`,
      );
    }
    console.log(
      values.json
        ? JSON.stringify(status, null, 2)
        : `${
          formatStatus(status)
        }\n(read from the dashboard at ${target.url.href})`,
    );
    return EXIT.ok;
  } catch (e) {
    if (e instanceof DashboardError) {
      return reportFailure(
        "status",
        e.kind === "unreachable"
          ? `${e.message}: is the scheduler serving its dashboard there? troupe scheduler serves one unless --no-dashboard, and prints its URL: give it with --dashboard URL`
          : e.message,
      );
    }
    if (e instanceof DOMException && e.name === "TimeoutError") {
      return reportFailure(
        "status",
        `the dashboard at ${target.url.href} did not answer within 30 s: is it a troupe dashboard, reachable from here?`,
      );
    }
    return reportFailure("status", (e as Error).message);
  }
}

/** Print the status the scheduler at `address` gives a client; the exit code. */
async function askScheduler(
  address: string,
  o: { secretFile?: string; tlsCa?: string; json: boolean },
): Promise<number> {
  let status: ClusterStatus;
  try {
    const secret = await commandLineSecret(address, o.secretFile);
    const tls = o.tlsCa === undefined
      ? undefined
      : { caCerts: [await Deno.readTextFile(o.tlsCa)] };
    const client = await connect(address, {
      secret,
      tls,
      reconnect: false,
      name: "troupe-status",
    });
    try {
      status = await client.status();
    } finally {
      await client.close();
    }
  } catch (e) {
    const why = (e as Error).message;
    return reportFailure(
      "status",
      /auth/i.test(why)
        ? `the scheduler at ${address} refused this client (${why}): ${
          secretHint(address)
        }`
        : `could not ask the scheduler at ${address} (${why}): is troupe scheduler running there? (it prints its address)`,
    );
  }
  console.log(
    o.json
      ? JSON.stringify(status, null, 2)
      : `${formatStatus(status)}\n(asked of the scheduler at ${
        showAddress(status.address)
      })`,
  );
  return EXIT.ok;
}
