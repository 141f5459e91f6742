/**
 * The transports under a host, started from the parent: a Web Worker (with
 * its shared-memory lane), a subprocess (framed batches on its stdio, with
 * the Deno permission flags it gets), or a cluster node's link. Each hands
 * what arrives to its host and tells it when the isolate is gone.
 *
 * @module
 */

import type { WireItem } from "./codec.ts";
import { WireError } from "./codec.ts";
import {
  type HostDefaults,
  type HostLink,
  type HostPermissions,
  WorkerOptionsError,
} from "./host_types.ts";
import { Lane } from "./lane.ts";
import { MAIN_FLAG, programMain } from "../main_guard.ts";

/** What a new host is to be. */
export interface HostSpec {
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
/** The transport under a host: batches in both directions, and its death. */
export interface Transport {
  post(batch: WireItem[], transfer: Transferable[]): void;
  /** Stop it hard: terminate the worker, SIGKILL the process group. */
  kill(): void;
  /**
   * Resolves once the isolate is gone and every resource is closed (with
   * why, when the transport knows better than "exited").
   */
  readonly closed: Promise<string | void>;
}

/**
 * The host a transport serves, as the transport sees it (a `HostHandle`):
 * its ids, and where batches and the news of its death go.
 */
export interface TransportOwner {
  readonly id: string;
  readonly parent: string;
  readonly ready: Promise<void>;
  receive(batch: WireItem[]): void;
  down(detail: string): void;
  kill(detail?: string): void;
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
export const TROUPE_FILES = import.meta.url.startsWith("file:")
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

export function startWorker(
  h: TransportOwner,
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
export function attachNode(link: HostLink): Transport {
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

export function startProcess(
  h: TransportOwner,
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
