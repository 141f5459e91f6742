/**
 * The words of the host layer every other file of it uses: where an actor
 * runs (`Placement`), a host's permissions, the host errors, how process
 * hosts start, the settings hosts share, and the link to a host that runs
 * elsewhere.
 *
 * @module
 */

import { TroupeError } from "../errors.ts";

/**
 * Where an actor runs: on the caller's event loop (`local`), on a Web Worker
 * host (`worker`: a thread, a core), on a subprocess host (`process`:
 * isolation, its own heap and permissions), or on a cluster node (`node`:
 * the one named by `host`, or, without it, the node with the fewest actors).
 *
 * @example
 * ```ts
 * import type { Placement } from "@troupe/troupe";
 * const p: Placement = "worker";
 * ```
 */
export type Placement = "local" | "worker" | "process" | "node";

/**
 * Deno permissions for a host, least privilege by default: a process host
 * gets only read access to the modules it runs unless more is given here.
 * `true` grants all of a kind; a list grants those values (paths, hosts,
 * variable names, commands).
 *
 * @example
 * ```ts
 * import type { HostPermissions } from "@troupe/troupe";
 * const p: HostPermissions = { net: ["127.0.0.1:8080"], env: ["HOME"] };
 * ```
 */
export interface HostPermissions {
  /** File reads (besides the modules themselves). */
  read?: boolean | string[];
  /** File writes. */
  write?: boolean | string[];
  /** Network. */
  net?: boolean | string[];
  /** Environment variables. */
  env?: boolean | string[];
  /** Subprocesses. */
  run?: boolean | string[];
  /** System information. */
  sys?: boolean | string[];
  /** Foreign functions. */
  ffi?: boolean | string[];
}

/** A host failed to start, was refused, or a spawn on it failed. */
export class HostError extends TroupeError {
  /** Build the error from what went wrong. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Permissions for a worker host, in a program that did not enable Deno's
 * worker-options (Deno would exit the whole process on such a worker): say
 * how to enable them, or to use process placement.
 *
 * @example
 * ```ts
 * import { WorkerOptionsError } from "@troupe/troupe";
 * import assert from "node:assert/strict";
 *
 * assert.match(new WorkerOptionsError().message, /"unstable": \["worker-options"\]/);
 * ```
 */
export class WorkerOptionsError extends HostError {
  /**
   * Build the error (it says what to do).
   *
   * @example
   * ```ts
   * import { WorkerOptionsError } from "@troupe/troupe";
   * new WorkerOptionsError();
   * ```
   */
  constructor() {
    super(
      'worker permissions need Deno\'s worker-options, which this program did not enable: add "unstable": ["worker-options"] to deno.json (or run with --unstable-worker-options) and create the system with { workerPermissions: true }; or use placement "process", whose hosts take permissions without them',
    );
  }
}

/** How to start a process host in a compiled binary (or its stand-in). */
export interface ExecSpec {
  /** The executable: `Deno.execPath()` in a compiled binary. */
  command: string;
  /** Arguments before the host flags. */
  args: string[];
}

/** Settings every host of a system shares. */
export interface HostDefaults {
  maxFrame: number;
  /** Whether the application enabled Deno's worker-options. */
  workerPermissions: boolean;
  /** Override how process hosts start (compiled binaries, tests). */
  exec: ExecSpec | undefined;
  /** How long a worker or process host may take to say it is ready, in ms. */
  startTimeout: number;
}

/**
 * A connection to a host that runs elsewhere (a cluster node): batches go
 * out with `send`; batches that arrive are handed to the attached host's
 * `receive`. Whoever accepted the connection provides it (see
 * `ActorSystem.attachHost`).
 *
 * @example
 * ```ts
 * import type { HostLink } from "./hosts.ts";
 * const link: HostLink = {
 *   send: (batch) => console.log(batch.length),
 *   close: () => {},
 *   closed: new Promise(() => {}),
 * };
 * ```
 */
export interface HostLink {
  /** Send one batch to the host (items are plain, MessagePack-safe data). */
  send(batch: unknown[]): void;
  /** Close the connection: the host is gone for this system. */
  close(): void;
  /**
   * Resolves when the connection is closed, by either side: with why, when
   * known (a string, or `{ kind: "eof" | "error" | "local", error? }`), for
   * the `host-down` reason its actors end with.
   */
  readonly closed: Promise<unknown>;
}
