/**
 * The health endpoints a load balancer or Kubernetes probes: `GET /healthz`
 * (the process answers) and `GET /readyz` (it serves: a scheduler that
 * listens, a node that has joined). They need no token: they say nothing
 * but yes or no.
 *
 * @module
 */

import type { HttpResponse } from "./dashboard_http.ts";

/**
 * The answer to a probe at `pathname`, or undefined when it is no probe's
 * path: 200 `ok` for `/healthz`; for `/readyz`, 200 `ready` when `ready()`
 * says so, else 503 with why.
 *
 * @example
 * ```ts
 * import { healthProbe } from "./health.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(healthProbe("/healthz", () => false)?.status, 200);
 * assert.equal(healthProbe("/readyz", () => "not joined yet")?.status, 503);
 * assert.equal(healthProbe("/", () => true), undefined);
 * ```
 */
export function healthProbe(
  pathname: string,
  ready: () => true | string | false,
): HttpResponse | undefined {
  const plain = (status: number, body: string): HttpResponse => ({
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
    },
    body,
  });
  if (pathname === "/healthz") return plain(200, "ok\n");
  if (pathname !== "/readyz") return undefined;
  const r = ready();
  return r === true
    ? plain(200, "ready\n")
    : plain(503, `not ready${typeof r === "string" ? `: ${r}` : ""}\n`);
}

/**
 * The response to `GET /metrics`: Prometheus text (format 0.0.4).
 *
 * @example
 * ```ts
 * import { metricsResponse } from "./health.ts";
 * console.log(metricsResponse("troupe_nodes 0\n").status); // 200
 * ```
 */
export function metricsResponse(text: string): HttpResponse {
  return {
    status: 200,
    headers: {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
      "cache-control": "no-store",
    },
    body: text,
  };
}
