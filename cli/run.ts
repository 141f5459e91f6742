/**
 * `troupe run <module>`: compute a module's task graph (or call its
 * `main(client)`) on a cluster, a running one or a local one started for
 * the run, with a progress bar on stderr and the result on stdout.
 *
 * @module
 */

import { readSchedulerSecret, secretHint } from "../cluster/wire/secrets.ts";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ActorSystem } from "../actors/system.ts";
import type { ExecSpec } from "../actors/hosts/hosts.ts";
import { type Client, connect } from "../cluster/client/client.ts";
import {
  isLoopback,
  parseAddress,
  readSecret,
} from "../cluster/wire/endpoint.ts";
import { localCluster } from "../cluster/scheduler/local_cluster.ts";
import { progressBar } from "../cluster/graph/progress.ts";
import {
  chooseToken,
  DashboardError,
  type DashboardTarget,
  isSchedulerOf,
  parseDashboard,
} from "./dashboard_api.ts";
import { DashboardProgress } from "./dashboard_progress.ts";
import {
  Interrupted,
  INTERRUPTED_EXIT,
  untilInterrupted,
} from "./interrupt.ts";
import { showAddress } from "../cluster/scheduler/scheduler_main.ts";
import { type Job, JobError, loadJob, resolveModule } from "./job.ts";
import {
  EXIT,
  parseCommand,
  reportFailure,
  UsageError,
  wholeNumber,
} from "./usage.ts";

/** troupe's folder (in a compiled binary: where its modules are). */
const TROUPE_ROOT = new URL("../", import.meta.url);

const HELP =
  `troupe run: compute a module's task graph, or run its main(client), on a cluster

usage: troupe run <module> [--workers N]
       troupe run <module> --scheduler <host:port> [--dashboard URL]

The module exports one of:
  graph          delayed values (one, or an array or object of them): troupe
                 computes them and prints the result;
  main(client)   an async function: troupe calls it with a client of the
                 cluster (compute, persist, submit, map...) and prints what it
                 returns (unless undefined).

Without --scheduler, troupe starts a local cluster of worker node processes for
the run and stops it after; the nodes may read the module's folder and the
current directory, where its tasks' modules must be. With --scheduler it
connects to that cluster as a client, whose workers must import the same task
modules (the same files at the same paths, or the same compiled binary).

options:
  --scheduler H:P    a running cluster's scheduler (troupe scheduler)
  --workers N        worker nodes of the local cluster (default: one per core)
  --secret-file F    the cluster's secret (default: the TROUPE_SECRET
                     environment variable, else for a scheduler on loopback
                     the secret file troupe scheduler wrote; a local cluster
                     makes its own)
  --progress         draw a progress bar on stderr (default: when stderr is a
                     terminal)
  --no-progress      draw none
  --dashboard URL    with --scheduler, read the bar's counts from this
                     dashboard rather than ask the scheduler (a client hears
                     of results, not of each task, so the counts come from
                     the cluster's status). They count every computation
                     started on the cluster during the run.
  --token-file F     the dashboard's token (default: derived from the secret)
  --json             print the result as JSON
  -h, --help         this help

The result goes to stdout, everything else to stderr. Exit code: 0 when done,
1 when the module cannot be loaded, the cluster cannot be reached or a task
fails (the error names it), 2 for a usage error.`;

/**
 * How `troupe run` starts a local cluster's nodes.
 *
 * @example
 * ```ts
 * import type { RunOptions } from "./run.ts";
 * const options: RunOptions = { exec: { command: "./troupe", args: [] } };
 * ```
 */
export interface RunOptions {
  /**
   * The program to re-execute as a node (default: `deno run` of troupe's
   * node program, or the binary itself when compiled).
   */
  exec?: ExecSpec;
}

/** A failure at run time whose message says what to do. */
class RunError extends Error {}

/**
 * `troupe run <module> ...`: run it, print the result; the exit code.
 *
 * @example
 * ```ts ignore
 * import { runCommand } from "./run.ts";
 * Deno.exit(await runCommand(["jobs/sum.ts", "--workers", "2"]));
 * ```
 */
export async function runCommand(
  args: string[],
  options: RunOptions = {},
): Promise<number> {
  const { values, positionals } = parseCommand("run", args, {
    allowPositionals: true,
    options: {
      scheduler: { type: "string" },
      workers: { type: "string" },
      "secret-file": { type: "string" },
      dashboard: { type: "string" },
      "token-file": { type: "string" },
      progress: { type: "boolean" },
      "no-progress": { type: "boolean" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  const [spec, ...extra] = positionals;
  if (spec === undefined) {
    throw new UsageError(
      "run",
      "the module to run is missing: troupe run <module>",
    );
  }
  if (extra.length > 0) {
    throw new UsageError(
      "run",
      `one module at a time; what is ${
        extra.map((e) => `"${e}"`).join(", ")
      }? (options go as --name value)`,
    );
  }
  const scheduler = values.scheduler;
  if (scheduler !== undefined) {
    if (values.workers !== undefined) {
      throw new UsageError(
        "run",
        "--workers starts a local cluster; with --scheduler the cluster's own workers run it: drop one of them",
      );
    }
    try {
      parseAddress(scheduler);
    } catch (e) {
      throw new UsageError("run", `--scheduler: ${badAddress(e)}`);
    }
  } else if (values.dashboard !== undefined) {
    throw new UsageError(
      "run",
      "--dashboard goes with --scheduler (a local cluster's progress is known here)",
    );
  } else if (values["token-file"] !== undefined) {
    throw new UsageError(
      "run",
      "--token-file goes with --scheduler (it is the token of that scheduler's dashboard)",
    );
  }
  if (values.progress && values["no-progress"]) {
    throw new UsageError("run", "--progress or --no-progress: not both");
  }
  const workers = values.workers === undefined
    ? (navigator.hardwareConcurrency || 1)
    : wholeNumber("run", "--workers", values.workers, 1, 1024);
  let dashboard: DashboardTarget | undefined;
  if (values.dashboard !== undefined) {
    try {
      dashboard = parseDashboard(values.dashboard);
    } catch (e) {
      throw new UsageError("run", (e as Error).message);
    }
  }
  const progress = values.progress ??
    (values["no-progress"] ? false : Deno.stderr.isTerminal());

  try {
    const secret = await readSecret(
      values["secret-file"] !== undefined
        ? { file: values["secret-file"] }
        : { env: "TROUPE_SECRET" },
    );
    const standalone = Deno.build.standalone;
    const url = resolveModule(spec, {
      cwd: Deno.cwd(),
      standalone,
      root: TROUPE_ROOT,
    });
    const job = await loadJob(url, { spec, standalone });
    // Its computations carry the module's file name on the dashboard.
    const jobName = decodeURIComponent(
      url.pathname.split("/").at(-1) || spec,
    );
    const result = scheduler === undefined
      ? await onLocalCluster(job, {
        jobName,
        workers,
        secret,
        progress,
        exec: options.exec,
        read: url.protocol === "file:"
          ? [dirname(fileURLToPath(url)), Deno.cwd()]
          : [Deno.cwd()],
      })
      : await onScheduler(job, scheduler, {
        jobName,
        secret,
        progress,
        dashboard,
        tokenFile: values["token-file"],
        secretFile: values["secret-file"],
      });
    if (job.kind === "main" && result === undefined) return EXIT.ok;
    console.log(format(result, values.json));
    return EXIT.ok;
  } catch (e) {
    if (e instanceof Interrupted) {
      // (the progress line was ended as the run unwound)
      console.error(`troupe run: ${e.message}`);
      return INTERRUPTED_EXIT;
    }
    if (
      e instanceof RunError || e instanceof JobError ||
      e instanceof DashboardError
    ) {
      return reportFailure("run", e.message);
    }
    return reportFailure(
      "run",
      e instanceof Error
        ? `${e.name}: ${e.message}`
        // (JavaScript throws anything: main may have thrown a string)
        : `main threw ${Deno.inspect(e, { colors: false })}`,
    );
  }
}

/** parseAddress's complaint, without its error kind. */
function badAddress(e: unknown): string {
  return (e as Error).message.replace(/^config: /, "");
}

/** Compute the graph, or call main, with `client`. */
async function execute(job: Job, client: Client): Promise<unknown> {
  if (job.kind === "main") return await job.main(client);
  const [value] = await client.compute(job.graph);
  return value;
}

/** Run `job` on a local cluster started for it. */
async function onLocalCluster(job: Job, o: {
  jobName: string;
  workers: number;
  secret: string | undefined;
  progress: boolean;
  exec: ExecSpec | undefined;
  read: string[];
}): Promise<unknown> {
  await using system = new ActorSystem();
  let cluster;
  try {
    cluster = await localCluster(system, {
      nodes: o.workers,
      secret: o.secret,
      read: o.read,
      exec: o.exec,
    });
  } catch (e) {
    throw new RunError(
      `the local cluster did not start: ${(e as Error).message}`,
    );
  }
  await using _cluster = cluster;
  console.error(
    `troupe run: a local cluster of ${o.workers} worker${
      o.workers === 1 ? "" : "s"
    } at ${cluster.address}`,
  );
  await using client = await connect(cluster.address, {
    jobName: o.jobName,
    secret: o.secret,
    reconnect: false,
  });
  // The scheduler is here: it reports each task as it ends.
  using _bar = o.progress ? progressBar(cluster.scheduler) : undefined;
  return await untilInterrupted(execute(job, client));
}

/** Run `job` on the cluster of the scheduler at `address`. */
async function onScheduler(job: Job, address: string, o: {
  jobName: string;
  secret: string | undefined;
  progress: boolean;
  dashboard: DashboardTarget | undefined;
  tokenFile: string | undefined;
  secretFile: string | undefined;
}): Promise<unknown> {
  if (o.secret === undefined && !isLoopback(parseAddress(address).hostname)) {
    throw new RunError(
      `a scheduler off loopback (${address}) needs the cluster's secret: give --secret-file FILE or set TROUPE_SECRET`,
    );
  }
  // (none given: the one troupe scheduler wrote on this machine, if any)
  const secret = o.secret ?? await readSchedulerSecret(address);
  let client;
  try {
    client = await connect(address, {
      secret,
      reconnect: false,
      jobName: o.jobName,
    });
  } catch (e) {
    const why = (e as Error).message;
    throw new RunError(
      `cannot reach the scheduler at ${address}: ${why} (${
        /shared secret/.test(why)
          ? secretHint(address)
          : "is troupe scheduler running there, and is the secret the cluster's?"
      })`,
    );
  }
  await using _client = client;
  const { nodes } = await client.status();
  if (nodes.length === 0) {
    console.error(
      `troupe run: the cluster at ${address} has no worker nodes yet: the work waits until one joins (troupe worker ${address})`,
    );
  }
  const source = !o.progress
    ? undefined
    : o.dashboard !== undefined
    ? await dashboardSource(address, o.dashboard, o)
    : await statusSource(client);
  using _source = source;
  let value;
  {
    using _bar = source !== undefined ? progressBar(source) : undefined;
    value = await untilInterrupted(execute(job, client));
    await source?.flush();
  }
  return value;
}

/** Progress from the cluster's status, asked of the scheduler by `client`. */
async function statusSource(client: Client): Promise<DashboardProgress> {
  const source = new DashboardProgress(() => client.status());
  await source.start();
  return source;
}

/** Progress from the dashboard given with --dashboard (it must be this scheduler's). */
async function dashboardSource(
  address: string,
  target: DashboardTarget,
  o: { tokenFile: string | undefined; secretFile: string | undefined },
): Promise<DashboardProgress> {
  target.token = await chooseToken({
    tokenFile: o.tokenFile,
    fromUrl: target.token,
    secretFile: o.secretFile,
  });
  const source = new DashboardProgress(target);
  try {
    const status = await source.start();
    if (!isSchedulerOf(status, address)) {
      throw new DashboardError(
        "not-dashboard",
        `the dashboard at ${target.url.href} is the one of the scheduler at ${
          showAddress(status.address)
        }, not ${address}`,
      );
    }
    return source;
  } catch (e) {
    source[Symbol.dispose]();
    throw e;
  }
}

/** The result as printed: a string as it is, else inspected or as JSON. */
function format(value: unknown, json: boolean): string {
  if (json) {
    try {
      return JSON.stringify(value, null, 2) ?? "null";
    } catch (e) {
      throw new RunError(
        `the result cannot be printed as JSON (${
          (e as Error).message
        }): run without --json`,
      );
    }
  }
  if (typeof value === "string") return value;
  return Deno.inspect(value, {
    colors: false,
    depth: Infinity,
    iterableLimit: Infinity,
    strAbbreviateSize: Infinity,
  });
}
