/**
 * Supervisors, as in Erlang/OTP.
 *
 * A supervisor is an actor that starts its children in order, restarts them
 * when they exit according to a strategy, and gives up when restarts come too
 * often:
 *
 * - **Strategies.** `one_for_one` restarts only the child that exited;
 *   `one_for_all` stops every other child (reverse start order) and restarts
 *   all of them (start order); `rest_for_one` does that for the exited child
 *   and the children started after it.
 * - **Restart types.** `permanent` children are always restarted, `transient`
 *   ones only after an abnormal exit (a crash or a kill, not a normal stop),
 *   `temporary` ones never (they are removed when they exit).
 * - **Intensity.** More than `intensity` restarts within `periodMs` make the
 *   supervisor stop all its children (reverse order) and fail with
 *   `RestartIntensityError`, which its own supervisor then handles.
 * - **Restarts are in place.** A restarted child keeps its address, its ref
 *   and its queued messages; only its state is rebuilt (`onRestart`, then
 *   `init` and `onStart`). Watchers hear nothing: a restart is not a death.
 *
 * @module
 */

import type { Timer } from "./timer.ts";
import { backoffDelay, type BackoffOptions, checkBackoff } from "./backoff.ts";
import { type Behavior, defineActor, type Handlers } from "./behavior.ts";
import {
  type Cell,
  spawnCell,
  type SupervisorLink,
  SUSPENDED,
} from "./cell.ts";
import type { ActorContext } from "./behavior.ts";
import {
  type ErrorInfo,
  errorInfo,
  type ExitReason,
  RestartIntensityError,
} from "./errors.ts";
import type { HostPermissions, Placement } from "./hosts/hosts.ts";
import type { ActorRef } from "./ref.ts";

/**
 * Which children restart when one exits.
 *
 * @example
 * ```ts
 * import type { Strategy } from "./supervisor.ts";
 * const s: Strategy = "rest_for_one";
 * ```
 */
export type Strategy = "one_for_one" | "one_for_all" | "rest_for_one";

/**
 * When a child is restarted: `permanent` always, `transient` after an
 * abnormal exit only, `temporary` never.
 *
 * @example
 * ```ts
 * import type { RestartType } from "./supervisor.ts";
 * const r: RestartType = "transient";
 * ```
 */
export type RestartType = "permanent" | "transient" | "temporary";

/**
 * How to start and treat one child: `id` (unique among the supervisor's
 * children), its behaviour, its spawn argument (used again on every
 * restart) and its `options`.
 *
 * @example
 * ```ts
 * import { child, defineActor } from "@troupe/troupe";
 * const Worker = defineActor({ init: (n: number) => ({ n }), handlers: {} });
 * const spec = child("w1", Worker, 1, { restart: "transient" });
 * ```
 */
export function child<B extends Behavior>(
  id: string,
  behavior: B,
  arg: Parameters<B["init"]>[0],
  options: {
    /** When to restart it (default `permanent`). */
    restart?: "permanent" | "transient" | "temporary";
    /** Ms a stop waits for the child before killing it (default: the system's). */
    shutdown?: number;
    /** A system-wide name for `lookup`. */
    name?: string;
    /** Mailbox settings for the child. */
    mailbox?: {
      /** Most messages it holds (a positive integer or `Infinity`; default 65,536). */
      capacity?: number;
      /**
       * What a full mailbox does with one more: `reject` (the default: the
       * sender gets `MailboxFullError`), `drop-newest`, `drop-oldest`, or
       * `backpressure` (`send` waits for room).
       */
      overflow?: "drop-newest" | "drop-oldest" | "reject" | "backpressure";
    };
    /** Where the child runs (default `local`); restarts keep its placement. */
    placement?: Placement;
    /** Pin the child to a named host. */
    host?: string;
    /** Permissions of the host it starts on. */
    permissions?: HostPermissions;
    /** A process host's heap limit, in MiB. */
    heapLimitMb?: number;
  } = {},
): { id: string; behavior: B; arg: Parameters<B["init"]>[0] } & typeof options {
  return { ...options, id, behavior, arg };
}

/** One child's spec, as `child` makes it (its signature spells it out). */
type ChildSpec<B extends Behavior = Behavior> = ReturnType<typeof child<B>>;

/** Settings of a supervisor (`defineSupervisor`'s signature spells them out). */
type SupervisorOptions = Parameters<typeof defineSupervisor>[0];

/**
 * One child as the supervisor sees it.
 *
 * @example
 * ```ts
 * import type { ChildInfo } from "./supervisor.ts";
 * function line(c: ChildInfo): string { return `${c.id}: ${c.running ? "up" : "down"}`; }
 * ```
 */
export interface ChildInfo {
  /** The child's id. */
  readonly id: string;
  /** Its ref while it has a live incarnation. */
  readonly ref: ActorRef | undefined;
  /** Whether it is alive (running, starting, or waiting for a restart). */
  readonly running: boolean;
  /** Its restart type. */
  readonly restart: RestartType;
  /** Restarts so far. */
  readonly restarts: number;
}

interface Entry {
  spec: ChildSpec;
  cell: Cell | undefined;
  /** Consecutive restarts, for backoff; reset after a quiet period. */
  attempts: number;
  lastRestart: number;
  timer: Timer | undefined;
}

/** The supervisor's own state. */
interface SupervisorState {
  readonly opts: Required<Omit<SupervisorOptions, "backoff" | "name">>;
  readonly backoff: BackoffOptions | undefined;
  readonly entries: Entry[];
  /** Times of recent restarts, for intensity. */
  readonly log: number[];
  readonly cell: Cell;
  readonly link: SupervisorLink;
}

function abnormal(reason: ExitReason): boolean {
  return reason.type !== "normal" && reason.type !== "shutdown";
}

/** Start `entry`'s child; if its start fails, it is stopped and the error thrown. */
async function startChild(s: SupervisorState, entry: Entry): Promise<void> {
  try {
    await spawnChild(s, entry);
  } catch (e) {
    const cell = entry.cell;
    entry.cell = undefined;
    await cell?.terminate({ type: "failed", error: errorInfo(e) });
    throw e;
  }
}

function spawnChild(s: SupervisorState, entry: Entry): Promise<void> {
  const { spec } = entry;
  const cell = spawnCell(
    s.cell.rt,
    spec.behavior,
    spec.arg,
    {
      name: spec.name,
      mailbox: spec.mailbox,
      shutdownTimeout: spec.shutdown,
      placement: spec.placement,
      host: spec.host,
      permissions: spec.permissions,
      heapLimitMb: spec.heapLimitMb,
    },
    s.cell,
    s.link,
  );
  entry.cell = cell;
  return cell.whenStarted();
}

async function stopEntries(entries: Entry[], reason: ExitReason) {
  for (const e of [...entries].reverse()) {
    const cell = e.cell;
    if (cell === undefined) continue;
    e.cell = undefined;
    e.timer = undefined;
    await cell.terminate(reason);
  }
}

function entryOf(s: SupervisorState, id: string): Entry {
  const e = s.entries.find((x) => x.spec.id === id);
  if (e === undefined) {
    throw new RangeError(
      `${s.cell.label} has no child "${id}" (children: ${
        s.entries.map((x) => x.spec.id).join(", ")
      })`,
    );
  }
  return e;
}

function checkSpec(spec: ChildSpec, taken: Set<string>): void {
  if (typeof spec?.id !== "string" || spec.id === "") {
    throw new TypeError("child spec: `id` must be a non-empty string");
  }
  if (taken.has(spec.id)) {
    throw new TypeError(`child spec: duplicate id "${spec.id}"`);
  }
  if (spec.behavior?.kind !== "behavior") {
    throw new TypeError(`child "${spec.id}": \`behavior\` is not a behaviour`);
  }
  const r = spec.restart ?? "permanent";
  if (r !== "permanent" && r !== "transient" && r !== "temporary") {
    throw new TypeError(`child "${spec.id}": unknown restart type "${r}"`);
  }
  taken.add(spec.id);
}

/** A child exited: restart per strategy, or give up past the intensity. */
async function onChildExit(
  s: SupervisorState,
  cell: Cell,
  incarnation: number,
  reason: ExitReason,
): Promise<void> {
  const entry = s.entries.find((e) => e.cell === cell);
  if (
    entry === undefined || cell.incarnation !== incarnation ||
    cell.status !== SUSPENDED
  ) return; // stale report: the child was restarted or stopped meanwhile
  const restart = entry.spec.restart ?? "permanent";
  if (
    restart === "temporary" || (restart === "transient" && !abnormal(reason))
  ) {
    entry.cell = undefined;
    if (restart === "temporary") s.entries.splice(s.entries.indexOf(entry), 1);
    await cell.terminate(reason);
    return;
  }
  const now = performance.now();
  const { intensity, periodMs } = s.opts;
  s.log.push(now);
  while (s.log.length > 0 && s.log[0] <= now - periodMs) s.log.shift();
  if (s.log.length > intensity) {
    await stopEntries(s.entries, { type: "shutdown" });
    throw new RestartIntensityError(s.cell.label, intensity, periodMs);
  }
  const error = reason.type === "failed" ? reason.error : undefined;
  let delay = 0;
  if (s.backoff !== undefined) {
    if (now - entry.lastRestart > (s.backoff.resetAfterMs ?? s.backoff.maxMs)) {
      entry.attempts = 0;
    }
    delay = backoffDelay(s.backoff, entry.attempts++);
  }
  entry.lastRestart = now;
  if (delay === 0) return restartGroup(s, entry, error, 0);
  entry.timer = s.cell.rt.later(delay, () => {
    entry.timer = undefined;
    s.cell.enqueueSystem(() => {
      if (entry.cell === cell && cell.status === SUSPENDED) {
        return restartGroup(s, entry, error, delay);
      }
    });
  });
}

async function restartGroup(
  s: SupervisorState,
  failed: Entry,
  error: ErrorInfo | undefined,
  delayMs: number,
): Promise<void> {
  const strategy = s.opts.strategy;
  const group = strategy === "one_for_one"
    ? [failed]
    : strategy === "one_for_all"
    ? [...s.entries]
    : s.entries.slice(s.entries.indexOf(failed));
  // Stop the others, newest first; temporary ones are not coming back.
  for (const e of [...group].reverse()) {
    if (e === failed || e.cell === undefined) continue;
    if ((e.spec.restart ?? "permanent") === "temporary") {
      const c = e.cell;
      e.cell = undefined;
      s.entries.splice(s.entries.indexOf(e), 1);
      await c.terminate({ type: "shutdown" });
    } else {
      await e.cell.suspend(e.cell.shutdownTimeout);
    }
  }
  // Restart in start order; a child that ended for good is started afresh.
  for (const e of group) {
    if (!s.entries.includes(e)) continue;
    const c = e.cell;
    if (c === undefined) {
      if (e === failed) continue;
      continue; // terminated by an explicit request: stays down
    }
    await c.restart(e === failed ? error : undefined, delayMs);
  }
}

/**
 * The messages a supervisor handles (its state is private, so the handlers
 * take it as `unknown`).
 *
 * @example
 * ```ts
 * import type { SupervisorHandlers } from "./supervisor.ts";
 * type Names = keyof SupervisorHandlers; // "children" | "child" | ...
 * ```
 */
export interface SupervisorHandlers extends Handlers<unknown> {
  /** Every child, in start order. */
  children: (state: unknown) => ChildInfo[];
  /** The ref of child `id` (undefined while it is down). */
  child: (state: unknown, id: string) => ActorRef | undefined;
  /** Add and start a child after the others; resolves to its ref. */
  startChild: (state: unknown, spec: ChildSpec) => Promise<ActorRef>;
  /** Stop child `id` for good (its spec stays; `restartChild` starts it). */
  terminateChild: (state: unknown, id: string) => Promise<void>;
  /** Start a terminated child again (a new incarnation, a new ref). */
  restartChild: (state: unknown, id: string) => Promise<ActorRef>;
  /** Forget a terminated child's spec. */
  deleteChild: (state: unknown, id: string) => void;
}

const SUPERVISOR_HANDLERS: SupervisorHandlers = {
  children: (state) =>
    (state as SupervisorState).entries.map((e) => ({
      id: e.spec.id,
      ref: e.cell?.ref,
      running: e.cell !== undefined,
      restart: e.spec.restart ?? "permanent",
      restarts: e.cell?.restarts ?? 0,
    })),
  child: (state, id) => entryOf(state as SupervisorState, id).cell?.ref,
  startChild: async (state, spec) => {
    const s = state as SupervisorState;
    checkSpec(spec, new Set(s.entries.map((e) => e.spec.id)));
    const entry: Entry = {
      spec,
      cell: undefined,
      attempts: 0,
      lastRestart: -Infinity,
      timer: undefined,
    };
    s.entries.push(entry);
    try {
      await startChild(s, entry);
    } catch (e) {
      s.entries.splice(s.entries.indexOf(entry), 1);
      throw e;
    }
    return entry.cell!.ref;
  },
  terminateChild: async (state, id) => {
    const s = state as SupervisorState;
    const e = entryOf(s, id);
    s.cell.rt.cancel(e.timer);
    await stopEntries([e], { type: "shutdown" });
  },
  restartChild: async (state, id) => {
    const s = state as SupervisorState;
    const e = entryOf(s, id);
    if (e.cell !== undefined) {
      throw new Error(`child "${id}" of ${s.cell.label} is running`);
    }
    await startChild(s, e);
    return e.cell!.ref;
  },
  deleteChild: (state, id) => {
    const s = state as SupervisorState;
    const e = entryOf(s, id);
    if (e.cell !== undefined) {
      throw new Error(`child "${id}" of ${s.cell.label} is running`);
    }
    s.entries.splice(s.entries.indexOf(e), 1);
  },
};

/**
 * A supervisor behaviour, spawned like any other actor.
 *
 * @example
 * ```ts
 * import { defineSupervisor } from "@troupe/troupe";
 * import type { SupervisorBehavior } from "./supervisor.ts";
 * const sup: SupervisorBehavior = defineSupervisor({ children: [] });
 * ```
 */
export type SupervisorBehavior = Behavior<void, unknown, SupervisorHandlers>;

function cancelTimers(state: unknown): void {
  const s = state as SupervisorState;
  for (const e of s.entries) s.cell.rt.cancel(e.timer);
}

/**
 * Define a supervisor. Spawn it with `system.spawn` (or as a child of another
 * supervisor, to build a tree). Its handlers: `children`, `child(id)`,
 * `startChild(spec)`, `terminateChild(id)`, `restartChild(id)`,
 * `deleteChild(id)`.
 *
 * @example A crash and its restart
 * ```ts
 * import { ActorSystem, child, defineActor, defineSupervisor, HandlerError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * const Fragile = defineActor({
 *   init: () => ({ calls: 0 }),
 *   handlers: {
 *     work: (s) => ++s.calls,
 *     crash: () => { throw new Error("boom"); },
 *   },
 * });
 * await using system = new ActorSystem();
 * const sup = system.spawn(defineSupervisor({
 *   strategy: "one_for_one",
 *   children: [child("fragile", Fragile, undefined)],
 * }));
 * const fragile = (await sup.ask("child", "fragile"))!;
 * assert.equal(await fragile.ask("work"), 1);
 * await assert.rejects(fragile.ask("crash"), HandlerError);
 * assert.equal(await fragile.ask("work"), 1); // same ref, fresh state
 * ```
 */
export function defineSupervisor(
  options: {
    /** A name for logs and addresses (default `"supervisor"`). */
    name?: string;
    /** Which children restart together (default `one_for_one`). */
    strategy?: "one_for_one" | "one_for_all" | "rest_for_one";
    /** Most restarts allowed within `periodMs` (default 3). */
    intensity?: number;
    /** The window for `intensity`, in ms (default 5,000). */
    periodMs?: number;
    /** Wait before each restart, growing while a child keeps failing. */
    backoff?: {
      /** First delay in ms. */
      minMs: number;
      /** Largest delay in ms. */
      maxMs: number;
      /** Growth per consecutive restart (default 2). */
      factor?: number;
      /** Random spread as a fraction of the delay, 0 to 1 (default 0.2). */
      jitter?: number;
      /** Quiet ms after which the count resets (default `maxMs`). */
      resetAfterMs?: number;
      /** Source of randomness in [0, 1) (default `Math.random`; seed it in tests). */
      random?: () => number;
    };
    /** The children, started in this order and stopped in reverse. */
    children: ReturnType<typeof child>[];
  },
): Behavior<void, unknown, {
  /** Every child, in start order. */
  children: (state: unknown) => {
    /** The child's id. */
    readonly id: string;
    /** Its ref while it has a live incarnation. */
    readonly ref: ActorRef | undefined;
    /** Whether it is alive (running, starting, or waiting for a restart). */
    readonly running: boolean;
    /** Its restart type. */
    readonly restart: "permanent" | "transient" | "temporary";
    /** Restarts so far. */
    readonly restarts: number;
  }[];
  /** The ref of child `id` (undefined while it is down). */
  child: (state: unknown, id: string) => ActorRef | undefined;
  /** Add and start a child after the others; resolves to its ref. */
  startChild: (
    state: unknown,
    spec: ReturnType<typeof child>,
  ) => Promise<ActorRef>;
  /** Stop child `id` for good (its spec stays; `restartChild` starts it). */
  terminateChild: (state: unknown, id: string) => Promise<void>;
  /** Start a terminated child again (a new incarnation, a new ref). */
  restartChild: (state: unknown, id: string) => Promise<ActorRef>;
  /** Forget a terminated child's spec. */
  deleteChild: (state: unknown, id: string) => void;
}> {
  const strategy = options.strategy ?? "one_for_one";
  if (!["one_for_one", "one_for_all", "rest_for_one"].includes(strategy)) {
    throw new TypeError(`unknown supervisor strategy "${strategy}"`);
  }
  const intensity = options.intensity ?? 3;
  const periodMs = options.periodMs ?? 5_000;
  if (!(Number.isInteger(intensity) && intensity >= 0)) {
    throw new RangeError(`intensity must be an integer >= 0, got ${intensity}`);
  }
  if (!(periodMs > 0)) {
    throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
  }
  if (options.backoff !== undefined) checkBackoff(options.backoff);
  const taken = new Set<string>();
  for (const spec of options.children) checkSpec(spec, taken);
  const opts = { strategy, intensity, periodMs, children: options.children };

  return defineActor({
    name: options.name ?? "supervisor",
    init: async (_: void, ctx: ActorContext): Promise<unknown> => {
      const cell = ctx as unknown as Cell;
      const link: SupervisorLink = {
        childExited: (c, incarnation, reason) =>
          cell.enqueueSystem(() => onChildExit(s, c, incarnation, reason)),
      };
      const s: SupervisorState = {
        opts,
        backoff: options.backoff,
        entries: opts.children.map((spec) => ({
          spec,
          cell: undefined,
          attempts: 0,
          lastRestart: -Infinity,
          timer: undefined,
        })),
        log: [],
        cell,
        link,
      };
      // OTP: children start one by one, each fully started before the next;
      // if one fails to start, the ones already started stop and we fail.
      for (const entry of s.entries) {
        try {
          await startChild(s, entry);
        } catch (e) {
          await stopEntries(s.entries, { type: "shutdown" });
          throw e;
        }
      }
      cell.stopOrder = () =>
        s.entries.flatMap((e) => e.cell === undefined ? [] : [e.cell]);
      return s;
    },
    handlers: SUPERVISOR_HANDLERS,
    // A bad API call (unknown id, duplicate spec) is the caller's error, not
    // a reason to restart the tree; giving up still fails the supervisor.
    onError: "resume",
    onStop: cancelTimers,
    onRestart: cancelTimers,
  });
}
