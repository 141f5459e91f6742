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
  type ActorStats,
  type ActorStatus,
  ActorSystem,
  type ActorSystemOptions,
  type Address,
  type AnyBehavior,
  type AnyRef,
  type ArgOf,
  AskAbortedError,
  type AskOptions,
  AskTimeoutError,
  type BackoffOptions,
  type Behavior,
  child,
  type ChildInfo,
  type ChildSpec,
  type DeadLetter,
  type DeadLetterReason,
  DeadLetters,
  defineActor,
  defineSupervisor,
  type ErrorInfo,
  type EventListener,
  type ExitReason,
  type Handler,
  HandlerError,
  type Handlers,
  type HandlersOf,
  MailboxFullError,
  type MailboxOptions,
  type MessageArgs,
  type MessageName,
  type NameOptions,
  NameTakenError,
  type OnError,
  type OverflowPolicy,
  type PayloadArgs,
  type PayloadOf,
  type ReplyOf,
  RestartIntensityError,
  type RestartType,
  type ShutdownReport,
  type SpawnArgs,
  type SpawnOptions,
  type Strategy,
  type SupervisorBehavior,
  type SupervisorHandlers,
  type SupervisorOptions,
  type SystemEvent,
  SystemStoppedError,
  type Termination,
  type TerminationListener,
  transfer,
  TroupeError,
  UnguardedMainError,
  UnknownMessageError,
} from "./actors/mod.ts";
// placement
export {
  CrossingError,
  type ExecSpec,
  HostError,
  type HostInfo,
  type HostPermissions,
  type Placement,
  WorkerOptionsError,
} from "./actors/hosts/mod.ts";
// pools, routers, tasks
export {
  broadcast,
  consistentHash,
  createPool,
  createRouter,
  defineTasks,
  leastConnection,
  MapAbortedError,
  type MapOptions,
  NoRouteeError,
  Pool,
  PoolFullError,
  type PoolOptions,
  randomRouting,
  roundRobin,
  type RouteInfo,
  Router,
  type RouterOptions,
  type RoutingLogic,
  type RunOptions,
  type Task,
  TaskError,
  TaskTimeoutError,
  weightedRoundRobin,
} from "./actors/pool/mod.ts";
// local task graphs
export {
  asCompleted,
  CancelledError,
  type Computation,
  compute,
  type Computed,
  type ComputeOptions,
  createScheduler,
  Delayed,
  delayed,
  Future,
  type FutureStatus,
  gather,
  type GraphRunner,
  GraphTimeoutError,
  GraphTooLargeError,
  GraphvizNotFoundError,
  type Keyed,
  KilledWorkerError,
  type Lazy,
  type LazyArgs,
  type LazyParts,
  type Persisted,
  progressBar,
  type ProgressBarOptions,
  type ProgressListener,
  type ProgressSource,
  type ProgressStream,
  Scheduler,
  type SchedulerOptions,
  type SchedulerStatus,
  TaskFailedError,
  type TaskOptions,
  type TaskRun,
  toDot,
  toMermaid,
  treeReduce,
  visualize,
  type VisualizeOptions,
  wait,
  type WaitResult,
  type WorkerStatus,
} from "./cluster/graph/mod.ts";
export type { MemoryStatus } from "./cluster/memory/mod.ts";
