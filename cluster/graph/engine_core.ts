/**
 * What the parts of the worker engine share: its settings, its books (the
 * same maps and lists the `WorkerEngine` class holds), the few counters and
 * flags only those parts change, and the moves of the class they call back
 * (queueing, failing, pumping work). The class builds one `EngineCore` and
 * hands it to the plain functions that do its work off the per-task path
 * (workers' start, loss and stop, copies of values between them, a node's
 * retirement, gathering values, status, report checks); its hot path keeps
 * its own fields and methods, so no task pays for the indirection.
 *
 * @module
 */

import type { ActorRef } from "../../actors/ref.ts";
import type { ActorSystem } from "../../actors/system.ts";
import type { HostPermissions, Placement } from "../../actors/hosts/hosts.ts";
import type { EngineMemory } from "../memory/engine_memory.ts";
import type { Computation } from "./computation.ts";
import type { EngineMetrics } from "./metrics.ts";
import type { TaskRecord, WorkerRecord } from "./engine_records.ts";
import type { Reports } from "./engine_reports.ts";
import type { Pull } from "./value_transfers.ts";

/** Settings of the engine. */
export interface WorkerEngineOptions {
  placement: Placement;
  workers: number;
  window: number;
  allowedFailures: number;
  permissions?: HostPermissions;
  /**
   * How many of `workers` run on the caller's event loop (`local`), the
   * others where `placement` says: they take tasks at once, while the hosts
   * of the others start (see `caller_workers.ts`).
   */
  callerWorkers?: number;
  /**
   * With caller workers: the others' hosts start once work has been
   * outstanding this long (ms; default 0, at once).
   */
  hostsAfterMs?: number;
  /** Where a worker that broke the protocol is reported (default `console.warn`). */
  logger?: (message: string) => void;
  /** The memory limit of each worker and where they spill (none: no limit). */
  memory?: EngineMemory;
}

/** One worker engine's shared state, and the moves its parts call back. */
export interface EngineCore {
  readonly system: ActorSystem;
  readonly options: WorkerEngineOptions;
  /** The engine's number (in its hosts' names). */
  readonly id: number;
  /** Where the workers' reports come in. */
  readonly reports: ActorRef<typeof Reports>;
  readonly tasks: Map<string, TaskRecord>;
  readonly workers: WorkerRecord[];
  /** Live workers by the id their reports carry. */
  readonly byId: Map<number, WorkerRecord>;
  /** Releases queued per worker (see the engine's `#releaseOn`). */
  readonly releases: Map<WorkerRecord, string[]>;
  /** Pulls under way, by number. */
  readonly pulls: Map<number, Pull>;
  /** Copies of values under way, by target worker and key. */
  readonly transfers: Map<string, Promise<void>>;
  /** Values moved between workers: node to node, or through here. */
  readonly transferred: { direct: number; relayed: number };
  readonly metrics: EngineMetrics;
  /** Average duration (ms) of each task (by name) on a busy worker. */
  readonly durations: Map<string, number>;
  /** Computations not finished yet (for `status`). */
  readonly running: Set<Computation>;
  /** Ready tasks waiting for a worker to exist (cluster with no members). */
  unplaced: TaskRecord[];
  closed: boolean;
  workerSeq: number;
  /** Malformed reports that named no worker. */
  unattributed: number;
  /** Worker hosts not started yet (see `hostsAfterMs`), and their timer. */
  deferredHosts: number;
  hostsTimer?: ReturnType<typeof setTimeout>;
  /** The last pull numbered. */
  pullSeq: number;
  /** Bytes per ms values moved at between workers lately. */
  bandwidth: number;
  logger: (message: string) => void;
  /** Told when a cluster node broke the protocol: it is to be dropped. */
  onBadNode?: (node: string, reason: string) => void;

  /** Make sure `r` will be (re)computed, with what it depends on. */
  need(r: TaskRecord): void;
  /** `r` can run: queue it on the worker it should run on. */
  makeReady(r: TaskRecord): void;
  /** `r` failed (or was cancelled): so does every task waiting on it. */
  fail(r: TaskRecord, error: Error, cancelled: boolean): void;
  /** Send the workers their queued tasks (and let idle ones steal). */
  pump(): void;
  /** Send `w` the releases queued for it (before anything else goes to it). */
  flushReleases(w: WorkerRecord): void;
  /** Resolves when `key` is no longer pending. */
  settled(key: string): Promise<void>;
}
