/**
 * What the commands that ask a running cluster one thing share (`troupe
 * logs`, `troupe restart`): the address checked, the secret and CA read
 * from their options, a client for the call, and a failure that says what
 * to do when the scheduler is not there or refuses.
 *
 * @module
 */

import { type Client, connect } from "../cluster/client/client.ts";
import { parseAddress } from "../cluster/wire/endpoint.ts";
import { commandLineSecret, secretHint } from "../cluster/wire/secrets.ts";
import { WorkerRequestError } from "../cluster/wire/worker_request_error.ts";
import { reportFailure, UsageError } from "./usage.ts";

/** The options of such a command that say how to reach the cluster. */
export const CLUSTER_OPTIONS = {
  "secret-file": { type: "string" },
  "tls-ca": { type: "string" },
} as const;

/** The help lines of `CLUSTER_OPTIONS`. */
export const CLUSTER_HELP =
  `  --secret-file F   the cluster's shared secret (default: the TROUPE_SECRET
                    environment variable, else for a scheduler on loopback
                    the secret file troupe scheduler wrote)
  --tls-ca F        the CA certificate (PEM) of a scheduler started with TLS`;

/**
 * Call `call` with a client of the scheduler at `address`; resolves to
 * its result, or to an exit code after saying on stderr why it failed.
 *
 * @example
 * ```ts ignore
 * import { withCluster } from "./cluster_call.ts";
 * const status = await withCluster("status", "127.0.0.1:8786", {}, (c) => c.status());
 * ```
 */
export async function withCluster<T>(
  command: string,
  address: string,
  values: { "secret-file"?: string; "tls-ca"?: string },
  call: (client: Client) => Promise<T>,
): Promise<{ value: T } | { exit: number }> {
  try {
    parseAddress(address);
  } catch (e) {
    throw new UsageError(
      command,
      (e as Error).message.replace(/^config: /, ""),
    );
  }
  let client: Client;
  try {
    const secret = await commandLineSecret(address, values["secret-file"]);
    const tls = values["tls-ca"] === undefined
      ? undefined
      : { caCerts: [await Deno.readTextFile(values["tls-ca"])] };
    client = await connect(address, { secret, tls, reconnect: false });
  } catch (e) {
    const why = (e as Error).message;
    return {
      exit: reportFailure(
        command,
        /auth/i.test(why)
          ? `the scheduler at ${address} refused this client (${why}): ${
            secretHint(address)
          }`
          : `could not reach the scheduler at ${address} (${why}): is troupe scheduler running there?`,
      ),
    };
  }
  try {
    return { value: await call(client) };
  } catch (e) {
    // (a worker's failure is the cluster's answer: say it as it is)
    const why = e instanceof WorkerRequestError || e instanceof RangeError
      ? (e as Error).message
      : `the scheduler at ${address} answered: ${(e as Error).message}`;
    return { exit: reportFailure(command, why) };
  } finally {
    await client.close();
  }
}
