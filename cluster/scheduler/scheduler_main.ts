/**
 * A cluster's scheduler as a program, with its dashboard: `deno run
 * --allow-net --allow-read --allow-write
 * --allow-env=TROUPE_SECRET,TROUPE_RUNTIME_DIR,XDG_RUNTIME_DIR,HOME
 * cluster/scheduler_main.ts [--host H] [--port P] [--secret-file F]
 * [--tls-cert F --tls-key F] [--dashboard-port P | --no-dashboard]`
 * (`troupe scheduler` runs the same code; `--help` lists every option).
 * Nodes join with `node_main.ts` (or `troupe worker`), clients with
 * `connect(address)`. Once listening it prints `scheduler at <host:port>`,
 * then `dashboard at <url>`, then `secret in <file>` when it made the
 * cluster's secret itself (none was given), on stdout, and serves until
 * SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ActorSystem } from "../../actors/system.ts";
import { startCluster } from "./cluster.ts";
import { type Dashboard, serveDashboard } from "../dashboard/dashboard.ts";
import { isLoopback, readSecret } from "../wire/endpoint.ts";
import { importSecret } from "../wire/handshake.ts";
import {
  generateSecret,
  removeSchedulerSecret,
  writeSchedulerSecret,
} from "../wire/secrets.ts";
import { TransportError } from "../wire/wire_errors.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "./log.ts";

/**
 * The dashboard's port when none is given: the one after the scheduler's
 * 8786, as Dask's scheduler and dashboard are paired.
 *
 * @example
 * ```ts
 * import { DEFAULT_DASHBOARD_PORT } from "./scheduler_main.ts";
 * console.log(`http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/`);
 * ```
 */
export const DEFAULT_DASHBOARD_PORT = 8787;

const HELP =
  `troupe scheduler: run a cluster's scheduler; worker nodes and clients connect to it

usage: troupe scheduler [--host 127.0.0.1] [--port 8786] [options]

options:
  --host H                   the address to listen on (default 127.0.0.1;
                             any other needs the cluster's secret)
  --port P                   its port (default 8786; 0 picks a free one)
  --secret-file F            the cluster's shared secret (default: the
                             TROUPE_SECRET environment variable, else a new
                             one, written to a file only you can read)
  --insecure-no-secret       run without a secret (loopback only): any
                             process of this machine may join and run code
  --tls-cert F --tls-key F   listen with TLS (PEM files)
  --silence-ms MS            drop a node silent this long (default 5000)
  --dashboard-port P         the dashboard's port (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a
                             free one)
  --dashboard-host H         where the dashboard listens (default: --host)
  --dashboard-token-file F   the token the dashboard asks for (default off
                             loopback: one derived from the secret)
  --no-dashboard             serve no dashboard
  --log-level L              error, warn, info (default) or debug: what is
                             logged on stderr (nodes joining, leaving, lost;
                             tasks failed; peers refused)
  --log-format F             text (default) or json (one object per line)
  -h, --help                 this help

Once listening it prints "scheduler at <host:port>", then "dashboard at <url>",
then, when it made the secret itself, "secret in <file>", and serves until
SIGINT or SIGTERM (the file goes with it). Workers, status and run on this
machine read that file when given no secret; elsewhere, give them its content
(--secret-file, TROUPE_SECRET). Workers join with
"troupe worker <host:port>", programs with connect("<host:port>"), and
"troupe status <host:port>" shows the cluster in the terminal.

The dashboard (a live page, and its JSON API at /api/status) listens on
loopback unless told otherwise. Anywhere else every request must carry a token,
as ?token=... or "Authorization: Bearer ...": the one in --dashboard-token-file,
or else one derived from the cluster's secret (troupe status derives it too, so
the secret itself never travels). The URL printed carries the token; for a
dashboard on every interface (0.0.0.0, ::) it is the loopback one: from
another machine, put this machine's address in it.`;

/**
 * The dashboard token that goes with a cluster's `secret`: an HMAC-SHA256 of
 * a fixed label under the secret, so whoever holds the secret can compute it
 * and the secret itself is never sent to the dashboard.
 *
 * @example
 * ```ts
 * import { dashboardToken } from "./scheduler_main.ts";
 * import assert from "node:assert/strict";
 *
 * const token = await dashboardToken("s3cret");
 * assert.match(token, /^[0-9a-f]{32}$/);
 * assert.equal(await dashboardToken("s3cret"), token);
 * ```
 */
export async function dashboardToken(
  secret: string | Uint8Array,
): Promise<string> {
  const key = await importSecret(secret);
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode("troupe dashboard token v1"),
  );
  return Array.from(
    new Uint8Array(mac, 0, 16),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * `address` (`host:port`) as the other commands take it: an IPv6 host in
 * brackets (`[::1]:8786`), which the cluster's own `address` leaves bare.
 *
 * @example
 * ```ts
 * import { showAddress } from "./scheduler_main.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(showAddress("::1:8786"), "[::1]:8786");
 * assert.equal(showAddress("[::1]:8786"), "[::1]:8786");
 * assert.equal(showAddress("10.0.0.5:8786"), "10.0.0.5:8786");
 * ```
 */
export function showAddress(address: string): string {
  const m = /^([^\[\]]*:[^\[\]]*):(\d+)$/.exec(address);
  return m === null ? address : `[${m[1]}]:${m[2]}`;
}

/** A message about the command line, and exit code 2. */
function usage(message: string): number {
  console.error(
    `troupe scheduler: ${message}\n(troupe scheduler --help says how)`,
  );
  return 2;
}

/** A failure at run time, and exit code 1. */
function failure(message: string): number {
  console.error(`troupe scheduler: ${message}`);
  return 1;
}

/** A port number from `text`, or undefined. */
function port(text: string): number | undefined {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n < 65536 ? n : undefined;
}

/** What went wrong, in one line. */
function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Run the scheduler (and its dashboard) with command-line `args`; resolves
 * to the exit code once stopped: 0 after SIGINT or SIGTERM, 1 when it could
 * not start, 2 for a usage error.
 *
 * @example
 * ```ts ignore
 * import { schedulerMain } from "./scheduler_main.ts";
 * Deno.exit(await schedulerMain(["--port", "0", "--no-dashboard"]));
 * ```
 */
export async function schedulerMain(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "8786" },
        "secret-file": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "silence-ms": { type: "string", default: "5000" },
        "dashboard-port": {
          type: "string",
          default: String(DEFAULT_DASHBOARD_PORT),
        },
        "dashboard-host": { type: "string" },
        "dashboard-token-file": { type: "string" },
        "no-dashboard": { type: "boolean", default: false },
        "insecure-no-secret": { type: "boolean", default: false },
        "log-level": { type: "string", default: "info" },
        "log-format": { type: "string", default: "text" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    return usage(describe(e));
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!LOG_LEVELS.includes(values["log-level"] as LogLevel)) {
    return usage(
      `--log-level: one of ${LOG_LEVELS.join(", ")}, got "${
        values["log-level"]
      }"`,
    );
  }
  if (values["log-format"] !== "text" && values["log-format"] !== "json") {
    return usage(
      `--log-format: text or json, got "${values["log-format"]}"`,
    );
  }
  const log = createLogger({
    level: values["log-level"] as LogLevel,
    format: values["log-format"],
  });
  const listenPort = port(values.port);
  if (listenPort === undefined) {
    return usage(`--port: a port number (0 to 65535), got "${values.port}"`);
  }
  const dashboardPort = port(values["dashboard-port"]);
  if (dashboardPort === undefined) {
    return usage(
      `--dashboard-port: a port number (0 to 65535), got "${
        values["dashboard-port"]
      }"`,
    );
  }
  const silenceMs = Number(values["silence-ms"]);
  if (!(/^\d+$/.test(values["silence-ms"]) && silenceMs > 0)) {
    return usage(
      `--silence-ms: a number of milliseconds > 0, got "${
        values["silence-ms"]
      }"`,
    );
  }
  if (
    (values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)
  ) {
    return usage("--tls-cert and --tls-key go together");
  }
  const dashboardOptionGiven = args.some((a) =>
    /^--dashboard-(port|host|token-file)\b/.test(a)
  );
  if (values["no-dashboard"] && dashboardOptionGiven) {
    return usage(
      "--no-dashboard and a --dashboard-... option contradict each other: drop one",
    );
  }

  const insecure = values["insecure-no-secret"];
  if (insecure && values["secret-file"] !== undefined) {
    return usage(
      "--insecure-no-secret and --secret-file contradict each other: drop one",
    );
  }
  let secret, tls, fileToken;
  try {
    secret = insecure ? undefined : await readSecret(
      values["secret-file"] !== undefined
        ? { file: values["secret-file"] }
        : { env: "TROUPE_SECRET" },
    );
    tls = values["tls-cert"] !== undefined
      ? {
        cert: await Deno.readTextFile(values["tls-cert"]),
        key: await Deno.readTextFile(values["tls-key"]!),
      }
      : undefined;
    if (values["dashboard-token-file"] !== undefined) {
      fileToken = (await Deno.readTextFile(values["dashboard-token-file"]))
        .replace(/\r?\n$/, "");
      if (fileToken === "") {
        return failure(
          `the token file ${
            values["dashboard-token-file"]
          } is empty: put a token in it`,
        );
      }
    }
  } catch (e) {
    return failure(describe(e));
  }

  if (insecure && !isLoopback(values.host)) {
    return failure(
      `--insecure-no-secret is for loopback only, not ${values.host}: give the cluster's secret (--secret-file FILE or TROUPE_SECRET), or let troupe make one`,
    );
  }
  // No secret given: one of its own, which the workers, status and run of
  // this machine find in its file.
  const made = secret === undefined && !insecure ? generateSecret() : undefined;
  secret ??= made;

  await using system = new ActorSystem();
  let cluster;
  try {
    cluster = startCluster(system, {
      hostname: values.host,
      port: listenPort,
      secret: secret ?? false,
      tls,
      silenceMs,
      logger: (m) => log.warn(m),
      onEvent: (kind, message, { stack, ...fields }) =>
        log.log(
          kind === "lost" || kind === "task-failed" ? "warn" : "info",
          message,
          // (a stack is many lines: written at debug level only)
          {
            event: kind,
            ...fields,
            stack: log.enabled("debug") ? stack : undefined,
          },
        ),
    });
  } catch (e) {
    // A refused configuration says what to do itself; the OS's refusals
    // (a port taken, an address not here) do not say where.
    if (e instanceof TransportError) {
      return failure(describe(e));
    }
    return failure(
      `cannot listen on ${showAddress(`${values.host}:${listenPort}`)}: ${
        describe(e)
      }${
        e instanceof Deno.errors.AddrInUse
          ? " (another scheduler there? choose another --port, 0 for any free one)"
          : ""
      }`,
    );
  }
  await using _cluster = cluster;
  let secretFile: string | undefined;
  const boundPort = Number(
    cluster.address.slice(cluster.address.lastIndexOf(":") + 1),
  );
  if (made !== undefined) {
    try {
      secretFile = await writeSchedulerSecret(boundPort, made);
    } catch (e) {
      return failure(
        `${
          describe(e)
        }: give the cluster's secret (--secret-file FILE or TROUPE_SECRET), or allow writing there`,
      );
    }
  }
  await using _secretFile = {
    [Symbol.asyncDispose]: () =>
      made === undefined
        ? Promise.resolve()
        : removeSchedulerSecret(boundPort, made),
  };

  let dashboard: Dashboard | undefined;
  let token = fileToken;
  if (!values["no-dashboard"]) {
    const hostname = values["dashboard-host"] ?? values.host;
    if (token === undefined && !isLoopback(hostname)) {
      if (secret === undefined) {
        return failure(
          `the dashboard on ${hostname} (not loopback) needs a token: give --dashboard-token-file FILE or a cluster secret (--secret-file, TROUPE_SECRET) to derive it from, or keep it on loopback with --dashboard-host 127.0.0.1`,
        );
      }
      token = await dashboardToken(secret);
    }
    try {
      dashboard = serveDashboard(cluster, {
        hostname,
        port: dashboardPort,
        token,
      });
    } catch (e) {
      const taken = e instanceof Deno.errors.AddrInUse;
      return failure(
        `the dashboard cannot listen on ${hostname}:${dashboardPort}: ${
          describe(e)
        }${
          taken
            ? " (choose another --dashboard-port, 0 for any free one, or --no-dashboard)"
            : ""
        }`,
      );
    }
  }
  await using _dashboard = dashboard;
  // Listening for the signals before saying where: whoever reads the lines
  // below may stop it at once.
  const stop = Promise.withResolvers<void>();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => stop.resolve();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  // Both listen now: say where.
  console.log(`scheduler at ${showAddress(cluster.address)}`);
  if (dashboard !== undefined) {
    // The URL to open carries the token.
    console.log(
      `dashboard at ${dashboard.url}${
        token === undefined ? "" : `?token=${encodeURIComponent(token)}`
      }`,
    );
  }
  if (secretFile !== undefined) {
    console.log(
      `secret in ${secretFile} (readable by you alone; workers, status and run on this machine find it)`,
    );
  } else if (insecure) {
    console.error(
      "troupe scheduler: no secret (--insecure-no-secret): any process of this machine may join and run code on the workers",
    );
  }

  await stop.promise;
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  return 0;
}

if (import.meta.main) Deno.exit(await schedulerMain(Deno.args));
