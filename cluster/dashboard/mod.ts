/**
 * cluster/dashboard/: the scheduler's web page, its JSON API, metrics and
 * health endpoints, served over a small bounded HTTP server of its own.
 * This module is the folder's face: the names the cluster entry exports
 * from it.
 *
 * May import: actors/, cluster/wire/, cluster/graph/, cluster/scheduler/
 * (types of the status it shows); nothing of cluster/node/,
 * cluster/client/, array/, dataframe/, cli/.
 *
 * @example
 * ```ts
 * import type { DashboardOptions } from "./dashboard.ts";
 * const options: DashboardOptions = { hostname: "127.0.0.1", port: 0 };
 * ```
 *
 * @module
 */

export {
  type Dashboard,
  type DashboardOptions,
  serveDashboard,
} from "./dashboard.ts";
