/**
 * A worker node as a program: `deno run --allow-net --allow-read
 * --allow-env=TROUPE_SECRET cluster/node_main.ts <host:port> [--name NAME]
 * [--secret-file FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
 * [--nthreads N] [--verbose] [--exit-with-parent]`. With `--nthreads N` it
 * runs N tasks at once, on N threads. With a certificate and key, it serves
 * the values it holds to the other nodes over TLS.
 * With `--exit-with-parent` it leaves when its stdin closes. The secret comes from the file, or
 * the `TROUPE_SECRET` environment variable. It serves the cluster until
 * SIGINT or SIGTERM, then leaves. (`troupe worker` runs the same code.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { readSecret } from "./endpoint.ts";
import { runNode } from "./node.ts";

const USAGE =
  "usage: node_main.ts <host:port> [--name NAME] [--secret-file FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--nthreads N] [--resources GPU=1,...] [--verbose] [--exit-with-parent]";

/** Run a worker node with command-line `args`; resolves when stopped. */
export async function nodeMain(args: string[]): Promise<number> {
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
        help: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const address = parsed.positionals[0];
  if (address === undefined) {
    console.error(`the scheduler's address is missing\n${USAGE}`);
    return 2;
  }
  const secret = await readSecret(
    values["secret-file"] !== undefined
      ? { file: values["secret-file"] }
      : { env: "TROUPE_SECRET" },
  );
  const certFile = values["tls-cert"], keyFile = values["tls-key"];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    console.error(`--tls-cert and --tls-key go together\n${USAGE}`);
    return 2;
  }
  if (certFile !== undefined && values["tls-ca"] === undefined) {
    console.error(
      `--tls-cert is for a TLS cluster: give its --tls-ca too\n${USAGE}`,
    );
    return 2;
  }
  const tls = values["tls-ca"] !== undefined
    ? {
      caCerts: [await Deno.readTextFile(values["tls-ca"])],
      cert: certFile === undefined
        ? undefined
        : await Deno.readTextFile(certFile),
      key: keyFile === undefined ? undefined : await Deno.readTextFile(keyFile),
    }
    : undefined;
  const resources: Record<string, number> = {};
  for (const part of (values.resources ?? "").split(",").filter(Boolean)) {
    const [name, amount] = part.split("=");
    const n = Number(amount);
    if (!name || !(n >= 0)) {
      console.error(`--resources: NAME=AMOUNT,..., got ${part}\n${USAGE}`);
      return 2;
    }
    resources[name] = n;
  }
  const threads = Number(values.nthreads);
  if (!Number.isInteger(threads) || threads < 1) {
    console.error(
      `--nthreads: a whole number >= 1, got ${values.nthreads}\n${USAGE}`,
    );
    return 2;
  }
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
      signal: stop.signal,
      log: values.verbose
        ? (m) => console.error(`troupe node: ${m}`)
        : undefined,
    });
    return 0;
  } catch (e) {
    console.error(`troupe node: ${(e as Error).message}`);
    return 1;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

if (import.meta.main) Deno.exit(await nodeMain(Deno.args));
