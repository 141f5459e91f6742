/**
 * `troupe status`: the cluster at a glance in the terminal, read from the
 * scheduler's dashboard (its JSON API), since a client's connection to the
 * scheduler does not carry the cluster's status.
 *
 * @module
 */

import { parseAddress } from "@troupe/troupe/cluster";
import {
  chooseToken,
  DashboardError,
  type DashboardTarget,
  defaultDashboard,
  fetchStatus,
  isSchedulerOf,
  parseDashboard,
} from "./dashboard_api.ts";
import { formatStatus } from "./status_text.ts";
import { showAddress } from "../cluster/scheduler_main.ts";
import { EXIT, parseCommand, reportFailure, UsageError } from "./usage.ts";

const HELP =
  `troupe status: the cluster at a glance: its nodes with their resources and
work, tasks by state, computations, transfers, the scheduler's actors

usage: troupe status <scheduler host:port> [--dashboard URL] [options]
       troupe status --dashboard URL

It reads the scheduler's dashboard (GET /api/status), not the scheduler's own
port: a client's connection to the scheduler carries graphs and results, not
the cluster's status. So the scheduler must serve its dashboard (troupe
scheduler does unless --no-dashboard). By default the dashboard of the
scheduler at host:port is http://host:8787/, troupe scheduler's default; give
another with --dashboard (the URL troupe scheduler printed, "?token=..." and
all, or its host:port). With both, it checks that the dashboard is that
scheduler's.

options:
  --dashboard URL     the dashboard to read
  --secret-file F     the cluster's secret, to derive the dashboard's token
                      from (default: the TROUPE_SECRET environment variable)
  --token-file F      the dashboard's token itself (as given to
                      troupe scheduler --dashboard-token-file)
  --json              print the status as JSON (as /api/status gives it)
  -h, --help          this help

It exits 0 when it printed the status, 1 when the dashboard could not be read
(with why and what to do), 2 for a usage error.`;

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
  let target: DashboardTarget;
  try {
    if (scheduler !== undefined) parseAddress(scheduler);
    target = values.dashboard !== undefined
      ? parseDashboard(values.dashboard)
      : { url: defaultDashboard(scheduler!) };
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
