/**
 * The settings of a pool and of its maps and runs.
 *
 * @module
 */

import type { HostPermissions, Placement } from "../hosts/hosts.ts";
import type { ActorRef } from "../ref.ts";

/**
 * Settings of a pool.
 *
 * @example
 * ```ts
 * import type { PoolOptions } from "@troupe/troupe";
 * const opts: PoolOptions = { size: 2, placement: "worker", maxQueue: 10_000 };
 * ```
 */
export interface PoolOptions {
  /** How many runners (default: one per core). */
  size?: number;
  /** Where they run (default `worker`). */
  placement?: Placement;
  /** Permissions of their hosts (process and worker placement). */
  permissions?: HostPermissions;
  /**
   * Task modules a process runner must be able to read (their folders are
   * granted). Tasks given to `map`/`submit` from other folders fail there.
   */
  modules?: string[];
  /** Most `submit`s waiting for a runner (default 65,536). */
  maxQueue?: number;
  /** A `submit` on a full queue waits (default) or rejects with `PoolFullError`. */
  whenFull?: "wait" | "reject";
  /** How often work on a runner that died is sent to another (default 2). */
  retries?: number;
  /** Told of each retry: which task, which runner died, why. */
  onRetry?: (task: string, runner: ActorRef, error: Error) => void;
  /**
   * Replace a runner after it has taken this many messages (a map chunk or a
   * submit counts once, as `maxtasksperchild` does): a fresh runner, on a
   * fresh host of its own, takes its place between tasks.
   */
  recycleAfter?: number;
  /**
   * Replace a runner whose isolate's heap is above this many MiB, between
   * tasks (checked as work completes, at most every 20 ms per runner).
   * Worker and process placement only: local runners share this isolate.
   */
  recycleAboveHeapMb?: number;
  /**
   * Give each runner a worker or process host of its own (implied by
   * `recycleAfter` and `recycleAboveHeapMb`). Needed for `onAbort: "kill"`,
   * so that killing a busy runner's host touches nothing else.
   */
  ownHosts?: boolean;
}

/**
 * Settings of one `map`, `starmap`, `imap` or `imapUnordered`.
 *
 * @example
 * ```ts
 * import type { MapOptions } from "@troupe/troupe";
 * const opts: MapOptions = { chunksize: 100, onProgress: (done, total) => console.log(done, total) };
 * ```
 */
export interface MapOptions {
  /** Items per message (default: adaptive, about 4 chunks per runner, as `multiprocessing` does). */
  chunksize?: number;
  /**
   * Stops the map: it rejects with `MapAbortedError` at once, no further
   * chunk is sent, and no item that has not started when the abort reaches
   * its runner starts (the runners drop the chunks they hold for it); items
   * running then finish or are killed, as `onAbort` says. An already
   * aborted signal starts nothing.
   */
  signal?: AbortSignal;
  /** Ms one chunk may take (default: no limit). */
  timeout?: number;
  /**
   * Ms each item may take: the map fails with `TaskTimeoutError` naming the
   * item. An async task is given up at its deadline; a synchronous one
   * cannot be cut short inside its isolate, so it fails when it returns,
   * and a runner that does not return within `taskTimeout` x chunk + 1 s is
   * taken to be stuck: its host is killed (that frees the core of a process
   * host; Deno cannot stop a Web Worker stuck in a loop) and replaced.
   */
  taskTimeout?: number;
  /**
   * What an abort does to chunks already running: `"finish"` (default) lets
   * them run and ignores their results; `"kill"` kills the runners busy with
   * this map (their hosts, for a pool with `ownHosts`) and replaces them.
   */
  onAbort?: "finish" | "kill";
  /** Called as items complete, with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Settings of one `run`.
 *
 * @example
 * ```ts
 * import type { RunOptions } from "./options.ts";
 * const opts: RunOptions = { timeout: 1_000, signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface RunOptions {
  /**
   * Ms the task may take once sent (`TaskTimeoutError` after; default: no
   * limit).
   */
  timeout?: number;
  /**
   * Gives up waiting, for room in the queue or for the answer; a task that
   * has not started when the abort reaches its runner does not start.
   */
  signal?: AbortSignal;
}
