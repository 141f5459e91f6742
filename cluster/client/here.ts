/**
 * The cluster this process serves as a node, for code that runs here (tasks
 * and actors): `clusterClient()` connects to its scheduler once, on first
 * use, and the connection ends with the node.
 *
 * @module
 */

import { type Client, type ClientOptions, connect } from "./client.ts";

let joined: { address: string; options: ClientOptions } | undefined;
let client: Promise<Client> | undefined;

/** `runNode` says which cluster this process serves (undefined: none). */
export function setHere(
  address: string | undefined,
  options: ClientOptions = {},
): void {
  joined = address === undefined ? undefined : { address, options };
}

/** Close the client `clusterClient()` made, if it made one. */
export async function closeHere(): Promise<void> {
  const made = client;
  client = undefined;
  if (made !== undefined) await (await made.catch(() => undefined))?.close();
}

/**
 * A client of the cluster this process serves as a node: what a task or an
 * actor running on a node uses for cluster-wide locks, semaphores, events
 * and queues (or to submit more work). It is made on first use and shared
 * by everything in the process; it closes when the node stops, so do not
 * close it. Outside a node it rejects with an error that says to use
 * `connect(address)`.
 *
 * @example
 * ```ts
 * import { clusterClient } from "@troupe/troupe/cluster";
 *
 * // A task, run on a node: one writer at a time in the whole cluster.
 * export async function append(line: string): Promise<void> {
 *   const client = await clusterClient();
 *   using _held = await client.mutex("log").lock({ timeout: 10_000 });
 *   await Deno.writeTextFile("log.txt", line + "\n", { append: true });
 * }
 * ```
 */
export function clusterClient(): Promise<Client> {
  if (joined === undefined) {
    return Promise.reject(
      new Error(
        "clusterClient(): this process is not a cluster node (it works in tasks and actors that run on one); elsewhere, use connect(address)",
      ),
    );
  }
  if (client === undefined) {
    const made = connect(joined.address, joined.options);
    client = made;
    made.catch(() => {
      if (client === made) client = undefined; // try again next time
    });
  }
  return client;
}
