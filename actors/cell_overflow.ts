/**
 * A cell's full mailbox: its overflow policy (drop the oldest or the
 * newest, reject, or make the sender wait), the senders waiting for room,
 * and messages that came over a link (which wait for room where a local
 * sender would fail). Plain functions over the cell's `CellCore`: a local
 * message comes here only when the mailbox is full.
 *
 * @module
 */

import { PendingAsk } from "./ask.ts";
import { Deque } from "./deque.ts";
import type { AskFailure } from "./envelope.ts";
import { MailboxFullError } from "./errors.ts";
import type { Mailbox } from "./mailbox.ts";
import type { ReplyTo } from "./reply.ts";
import { type CellCore, DEAD } from "./cell_core.ts";
import { lost } from "./cell_proxy.ts";

/** Apply the overflow policy; true when the new message should be queued. */
export function overflow(
  cell: CellCore,
  mb: Mailbox,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
): boolean {
  const full: AskFailure = { type: "mailbox-full", capacity: mb.capacity };
  switch (mb.overflow) {
    case "drop-oldest": {
      const oldName = mb.take()!;
      const oldReply = mb.reply;
      cell.rt.deadLetter(cell.label, oldName, mb.payload, "dropped-oldest");
      oldReply?.fail(full);
      return true;
    }
    case "backpressure":
      if (reply !== undefined) {
        // An ask can wait: it has a deadline of its own.
        park(cell, mb, name, payload, reply, () => {}, (e) => {
          if (reply instanceof PendingAsk) reply.reject(e);
        });
        return false;
      }
      break;
    case "drop-newest":
      cell.rt.deadLetter(cell.label, name, payload, "mailbox-full");
      reply?.fail(full);
      return false;
  }
  // reject, or a tell that cannot wait under backpressure
  cell.rt.deadLetter(cell.label, name, payload, "mailbox-full");
  if (reply !== undefined) {
    reply.fail(full);
    return false;
  }
  throw new MailboxFullError(cell.label, name, mb.capacity);
}

/** Queue a sender to wait for room in `mb`. */
export function park(
  cell: CellCore,
  mb: Mailbox,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
  admitted: () => void,
  refused: (e: Error) => void,
): void {
  (mb.waiters ??= new Deque()).push({
    name,
    payload,
    reply,
    admitted: () => {
      cell.received++;
      admitted();
    },
    refused,
  });
}

/**
 * Queue a message that came over a link. A batch arrives all at once, so
 * where a local sender would get an error (`reject`) or wait
 * (`backpressure`), the message waits here, in order, for room; the drop
 * policies drop as they do for local senders (and the parent hears of it).
 */
export function arrive(
  cell: CellCore,
  name: string,
  payload: unknown,
  reply: ReplyTo | undefined,
): void {
  const mb = cell.mailbox;
  if (
    mb !== undefined && cell.status !== DEAD &&
    (mb.size >= mb.capacity || (mb.waiters?.length ?? 0) > 0) &&
    (mb.overflow === "reject" || mb.overflow === "backpressure")
  ) {
    park(cell, mb, name, payload, reply, () => {}, () => {
      reply?.fail({
        type: "dead",
        reason: cell.exitReason ?? { type: "normal" },
      });
    });
    return;
  }
  try {
    cell.post(name, payload, reply);
  } catch (e) {
    // A drop is already a dead letter; a message from a link cannot throw.
    // A tell that cannot be passed on from here (fine for the link it came
    // on, not for the one to the actor's host, such as a Map from a worker
    // for a process actor; or one a router cannot route) is a loss here,
    // said why: not the fault of the host that sent it.
    if (!(e instanceof MailboxFullError)) lost(cell, name, payload, e);
  }
}
