/**
 * The inside of a worker or process host: an `ActorSystem` of its own, linked
 * to the parent that started it, spawning the behaviours the parent names by
 * module URL and name.
 *
 * Every actor spawned here is a top-level actor of this host; its supervisor
 * (if any) is the proxy in the parent. When one ends, the parent hears `exit`
 * with the reason, once. Its own ref (`ctx.self`) has its proxy's address,
 * which is the actor's across restarts (see `HostedRef`): a restart ends the
 * actor's incarnation here, not the actor.
 *
 * @module
 */

import type { AnyBehavior } from "../behavior.ts";
import {
  ASK,
  type Control,
  controlToWire,
  envelopeToWire,
  fromWire,
  guardEnvelope,
  HAS_REFS,
  reviveRefs,
  TELL,
  type WireItem,
} from "./codec.ts";
import { prepare, RefPayload } from "./crossing.ts";
import type { Address, Envelope } from "../envelope.ts";
import { errorInfo } from "../errors.ts";
import { MAX_BATCH } from "./hosts.ts";
import type { AnyRef } from "../ref.ts";
import { type Cell, type Leftover, spawnCell } from "../cell.ts";
import { ReturnAddress } from "./link.ts";
import { internals } from "../internals.ts";
import { asHostSystem, importForHost } from "../main_guard.ts";
import { preview } from "../preview.ts";
import { ActorSystem } from "../system.ts";
import { takeTransfer } from "../transfer.ts";

/** How a host talks to its parent: batches out, batches in. */
export interface ParentChannel {
  /** Send one batch to the parent (moving `transfer`, where it can). */
  send(batch: WireItem[], transfer?: Transferable[]): void;
  /** Stop the host's channel so that the isolate can end. */
  close(): void;
}

/** A running host: feed it the parent's batches. */
export interface HostRuntime {
  /** Handle one batch from the parent. */
  receive(batch: WireItem[]): void;
  /** The parent is gone: shut down now. */
  orphaned(): Promise<void>;
  /** The host's actor system (for what a node reports of it). */
  readonly system: ActorSystem;
}

/** Find the behaviour called `name` among a module's exports. */
async function loadBehavior(
  modules: Map<string, Promise<Record<string, unknown>>>,
  url: string,
  name: string,
): Promise<AnyBehavior> {
  let mod = modules.get(url);
  if (mod === undefined) {
    mod = importForHost(url);
    modules.set(url, mod);
  }
  const exports = await mod;
  for (const value of Object.values(exports)) {
    const b = value as AnyBehavior;
    if (b?.kind === "behavior" && b.name === name) return b;
  }
  throw new TypeError(
    `module ${url} exports no behaviour named "${name}" (give defineActor a unique name and export it)`,
  );
}

/**
 * The proxy's address in a spawn request: well-formed, and of the parent
 * (where every proxy of this host's actors is); a `TypeError` otherwise.
 * Absent from an older parent: the actor's own ref is then by its address
 * here.
 */
function proxyOf(proxy: unknown, parent: string): Address | undefined {
  if (proxy === undefined) return undefined;
  const p = proxy as Partial<Address> | null;
  if (
    typeof p !== "object" || p === null || p.host !== parent ||
    !Number.isInteger(p.id) ||
    (p.name !== undefined && typeof p.name !== "string")
  ) {
    throw new TypeError(`a malformed proxy address: ${preview(proxy)}`);
  }
  return p.name === undefined
    ? { host: p.host, id: p.id! }
    : { host: p.host, id: p.id!, name: p.name };
}

/**
 * Start the host side: an actor system with id `host`, linked to `parent`
 * through `channel`.
 */
export function startHost(
  host: string,
  parent: string,
  channel: ParentChannel,
  msgpack: boolean,
): HostRuntime {
  const system = asHostSystem(() => new ActorSystem({ host }));
  const { rt, links } = internals(system);
  // The actors the parent placed here, by their proxies' ids there.
  const hosted = new Map<number, Cell>();
  rt.hosted = { parent, cells: hosted };
  /** A message handed back to the parent, as a wire tuple. */
  const toWire = (m: Leftover): WireItem[] => {
    let payload: unknown;
    try {
      payload = prepare(m.payload, msgpack);
    } catch {
      // (Sent from this host, so never checked): it ends here.
      rt.deadLetter(host, m.name, m.payload, "stopped");
      m.reply?.fail({ type: "dead", reason: { type: "not-found" } });
      return [];
    }
    const refs = payload instanceof RefPayload ? [HAS_REFS] : [];
    if (payload instanceof RefPayload) payload = payload.value;
    if (m.reply === undefined) {
      return [[TELL, host, 0, m.name, payload, ...refs]];
    }
    if (m.reply instanceof ReturnAddress) {
      return [[
        ASK,
        host,
        0,
        m.name,
        payload,
        m.reply.from.host,
        m.reply.corr,
        ...refs,
      ]];
    }
    // An ask from an actor of this host (through the actor's own ref): it
    // follows the actor as the others do, and its answer comes back here.
    const corr = links.track(m.reply, parent);
    return [[ASK, host, 0, m.name, payload, "", corr, ...refs]];
  };
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const actors = new Map<number, AnyRef>();
  let out: WireItem[] = [];
  let flushing = false;
  let closing = false;

  const flush = () => {
    flushing = false;
    if (out.length === 0) return;
    const batch = out;
    out = [];
    const moving = transfers;
    if (moving.length > 0) transfers = [];
    channel.send(batch, moving);
  };
  const push = (item: WireItem) => {
    out.push(item);
    if (out.length >= MAX_BATCH) flush();
    else if (!flushing) {
      flushing = true;
      queueMicrotask(flush);
    }
  };
  const control = (c: Control) => push(controlToWire(c));

  // Everything for another host goes to the parent, which routes it on.
  // Buffers a reply marked to move (see `transfer`): a worker host's
  // parent gets them by postMessage; through a pipe, bytes are copied.
  let transfers: Transferable[] = [];
  const send = (env: Envelope) => {
    const ready = guardEnvelope(env, msgpack);
    const list = "payload" in ready ? takeTransfer(ready.payload) : undefined;
    if (list !== undefined && !msgpack) transfers.push(...list);
    push(envelopeToWire(ready, host, parent));
  };
  system.link(parent, send, {
    defaultRoute: true,
  });

  const spawn = async (c: Extract<Control, { t: "spawn" }>) => {
    try {
      const behavior = await loadBehavior(modules, c.module, c.behavior);
      const arg = c.refs ? reviveRefs(c.arg, (a) => system.refFor(a)) : c.arg;
      const proxy = proxyOf(c.proxy, parent);
      const cell = spawnCell(
        rt,
        behavior,
        arg,
        {
          name: c.name,
          mailbox: c.mailbox as undefined,
          shutdownTimeout: c.shutdownTimeout,
        },
        undefined,
        undefined,
        proxy,
      );
      const id = cell.id;
      if (!cell.dead) { // (dead already when its init threw at once)
        actors.set(id, cell.ref);
        if (proxy !== undefined) hosted.set(proxy.id, cell);
      }
      // Told at the moment of death, in the same batch as the failure of
      // the message that killed it, with what it still had queued.
      cell.handBack = (reason, left) => {
        actors.delete(id);
        if (proxy !== undefined && hosted.get(proxy.id) === cell) {
          hosted.delete(proxy.id);
        }
        if (closing) return;
        control({ t: "exit", id, reason, returned: left.flatMap(toWire) });
      };
      await cell.whenStarted();
      control({ t: "spawned", req: c.req, id });
    } catch (e) {
      control({ t: "spawn-failed", req: c.req, error: errorInfo(e) });
    }
  };

  const shutdown = async (timeout: number) => {
    if (closing) return;
    closing = true;
    await system.shutdown({ timeout });
    control({ t: "bye" });
    flush();
    channel.close();
  };

  const handle = (c: Control) => {
    switch (c.t) {
      case "spawn":
        void spawn(c);
        return;
      case "stop": {
        const ref = actors.get(c.id);
        if (ref !== undefined) void system.stop(ref, { timeout: c.timeout });
        return;
      }
      case "kill": {
        const ref = actors.get(c.id);
        if (ref !== undefined) system.kill(ref);
        return;
      }
      case "shutdown":
        void shutdown(c.timeout);
        return;
    }
  };

  // Nothing is lost silently: the parent counts what was lost here.
  system.deadLetters.subscribe((d) => {
    if (!closing) {
      control({
        t: "dead-letter",
        target: d.target,
        name: d.name,
        reason: d.reason,
      });
    }
  });
  control({ t: "ready", host });
  return {
    system,
    receive(batch) {
      for (const item of batch) {
        let decoded;
        try {
          decoded = fromWire(item, host, parent);
        } catch (e) {
          control({ t: "fatal", error: errorInfo(e) });
          continue;
        }
        if (decoded.control !== undefined) handle(decoded.control);
        else {
          try {
            system.deliver(decoded.envelope);
          } catch (e) {
            control({ t: "fatal", error: errorInfo(e) });
          }
        }
      }
    },
    orphaned: () => shutdown(1_000),
  };
}
