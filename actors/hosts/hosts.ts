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

import {
  ASK,
  type Control,
  controlToWire,
  CrossingError,
  envelopeToWire,
  fromWire,
  guardEnvelope,
  HAS_REFS,
  reviveRefs,
  TELL,
  type WireItem,
} from "./codec.ts";
import { prepare, RefPayload } from "./crossing.ts";
import type { Envelope } from "../envelope.ts";
import { errorFromInfo } from "../errors.ts";
import { type Links, ReturnAddress } from "./link.ts";
import type { ReplyTo } from "../reply.ts";
import type { CellLike, Leftover, Runtime } from "../runtime.ts";
import type { Timer } from "../timer.ts";
import { takeTransfer } from "../transfer.ts";
import { type HostDefaults, HostError } from "./host_types.ts";
import {
  attachNode,
  type HostSpec,
  startProcess,
  startWorker,
  type Transport,
} from "./host_transports.ts";

export {
  type ExecSpec,
  type HostDefaults,
  HostError,
  type HostLink,
  type HostPermissions,
  type Placement,
  WorkerOptionsError,
} from "./host_types.ts";

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
  readonly proxies: Map<number, CellLike> = new Map();
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
  #startTimer: ReturnType<typeof setTimeout> | undefined;
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
    if (kind !== "node") {
      // A host that never says ready (stuck loading a module, or a command
      // that is not a host at all) would hold its actors' spawns forever.
      const ms = defaults.startTimeout;
      this.#startTimer = setTimeout(() => {
        if (this.state === "down" || this.state === "up") return;
        this.kill(`did not start within ${ms} ms`);
      }, ms);
    }
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
        clearTimeout(this.#startTimer);
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
  async spawn(cell: CellLike): Promise<number> {
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
    clearTimeout(this.#startTimer);
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
