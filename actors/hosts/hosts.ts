/**
 * Worker and process hosts, seen from the parent.
 *
 * A host is an isolate of its own (a Web Worker or a subprocess) that runs
 * many actors. The parent keeps one `HostHandle` per host: it batches what
 * goes out (one `postMessage` or one frame per microtask), routes what comes
 * in, and notices at once when the host dies (a worker `error` event, a
 * process exit), failing every actor there with a `host-down` reason.
 *
 * @module
 */

import type { Cell, Leftover } from "../cell.ts";
import {
  ASK,
  type Control,
  controlToWire,
  CrossingError,
  envelopeToWire,
  fromWire,
  guardEnvelope,
  HAS_REFS,
  prepare,
  RefPayload,
  reviveRefs,
  TELL,
  WireError,
  type WireItem,
} from "./codec.ts";
import type { Envelope } from "../envelope.ts";
import { errorFromInfo, TroupeError } from "../errors.ts";
import { type Links, ReturnAddress } from "./link.ts";
import type { ReplyTo } from "../reply.ts";
import type { Runtime } from "../runtime.ts";
import type { Timer } from "../timer.ts";
import { takeTransfer } from "../transfer.ts";
import { Lane } from "./lane.ts";
import { MAIN_FLAG, programMain } from "../main_guard.ts";

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
}

/** What a new host is to be. */
interface HostSpec {
  kind: "worker" | "process" | "node";
  /** A name for a pinned host. */
  name: string | undefined;
  permissions: HostPermissions | undefined;
  /** Module URLs (folders) the host must read. */
  readRoots: string[];
  /** Behaviour modules to load while the host starts. */
  preload: string[];
  /** A process host's V8 heap limit, in MiB. */
  heapLimitMb: number | undefined;
  /** Hosts with the same key are interchangeable. */
  key: string;
  /** A node host's link, given by whoever accepted its connection. */
  link?: HostLink;
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

/** The transport under a host: batches in both directions, and its death. */
interface Transport {
  post(batch: WireItem[], transfer: Transferable[]): void;
  /** Stop it hard: terminate the worker, SIGKILL the process group. */
  kill(): void;
  /**
   * Resolves once the isolate is gone and every resource is closed (with
   * why, when the transport knows better than "exited").
   */
  readonly closed: Promise<string | void>;
}

let hostSeq = 0;

/**
 * Items per batch before it goes out without waiting for the microtask: big
 * enough that a burst costs few postMessage calls or writes, small enough
 * that the host starts working while the sender is still sending.
 */
export const MAX_BATCH = 4096;

/** The parent's side of one worker or process host. */
export class HostHandle {
  readonly id: string;
  /**
   * The id of the system that started it (its link's far end): not always
   * the first part of `id`, as a host's own hosts (a node's workers) are
   * `root/node-1/worker-2`.
   */
  readonly parent: string;
  readonly kind: "worker" | "process" | "node";
  /** A user-given name (pinned hosts), or undefined for pool hosts. */
  readonly name: string | undefined;
  /** Pool hosts with the same key are interchangeable. */
  readonly key: string;
  readonly proxies: Map<number, Cell> = new Map();
  state: "starting" | "up" | "down" = "starting";
  readonly ready: Promise<void>;
  readonly #rt: Runtime;
  readonly #links: Links;
  readonly #onGone: (h: HostHandle) => void;
  #transport: Transport | undefined;
  #out: WireItem[] = [];
  /** Buffers to move (not copy) with the next batch (workers only). */
  #transfer: Transferable[] = [];
  #flushing = false;
  #req = 0;
  #spawns = new Map<
    number,
    { resolve: (id: number) => void; reject: (e: Error) => void }
  >();
  #readyWait = Promise.withResolvers<void>();
  #bye = Promise.withResolvers<void>();
  /** Actors placed here and not yet gone (including ones still spawning). */
  load = 0;

  constructor(
    rt: Runtime,
    links: Links,
    spec: HostSpec,
    defaults: HostDefaults,
    onGone: (h: HostHandle) => void,
  ) {
    const { kind, name } = spec;
    this.#rt = rt;
    this.#links = links;
    this.kind = kind;
    this.name = name;
    this.key = spec.key;
    this.#onGone = onGone;
    this.id = `${rt.host}/${name ?? kind}-${++hostSeq}`;
    this.parent = rt.host;
    this.ready = this.#readyWait.promise;
    this.ready.catch(() => {});
    const msgpack = kind !== "worker";
    links.add(
      this.id,
      (env) =>
        this.#push(
          envelopeToWire(guardEnvelope(env, msgpack), rt.host, this.id),
        ),
    );
    try {
      this.#transport = kind === "worker"
        ? startWorker(this, spec, defaults)
        : kind === "process"
        ? startProcess(this, spec, defaults)
        : attachNode(spec.link!);
    } catch (e) {
      this.down(`could not start: ${(e as Error).message}`);
      throw e;
    }
    this.#transport.closed.then((detail) => {
      this.down(detail || `${kind} exited`);
    });
  }

  /** The transport delivered a batch. */
  receive(batch: WireItem[]): void {
    for (const item of batch) {
      let decoded;
      try {
        decoded = fromWire(item, this.#rt.host, this.id);
      } catch (e) {
        this.kill(`sent malformed data: ${(e as Error).message}`);
        return;
      }
      if (decoded.control !== undefined) this.#control(decoded.control);
      else this.#deliver(decoded.envelope);
    }
  }

  #deliver(env: Envelope): void {
    try {
      this.#rt.system.deliver(env);
    } catch (e) {
      this.kill(`sent a bad envelope: ${(e as Error).message}`);
    }
  }

  #control(c: Control): void {
    switch (c.t) {
      case "ready":
        this.state = "up";
        this.#readyWait.resolve();
        return;
      case "spawned":
        this.#spawns.get(c.req)?.resolve(c.id);
        this.#spawns.delete(c.req);
        return;
      case "spawn-failed":
        this.#spawns.get(c.req)?.reject(errorFromInfo(c.error));
        this.#spawns.delete(c.req);
        return;
      case "exit": {
        const proxy = this.proxies.get(c.id);
        const returned = this.#returned(c.returned ?? []);
        if (proxy !== undefined) {
          this.proxies.delete(c.id);
          this.load--;
          proxy.remoteExited(c.reason, returned);
        } else {
          for (const m of returned) {
            m.reply?.fail({ type: "dead", reason: c.reason });
          }
        }
        return;
      }
      case "bye":
        this.#bye.resolve();
        return;
      case "dead-letter":
        // Losses on the host are losses of this system's actors: count them.
        this.#rt.deadLetter(
          `${c.target}@${this.id}`,
          c.name,
          undefined,
          c.reason,
        );
        return;
      case "gone":
        this.kill(c.detail);
        return;
      case "fatal":
        this.#rt.emit({
          type: "failed",
          address: { host: this.id, id: 0 },
          error: c.error,
        });
        return;
    }
  }

  /** Collect a payload's transfer list (see `transfer`) for the batch. */
  #mark(payload: unknown): void {
    const list = takeTransfer(payload);
    if (list !== undefined && this.kind === "worker") {
      for (const t of list) this.#transfer.push(t);
    }
  }

  /** Messages a dead actor's host handed back, with their reply handles. */
  #returned(items: WireItem[]): Leftover[] {
    const out: Leftover[] = [];
    for (const item of items) {
      let env: Envelope | undefined;
      try {
        env = fromWire(item, this.#rt.host, this.id).envelope;
      } catch {
        env = undefined;
      }
      if (env?.kind !== "tell" && env?.kind !== "ask") continue;
      let payload = env.payload;
      if (env.refs) {
        try {
          payload = reviveRefs(payload, (a) => this.#rt.system.refFor(a));
        } catch {
          continue; // malformed: as an item that does not decode
        }
      }
      if (env.kind === "tell") {
        out.push({ name: env.name, payload, reply: undefined });
      } else {
        const reply = env.from.host === this.#rt.host
          ? this.#links.take(env.corr) // undefined if the asker gave up
          : new ReturnAddress(this.#links, env.from, env.corr);
        out.push({ name: env.name, payload, reply });
      }
    }
    return out;
  }

  #push(item: WireItem): void {
    if (this.state === "down") return;
    const out = this.#out;
    out.push(item);
    if (out.length >= MAX_BATCH) this.#flush();
    else if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushing = false;
    const batch = this.#out;
    if (batch.length === 0 || this.#transport === undefined) return;
    this.#out = [];
    const transfer = this.#transfer;
    if (transfer.length > 0) this.#transfer = [];
    try {
      this.#transport.post(batch, transfer);
    } catch (e) {
      this.kill(`could not send: ${(e as Error).message}`);
    }
  }

  /** Spawn `cell`'s behaviour here; resolves to its id on this host. */
  async spawn(cell: Cell): Promise<number> {
    const b = cell.behavior;
    this.load++;
    try {
      // Sent at once, not after `ready`: the link holds it until the host
      // reads, so that a new host's start and the spawn overlap.
      if (this.state === "down") throw new HostError(`host ${this.id} is down`);
      let arg: unknown;
      try {
        arg = prepare(cell.arg, this.kind !== "worker", "arg");
      } catch (e) {
        if (!(e instanceof CrossingError)) throw e;
        throw new CrossingError(
          `cannot spawn "${b.name}" on a ${this.kind} host: ${e.message}`,
        );
      }
      const refs = arg instanceof RefPayload;
      if (arg instanceof RefPayload) arg = arg.value;
      const req = ++this.#req;
      const { promise, resolve, reject } = Promise.withResolvers<number>();
      this.#spawns.set(req, { resolve, reject });
      this.#push(controlToWire({
        t: "spawn",
        req,
        module: b.module!,
        behavior: b.name,
        arg,
        ...(refs ? { refs } : {}),
        name: cell.name,
        mailbox: cell.mailboxOptions,
        shutdownTimeout: cell.shutdownTimeout,
        proxy: cell.address,
      }));
      const id = await promise;
      this.proxies.set(id, cell);
      return id;
    } catch (e) {
      this.load--;
      throw e;
    }
  }

  /** Ask the actor to stop gracefully (its exit comes back as `exit`). */
  stopActor(id: number, timeout: number): void {
    this.#push(controlToWire({ t: "stop", id, timeout }));
  }

  /** Kill one actor without waiting. */
  killActor(id: number): void {
    if (this.proxies.delete(id)) this.load--;
    this.#push(controlToWire({ t: "kill", id }));
  }

  /**
   * Tell actor `id` here (built as a wire tuple directly: the hot path).
   * `ready` is a payload made ready by `prepare`.
   */
  tell(id: number, name: string, ready: unknown): void {
    if (ready instanceof RefPayload) {
      this.#mark(ready.value);
      this.#push([TELL, "", id, name, ready.value, HAS_REFS]);
      return;
    }
    this.#mark(ready);
    this.#push([TELL, "", id, name, ready]); // "": the host at the far end
  }

  /**
   * Ask actor `id` here; the answer goes to `reply`. `ready` is a payload
   * made ready by `prepare`.
   */
  ask(id: number, name: string, ready: unknown, reply: ReplyTo): void {
    if (this.state === "down") {
      reply.fail({
        type: "dead",
        reason: { type: "host-down", host: this.id, detail: "host is down" },
      });
      return;
    }
    const corr = this.#links.track(reply, this.id);
    if (ready instanceof RefPayload) {
      this.#mark(ready.value);
      this.#push([ASK, "", id, name, ready.value, "", corr, HAS_REFS]);
      return;
    }
    this.#mark(ready);
    this.#push([ASK, "", id, name, ready, "", corr]);
  }

  /** The host is gone: every actor on it is dead with `host-down`. */
  down(detail: string): void {
    if (this.state === "down") return;
    this.state = "down";
    this.#readyWait.reject(new HostError(`host ${this.id} is down: ${detail}`));
    this.#links.remove(this.id, detail);
    const err = new HostError(`host ${this.id} went down: ${detail}`);
    for (const s of this.#spawns.values()) s.reject(err);
    this.#spawns.clear();
    const proxies = [...this.proxies.values()];
    this.proxies.clear();
    this.load = 0;
    this.#onGone(this);
    for (const p of proxies) {
      p.remoteExited({ type: "host-down", host: this.id, detail });
    }
    this.#bye.resolve();
  }

  /** Resolves once the host's isolate is gone and its resources closed. */
  get closed(): Promise<void> {
    return this.#transport?.closed.then(() => {}) ?? Promise.resolve();
  }

  /** Stop hard: the isolate dies now (the core is freed). */
  kill(detail = "killed"): void {
    this.#transport?.kill();
    this.down(detail);
  }

  /** Stop gracefully within `timeoutMs`, then hard; resolves when closed. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.state !== "down") {
      this.#push(controlToWire({ t: "shutdown", timeout: timeoutMs }));
      let timer: Timer | undefined;
      const late = new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs + 100);
      });
      await Promise.race([this.#bye.promise, late]);
      clearTimeout(timer);
      this.kill("shut down");
    }
    await this.#transport?.closed;
  }
}

function flags(
  kind: string,
  value: boolean | string[] | undefined,
  extra: string[] = [],
): string[] {
  if (value === true) return [`--allow-${kind}`];
  const list = [...(Array.isArray(value) ? value : []), ...extra];
  return list.length > 0 ? [`--allow-${kind}=${list.join(",")}`] : [];
}

/** The local paths among module URLs (remote ones need no read access). */
function filePaths(urls: string[]): string[] {
  return urls.filter((m) => m.startsWith("file:")).map((m) =>
    decodeURIComponent(new URL(m).pathname)
  );
}

/** Deno CLI flags for `permissions`, plus read access to `modules`. */
export function permissionFlags(
  permissions: HostPermissions = {},
  modules: string[] = [],
): string[] {
  const read = filePaths(modules);
  return [
    "--no-prompt",
    ...flags("read", permissions.read, read),
    ...flags("write", permissions.write),
    ...flags("net", permissions.net),
    ...flags("env", permissions.env),
    ...flags("run", permissions.run),
    ...flags("sys", permissions.sys),
    ...flags("ffi", permissions.ffi),
  ];
}

/**
 * troupe's own files, which a behaviour module imports (through any of
 * troupe's entries): readable by a process host when troupe is loaded from
 * disk (from JSR nothing is needed). The folders of its entries, not the
 * whole package folder (which, in a checkout, holds tests and benchmarks).
 */
const TROUPE_FILES = import.meta.url.startsWith("file:")
  ? [
    "../../mod.ts",
    "../",
    "../../sync/",
    "../../cluster/",
    "../../cli/",
    "../../array/",
    "../../dataframe/",
  ].map((p) => new URL(p, import.meta.url).href)
  : [];

/** What a host with permissions may read of troupe itself (for a test). */
export function troupeReadRoots(): string[] {
  return [...TROUPE_FILES];
}
const PROCESS_ENTRY = new URL("./process_entry.ts", import.meta.url);

function startWorker(
  h: HostHandle,
  { permissions, readRoots, preload }: HostSpec,
  defaults: HostDefaults,
): Transport {
  const options: WorkerOptions & { deno?: unknown } = { type: "module" };
  if (permissions !== undefined) {
    // (Refused at spawn already: see `HostPool.checkPermissions`.)
    if (!defaults.workerPermissions) throw new WorkerOptionsError();
    const read = permissions.read === true
      ? true
      : [...(permissions.read || []), ...filePaths(readRoots)];
    options.deno = { permissions: { ...permissions, read } };
  }
  // A literal URL, so that `deno compile` can see the worker module.
  const worker = new Worker(
    new URL("./worker_entry.ts", import.meta.url),
    options,
  );
  const closed = Promise.withResolvers<void>();
  let alive = true;
  const sab = Lane.buffer();
  const lane = new Lane(sab, 0, (batch) => h.receive(batch));
  const end = () => {
    if (!alive) return;
    alive = false;
    lane.close();
    worker.terminate();
    closed.resolve();
  };
  worker.onmessage = (e) => lane.accept(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    h.down(`uncaught error: ${e.message}`);
    end();
  };
  worker.onmessageerror = () => h.kill("sent a message that could not be read");
  worker.postMessage({
    host: h.id,
    parent: h.parent,
    sab,
    preload,
    main: programMain(),
  });
  h.ready.then(() => {}, end);
  return {
    post: (batch, transfer) => {
      if (!alive) return;
      // A batch that moves buffers must go by postMessage.
      lane.send(
        batch,
        (msg) => worker.postMessage(msg, { transfer }),
        transfer.length > 0,
      );
    },
    kill: end,
    closed: closed.promise,
  };
}

/** A node host: its link is its transport. */
function attachNode(link: HostLink): Transport {
  const closed = Promise.withResolvers<string | void>();
  let alive = true;
  const end = (why?: unknown) => {
    if (!alive) return;
    alive = false;
    link.close();
    closed.resolve(why === undefined ? undefined : lostLink(why));
  };
  link.closed.then(end, end);
  return {
    post: (batch) => {
      if (alive) link.send(batch);
    },
    kill: end,
    closed: closed.promise,
  };
}

/** Why a node's link closed, as a `host-down` detail. */
function lostLink(why: unknown): string {
  if (typeof why === "string") return why;
  const r = why as { kind?: unknown; error?: { message?: unknown } } | null;
  switch (r?.kind) {
    case "eof":
      return "node lost: its connection closed";
    case "error":
      return `node lost: its connection failed (${
        String(r.error?.message ?? "unknown error")
      })`;
    case "local":
      return "node disconnected by this side";
    default:
      return "node lost";
  }
}

function startProcess(
  h: HostHandle,
  { permissions, readRoots, heapLimitMb }: HostSpec,
  defaults: HostDefaults,
): Transport {
  const hostArgs = [
    `--troupe-host=${h.id}`,
    `--troupe-parent=${h.parent}`,
    `${MAIN_FLAG}${programMain()}`,
  ];
  const exec = defaults.exec;
  const command = exec?.command ?? Deno.execPath();
  const args = exec !== undefined ? [...exec.args, ...hostArgs] : [
    "run",
    ...permissionFlags(permissions, readRoots),
    ...(heapLimitMb === undefined
      ? []
      : [`--v8-flags=--max-old-space-size=${heapLimitMb}`]),
    PROCESS_ENTRY.href,
    ...hostArgs,
  ];
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    detached: true, // its own process group, so that a kill takes all of it
  }).spawn();
  const writer = child.stdin.getWriter();
  let alive = true;
  // Frames need msgpackr, which only process links load: worker-only
  // programs (and worker hosts) start faster without it.
  const frames = import("./frames.ts");
  let writing: Promise<unknown> = frames;
  const reading = (async () => {
    const reader = new (await frames).FrameReader(defaults.maxFrame);
    try {
      for await (const chunk of child.stdout) {
        for (const batch of reader.push(chunk)) h.receive(batch);
      }
    } catch (e) {
      h.kill(`sent malformed data: ${(e as Error).message}`);
    }
  })();
  const kill = () => {
    if (!alive) return;
    alive = false;
    try {
      Deno.kill(-child.pid, "SIGKILL"); // the whole group
    } catch {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  };
  const closed = (async () => {
    const status = await child.status;
    alive = false;
    await writing.catch(() => {});
    await writer.close().catch(() => {});
    await reading;
    const why = status.signal !== null
      ? `killed by ${status.signal}`
      : `exited with code ${status.code}`;
    h.down(why);
  })();
  return {
    post(batch) {
      if (!alive) return;
      writing = writing.then(async () => {
        const { encodeFrame } = await frames;
        await writer.write(encodeFrame(batch, defaults.maxFrame));
      }).catch((e) => {
        if (e instanceof WireError) h.kill(`could not send: ${e.message}`);
      });
    },
    kill,
    closed,
  };
}

/**
 * One host as `ActorSystem.hosts()` reports it.
 *
 * @example
 * ```ts
 * import type { HostInfo } from "@troupe/troupe";
 * const line = (h: HostInfo) => `${h.id} (${h.kind}): ${h.actors} actors, ${h.state}`;
 * ```
 */
export interface HostInfo {
  /** The host id (the `host` of its actors' addresses there). */
  readonly id: string;
  /** `worker` or `process`. */
  readonly kind: "worker" | "process" | "node";
  /** Its name, for a pinned host. */
  readonly name: string | undefined;
  /** `starting`, `up` or `down`. */
  readonly state: "starting" | "up" | "down";
  /** Actors placed there. */
  readonly actors: number;
}

/** The hosts of one system: a pool per kind, plus named (pinned) hosts. */
export class HostPool {
  readonly #rt: Runtime;
  readonly #links: Links;
  readonly #size: { worker: number; process: number };
  readonly #defaults: HostDefaults;
  readonly #hosts = new Set<HostHandle>();
  readonly #named = new Map<string, HostHandle>();
  /** Where the next tie among nodes for `#anyNode` starts. */
  #nodeTurn = 0;
  #closed = false;

  constructor(
    rt: Runtime,
    links: Links,
    size: { worker: number; process: number },
    defaults: HostDefaults,
  ) {
    for (const [k, n] of Object.entries(size)) {
      if (!(Number.isInteger(n) && n >= 1)) {
        throw new RangeError(`${k}s must be an integer >= 1, got ${n}`);
      }
    }
    this.#rt = rt;
    this.#links = links;
    this.#size = size;
    this.#defaults = defaults;
  }

  /**
   * Refuse, at spawn, what no host could take: permissions for a worker
   * host without worker-options.
   */
  checkPermissions(placement: string, permissions: unknown): void {
    if (
      placement === "worker" && permissions !== undefined &&
      !this.#defaults.workerPermissions
    ) throw new WorkerOptionsError();
  }

  /** Choose (or start) the host for a worker, process or node actor. */
  place(cell: Cell): HostHandle {
    if (this.#closed) throw new HostError("the system is shutting down");
    const remote = cell.remote!;
    const kind = remote.placement;
    if (kind === "node") {
      if (remote.pin === undefined) return this.#anyNode();
      const node = this.#named.get(remote.pin);
      if (node === undefined || node.kind !== "node" || node.state === "down") {
        throw new HostError(`no node named "${remote.pin}" is attached`);
      }
      return node;
    }
    const module = cell.behavior.module!;
    // A host with permissions reads only the module's folder (its dynamic
    // import needs it) and troupe's files, plus what it was granted.
    const readRoots = kind === "process" || remote.permissions !== undefined
      ? [new URL(".", module).href, ...TROUPE_FILES]
      : [];
    const heapLimitMb = kind === "process" ? remote.heapLimitMb : undefined;
    const key = JSON.stringify([
      kind,
      remote.permissions ?? {},
      readRoots,
      heapLimitMb,
    ]);
    const spec: HostSpec = {
      kind,
      name: remote.pin,
      permissions: remote.permissions,
      readRoots,
      preload: [module],
      heapLimitMb,
      key,
    };
    if (remote.pin !== undefined) {
      const named = this.#named.get(remote.pin);
      if (named !== undefined && named.state !== "down") {
        if (named.kind !== kind) {
          throw new HostError(
            `host "${remote.pin}" is a ${named.kind} host, not a ${kind} host`,
          );
        }
        return named;
      }
      const h = this.#start(spec);
      this.#named.set(remote.pin, h);
      return h;
    }
    let best: HostHandle | undefined;
    let count = 0;
    for (const h of this.#hosts) {
      if (h.name !== undefined || h.key !== key || h.state === "down") continue;
      count++;
      if (best === undefined || h.load < best.load) best = h;
    }
    if (best === undefined || (count < this.#size[kind] && best.load > 0)) {
      return this.#start(spec);
    }
    return best;
  }

  /**
   * The attached node with the fewest actors placed on it; among equals,
   * each in turn (round robin), so that a burst of spawns spreads evenly.
   */
  #anyNode(): HostHandle {
    const nodes: HostHandle[] = [];
    for (const h of this.#hosts) {
      if (h.kind === "node" && h.state !== "down") nodes.push(h);
    }
    if (nodes.length === 0) {
      throw new HostError(
        'no node is attached to place the actor on (placement "node" without `host` picks one)',
      );
    }
    const start = this.#nodeTurn++ % nodes.length;
    let best = nodes[start];
    for (let i = 1; i < nodes.length; i++) {
      const h = nodes[(start + i) % nodes.length];
      if (h.load < best.load) best = h;
    }
    return best;
  }

  #start(spec: HostSpec): HostHandle {
    const { name } = spec;
    const h = new HostHandle(
      this.#rt,
      this.#links,
      spec,
      this.#defaults,
      (gone) => {
        if (name !== undefined && this.#named.get(name) === gone) {
          this.#named.delete(name);
        }
      },
    );
    this.#hosts.add(h);
    h.closed.then(() => this.#hosts.delete(h));
    return h;
  }

  /**
   * Attach a host that runs elsewhere under `name`, reached through `link`
   * (see `ActorSystem.attachHost`).
   */
  attach(name: string, link: HostLink): HostHandle {
    if (this.#closed) throw new HostError("the system is shutting down");
    const existing = this.#named.get(name);
    if (existing !== undefined && existing.state !== "down") {
      throw new HostError(`a host named "${name}" is already attached`);
    }
    const h = this.#start({
      kind: "node",
      name,
      permissions: undefined,
      readRoots: [],
      preload: [],
      heapLimitMb: undefined,
      key: `node:${name}`,
      link,
    });
    this.#named.set(name, h);
    return h;
  }

  list(): HostInfo[] {
    return [...this.#hosts].map((h) => ({
      id: h.id,
      kind: h.kind,
      name: h.name,
      state: h.state,
      actors: h.load,
    }));
  }

  /**
   * Stop the named host: its actors stop (their supervisors or watchers hear
   * of it), then the isolate ends; hard after `timeoutMs`.
   */
  async stopNamed(name: string, timeoutMs: number): Promise<void> {
    const h = this.#named.get(name);
    if (h === undefined) return;
    this.#named.delete(name);
    await h.shutdown(timeoutMs);
  }

  /** Stop every host: gracefully within `timeoutMs`, then hard. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#hosts].map((h) => h.shutdown(timeoutMs)));
  }
}
