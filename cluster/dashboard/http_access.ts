/**
 * Who may read the dashboard and a node's metrics listener: on loopback,
 * requests addressed to loopback by their `Host` header (a web page whose
 * name was rebound to 127.0.0.1 reads nothing); elsewhere, requests that
 * carry the token.
 *
 * @module
 */

import type { HttpRequest } from "./dashboard_http.ts";
import { isLoopback } from "../wire/endpoint.ts";

/**
 * Whether a `Host` header names this loopback dashboard: `localhost`, an
 * address of 127.0.0.0/8 or `[::1]`, with no port or this one.
 *
 * @example
 * ```ts
 * import { loopbackHost } from "./http_access.ts";
 * console.log(loopbackHost("127.0.0.1:8787", 8787)); // true
 * ```
 */
export function loopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim());
  if (m === null) return false;
  if (m[2] !== undefined && Number(m[2]) !== port) return false;
  const name = m[1].toLowerCase();
  return name === "localhost" || name === "[::1]" ||
    (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) && isLoopback(name));
}

/**
 * Whether `request` carries `token` (query or bearer header).
 *
 * @example
 * ```ts
 * import { authorized } from "./http_access.ts";
 * const url = new URL("http://h/?token=t");
 * console.log(authorized({ method: "GET", url, headers: new Map() }, url, "t")); // true
 * ```
 */
export function authorized(
  request: HttpRequest,
  url: URL,
  token: string,
): boolean {
  const header = request.headers.get("authorization") ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  return same(url.searchParams.get("token") ?? "", token) ||
    same(bearer ?? "", token);
}

/** Compare without returning early on the first difference. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
