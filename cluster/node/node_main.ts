/**
 * A worker node as a program: `deno run --allow-net --allow-read
 * --allow-env=TROUPE_SECRET,TROUPE_TLS_CA,TROUPE_RUNTIME_DIR,XDG_RUNTIME_DIR,HOME
 * cluster/node_main.ts <host:port> [--name NAME]
 * [--secret-file FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
 * [--nthreads N] [--verbose] [--exit-with-parent]`. With `--nthreads N` it
 * runs N tasks at once, on N threads. With a certificate and key, it serves
 * the values it holds to the other nodes over TLS.
 * With `--exit-with-parent` it leaves when its stdin closes. The secret comes from the file, or
 * the `TROUPE_SECRET` environment variable, or (for a scheduler on loopback)
 * the secret file `troupe scheduler` wrote (see `secrets.ts`); the CA from
 * `--tls-ca` or the `TROUPE_TLS_CA` environment variable (PEM). It serves the cluster until
 * SIGINT or SIGTERM, then leaves. (`troupe worker` runs the same code.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { isLoopback, parseAddress } from "../wire/endpoint.ts";
import { runNode } from "./node.ts";
import { commandLineSecret, envCaCerts, secretHint } from "../wire/secrets.ts";
import { MEMORY_FLAGS, memoryFromFlags } from "../memory/memory_args.ts";
import { startNodeMetrics } from "./node_metrics.ts";

const USAGE =
  "usage: node_main.ts <host:port> [--name NAME] [--secret-file FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--nthreads N] [--resources GPU=1,...] [--memory-limit SIZE] [--local-directory DIR] [--memory-target|-spill|-pause|-terminate F] [--verbose] [--exit-with-parent] [--metrics-port P [--metrics-host H]]";

/**
 * How a node program names itself in its messages (`name`), and what it
 * adds to a usage error (`usage`).
 */
export interface NodeMainStyle {
  /** Its name, first on each message (default `troupe node`). */
  name: string;
  /** The line after a usage error (default: node_main.ts's usage). */
  usage: string;
}

/**
 * Run a worker node with command-line `args`; resolves when stopped, to the
 * exit code: 0 when stopped, 1 when refused, 2 for a usage error.
 */
export async function nodeMain(
  args: string[],
  style: NodeMainStyle = { name: "troupe node", usage: USAGE },
): Promise<number> {
  const usage = (message: string): number => {
    console.error(`${style.name}: ${message}\n${style.usage}`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        name: { type: "string" },
        "secret-file": { type: "string" },
        "tls-ca": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        verbose: { type: "boolean", default: false },
        "exit-with-parent": { type: "boolean", default: false },
        resources: { type: "string" },
        nthreads: { type: "string", default: "1" },
        "metrics-port": { type: "string" },
        "metrics-host": { type: "string", default: "127.0.0.1" },
        help: { type: "boolean", default: false },
        ...MEMORY_FLAGS,
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const address = parsed.positionals[0];
  if (address === undefined) {
    return usage("the scheduler's address is missing");
  }
  if (parsed.positionals.length > 1) {
    return usage(
      `one scheduler at a time, got ${parsed.positionals.length}: ${
        parsed.positionals.join(" ")
      }`,
    );
  }
  let hostname;
  try {
    hostname = parseAddress(address).hostname;
  } catch (e) {
    return usage((e as Error).message.replace(/^config: /, ""));
  }
  const certFile = values["tls-cert"], keyFile = values["tls-key"];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    return usage("--tls-cert and --tls-key go together");
  }
  const caFromEnv = values["tls-ca"] === undefined ? envCaCerts() : undefined;
  if (
    certFile !== undefined && values["tls-ca"] === undefined &&
    caFromEnv === undefined
  ) {
    return usage("--tls-cert is for a TLS cluster: give its --tls-ca too");
  }
  const resources: Record<string, number> = {};
  for (const part of (values.resources ?? "").split(",").filter(Boolean)) {
    const [name, amount] = part.split("=");
    const n = Number(amount);
    if (!name || !(n >= 0)) {
      return usage(`--resources: NAME=AMOUNT,..., got ${part}`);
    }
    resources[name] = n;
  }
  let memory;
  try {
    memory = memoryFromFlags(values);
  } catch (e) {
    return usage((e as Error).message);
  }
  const threads = Number(values.nthreads);
  if (!Number.isInteger(threads) || threads < 1) {
    return usage(`--nthreads: a whole number >= 1, got ${values.nthreads}`);
  }
  let secret, tls;
  try {
    secret = await commandLineSecret(address, values["secret-file"]);
    tls = values["tls-ca"] !== undefined || caFromEnv !== undefined
      ? {
        caCerts: caFromEnv ?? [await Deno.readTextFile(values["tls-ca"]!)],
        cert: certFile === undefined
          ? undefined
          : await Deno.readTextFile(certFile),
        key: keyFile === undefined
          ? undefined
          : await Deno.readTextFile(keyFile),
      }
      : undefined;
  } catch (e) {
    console.error(
      `${style.name}: ${(e as Error).message.replace(/^config: /, "")}`,
    );
    return 1;
  }
  if (secret === undefined && !isLoopback(hostname)) {
    console.error(
      `${style.name}: a scheduler off loopback (${address}) needs the cluster's secret: ${
        secretHint(address).replace(/^give the cluster's secret with /, "give ")
      }`,
    );
    return 1;
  }
  let metrics;
  const state = { name: values.name ?? "", joined: false, joins: 0 };
  if (values["metrics-port"] !== undefined) {
    const port = /^\d+$/.test(values["metrics-port"])
      ? Number(values["metrics-port"])
      : NaN;
    if (!(port < 65536)) {
      return usage(
        `--metrics-port: a port number (0 to 65535), got "${
          values["metrics-port"]
        }"`,
      );
    }
    try {
      metrics = await startNodeMetrics(
        state,
        values["metrics-host"],
        port,
        secret,
      );
      console.log(`metrics at ${metrics.url}`);
    } catch (e) {
      console.error(`${style.name}: metrics: ${(e as Error).message}`);
      return 1;
    }
  }
  await using _metrics = metrics;
  const stop = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => stop.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  if (values["exit-with-parent"]) {
    // Started by a program that holds our stdin: its end is ours.
    (async () => {
      const buf = new Uint8Array(64);
      try {
        while ((await Deno.stdin.read(buf)) !== null) { /* nothing to read */ }
      } catch { /* closed */ }
      stop.abort();
    })();
  }
  try {
    await runNode(address, {
      name: values.name,
      resources,
      secret,
      tls,
      threads,
      ...memory,
      memoryTerminate: "exit", // (what started it starts a fresh one)
      signal: stop.signal,
      onJoin: (name) => {
        state.name = name;
        state.joined = true;
        state.joins++;
      },
      onLeave: () => state.joined = false,
      log: values.verbose
        ? (m) => console.error(`${style.name}: ${m}`)
        : undefined,
    });
    return 0;
  } catch (e) {
    const why = (e as Error).message;
    console.error(
      `${style.name}: ${why}${
        secret === undefined && /shared secret/.test(why)
          ? `: ${secretHint(address)}`
          : ""
      }`,
    );
    return 1;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

if (import.meta.main) Deno.exit(await nodeMain(Deno.args));
