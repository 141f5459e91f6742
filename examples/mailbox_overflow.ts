/**
 * Bounded mailboxes and their overflow policies. Every dropped or refused
 * message becomes a dead letter, counted by reason: nothing is lost silently.
 *
 * Run it with `deno run examples/mailbox_overflow.ts`.
 *
 * @module
 */

import { ActorSystem, defineActor, MailboxFullError } from "@troupe/troupe";

const Sink = defineActor({
  name: "sink",
  init: () => ({ seen: [] as number[] }),
  handlers: {
    item: (s, n: number) => {
      s.seen.push(n);
    },
    seen: (s) => s.seen,
  },
});

await using system = new ActorSystem();

// A burst of 5 messages in one tick into a mailbox of 3: the actor gets to
// run only after the burst, so 2 messages do not fit.
const policies = [
  "drop-newest",
  "drop-oldest",
  "reject",
  "backpressure",
] as const;
for (const overflow of policies) {
  const sink = system.spawn(Sink, undefined, {
    mailbox: { capacity: 3, overflow },
  });
  const before = system.deadLetters.count;
  const notes: string[] = [];
  if (overflow === "backpressure") {
    // `send` waits for room instead of failing (a plain `tell` would throw).
    await Promise.all([1, 2, 3, 4, 5].map((n) => sink.send("item", n)));
    notes.push("senders waited for room");
  } else {
    for (const n of [1, 2, 3, 4, 5]) {
      try {
        sink.tell("item", n);
      } catch (e) {
        if (!(e instanceof MailboxFullError)) throw e;
        notes.push(`tell(${n}) threw MailboxFullError`);
      }
    }
  }
  // Let the actor drain its mailbox before asking (an ask into a full
  // mailbox would meet the same policy).
  await new Promise((r) => setTimeout(r, 0));
  const seen = await sink.ask("seen");
  const lost = system.deadLetters.count - before;
  console.log(
    `${overflow.padEnd(12)} processed ${JSON.stringify(seen)}, ` +
      `dead letters +${lost}${notes.length ? ` (${notes.join(", ")})` : ""}`,
  );
}
console.log("dead letters by reason:", system.deadLetters.byReason);
