/**
 * Where endpoints are: `host:port` parsed and printed (IPv6 in brackets),
 * whether a host is loopback, and the rule that only a loopback address may
 * go without a shared secret (checked by listeners and dials alike).
 *
 * @module
 */

import { TransportError } from "./wire_errors.ts";

/**
 * Whether `hostname` names the loopback interface (`localhost`,
 * `127.0.0.0/8`, `::1`).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./addresses.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopback("127.0.0.1"), true);
 * assert.equal(isLoopback("[::1]"), true);
 * assert.equal(isLoopback("0.0.0.0"), false);
 * assert.equal(isLoopback("10.0.0.7"), false);
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || h === "::ffff:127.0.0.1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Split `host:port` (`[v6]:port` for IPv6; a `tcp://` or `tls://` prefix
 * is allowed and ignored) into its parts.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./addresses.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAddress("127.0.0.1:8786"), { hostname: "127.0.0.1", port: 8786 });
 * assert.deepEqual(parseAddress("tcp://[::1]:9000"), { hostname: "::1", port: 9000 });
 * ```
 */
export function parseAddress(
  address: string,
): { hostname: string; port: number } {
  const s = address.replace(/^(tcp|tls):\/\//, "");
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new TransportError(
      "config",
      `bad address ${JSON.stringify(address)}: expected host:port`,
    );
  }
  return { hostname: m[1] ?? m[2], port };
}

/**
 * Refuse (a `config` error) an empty secret, or none for a host off
 * loopback; `what` says what was refused ("listen on", "connect to").
 */
export function checkSecret(
  secret: string | Uint8Array | undefined,
  hostname: string,
  what: string,
): void {
  if (secret !== undefined && secret.length === 0) {
    throw new TransportError("config", "the shared secret is empty");
  }
  if (secret === undefined && !isLoopback(hostname)) {
    throw new TransportError(
      "config",
      `refusing to ${what} ${hostname} without a shared secret: ` +
        "only loopback addresses may go without one (set a secret, e.g. from a file with readSecret)",
    );
  }
}

/** `host:port` of `a` as every dial takes it (IPv6 in brackets). Internal. */
export function hostPort(a: { hostname: string; port: number }): string {
  return a.hostname.includes(":")
    ? `[${a.hostname}]:${a.port}`
    : `${a.hostname}:${a.port}`;
}
