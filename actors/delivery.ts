/**
 * Delivering an envelope that came from a transport to this host's actors,
 * its pending asks, its watches and its names, or passing it on toward
 * another host. The system's `deliver` is this.
 *
 * @module
 */

import {
  type Address,
  type Envelope,
  envelopeProblem,
  formatAddress,
} from "./envelope.ts";
import { EnvelopeError, errorInfo } from "./errors.ts";
import { type Links, ReturnAddress } from "./hosts/link.ts";
import { reviveRefs } from "./hosts/codec.ts";
import type { ClusterNames } from "./names.ts";
import type { ActorRef } from "./ref_types.ts";
import type { ReplyTo } from "./reply.ts";
import type { CellRuntime } from "./cell.ts";

/** What delivery needs of the system it delivers for. */
export interface Delivery {
  rt: CellRuntime;
  links: Links;
  names: ClusterNames;
  /** A ref of this system for an address (see `ActorSystem.refFor`). */
  refFor: (address: Address) => ActorRef;
  /** Stop an actor of this host (a `stop` envelope). */
  stop: (ref: ActorRef) => void;
}

export function deliverEnvelope(d: Delivery, envelope: unknown): void {
  const problem = envelopeProblem(envelope);
  if (problem !== undefined) throw new EnvelopeError(problem);
  const env = envelope as Envelope;
  const rt = d.rt;
  const links = d.links;
  if (env.to.host !== rt.host) {
    forward(d, env);
    return;
  }
  if (env.kind === "watch" || env.kind === "unwatch" || env.kind === "down") {
    links.watches.receive(env);
    return;
  }
  if (env.kind === "reply" || env.kind === "failure") {
    const pending = d.links.take(env.corr);
    if (pending === undefined) {
      rt.deadLetter(
        `ask#${env.corr}`,
        env.kind,
        env.kind === "reply" ? env.payload : env.failure,
        "late-reply",
      );
    } else if (env.kind === "reply") {
      // (Taken from the table already: if its refs are malformed, it is
      // told here, as no host-down would reach it.)
      pending.resolve(
        env.refs ? revive(d, env.payload, pending) : env.payload,
      );
    } else pending.fail(env.failure);
    return;
  }
  if (env.to.id === 0 && env.kind === "ask") {
    // An ask to this system itself: a request for the cluster's names.
    const reply = new ReturnAddress(links, env.from, env.corr);
    d.names.serve(
      env.name,
      env.refs ? revive(d, env.payload, reply) : env.payload,
      reply,
    );
    return;
  }
  const cell = rt.cells.get(env.to.id);
  if (cell === undefined) {
    const name = env.kind === "stop" ? "stop" : env.name;
    rt.deadLetter(`actor#${env.to.id}`, name, env, "dead-target");
    if (env.kind === "ask") {
      new ReturnAddress(d.links, env.from, env.corr).fail({
        type: "dead",
        reason: { type: "not-found" },
      });
    }
    return;
  }
  switch (env.kind) {
    case "tell":
      cell.arrive(
        env.name,
        env.refs ? revive(d, env.payload) : env.payload,
        undefined,
      );
      return;
    case "ask": {
      const reply = new ReturnAddress(d.links, env.from, env.corr);
      cell.arrive(
        env.name,
        env.refs ? revive(d, env.payload, reply) : env.payload,
        reply,
      );
      return;
    }
    case "stop":
      d.stop(cell.ref);
      return;
  }
}

/**
 * The refs in a payload that came in their wire form (`refs`), as refs of
 * this system; a malformed one is an `EnvelopeError`, with which `reply`
 * (the ask the payload came in, or the one it answers) fails too, so that
 * the asker hears why at once instead of at its deadline.
 */
function revive(d: Delivery, payload: unknown, reply?: ReplyTo): unknown {
  try {
    return reviveRefs(payload, d.refFor);
  } catch (e) {
    const error = new EnvelopeError((e as Error).message);
    reply?.fail({
      type: "handler",
      error: {
        name: error.name,
        message: `the message could not be read: ${error.message}`,
      },
    }, error);
    throw error;
  }
}

/**
 * Pass on an envelope for another host, or dead-letter it (no route). An
 * ask passed on waits here for its answer, tracked against the link it
 * left on, so that the asker hears `host-down` when that link goes (and
 * not just its own deadline); watches passed on are remembered likewise.
 */
function forward(d: Delivery, env: Envelope): void {
  const links = d.links;
  if (env.kind === "ask") {
    const via = links.nextHop(env.to.host);
    const back = new ReturnAddress(links, env.from, env.corr);
    if (via === undefined) {
      // No way on (its host is gone, say): the asker hears it at once,
      // as it would had it no link itself, not at its deadline.
      links.route(env); // a no-route dead letter
      back.fail({
        type: "dead",
        reason: {
          type: "host-down",
          host: env.to.host,
          detail: "no link to this host",
        },
      });
      return;
    }
    const corr = links.track(back, via);
    try {
      links.route({ ...env, from: { host: d.rt.host, id: 0 }, corr });
    } catch (e) {
      // Refused here, as at a sender (see below): the asker hears why.
      links.take(corr);
      back.fail({ type: "handler", error: errorInfo(e) });
    }
    return;
  } else if (
    env.kind === "watch" || env.kind === "unwatch" || env.kind === "down"
  ) {
    links.watches.pass(env);
  } else if (env.kind === "tell") {
    try {
      links.route(env);
    } catch (e) {
      // Fine for the link it came on, not for the next one (a Map from a
      // worker for a process host): a loss here, said why, and not the
      // fault of the host that sent it.
      const rt = d.rt;
      rt.deadLetter(formatAddress(env.to), env.name, env.payload, "no-route");
      rt.emit({ type: "failed", address: env.to, error: errorInfo(e) });
    }
    return;
  }
  links.route(env);
}
