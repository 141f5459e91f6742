/**
 * `troupe demo`: a short tour of troupe, printed step by step: the actor
 * core, threads and subprocesses, a pool, a task graph on a local cluster,
 * and a group-by over a CSV. `examples/demo.ts` runs the same tour (`deno task demo`).
 *
 * It needs to read modules, write a CSV to a temporary directory, start
 * subprocesses and use loopback TCP (`--allow-read --allow-write
 * --allow-run --allow-net=127.0.0.1`).
 *
 * @module
 */

import type { ActorRef } from "../actors/ref.ts";
import { ActorSystem } from "../actors/system.ts";
import {
  AskTimeoutError,
  describeReason,
  HandlerError,
} from "../actors/errors.ts";
import { child, defineSupervisor } from "../actors/supervisor.ts";
import { createPool } from "../actors/pool/pool.ts";
import { defineActor } from "../actors/behavior.ts";
import type { ExecSpec } from "../actors/hosts/hosts.ts";
import { formatAddress } from "../actors/envelope.ts";
import type { SystemEvent } from "../actors/events.ts";
import type { Termination } from "../actors/watch.ts";
import { delayed } from "../cluster/graph/delayed.ts";
import { localCluster } from "../cluster/scheduler/local_cluster.ts";
import { serveDashboard } from "../cluster/dashboard/dashboard.ts";
import { treeReduce } from "../cluster/graph/reduce.ts";
import { dataframeStep } from "./demo_dataframe.ts";
import { demoTasks, Squarer } from "./demo_tasks.ts";
import { EXIT, parseCommand } from "./usage.ts";

const section = (title: string) => console.log(`\n== ${title} ==`);
const line = (text: string) => console.log(`  ${text}`);

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(id);
      resolve();
    }, { once: true });
  });
}

// A typed counter: the payload of `add` is a number, `get` replies a number.
const Counter = defineActor({
  name: "counter",
  init: (start: number) => ({ n: start }),
  handlers: {
    add: (s, by: number) => {
      s.n += by;
    },
    get: (s) => s.n,
  },
});

// An actor that takes its time: a short `ask` deadline will pass first.
const Sloth = defineActor({
  name: "sloth",
  init: () => ({}),
  handlers: {
    nap: async (_s, ms: number, ctx) => {
      await sleep(ms, ctx.signal);
      return "yawn";
    },
  },
});

// An actor that crashes on demand; its supervisor restarts it.
const Fragile = defineActor({
  name: "fragile",
  init: () => ({ calls: 0 }),
  handlers: {
    work: (s) => ++s.calls,
    crash: (): never => {
      throw new Error("boom");
    },
  },
});

/**
 * How the demo starts its subprocesses (process hosts, cluster nodes).
 *
 * @example
 * ```ts
 * import type { DemoOptions } from "./demo.ts";
 * const options: DemoOptions = { exec: { command: "./troupe", args: [] } };
 * ```
 */
export interface DemoOptions {
  /**
   * The program to re-execute for them (default: `deno run` of troupe's
   * entries, or the binary itself when compiled).
   */
  exec?: ExecSpec;
}

/**
 * Run the tour, printing each step on stdout; resolves when it is done and
 * everything it started has stopped.
 *
 * @example
 * ```ts ignore
 * import { runDemo } from "./demo.ts";
 * await runDemo();
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const system = new ActorSystem({ host: "demo", exec: options.exec });
  try {
    await tour(system, options);
  } catch (e) {
    // Whatever it started stops before the error goes on.
    await system.shutdown().catch(() => {});
    throw e;
  }
}

/** The tour's steps, on `system`, which it shuts down at the end. */
async function tour(system: ActorSystem, options: DemoOptions): Promise<void> {
  const label = (t: { address: { host: string; id: number; name?: string } }) =>
    formatAddress(t.address, system.host);

  // -------------------------------------------------------------------------
  section("1. a typed counter: spawn, tell, ask");
  const counter = system.spawn(Counter, 40, { name: "counter" });
  counter.tell("add", 1);
  counter.tell("add", 1);
  line(`spawned ${formatAddress(counter.address, system.host)}`);
  line(`tell add(1) twice, then ask get -> ${await counter.ask("get")}`);

  // -------------------------------------------------------------------------
  section("2. an ask with a deadline");
  const sloth = system.spawn(Sloth, undefined, { name: "sloth" });
  try {
    await sloth.ask("nap", 100, { timeout: 20 });
  } catch (e) {
    if (!(e instanceof AskTimeoutError)) throw e;
    line(`${e.name}: ${e.message}`);
    line(`(target ${e.target}, message "${e.messageName}", ${e.timeoutMs} ms)`);
  }
  // One message at a time: this reply comes after the first nap's late reply.
  line(`a patient ask -> ${await sloth.ask("nap", 0)}`);

  // -------------------------------------------------------------------------
  section("3. a supervisor restarts a crashed child in place");
  const events: SystemEvent[] = [];
  const restarted = Promise.withResolvers<void>();
  const unsubscribe = system.subscribe((e) => {
    events.push(e);
    if (e.type === "restarted") {
      line(
        `event: restarted ${label(e)} (restart #${e.restarts}, after ${
          e.error?.name ?? "?"
        }: ${e.error?.message ?? "?"})`,
      );
      restarted.resolve();
    }
  });
  // One supervisor, three children: here, on a worker thread, and in a
  // subprocess; the same restart rules for all.
  const sup = system.spawn(
    defineSupervisor({
      name: "sup",
      strategy: "one_for_one",
      intensity: 3,
      periodMs: 5_000,
      children: [
        child("fragile", Fragile, undefined, { name: "fragile" }),
        child("on-thread", Squarer, undefined, {
          placement: "worker",
          name: "thread-squarer",
        }),
        child("in-process", Squarer, undefined, {
          placement: "process",
          name: "process-squarer",
        }),
      ],
    }),
  );
  const fragile = (await sup.ask("child", "fragile")) as ActorRef<
    typeof Fragile
  >;
  const remote = {
    thread: (await sup.ask("child", "on-thread")) as ActorRef<typeof Squarer>,
    process: (await sup.ask("child", "in-process")) as ActorRef<
      typeof Squarer
    >,
  };
  const before = await remote.process.ask("where");
  line(
    `children: fragile here, squarer on a ${
      (await remote.thread.ask("where")).thread
    } thread, squarer in process ${before.pid}`,
  );
  line(`work -> ${await fragile.ask("work")}`);
  line(`work -> ${await fragile.ask("work")}`);
  try {
    await fragile.ask("crash");
  } catch (e) {
    if (!(e instanceof HandlerError)) throw e;
    line(`crash -> ${e.name}: ${e.message}`);
  }
  await restarted.promise;
  const again = (await sup.ask("child", "fragile"))!;
  line(
    `same ref after restart: ${again === fragile}; work -> ${await fragile.ask(
      "work",
    )} (fresh state)`,
  );
  // The subprocess child crashes too: restarted in place, the same ref.
  const second = Promise.withResolvers<void>();
  const unsubscribeSecond = system.subscribe((e) => {
    if (e.type === "restarted" && e.address.id === remote.process.address.id) {
      second.resolve();
    }
  });
  await remote.process.ask("crash").catch(() => {});
  await second.promise;
  unsubscribeSecond();
  line(
    `subprocess child after its crash: square(7) = ${await remote.process.ask(
      "square",
      7,
    )}`,
  );

  // -------------------------------------------------------------------------
  section("4. watch: a termination notice, once, with its reason");
  const notice = Promise.withResolvers<Termination>();
  system.watch(fragile, notice.resolve);
  await sup.ask("terminateChild", "fragile");
  const t = await notice.promise;
  line(`watcher: ${label(t)} terminated (${describeReason(t.reason)})`);
  unsubscribe();
  line(
    `events seen: ${
      [...new Set(events.map((e) => e.type))].join(", ")
    } (${events.length} in all)`,
  );

  // -------------------------------------------------------------------------
  section("5. dead letters: nothing is lost silently");
  fragile.tell("work"); // the child is gone for good now
  line(`dead letters: ${system.deadLetters.count}`);
  for (const [reason, n] of Object.entries(system.deadLetters.byReason)) {
    line(`  ${reason}: ${n}`);
  }

  // -------------------------------------------------------------------------
  section("6. stats");
  const s = system.stats(counter);
  line(
    `${s.behavior}: status=${s.status} received=${s.received} processed=${s.processed} failed=${s.failed} restarts=${s.restarts} mailbox=${s.mailboxSize}/${s.mailboxCapacity} (high water ${s.mailboxHighWater})`,
  );
  const f = system.stats(fragile);
  line(
    `${f.behavior}: status=${f.status} processed=${f.processed} failed=${f.failed} restarts=${f.restarts}`,
  );

  // -------------------------------------------------------------------------
  section("7. the same actor on a thread and in a subprocess");
  for (const placement of ["worker", "process"] as const) {
    const sq = system.spawn(Squarer, undefined, { placement });
    const where = await sq.ask("where");
    line(
      `${placement}: square(12) = ${await sq.ask("square", 12)} ` +
        `(${
          where.pid === Deno.pid ? "this process" : "another process"
        }, ${where.thread} thread)`,
    );
  }

  // -------------------------------------------------------------------------
  section("8. a pool: map a CPU-heavy task over 2 worker threads");
  const pool = createPool(system, { size: 2, placement: "worker" });
  const inputs = new Array(16).fill(30);
  await pool.map(demoTasks.fib, inputs.slice(0, 2)); // warm the runners up
  let t0 = performance.now();
  inputs.map((n) => demoTasks.fib(n));
  const alone = performance.now() - t0;
  t0 = performance.now();
  const fibs = await pool.map(demoTasks.fib, inputs);
  const pooled = performance.now() - t0;
  line(
    `16 x fib(30) = ${fibs[0]}: ${Math.round(alone)} ms alone, ` +
      `${Math.round(pooled)} ms on the pool (${(alone / pooled).toFixed(1)}x)`,
  );
  await pool.close();

  // -------------------------------------------------------------------------
  section("9. a task graph on a local cluster (2 node processes over TCP)");
  {
    await using cluster = await localCluster(system, {
      nodes: 2,
      exec: options.exec,
    });
    await using dashboard = serveDashboard(cluster);
    line(`cluster at ${cluster.address}: ${cluster.nodes().length} nodes`);
    line(`dashboard at ${dashboard.url} (live while the cluster runs)`);
    const leaves = Array.from(
      { length: 1_000 },
      (_, i) => delayed(demoTasks.square)(i),
    );
    const t1 = performance.now();
    const [total] = await cluster.scheduler.compute(
      treeReduce(demoTasks.add, leaves),
    );
    line(
      `sum of 1,000 squares as 1,999 tasks = ${total} in ${
        Math.round(performance.now() - t1)
      } ms`,
    );
  }

  // -------------------------------------------------------------------------
  section("10. the tutorial's dataframe: read_csv, groupby, mean");
  await dataframeStep(line);

  // -------------------------------------------------------------------------
  section("11. shutdown");
  const report = await system.shutdown();
  line(
    `shutdown report: stopped=${report.stopped} killed=${report.killed} timedOut=${report.timedOut}`,
  );
  console.log("\ndone.");
}

const HELP = `troupe demo: a short tour of troupe, printed step by step

usage: troupe demo

It spawns actors, asks with deadlines, restarts crashed actors under one
supervisor whose children live here, on a worker thread and in a subprocess,
watches one die, shows dead letters and stats, runs the same actor on a worker
thread and in a subprocess, maps a CPU-heavy task over a pool of two threads,
and computes a task graph on a local cluster of two node processes over
loopback TCP, with the cluster's dashboard URL printed, then groups a CSV it
writes to a temporary directory by a column (the tutorial's read_csv, groupby,
mean). It takes no options; it needs to read modules, write the CSV, start
subprocesses and use 127.0.0.1.`;

/**
 * `troupe demo [--help]`: the exit code.
 *
 * @example
 * ```ts ignore
 * import { demoCommand } from "./demo.ts";
 * Deno.exit(await demoCommand([]));
 * ```
 */
export async function demoCommand(
  args: string[],
  options: DemoOptions = {},
): Promise<number> {
  const { values } = parseCommand("demo", args, {
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  await runDemo(options);
  return EXIT.ok;
}
