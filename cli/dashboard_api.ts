/**
 * Reading a cluster's status from its dashboard's JSON API
 * (`GET /api/status`), which is where a cluster tells its status to another
 * process: a client's connection to the scheduler carries graphs and
 * results, not the cluster's status. `troupe status` and `troupe run`'s
 * progress bar read it here.
 *
 * @module
 */

import type { ClusterStatus } from "../cluster/scheduler/cluster.ts";
import { parseAddress, readSecret } from "../cluster/wire/endpoint.ts";
import {
  dashboardToken,
  DEFAULT_DASHBOARD_PORT,
  showAddress,
} from "../cluster/scheduler/scheduler_main.ts";

/**
 * A dashboard to read: its base URL (without a token) and the token to send,
 * if any.
 *
 * @example
 * ```ts
 * import type { DashboardTarget } from "./dashboard_api.ts";
 * const target: DashboardTarget = { url: new URL("http://127.0.0.1:8787/") };
 * ```
 */
export interface DashboardTarget {
  /** The dashboard's page, e.g. `http://127.0.0.1:8787/`. */
  url: URL;
  /** Sent as `Authorization: Bearer` when set. */
  token?: string;
}

/**
 * The dashboard cannot be read: its message says why and what to do.
 *
 * @example
 * ```ts
 * import { DashboardError } from "./dashboard_api.ts";
 * const e = new DashboardError("unreachable", "no dashboard answers at http://127.0.0.1:8787/");
 * console.log(e.kind); // "unreachable"
 * ```
 */
export class DashboardError extends Error {
  /**
   * What went wrong: nothing answers, a token is wanted (or cannot be
   * read), what answers is not a troupe dashboard, or what the user typed is
   * not a dashboard's address.
   */
  readonly kind: "unreachable" | "token" | "not-dashboard" | "usage";

  /**
   * An error of `kind` saying `message`.
   *
   * @example
   * ```ts
   * import { DashboardError } from "./dashboard_api.ts";
   * const e = new DashboardError("token", "the dashboard wants a token");
   * console.log(e.message); // "the dashboard wants a token"
   * ```
   */
  constructor(
    kind: DashboardError["kind"],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DashboardError";
    this.kind = kind;
  }
}

/** Why a fetch failed, in a few words ("Connection refused (os error 111)"). */
function networkReason(e: unknown): string {
  const error = e as Error;
  const detail = (error.cause as Error | undefined)?.message ?? error.message;
  return detail.split(": ").at(-1) ?? detail;
}

/**
 * The dashboard's URL from what a user typed: a URL (`http://h:p/`, with
 * or without `?token=`), or `host:port`. A token in the URL is taken out
 * and returned apart.
 *
 * @example
 * ```ts
 * import { parseDashboard } from "./dashboard_api.ts";
 * import assert from "node:assert/strict";
 *
 * const { url, token } = parseDashboard("http://10.0.0.5:8787/?token=abc");
 * assert.equal(url.href, "http://10.0.0.5:8787/");
 * assert.equal(token, "abc");
 * assert.equal(parseDashboard("127.0.0.1:8787").url.href, "http://127.0.0.1:8787/");
 * ```
 */
export function parseDashboard(text: string): DashboardTarget {
  let url: URL;
  if (/^https?:\/\//i.test(text)) {
    try {
      url = new URL(text);
    } catch {
      throw new DashboardError("usage", `--dashboard: not a URL: "${text}"`);
    }
  } else {
    const { hostname, port } = parseAddress(text);
    url = new URL(`http://${hostForUrl(hostname)}:${port}/`);
  }
  const token = url.searchParams.get("token") ?? undefined;
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return { url, token: token === "" ? undefined : token };
}

/** `host` as it goes in a URL (IPv6 in brackets). */
function hostForUrl(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Where the dashboard of the scheduler at `address` is when it was started
 * with the defaults: the same host, port 8787.
 *
 * @example
 * ```ts
 * import { defaultDashboard } from "./dashboard_api.ts";
 * console.log(defaultDashboard("10.0.0.5:8786").href); // http://10.0.0.5:8787/
 * ```
 */
export function defaultDashboard(address: string): URL {
  const { hostname } = parseAddress(address);
  return new URL(`http://${hostForUrl(hostname)}:${DEFAULT_DASHBOARD_PORT}/`);
}

/**
 * The token to send to a dashboard: the one in `tokenFile`, else the one in
 * the URL, else the one derived from the cluster's secret (from
 * `secretFile` or `TROUPE_SECRET`), else none.
 *
 * @example
 * ```ts
 * import { chooseToken } from "./dashboard_api.ts";
 * console.log(await chooseToken({ fromUrl: "abc" })); // "abc"
 * ```
 */
export async function chooseToken(from: {
  tokenFile?: string;
  fromUrl?: string;
  secretFile?: string;
}): Promise<string | undefined> {
  if (from.tokenFile !== undefined) {
    let text;
    try {
      text = await Deno.readTextFile(from.tokenFile);
    } catch (e) {
      throw new DashboardError(
        "token",
        `cannot read the token file ${from.tokenFile}: ${(e as Error).message}`,
      );
    }
    const token = text.replace(/\r?\n$/, "");
    if (token === "") {
      throw new DashboardError(
        "token",
        `the token file ${from.tokenFile} is empty`,
      );
    }
    return token;
  }
  if (from.fromUrl !== undefined) return from.fromUrl;
  const secret = await readSecret(
    from.secretFile !== undefined
      ? { file: from.secretFile }
      : { env: "TROUPE_SECRET" },
  );
  return secret === undefined ? undefined : await dashboardToken(secret);
}

/**
 * Whether the dashboard's `status` is the one of the scheduler at
 * `address` (as the user typed it): the same port (the host may be named
 * differently, as `0.0.0.0` for the one listening on every interface).
 *
 * @example
 * ```ts
 * import { isSchedulerOf } from "./dashboard_api.ts";
 * console.log(isSchedulerOf({ address: "::1:8786" }, "[::1]:8786")); // true
 * ```
 */
export function isSchedulerOf(
  status: { address: string },
  address: string,
): boolean {
  let theirs;
  try {
    theirs = parseAddress(showAddress(status.address)).port;
  } catch {
    return false;
  }
  return theirs === parseAddress(address).port;
}

/**
 * Fetch a `ClusterStatus` from the dashboard; rejects with a
 * `DashboardError` that says what to do when it cannot (nothing listening,
 * a token wanted, not a troupe dashboard).
 *
 * @example
 * ```ts
 * import { ActorSystem } from "@troupe/troupe";
 * import { serveDashboard, startCluster } from "@troupe/troupe/cluster";
 * import { fetchStatus } from "./dashboard_api.ts";
 *
 * await using system = new ActorSystem();
 * await using cluster = startCluster(system);
 * await using dashboard = serveDashboard(cluster);
 * const status = await fetchStatus({ url: new URL(dashboard.url) });
 * console.log(status.address === cluster.address); // true
 * ```
 */
export async function fetchStatus(
  target: DashboardTarget,
  options: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<ClusterStatus> {
  const api = new URL("api/status", target.url);
  const headers: Record<string, string> = { accept: "application/json" };
  if (target.token !== undefined) {
    headers.authorization = `Bearer ${target.token}`;
  }
  let response: Response;
  try {
    response = await fetch(api, { headers, signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new DashboardError(
      "unreachable",
      `no dashboard answers at ${target.url.href} (${networkReason(e)})`,
      { cause: e },
    );
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw new DashboardError(
      "token",
      `the dashboard at ${target.url.href} wants a token: ${
        target.token === undefined
          ? "set the cluster's secret (TROUPE_SECRET or --secret-file; the token is derived from it), pass --token-file FILE, or use the URL with ?token= that troupe scheduler printed"
          : "the one sent is not it (check the secret, --token-file, or the URL's ?token=)"
      }`,
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DashboardError(
      "not-dashboard",
      `${api.href} answered ${response.status} ${response.statusText}: is ${target.url.href} a troupe dashboard?`,
    );
  }
  let status: unknown;
  try {
    status = JSON.parse(
      await boundedText(response, options.maxBytes ?? MAX_STATUS, api),
    );
  } catch (e) {
    if (e instanceof DashboardError) throw e;
    throw new DashboardError(
      "not-dashboard",
      `${api.href} did not answer JSON: is ${target.url.href} a troupe dashboard?`,
      { cause: e },
    );
  }
  if (!isStatus(status)) {
    throw new DashboardError(
      "not-dashboard",
      `${api.href} answered JSON that is not a cluster's status: is ${target.url.href} a troupe dashboard?`,
    );
  }
  return status;
}

/** The most a status may weigh: what answers may be anything at all. */
const MAX_STATUS = 64 << 20;

/** `response`'s body as text, refused past `max` bytes (read no further). */
async function boundedText(
  response: Response,
  max: number,
  api: URL,
): Promise<string> {
  const tooBig = () =>
    new DashboardError(
      "not-dashboard",
      `${api.href} answered more than ${max} bytes: that is no cluster status`,
    );
  if (Number(response.headers.get("content-length")) > max) {
    await response.body?.cancel();
    throw tooBig();
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of response.body ?? []) {
    size += part.length;
    if (size > max) {
      await response.body?.cancel().catch(() => {});
      throw tooBig();
    }
    parts.push(part);
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return new TextDecoder().decode(bytes);
}

/** Whether `x` has the fields of a `ClusterStatus` that troupe reads. */
function isStatus(x: unknown): x is ClusterStatus {
  const s = x as Partial<ClusterStatus> | null;
  return typeof s === "object" && s !== null &&
    typeof s.address === "string" && Array.isArray(s.nodes) &&
    Array.isArray(s.computations) && typeof s.tasks === "object";
}
