/**
 * The operator's side of the `troupe` command as real processes: its
 * version, the scheduler's log (joins, leaves, lost nodes, failed tasks,
 * refused peers) in text and JSON, and its log options' usage errors.
 */

import assert from "node:assert/strict";
import { until } from "../helpers.ts";

const CLI = new URL("../../cli/troupe.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const fixture = (name: string) =>
  new URL(`../fixtures/${name}`, import.meta.url).pathname;
const SECRET = "cli-ops-test-secret";

/** `troupe args` as a process, with the permissions of `deno task troupe` on loopback. */
function command(
  args: string[],
  options: { env?: Record<string, string>; read?: boolean } = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-run",
      ...(options.read === false ? [] : [`--allow-read=${ROOT}`]),
      "--allow-env=TROUPE_SECRET",
      CLI,
      ...args,
    ],
    env: { TROUPE_SECRET: SECRET, NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Collects a stream's lines as they come. */
function collectLines(stream: ReadableStream<Uint8Array>): {
  lines: string[];
  raw: () => string;
  done: Promise<void>;
} {
  const lines: string[] = [];
  let all = "";
  const done = (async () => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      all += chunk;
      let at;
      while ((at = buffer.indexOf("\n")) >= 0) {
        lines.push(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
      }
    }
    if (buffer !== "") lines.push(buffer);
  })();
  return { lines, raw: () => all, done };
}

Deno.test("troupe --version prints deno.json's version, with no file read at run time", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  for (const flag of ["--version", "-V"]) {
    // No --allow-read: the version was taken into the module graph.
    const out = await command([flag], { read: false }).output();
    const text = new TextDecoder();
    assert.equal(out.code, 0, text.decode(out.stderr));
    assert.equal(text.decode(out.stdout), `troupe ${config.version}\n`);
  }
});

Deno.test("troupe scheduler logs joins, leaves, lost nodes, failed tasks and refused peers, one JSON object per line", async () => {
  const scheduler = command([
    "scheduler",
    "--port",
    "0",
    "--no-dashboard",
    "--log-format",
    "json",
  ]).spawn();
  const err = collectLines(scheduler.stderr);
  const out = collectLines(scheduler.stdout);
  const children: Deno.ChildProcess[] = [];
  const events = () =>
    err.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  try {
    await until(() => out.lines.length > 0, "the scheduler's address", 30_000);
    const address = out.lines[0].match(/^scheduler at (127\.0\.0\.1:\d+)$/)
      ?.[1];
    assert.ok(address, out.lines[0]);
    const spawnWorker = (name: string) => {
      const w = command(["worker", address, "--name", name]).spawn();
      void w.stdout.cancel();
      void w.stderr.cancel();
      children.push(w);
      return w;
    };
    const leaver = spawnWorker("leaver");
    const crasher = spawnWorker("crasher");
    const joined = (name: string) =>
      events().some((e) => e.event === "join" && e.node === name);
    await until(
      () => joined("leaver") && joined("crasher"),
      "both joins logged",
      30_000,
    );
    // A task that throws: its failure is logged with key, worker and error.
    const run = await command([
      "run",
      fixture("cli_failing_job.ts"),
      "--scheduler",
      address,
      "--no-progress",
    ]).output();
    assert.equal(run.code, 1);
    // Its computation carries the job's name, as status shows it.
    const status = await command(["status", address, "--json"]).output();
    const computations = JSON.parse(new TextDecoder().decode(status.stdout))
      .computations as { name?: string }[];
    assert.equal(computations.at(-1)?.name, "cli_failing_job.ts");
    await until(
      () => events().some((e) => e.event === "task-failed"),
      "the failed task logged",
    );
    // A peer with a wrong secret: refused, and logged.
    const intruder = await command(["status", address], {
      env: { TROUPE_SECRET: "not the secret" },
    }).output();
    assert.equal(intruder.code, 1);
    await until(
      () => events().some((e) => e.level === "warn" && !("event" in e)),
      "the refused peer logged",
    );
    leaver.kill("SIGTERM");
    await leaver.status;
    crasher.kill("SIGKILL");
    await crasher.status;
    await until(
      () =>
        events().some((e) => e.event === "leave" && e.node === "leaver") &&
        events().some((e) => e.event === "lost" && e.node === "crasher"),
      "the leave and the loss logged",
      30_000,
    );
    const all = events();
    for (const e of all) {
      assert.match(String(e.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(["info", "warn", "error"].includes(String(e.level)), `${e}`);
      assert.equal(typeof e.msg, "string");
    }
    const join = all.find((e) => e.event === "join")!;
    assert.equal(join.level, "info");
    assert.match(String(join.address), /^127\.0\.0\.1:\d+$/);
    const failed = all.find((e) => e.event === "task-failed")!;
    assert.equal(failed.level, "warn");
    assert.match(String(failed.key), /^checked-/);
    assert.ok(["leaver", "crasher"].includes(String(failed.worker)));
    assert.match(String(failed.error), /negative/);
    assert.equal(failed.stack, undefined, "stacks at debug level only");
    const lost = all.find((e) => e.event === "lost")!;
    assert.equal(lost.level, "warn");
    assert.match(String(lost.msg), /crasher lost/);
    const refused = all.find((e) => e.level === "warn" && !("event" in e))!;
    assert.match(String(refused.msg), /secret|refused|handshake|HMAC|proof/i);
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch { /* already gone */ }
      await c.status;
    }
    scheduler.kill("SIGTERM");
    assert.equal((await scheduler.status).code, 0, err.lines.join("\n"));
    await Promise.all([err.done, out.done]);
  }
});

Deno.test("troupe scheduler --log-level warn leaves out joins; text lines carry a timestamp and the level", async () => {
  const scheduler = command([
    "scheduler",
    "--port",
    "0",
    "--no-dashboard",
    "--log-level",
    "warn",
  ]).spawn();
  const err = collectLines(scheduler.stderr);
  const out = collectLines(scheduler.stdout);
  let worker: Deno.ChildProcess | undefined;
  try {
    await until(() => out.lines.length > 0, "the scheduler's address", 30_000);
    const address = out.lines[0].match(/^scheduler at (\S+)$/)![1];
    worker = command(["worker", address, "--name", "w1"]).spawn();
    void worker.stdout.cancel();
    void worker.stderr.cancel();
    const status = await command(["status", address, "--json"]).output();
    assert.equal(status.code, 0);
    await until(
      async () => {
        const s = await command(["status", address, "--json"]).output();
        return JSON.parse(new TextDecoder().decode(s.stdout)).nodes.length ===
          1;
      },
      "the worker to join",
      30_000,
    );
    worker.kill("SIGKILL");
    await worker.status;
    worker = undefined;
    await until(
      () => err.lines.some((l) => /node w1 lost/.test(l)),
      "the loss logged",
      30_000,
    );
    assert.ok(!err.lines.some((l) => /joined/.test(l)), err.lines.join("\n"));
    const line = err.lines.find((l) => /node w1 lost/.test(l))!;
    assert.match(
      line,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn {2}node w1 lost: .* event=lost node=w1 /,
    );
  } finally {
    if (worker !== undefined) {
      worker.kill("SIGKILL");
      await worker.status;
    }
    scheduler.kill("SIGTERM");
    assert.equal((await scheduler.status).code, 0, err.lines.join("\n"));
    await Promise.all([err.done, out.done]);
  }
});

Deno.test("troupe scheduler: a bad --log-level or --log-format is a usage error naming the choices", async () => {
  for (
    const [args, said] of [
      [
        ["--log-level", "loud"],
        /--log-level: one of error, warn, info, debug, got "loud"/,
      ],
      [["--log-format", "xml"], /--log-format: text or json, got "xml"/],
    ] as const
  ) {
    const out = await command(["scheduler", "--port", "0", ...args]).output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), said);
  }
});

Deno.test("troupe run: Ctrl-C ends the progress line, stops the run and exits 130; a finished run's last line has its elapsed time", async () => {
  const run = command([
    "run",
    fixture("cli_slow_job.ts"),
    "--workers",
    "1",
    "--progress",
  ]).spawn();
  const err = collectLines(run.stderr);
  const out = collectLines(run.stdout);
  // (the bar redraws in place, with no newline until it ends)
  await until(
    () => /\r\[[#-]+\] {2}[1-9]\d*\/119 tasks.*elapsed/.test(err.raw()),
    "a progress line with some tasks done",
    60_000,
  );
  run.kill("SIGINT");
  const { code } = await run.status;
  await Promise.all([err.done, out.done]);
  const text = err.lines.join("\n");
  assert.equal(code, 130, text);
  const last = err.lines.at(-1)!;
  assert.equal(last, "troupe run: interrupted (Ctrl-C)", text);
  const bar = err.lines.at(-2)!.split("\r").at(-1)!;
  assert.match(bar, /^\[[#-]+\] {2}\d+\/119 tasks.* elapsed \d/, text);
  assert.equal(out.lines.join(""), "");

  const done = await command([
    "run",
    fixture("cli_graph_job.ts"),
    "--workers",
    "1",
    "--progress",
  ]).output();
  const said = new TextDecoder().decode(done.stderr);
  assert.equal(done.code, 0, said);
  const final = said.split("\n").filter((l) => l !== "").at(-1)!.split("\r")
    .at(-1)!.trimEnd();
  assert.match(
    final,
    /^\[#{20}\] {2}199\/199 tasks {2}[\d.]+[kM]? tasks\/s {2}elapsed [\d.]+s$/,
  );
});

Deno.test("troupe cancel cancels a running computation by name or number; its client's result rejects; none matching exits 1", async () => {
  const { ActorSystem, delayed, treeReduce } = await import("@troupe/troupe");
  const { connect, runNode, startCluster } = await import(
    "@troupe/troupe/cluster"
  );
  const { g } = await import("../fixtures/graph_tasks.ts");
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: SECRET,
    logger: () => {},
  });
  const stop = new AbortController();
  const node = runNode(cluster.address, { name: "c1", signal: stop.signal });
  try {
    await cluster.waitForNodes(1);
    await using client = await connect(cluster.address, {
      jobName: "long-job",
    });
    const slow = (n: number) =>
      treeReduce(
        g.add,
        Array.from({ length: 60 }, (_, i) => delayed(g.slowSquare)(i + n, 200)),
      );
    const first = client.compute(slow(0));
    const second = client.compute(slow(1000));
    first.catch(() => {});
    second.catch(() => {});
    await until(
      () =>
        cluster.status().computations.filter((c) => c.done < c.total).length ===
          2,
      "both computations running",
    );
    const text = new TextDecoder();
    // By number: the second one.
    const byId = await command(["cancel", cluster.address, "#2"]).output();
    assert.equal(byId.code, 0, text.decode(byId.stderr));
    assert.match(
      text.decode(byId.stdout),
      /^cancelled computation #2 \(long-job\): \d+\/119 tasks had ended\n$/,
    );
    await assert.rejects(second, { name: "CancelledError" });
    // By name: the first (the only one still running with it).
    const byName = await command(["cancel", cluster.address, "long-job"])
      .output();
    assert.equal(byName.code, 0, text.decode(byName.stderr));
    assert.match(text.decode(byName.stdout), /^cancelled computation #1 /);
    await assert.rejects(first, { name: "CancelledError" });
    const none = await command(["cancel", cluster.address, "long-job"])
      .output();
    assert.equal(none.code, 1);
    assert.match(
      text.decode(none.stderr),
      /no running computation is named or numbered "long-job"/,
    );
    const usage = await command(["cancel", cluster.address]).output();
    assert.equal(usage.code, 2);
  } finally {
    stop.abort();
    await node;
  }
});
