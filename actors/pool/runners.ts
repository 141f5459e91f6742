/**
 * A pool's runners: spawning them (each on a host of its own when they are
 * recycled), replacing one that dies, giving up once as many in a row as
 * the pool has runners failed to start, recycling (after `recycleAfter`
 * messages, or above a heap limit), killing a busy one, stopping them all,
 * and the error to report when they are gone. Plain functions over the
 * pool's `PoolRunners`; the pool's submit and map paths read its fields.
 *
 * @module
 */

import { ActorDeadError, TroupeError } from "../errors.ts";
import type { ActorSystem } from "../system.ts";
import type { Runner } from "./chunks.ts";
import type { PoolOptions } from "./options.ts";
import { createRouter, NoRouteeError, type Router } from "./router.ts";
import { TaskRunner } from "./task_runner.ts";

let poolSeq = 0;

/** The runners of one pool, and what the pool knows of them. */
export interface PoolRunners {
  readonly system: ActorSystem;
  /** The runners now (a replaced one's place is taken by the fresh one). */
  readonly list: Runner[];
  /** The router in front of them (set once they are spawned). */
  router: Router<typeof TaskRunner>;
  /** Runners in this isolate get the task function, not its module URL. */
  readonly local: boolean;
  /** Each runner has a host of its own (recycling, `ownHosts`). */
  readonly ownHosts: boolean;
  readonly recycleAfter: number | undefined;
  /** Bytes of heap past which a runner is recycled. */
  readonly heapLimit: number | undefined;
  readonly heapChecks: Map<Runner, number>; // runner -> last check
  readonly recycling: Set<Runner>;
  readonly hostOf: Map<Runner, string>;
  /** Runners that failed to start, until their death is handled. */
  readonly notStarted: Map<Runner, unknown>;
  /** Runners that failed to start, in a row. */
  startFailures: number;
  /** Why the last runner that failed to start did. */
  startError: unknown;
  /** No runner can start (see `startFailures`): work fails at once. */
  broken: boolean;
  /** They are stopping: none is replaced. */
  stopping: boolean;
  /** Spawn one more runner (watched: replaced when it dies). */
  readonly spawn: () => Runner;
}

/** Check the runners' options, spawn them, and put a router in front. */
export function startRunners(
  system: ActorSystem,
  options: PoolOptions,
): PoolRunners {
  const size = options.size ?? (navigator.hardwareConcurrency || 1);
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new RangeError(`pool size must be an integer >= 1, got ${size}`);
  }
  const placement = options.placement ?? "worker";
  let permissions = options.permissions;
  if (placement === "process" && options.modules !== undefined) {
    const read = permissions?.read;
    const dirs = options.modules.map((m) => new URL(".", m).pathname);
    permissions = {
      ...permissions,
      read: read === true ? true : [...(read || []), ...dirs],
    };
  }
  const heapMb = options.recycleAboveHeapMb;
  if (heapMb !== undefined) {
    if (!(heapMb > 0)) {
      throw new RangeError(`recycleAboveHeapMb must be > 0, got ${heapMb}`);
    }
    if (placement === "local") {
      throw new TypeError(
        "recycleAboveHeapMb needs worker or process placement: local runners share this isolate's heap",
      );
    }
  }
  const recycleAfter = options.recycleAfter;
  if (
    recycleAfter !== undefined &&
    !(Number.isInteger(recycleAfter) && recycleAfter >= 1)
  ) {
    throw new RangeError(
      `recycleAfter must be an integer >= 1, got ${recycleAfter}`,
    );
  }
  // Recycled runners each get a host of their own, so that replacing one
  // gives a fresh isolate (and frees what the old one held).
  const ownHosts = placement !== "local" &&
    (options.ownHosts === true || recycleAfter !== undefined ||
      heapMb !== undefined);
  const poolId = ++poolSeq;
  let runnerSeq = 0;
  const spawn = (): Runner => {
    const host = ownHosts ? `troupe-pool-${poolId}-${++runnerSeq}` : undefined;
    const ref = system.spawn(TaskRunner, undefined, {
      placement,
      permissions,
      host,
      mailbox: { capacity: Infinity },
    });
    if (host !== undefined) r.hostOf.set(ref, host);
    // (Settles before the watch below hears of a failed start.)
    system.whenStarted(ref).then(
      () => void (r.startFailures = 0),
      (e) => r.notStarted.set(ref, e),
    );
    // A runner that dies (its host crashed, say) is replaced: the router
    // drops the dead one, the new one joins.
    system.watch(ref, () => {
      r.heapChecks.delete(ref);
      const startError = r.notStarted.get(ref);
      r.notStarted.delete(ref);
      if (r.stopping || r.recycling.has(ref)) return;
      const own = r.hostOf.get(ref);
      r.hostOf.delete(ref);
      if (own !== undefined) void system.stopHost(own, { timeout: 0 });
      if (startError !== undefined) {
        // One that could not start is replaced, but not for ever: once as
        // many in a row as the pool has runners failed, the pool is
        // broken, and its work fails with why.
        r.startError = startError;
        if (++r.startFailures >= size) {
          r.broken = true;
          return;
        }
      }
      replaceRunner(r, ref);
    });
    return ref;
  };
  // The runners' watches need the record, and its router needs the
  // runners: it is set once they are spawned.
  const r: PoolRunners = {
    system,
    list: [],
    router: undefined as unknown as Router<typeof TaskRunner>,
    local: placement === "local",
    ownHosts,
    recycleAfter,
    heapLimit: heapMb === undefined ? undefined : heapMb * 1024 * 1024,
    heapChecks: new Map(),
    recycling: new Set(),
    hostOf: new Map(),
    notStarted: new Map(),
    startFailures: 0,
    startError: undefined,
    broken: false,
    stopping: false,
    spawn,
  };
  for (let i = 0; i < size; i++) r.list.push(spawn());
  r.router = createRouter(system, r.list, {
    routing: "least-connection",
    retries: options.retries ?? 2,
    onRetry: options.onRetry === undefined
      ? undefined
      // Named by the task, not by the message ("chunk", "call") that
      // carried it: a runner's messages name their task second.
      : (_name, runner, e, payload) =>
        options.onRetry!((payload as [string, string])[1], runner, e),
  });
  return r;
}

/** Put a fresh runner in `old`'s place. */
function replaceRunner(r: PoolRunners, old: Runner): Runner {
  const fresh = r.spawn();
  const i = r.list.indexOf(old);
  if (i >= 0) r.list[i] = fresh;
  r.router.add(fresh);
  return fresh;
}

/**
 * Retire runners that have taken `recycleAfter` messages, or (asked between
 * tasks) hold more heap than the limit: a fresh one joins first, the old
 * one finishes what it has, then it and its host stop.
 */
export function recycle(r: PoolRunners): void {
  if (r.stopping) return;
  const limit = r.recycleAfter;
  if (limit !== undefined) {
    for (const runner of r.list) {
      if (r.system.stats(runner).received >= limit) retire(r, runner);
    }
  }
  if (r.heapLimit !== undefined) checkHeaps(r, r.heapLimit);
}

/** Ask runners for their heap (queued behind their work, so between tasks). */
function checkHeaps(r: PoolRunners, limit: number): void {
  const now = performance.now();
  for (const runner of r.list) {
    const last = r.heapChecks.get(runner);
    if (last !== undefined && (last < 0 || now - last < 20)) continue;
    r.heapChecks.set(runner, -1); // a check is in flight
    // Queued behind the runner's work, which may take minutes.
    runner.ask("heap", undefined, { timeout: Infinity }).then(
      (bytes) => {
        if (!r.heapChecks.has(runner)) return; // died meanwhile
        r.heapChecks.set(runner, performance.now());
        if (bytes > limit) retire(r, runner);
      },
      () => r.heapChecks.delete(runner), // stopped or dead: nothing to check
    );
  }
}

/** A fresh runner joins; `old` finishes what it has, then it and its host stop. */
function retire(r: PoolRunners, old: Runner): void {
  if (r.stopping || r.recycling.has(old)) return;
  r.recycling.add(old);
  r.heapChecks.delete(old);
  replaceRunner(r, old);
  void (async () => {
    await r.router.drain(old);
    await r.system.stop(old);
    const host = r.hostOf.get(old);
    r.hostOf.delete(old);
    r.recycling.delete(old);
    if (host !== undefined) await r.system.stopHost(host);
  })();
}

/** Kill a runner busy with cancelled or stuck work; its watch replaces it. */
export function killRunner(
  r: PoolRunners,
  runner: Runner,
  timeoutMs = 0,
): void {
  const host = r.hostOf.get(runner);
  if (host !== undefined) {
    void r.system.stopHost(host, { timeout: timeoutMs });
  } else if (r.local) r.system.kill(runner);
  // A shared host: stopping the runner kills the host if it is stuck.
  else void r.system.stop(runner, { timeout: timeoutMs });
}

/** Stop every runner (and the hosts of their own); none is replaced. */
export async function stopRunners(r: PoolRunners): Promise<void> {
  if (r.stopping) return;
  r.stopping = true;
  r.router.close();
  await Promise.all(r.list.map((runner) => r.system.stop(runner)));
  // Runners with hosts of their own (recycling) take their hosts along.
  await Promise.all([...r.hostOf.values()].map((h) => r.system.stopHost(h)));
  r.hostOf.clear();
}

/**
 * The error work on the runners failed with, or, when they are gone, why:
 * the pool was terminated, or runners could not start.
 */
export function whyFailed(r: PoolRunners, e: unknown): unknown {
  if (
    r.stopping && (e instanceof NoRouteeError || e instanceof ActorDeadError)
  ) {
    return new TroupeError("the pool was terminated", { cause: e });
  }
  const gone = e instanceof NoRouteeError ||
    (e instanceof ActorDeadError && r.broken);
  return gone && r.startError !== undefined ? r.startError : e;
}
