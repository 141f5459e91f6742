/**
 * A cluster's scheduler as a program: `deno run --allow-net --allow-read
 * --allow-env=TROUPE_SECRET cluster/scheduler_main.ts [--host H] [--port P]
 * [--secret-file F] [--tls-cert F --tls-key F]`. Nodes join with
 * `node_main.ts` (or `troupe worker`), clients with `connect(address)`. It
 * prints `scheduler at <host:port>` on stdout once listening, and serves
 * until SIGINT or SIGTERM. (`troupe scheduler` runs the same code.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ActorSystem } from "@troupe/troupe/actors";
import { startCluster } from "./cluster.ts";
import { readSecret } from "./endpoint.ts";

const USAGE =
  "usage: scheduler_main.ts [--host 127.0.0.1] [--port 8786] [--secret-file FILE] [--tls-cert FILE --tls-key FILE] [--silence-ms 5000]";

/** Run the scheduler with command-line `args`; resolves when stopped. */
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
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) {
    console.error(`--port: a port number, got ${values.port}\n${USAGE}`);
    return 2;
  }
  if (
    (values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)
  ) {
    console.error(`--tls-cert and --tls-key go together\n${USAGE}`);
    return 2;
  }
  const secret = await readSecret(
    values["secret-file"] !== undefined
      ? { file: values["secret-file"] }
      : { env: "TROUPE_SECRET" },
  );
  const tls = values["tls-cert"] !== undefined
    ? {
      cert: await Deno.readTextFile(values["tls-cert"]),
      key: await Deno.readTextFile(values["tls-key"]!),
    }
    : undefined;
  await using system = new ActorSystem();
  let cluster;
  try {
    cluster = startCluster(system, {
      hostname: values.host,
      port,
      secret,
      tls,
      silenceMs: Number(values["silence-ms"]),
    });
  } catch (e) {
    console.error(`troupe scheduler: ${(e as Error).message}`);
    return 1;
  }
  await using _cluster = cluster;
  console.log(`scheduler at ${cluster.address}`);
  const stop = Promise.withResolvers<void>();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => stop.resolve();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  await stop.promise;
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  return 0;
}

if (import.meta.main) Deno.exit(await schedulerMain(Deno.args));
