/**
 * troupe: a Deno-native actor runtime. Typed actors that exchange messages,
 * placed where the work fits (this event loop, a worker thread, a
 * subprocess), supervised when they fail; pools and routers over them; and
 * task graphs (`delayed`, `compute`) that run on this machine's cores.
 *
 * A first program imports from here alone. `@troupe/troupe/sync` has the
 * locks, queues and channels (in one isolate and shared across workers),
 * `@troupe/troupe/cluster` runs the same graphs across machines.
 *
 * The root may import every folder; see each folder's mod.ts for what that
 * folder may import.
 *
 * @example
 * ```ts
 * import { ActorSystem, defineActor } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Greeter = defineActor({
 *   init: (greeting: string) => ({ greeting }),
 *   handlers: { greet: (s, name: string) => `${s.greeting}, ${name}!` },
 * });
 * await using system = new ActorSystem();
 * const greeter = system.spawn(Greeter, "Hello");
 * assert.equal(await greeter.ask("greet", "Deno"), "Hello, Deno!");
 * ```
 *
 * @module
 */

// actors: behaviours, the system, refs, supervision, watch, typed errors
export {
  type ActorContext,
  ActorDeadError,
  type ActorDefinition,
  type ActorRef,
  ActorSystem,
  type Address,
  AskAbortedError,
  AskTimeoutError,
  type Behavior,
  child,
  defineActor,
  defineSupervisor,
  type ExitReason,
  HandlerError,
  MailboxFullError,
  type MessageArgs,
  type MessageName,
  NameTakenError,
  type ReplyOf,
  RestartIntensityError,
  type SpawnOptions,
  SystemStoppedError,
  transfer,
  TroupeError,
  UnguardedMainError,
  UnknownMessageError,
} from "./actors/mod.ts";
// placement
export {
  CrossingError,
  HostError,
  type HostPermissions,
  type Placement,
  WorkerOptionsError,
} from "./actors/hosts/mod.ts";
// pools, routers, tasks
export {
  createPool,
  createRouter,
  defineTasks,
  MapAbortedError,
  type MapOptions,
  NoRouteeError,
  Pool,
  PoolFullError,
  type PoolOptions,
  Router,
  type Task,
  TaskError,
  TaskTimeoutError,
} from "./actors/pool/mod.ts";
// local task graphs
export {
  asCompleted,
  CancelledError,
  type Computation,
  compute,
  type Computed,
  createScheduler,
  Delayed,
  delayed,
  Future,
  gather,
  GraphTimeoutError,
  GraphTooLargeError,
  GraphvizNotFoundError,
  KilledWorkerError,
  type Lazy,
  progressBar,
  Scheduler,
  type SchedulerOptions,
  type SchedulerStatus,
  TaskFailedError,
  treeReduce,
  visualize,
  wait,
} from "./cluster/graph/mod.ts";
