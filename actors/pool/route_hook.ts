/**
 * Internal: how a pool learns which routee took one of its asks (so that a
 * cancelled map can kill exactly the runners busy with it) and stops a
 * router from retrying an ask whose routee it killed on purpose. Carried in
 * the ask's options under a symbol, so the public `Router.ask` is unchanged.
 *
 * @module
 */

import type { AnyRef } from "../ref.ts";

/** The key of a {@link RouteHook} in an ask's options. */
export const ROUTE_HOOK: unique symbol = Symbol("troupe.routeHook");

/** Told where an ask went; asked before a retry. */
export interface RouteHook {
  /** The ask was sent to `ref`. */
  routed(ref: AnyRef): void;
  /** The ask to `ref` settled (answered, failed or given up). */
  settled(ref: AnyRef): void;
  /** Whether an ask whose routee died may go to another routee. */
  mayRetry(): boolean;
}

/** The hook in the last argument of an ask, if any. */
export function routeHookOf(args: readonly unknown[]): RouteHook | undefined {
  const last = args[args.length - 1];
  return typeof last === "object" && last !== null
    ? (last as { [ROUTE_HOOK]?: RouteHook })[ROUTE_HOOK]
    : undefined;
}
