/** `troupe status`'s text: a table of nodes, then tasks, computations, transfers. */

import assert from "node:assert/strict";
import type { ClusterStatus } from "@troupe/troupe/cluster";
import { formatStatus } from "../../cli/status_text.ts";

const base: ClusterStatus = {
  address: "10.0.0.1:8786",
  time: 0,
  nodes: [],
  tasks: {},
  computations: [],
  transfers: { direct: 0, relayed: 0 },
  actors: { count: 1, mailboxes: 0, deadLetters: 0 },
} as unknown as ClusterStatus;

Deno.test("an empty cluster says how to add nodes", () => {
  assert.equal(
    formatStatus(base),
    [
      "cluster at 10.0.0.1:8786: 0 nodes",
      "  (no nodes yet: start some with troupe worker <host:port>)",
      "tasks: none",
      "computations: none yet",
      "transfers: 0 node to node, 0 through the scheduler",
      "actors: 1 actor, 0 messages in mailboxes, 0 dead letters",
    ].join("\n"),
  );
});

Deno.test("nodes line up in columns, numbers to the right", () => {
  const node = (name: string, extra: object) => ({
    name,
    address: "10.0.0.2:40001",
    joined: 0,
    resources: {},
    inFlight: 0,
    queued: 0,
    held: 0,
    ...extra,
  });
  const text = formatStatus({
    ...base,
    nodes: [
      node("gpu-box", {
        resources: { GPU: 2, mem: 64 },
        inFlight: 12,
        cpu: 97.4,
        memory: { rss: 3.5 * 2 ** 30, heapUsed: 0 },
      }),
      node("w1", { held: 1234 }),
    ],
    tasks: { memory: 1234, processing: 12 },
    computations: [{ id: 7, total: 2000, done: 1000, erred: 3 }],
    transfers: { direct: 5, relayed: 1 },
    sync: [{ kind: "lock", name: "jobs", state: { holder: "w1" } }],
  } as unknown as ClusterStatus);
  assert.equal(
    text,
    [
      "cluster at 10.0.0.1:8786: 2 nodes",
      "  name     address         resources     cpu   memory  in flight  queued   held",
      "  gpu-box  10.0.0.2:40001  GPU=2,mem=64  97%  3.5 GiB         12       0      0",
      "  w1       10.0.0.2:40001  -               -        -          0       0  1,234",
      "tasks: memory 1,234, processing 12",
      "computations:",
      "  #7  [##########----------]  1,000/2,000 tasks  3 failed",
      "transfers: 5 node to node, 1 through the scheduler",
      "sync in use: lock jobs",
      "actors: 1 actor, 0 messages in mailboxes, 0 dead letters",
    ].join("\n"),
  );
});

Deno.test("what the cluster says is printed with its control characters escaped", () => {
  const evil = "w1\x1b[2J\x1b]0;pwned\x07\r\u202e";
  const text = formatStatus({
    ...base,
    address: `10.0.0.1:8786\x1b[31m`,
    nodes: [{
      name: evil,
      address: "10.0.0.2:1\x1b[1A",
      joined: 0,
      resources: { ["GPU\x1b[0m"]: 1 },
      inFlight: 0,
      queued: 0,
      held: 0,
    }],
    tasks: { ["memory\x1b[2K"]: 1 },
    computations: [{
      id: "7\x1b[H" as unknown as number,
      total: 1,
      done: 1,
      erred: 0,
    }],
    sync: [{ kind: "mutex", name: "lock\x1b[3J", state: {} }],
  } as ClusterStatus);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
  assert.match(text, /w1\\x1b\[2J\\x1b\]0;pwned\\x07\\x0d\\u202e/);
  assert.match(text, /GPU\\x1b\[0m=1/);
  assert.match(text, /memory\\x1b\[2K 1/);
  assert.match(text, /lock\\x1b\[3J/);
});

Deno.test("paused and retiring nodes say so in a state column, with their held memory against the limit", () => {
  const node = (name: string, extra: object) => ({
    name,
    address: "10.0.0.2:40001",
    joined: 0,
    resources: {},
    inFlight: 0,
    queued: 0,
    held: 0,
    ...extra,
  });
  const heldMemory = (paused: boolean) => ({
    limit: 2 ** 30,
    memory: 900 * 2 ** 20,
    spilled: 300 * 2 ** 20,
    spilledCount: 3,
    process: 0,
    paused,
    full: true,
    spills: 3,
    spillBytes: 0,
    unspills: 0,
    unspillBytes: 0,
    target: 0,
  });
  const text = formatStatus({
    ...base,
    nodes: [
      node("w1", { heldMemory: heldMemory(true) }),
      node("w2", { retiring: true }),
      node("w3", { heldMemory: heldMemory(false) }),
      node("w4", {}),
    ],
  } as unknown as ClusterStatus);
  const lines = text.split("\n");
  assert.match(lines[1], /held +state$/);
  assert.match(
    lines[2],
    /^ {2}w1 .* paused \(held 900 MiB of 1\.0 GiB, 300 MiB spilled\)$/,
  );
  assert.match(lines[3], /^ {2}w2 .* retiring$/);
  assert.match(
    lines[4],
    /^ {2}w3 .* held 900 MiB of 1\.0 GiB, 300 MiB spilled$/,
  );
  assert.match(lines[5], /^ {2}w4 .* -$/);
  // No node in either state, none with a limit: no state column.
  assert.doesNotMatch(
    formatStatus({ ...base, nodes: [node("w4", {})] } as ClusterStatus),
    /state/,
  );
});

Deno.test("each node's actors: counts, dead letters by reason, deepest mailboxes", () => {
  const node = {
    name: "w1",
    address: "10.0.0.2:40001",
    joined: 0,
    resources: {},
    inFlight: 0,
    queued: 0,
    held: 0,
  };
  const text = formatStatus({
    ...base,
    nodes: [
      {
        ...node,
        actors: {
          count: 2,
          mailboxes: 7,
          restarts: 1,
          deadLetters: { "mailbox-full": 13, stopped: 1 },
          deepest: [
            { actor: "store#2", depth: 7, capacity: 8 },
            // (as JSON carries Infinity)
            {
              actor: "log\x1b[2J#3",
              depth: 1,
              capacity: null as unknown as number,
            },
          ],
        },
      },
      { ...node, name: "w2" },
      // (from a dashboard that is not one)
      { ...node, name: "w3", actors: { deepest: 5 } as never },
    ],
  });
  assert.match(
    text,
    /^actors on the nodes:\n {2}w1: 2 actors, 7 waiting, 1 restart, 14 dead letters \(mailbox-full 13, stopped 1\); deepest: store#2 7\/8, log\\x1b\[2J#3 1\/unbounded$/m,
  );
  assert.doesNotMatch(text, /w2:/, "a node without a report has no line");
  assert.match(text, /^ {2}w3: \(a report of its actors that is none\)$/m);
});
