/**
 * The `troupe` command as separate processes: a scheduler with its
 * dashboard, workers, `status` and `run` against them, `run` on a local
 * cluster, the compiled binary's re-executions (through a wrapper script
 * standing in for it), and the help and usage errors of every command.
 */

import assert from "node:assert/strict";
import { until } from "../helpers.ts";
import { connect } from "@troupe/troupe/cluster";
import { delayed, treeReduce } from "@troupe/troupe";
import { g } from "../fixtures/graph_tasks.ts";

const CLI = new URL("../../cli/troupe.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const fixture = (name: string) =>
  new URL(`../fixtures/${name}`, import.meta.url).pathname;
const SECRET = "cli-test-secret";
/** The sum of the squares of 0..99, what cli_graph_job.ts computes. */
const GRAPH_RESULT = "328350";

/**
 * How the tests run troupe: the permissions of `deno task troupe`, on
 * loopback (`net`: where it may connect and listen).
 */
function command(
  args: string[],
  env: Record<string, string>,
  net = "127.0.0.1",
  permissions = [`--allow-read=${ROOT}`, "--allow-env=TROUPE_SECRET"],
) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-net=${net}`,
      "--allow-run",
      ...permissions,
      CLI,
      ...args,
    ],
    env: { TROUPE_SECRET: SECRET, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `troupe args` to its end. */
async function troupe(
  args: string[],
  env: Record<string, string> = {},
  net?: string,
  permissions?: string[],
): Promise<Ran> {
  const out = await command(args, env, net, permissions).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/** Everything a `Ran` said, for assertion messages. */
const said = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** Reads a stream line by line; `close` cancels the rest. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<string> {
      while (!buffer.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) {
          const rest = buffer;
          buffer = "";
          return rest;
        }
        buffer += value;
      }
      const at = buffer.indexOf("\n");
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      return line;
    },
    close: () => reader.cancel(),
  };
}

/** A loopback port that nothing listens on (it was free a moment ago). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("troupe scheduler serves its dashboard; workers join; status and run --scheduler read it", async () => {
  const tokenFile = fixture("dashboard_token.txt");
  const token = (await Deno.readTextFile(tokenFile)).trim();
  const scheduler = command([
    "scheduler",
    "--port",
    "0",
    "--dashboard-port",
    "0",
    "--dashboard-token-file",
    tokenFile,
  ], {}).spawn();
  const schedulerErr = new Response(scheduler.stderr).text();
  const lines = lineReader(scheduler.stdout);
  const workers: Deno.ChildProcess[] = [];
  const workerErrs: Promise<string>[] = [];
  try {
    const first = await lines.next();
    const address = first.match(/^scheduler at (127\.0\.0\.1:\d+)$/)?.[1];
    assert.ok(address, `the scheduler said: ${first}`);
    const second = await lines.next();
    const printed = second.match(/^dashboard at (\S+)$/)?.[1];
    assert.ok(printed, `the scheduler said: ${second}`);
    // The URL printed opens the page: it carries the token.
    assert.match(printed, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const page = await fetch(printed);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>troupe dashboard<\/title>/);
    const dashboard = printed.replace(/\?.*$/, "");
    const refused = await fetch(dashboard);
    await refused.body?.cancel();
    assert.equal(refused.status, 401);

    for (
      const [name, extra] of [["w1", []], ["w2", ["--resources", "GPU=2"]]]
    ) {
      const w = command(
        ["worker", address, "--name", name as string, ...extra],
        {},
      )
        .spawn();
      workers.push(w);
      workerErrs.push(new Response(w.stderr).text());
      await w.stdout.cancel();
    }
    const api = new URL("api/status", dashboard);
    await until(
      async () => {
        const r = await fetch(api, {
          headers: { authorization: `Bearer ${token}` },
        });
        return (await r.json()).nodes.length === 2;
      },
      "both workers to join",
      30_000,
    );

    // status: without the token it says what to do; with it, the table.
    const noToken = await troupe(["status", "--dashboard", dashboard], {
      TROUPE_SECRET: "",
    });
    assert.equal(noToken.code, 1, said(noToken));
    assert.match(noToken.stderr, /wants a token: .*--token-file/);
    const status = await troupe([
      "status",
      address,
      "--dashboard",
      dashboard,
      "--token-file",
      tokenFile,
    ]);
    assert.equal(status.code, 0, said(status));
    assert.match(status.stdout, /^cluster at 127\.0\.0\.1:\d+: 2 nodes$/m);
    assert.match(
      status.stdout,
      /^ +name +address +resources +cpu +memory +in flight +queued +held$/m,
    );
    // (cpu and memory come with the nodes' heartbeats: maybe not yet; the
    // memory is "-" until then, then "69 MiB")
    assert.match(
      status.stdout,
      /^ +w1 +127\.0\.0\.1:\d+ +- +\S+ +\S+(?: [KMGT]?i?B)? +0 +0 +0$/m,
    );
    assert.match(
      status.stdout,
      /^ +w2 +127\.0\.0\.1:\d+ +GPU=2 +\S+ +\S+(?: [KMGT]?i?B)? +0 +0 +0$/m,
    );
    assert.match(status.stdout, /^computations: none yet$/m);
    // Another scheduler's address with this dashboard: refused, saying so.
    const other = await troupe([
      "status",
      `127.0.0.1:${closedPort()}`,
      "--dashboard",
      printed,
    ]);
    assert.equal(other.code, 1, said(other));
    assert.match(
      other.stderr,
      /is the one of the scheduler at 127\.0\.0\.1:\d+, not/,
    );

    // run --scheduler: the result on stdout, the bar (from the dashboard) on stderr.
    const run = await troupe([
      "run",
      fixture("cli_graph_job.ts"),
      "--scheduler",
      address,
      "--dashboard",
      printed,
      "--progress",
    ]);
    assert.equal(run.code, 0, said(run));
    assert.equal(run.stdout, `${GRAPH_RESULT}\n`);
    assert.match(run.stderr, /\[#{20}\] {2}199\/199 tasks/);

    // A client in this process computes on the same cluster.
    {
      await using client = await connect(address, { secret: SECRET });
      const leaves = Array.from(
        { length: 500 },
        (_, i) => delayed(g.square)(i),
      );
      const [total] = await client.compute(treeReduce(g.add, leaves));
      assert.equal(total, (499 * 500 * 999) / 6);
    }

    // status asks the scheduler itself, with the cluster's secret.
    const direct = await troupe(["status", address]);
    assert.equal(direct.code, 0, said(direct));
    assert.match(direct.stdout, /^cluster at 127\.0\.0\.1:\d+: 2 nodes$/m);
    assert.match(direct.stdout, /asked of the scheduler at 127\.0\.0\.1:\d+/);
    const wrongSecret = await troupe(["status", address], {
      TROUPE_SECRET: "not the secret",
    });
    assert.equal(wrongSecret.code, 1, said(wrongSecret));
    assert.match(
      wrongSecret.stderr,
      /refused this client .*--secret-file or TROUPE_SECRET/,
    );

    const after = await troupe([
      "status",
      "--dashboard",
      printed,
      "--json",
    ]);
    assert.equal(after.code, 0, said(after));
    const json = JSON.parse(after.stdout);
    assert.equal(json.address, address);
    assert.deepEqual(
      json.computations.map((
        c: { done: number; total: number },
      ) => [c.done, c.total]),
      [[199, 199], [999, 999]],
    );

    // Without --dashboard, run asks the scheduler itself for its counts.
    const asked = await troupe([
      "run",
      fixture("cli_main_job.ts"),
      "--scheduler",
      address,
      "--progress",
    ]);
    assert.equal(asked.code, 0, said(asked));
    assert.match(asked.stdout, /squares: \[ 9, 16 \]/);
    assert.match(asked.stderr, /\[#{20}\]/);
    assert.doesNotMatch(asked.stderr, /no worker nodes/);
  } finally {
    await lines.close();
    for (const w of workers) w.kill("SIGTERM");
    const codes = await Promise.all(workers.map((w) => w.status));
    scheduler.kill("SIGTERM");
    const s = await scheduler.status;
    const errs = await Promise.all([schedulerErr, ...workerErrs]);
    assert.deepEqual(codes.map((c) => c.code), [0, 0], errs.join("\n"));
    assert.equal(s.code, 0, errs[0]);
  }
});

Deno.test("troupe run computes a module's graph, or calls its main, on a local cluster", async () => {
  const graph = await troupe([
    "run",
    fixture("cli_graph_job.ts"),
    "--workers",
    "2",
    "--progress",
  ]);
  assert.equal(graph.code, 0, said(graph));
  assert.equal(graph.stdout, `${GRAPH_RESULT}\n`);
  assert.match(
    graph.stderr,
    /a local cluster of 2 workers at 127\.0\.0\.1:\d+/,
  );
  assert.match(graph.stderr, /\[#{20}\] {2}199\/199 tasks/);

  const main = await troupe([
    "run",
    fixture("cli_main_job.ts"),
    "--workers",
    "1",
    "--json",
  ]);
  assert.equal(main.code, 0, said(main));
  assert.deepEqual(JSON.parse(main.stdout), { squares: [9, 16], sum: 25 });
  // No bar unless asked (stderr is not a terminal here).
  assert.doesNotMatch(main.stderr, /tasks/);

  const failing = await troupe([
    "run",
    fixture("cli_failing_job.ts"),
    "--workers",
    "1",
  ]);
  assert.equal(failing.code, 1, said(failing));
  assert.equal(failing.stdout, "");
  assert.match(
    failing.stderr,
    /troupe run: TaskFailedError: task checked-\S+ failed after 1 attempt: RangeError: negative: -1/,
  );

  // main may throw anything, not only an Error: what it threw is said.
  const thrown = await troupe([
    "run",
    fixture("cli_throwing_job.ts"),
    "--workers",
    "1",
  ]);
  assert.equal(thrown.code, 1, said(thrown));
  assert.match(thrown.stderr, /^troupe run: main threw "out of cheese"$/m);
  assert.doesNotMatch(thrown.stderr, /undefined/);

  const neither = await troupe(["run", fixture("graph_tasks.ts")]);
  assert.equal(neither.code, 1, said(neither));
  assert.match(
    neither.stderr,
    /exports neither graph .* nor main .*: export one/,
  );
  const missing = await troupe(["run", "tests/fixtures/no_such_job.ts"]);
  assert.equal(missing.code, 1, said(missing));
  assert.match(
    missing.stderr,
    /no module at \S+no_such_job\.ts: check the path/,
  );
  const unreachable = await troupe([
    "run",
    fixture("cli_graph_job.ts"),
    "--scheduler",
    `127.0.0.1:${closedPort()}`,
  ]);
  assert.equal(unreachable.code, 1, said(unreachable));
  assert.match(
    unreachable.stderr,
    /cannot reach the scheduler at 127\.0\.0\.1:\d+: .*is troupe scheduler running there/,
  );
});

Deno.test("the compiled troupe: its local cluster's nodes and its process hosts are the binary re-executed", async () => {
  // fake_troupe_binary.sh stands in for `deno task compile`'s output (which
  // cannot be built here), and troupe is told to re-execute it, as the
  // binary re-executes itself; it logs each start on stderr.
  const wrapper = fixture("fake_troupe_binary.sh");
  const fake = async (args: string[]): Promise<Ran> => {
    const out = await new Deno.Command(wrapper, {
      args: [wrapper, ...args],
      env: { DENO: Deno.execPath(), TROUPE_SECRET: "", NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const text = new TextDecoder();
    return {
      code: out.code,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  };
  const run = await fake([
    "run",
    fixture("cli_graph_job.ts"),
    "--workers",
    "2",
  ]);
  assert.equal(run.code, 0, said(run));
  assert.equal(run.stdout, `${GRAPH_RESULT}\n`);
  assert.equal(run.stderr.match(/fake troupe binary: .* run /g)?.length, 1);
  assert.equal(
    run.stderr.match(/fake troupe binary: --troupe-node 127\.0\.0\.1:\d+ /g)
      ?.length,
    2,
    run.stderr,
  );

  const demo = await fake(["demo"]);
  assert.equal(demo.code, 0, said(demo));
  assert.match(demo.stderr, /fake troupe binary: --troupe-host=/);
  assert.equal(
    demo.stderr.match(/fake troupe binary: --troupe-node /g)?.length,
    2,
  );
  for (
    const line of [
      /tell add\(1\) twice, then ask get -> 42/,
      /process: square\(12\) = 144 \(another process, main thread\)/,
      /cluster at 127\.0\.0\.1:\d+: 2 nodes/,
      /sum of 1,000 squares as 1,999 tasks = 332833500 in \d+ ms/,
      /shutdown report: stopped=7 killed=0 timedOut=false/,
      /done\.\n$/,
    ]
  ) assert.match(demo.stdout, line);
});

Deno.test("troupe and each command say how they go: --help exits 0", async () => {
  const top = await troupe(["--help"]);
  assert.equal(top.code, 0, said(top));
  assert.match(top.stdout, /^usage: troupe <command> \[options\]$/m);
  for (const name of ["scheduler", "worker", "run", "status", "demo"]) {
    assert.match(top.stdout, new RegExp(`^  ${name} `, "m"));
    for (const args of [[name, "--help"], [name, "-h"], ["help", name]]) {
      const r = await troupe(args);
      assert.equal(r.code, 0, said(r));
      assert.match(r.stdout, new RegExp(`^troupe ${name}: `));
      assert.match(r.stdout, new RegExp(`^usage: troupe ${name}`, "m"));
      assert.equal(r.stderr, "");
    }
  }
  // troupe worker runs node_main.ts: its help names every option of it.
  const node = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      new URL("../../cluster/node/node_main.ts", import.meta.url).pathname,
      "--help",
    ],
    stdin: "null",
  }).output();
  const nodeUsage = new TextDecoder().decode(node.stdout);
  const options = nodeUsage.match(/--[a-z-]+/g) ?? [];
  assert.ok(options.length > 5, nodeUsage);
  const worker = await troupe(["worker", "--help"]);
  for (const option of options) {
    assert.match(worker.stdout, new RegExp(`${option}\\b`), option);
  }
});

Deno.test("troupe usage errors exit 2 and say what to do; a refused start exits 1", async () => {
  const cases: [string[], RegExp][] = [
    [[], /usage: troupe <command>/],
    [
      ["bogus"],
      /no command "bogus": the commands are scheduler, worker, run, status, cancel, logs, restart, demo/,
    ],
    [["help", "bogus"], /no command "bogus"/],
    [["worker"], /address is missing: troupe worker <host:port>/],
    [
      ["worker", "nowhere"],
      /^troupe worker: bad address "nowhere": expected host:port\n\(troupe worker --help says how\)/,
    ],
    [
      ["worker", "127.0.0.1:1", "127.0.0.1:2"],
      /^troupe worker: one scheduler at a time, got 2: 127\.0\.0\.1:1 127\.0\.0\.1:2/,
    ],
    [
      ["worker", "127.0.0.1:1", "--bogus"],
      /^troupe worker: Unknown option '--bogus'[^]*\(troupe worker --help says how\)/,
    ],
    [
      ["worker", "127.0.0.1:1", "--nthreads", "0"],
      /^troupe worker: --nthreads: a whole number >= 1, got 0/,
    ],
    [["run"], /the module to run is missing: troupe run <module>/],
    [["run", "a.ts", "b.ts"], /one module at a time; what is "b\.ts"/],
    [
      ["run", "a.ts", "--bogus"],
      /Unknown option '--bogus'[^]*troupe run --help says how/,
    ],
    [
      ["run", "a.ts", "--workers", "0"],
      /--workers: a whole number from 1 to 1024, got "0"/,
    ],
    [
      ["run", "a.ts", "--workers", "2", "--scheduler", "127.0.0.1:8786"],
      /--workers starts a local cluster.*drop one/,
    ],
    [
      ["run", "a.ts", "--scheduler", "nowhere"],
      /--scheduler: bad address "nowhere": expected host:port/,
    ],
    [
      ["run", "a.ts", "--dashboard", "127.0.0.1:8787"],
      /--dashboard goes with --scheduler/,
    ],
    [
      ["run", "a.ts", "--token-file", "token.txt"],
      /--token-file goes with --scheduler/,
    ],
    [["run", "a.ts", "--progress", "--no-progress"], /not both/],
    [
      ["status"],
      /which cluster\? troupe status <scheduler host:port>, or --dashboard URL/,
    ],
    [["status", "a:1", "b:2"], /one scheduler at a time/],
    [["status", "nowhere"], /bad address "nowhere"/],
    [
      ["scheduler", "--port", "x"],
      /--port: a port number \(0 to 65535\), got "x"/,
    ],
    [
      ["scheduler", "--no-dashboard", "--dashboard-port", "0"],
      /contradict each other: drop one/,
    ],
    [
      ["scheduler", "--tls-cert", "c.pem"],
      /--tls-cert and --tls-key go together/,
    ],
    [
      ["scheduler", "--insecure-no-secret", "--secret-file", "s.txt"],
      /--insecure-no-secret and --secret-file contradict each other/,
    ],
    [["demo", "--fast"], /Unknown option '--fast'/],
  ];
  for (const [args, message] of cases) {
    const r = await troupe(args, { TROUPE_SECRET: "" });
    assert.equal(r.code, 2, `troupe ${args.join(" ")}: ${said(r)}`);
    assert.match(r.stderr, message, `troupe ${args.join(" ")}`);
    assert.equal(r.stdout, "", `troupe ${args.join(" ")}`);
  }
  // Running without a secret off loopback is refused before any socket.
  const open = await troupe([
    "scheduler",
    "--host",
    "0.0.0.0",
    "--port",
    "0",
    "--insecure-no-secret",
  ], { TROUPE_SECRET: "" });
  assert.equal(open.code, 1, said(open));
  // (what to do at this command line, not in the library's API)
  assert.match(
    open.stderr,
    /--insecure-no-secret is for loopback only.*--secret-file.*TROUPE_SECRET/,
  );
  assert.doesNotMatch(open.stderr, /readSecret/);
  const far = await troupe(["worker", "10.255.255.1:8786"], {
    TROUPE_SECRET: "",
  });
  assert.equal(far.code, 1, said(far));
  assert.match(far.stderr, /secret.*--secret-file.*TROUPE_SECRET/);
  assert.doesNotMatch(far.stderr, /readSecret/);
  const farRun = await troupe([
    "run",
    fixture("cli_graph_job.ts"),
    "--scheduler",
    "10.255.255.1:8786",
  ], { TROUPE_SECRET: "" });
  assert.equal(farRun.code, 1, said(farRun));
  assert.match(farRun.stderr, /secret.*--secret-file.*TROUPE_SECRET/);
  assert.doesNotMatch(farRun.stderr, /readSecret/);
  // Its port taken (another scheduler there): it says where, and what to do.
  {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const busy = await troupe([
      "scheduler",
      "--port",
      String(taken.addr.port),
      "--no-dashboard",
    ]);
    assert.equal(busy.code, 1, said(busy));
    assert.match(
      busy.stderr,
      new RegExp(
        `^troupe scheduler: cannot listen on 127\\.0\\.0\\.1:${taken.addr.port}: Address already in use.*choose another --port`,
      ),
    );
  }
  // No scheduler there: status says so and what to do.
  const noScheduler = await troupe(["status", `127.0.0.1:${closedPort()}`]);
  assert.equal(noScheduler.code, 1, said(noScheduler));
  assert.match(
    noScheduler.stderr,
    /could not ask the scheduler at 127\.0\.0\.1:\d+ \(.*\): is troupe scheduler running there\?/,
  );
  // Nothing answers: status says where it looked and what to do.
  const nothing = await troupe([
    "status",
    "--dashboard",
    `127.0.0.1:${closedPort()}`,
  ]);
  assert.equal(nothing.code, 1, said(nothing));
  assert.match(
    nothing.stderr,
    /no dashboard answers at http:\/\/127\.0\.0\.1:\d+\/ \(Connection refused.*\): .*give it with --dashboard URL/,
  );
});

Deno.test("troupe scheduler on IPv6: the address it prints is one that worker, status and run take", async () => {
  const net = "127.0.0.1,[::1]";
  const scheduler = command(
    ["scheduler", "--host", "::1", "--port", "0", "--dashboard-port", "0"],
    {},
    net,
  ).spawn();
  const schedulerErr = new Response(scheduler.stderr).text();
  const lines = lineReader(scheduler.stdout);
  let worker: Deno.ChildProcess | undefined;
  try {
    const first = await lines.next();
    const address = first.match(/^scheduler at (\S+)$/)?.[1];
    assert.match(
      address ?? "",
      /^\[::1\]:\d+$/,
      `the scheduler said: ${first}`,
    );
    const dashboard = (await lines.next()).match(/^dashboard at (\S+)$/)?.[1];
    assert.match(dashboard ?? "", /^http:\/\/\[::1\]:\d+\/$/);

    worker = command(["worker", address!, "--name", "w6"], {}, net).spawn();
    await worker.stdout.cancel();
    await worker.stderr.cancel();
    const status = await troupe(
      ["status", address!, "--dashboard", dashboard!],
      {},
      net,
    );
    assert.equal(status.code, 0, said(status));
    assert.match(status.stdout, /^cluster at \[::1\]:\d+: [01] nodes?$/m);

    const run = await troupe(
      [
        "run",
        fixture("cli_graph_job.ts"),
        "--scheduler",
        address!,
        "--dashboard",
        dashboard!,
        "--progress",
      ],
      {},
      net,
    );
    assert.equal(run.code, 0, said(run));
    assert.equal(run.stdout, `${GRAPH_RESULT}\n`);
    assert.match(run.stderr, /\[#{20}\] {2}199\/199 tasks/);
  } finally {
    await lines.close();
    worker?.kill("SIGTERM");
    const w = await worker?.status;
    scheduler.kill("SIGTERM");
    const s = await scheduler.status;
    assert.equal(w?.code ?? 0, 0);
    assert.equal(s.code, 0, await schedulerErr);
  }
});

Deno.test("troupe scheduler on every interface prints a dashboard URL that opens (not http://0.0.0.0/)", async () => {
  const scheduler = command(
    ["scheduler", "--host", "0.0.0.0", "--port", "0", "--dashboard-port", "0"],
    {},
    "0.0.0.0,127.0.0.1",
  ).spawn();
  const schedulerErr = new Response(scheduler.stderr).text();
  const lines = lineReader(scheduler.stdout);
  try {
    const first = await lines.next();
    assert.match(first, /^scheduler at \S+:\d+$/);
    const second = await lines.next();
    const printed = second.match(/^dashboard at (\S+)$/)?.[1];
    assert.match(
      printed ?? "",
      /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+$/,
      `the scheduler said: ${second}`,
    );
    const page = await fetch(printed!);
    assert.equal(page.status, 200);
    await page.body?.cancel();
  } finally {
    await lines.close();
    scheduler.kill("SIGTERM");
    const s = await scheduler.status;
    assert.equal(s.code, 0, await schedulerErr);
  }
});

Deno.test("a worker whose secret or certificate file cannot be read says which, exit 1, no stack trace", async () => {
  const nodeMain = new URL("../../cluster/node/node_main.ts", import.meta.url)
    .pathname;
  const missing = fixture("no_such_file");
  for (
    const [flag, message] of [
      ["--secret-file", /cannot read the secret file \S*no_such_file/],
      ["--tls-ca", /No such file .*no_such_file/],
    ] as const
  ) {
    // node_main.ts as it runs on its own (and as a compiled troupe's node).
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env=TROUPE_SECRET",
        nodeMain,
        "127.0.0.1:1",
        flag,
        missing,
      ],
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const node: Ran = {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
    assert.equal(node.code, 1, said(node));
    assert.match(node.stderr, /^troupe node: /, said(node));
    assert.match(node.stderr, message);
    assert.doesNotMatch(node.stderr, /Uncaught|^\s+at /m, said(node));
    const worker = await troupe([
      "worker",
      "127.0.0.1:1",
      flag,
      missing,
    ]);
    assert.equal(worker.code, 1, said(worker));
    assert.match(worker.stderr, /^troupe worker: /, said(worker));
    assert.match(worker.stderr, message);
  }
});

Deno.test("without a dashboard, status and run ask the scheduler; run says when there are no workers", async () => {
  const scheduler = command(["scheduler", "--port", "0", "--no-dashboard"], {})
    .spawn();
  const schedulerErr = new Response(scheduler.stderr).text();
  const lines = lineReader(scheduler.stdout);
  try {
    const first = await lines.next();
    const address = first.match(/^scheduler at (127\.0\.0\.1:\d+)$/)?.[1];
    assert.ok(address, `the scheduler said: ${first}`);
    const status = await troupe(["status", address]);
    assert.equal(status.code, 0, said(status));
    assert.match(status.stdout, /^cluster at 127\.0\.0\.1:\d+: 0 nodes$/m);
    const run = await troupe([
      "run",
      fixture("cli_nodes_job.ts"),
      "--scheduler",
      address,
    ]);
    assert.equal(run.code, 0, said(run));
    assert.equal(run.stdout, "0\n");
    assert.match(
      run.stderr,
      /the cluster at 127\.0\.0\.1:\d+ has no worker nodes yet: the work waits until one joins \(troupe worker 127\.0\.0\.1:\d+\)/,
    );
  } finally {
    await lines.close();
    scheduler.kill("SIGTERM");
    assert.equal((await scheduler.status).code, 0, await schedulerErr);
  }
});

Deno.test("troupe scheduler given no secret makes one, in a file only its user can read; worker, status and run on this machine find it", async () => {
  const dir = (await new Deno.Command("mktemp", { args: ["-d"] }).output())
    .stdout;
  const runtime = new TextDecoder().decode(dir).trim();
  const elsewhere = `${runtime}/elsewhere`;
  const permissions = [
    `--allow-read=${ROOT},${runtime}`,
    `--allow-write=${runtime}`,
    "--allow-env=TROUPE_SECRET,TROUPE_RUNTIME_DIR,XDG_RUNTIME_DIR,HOME",
  ];
  const env = { TROUPE_SECRET: "", TROUPE_RUNTIME_DIR: runtime };
  const scheduler = command(
    ["scheduler", "--port", "0", "--dashboard-port", "0"],
    env,
    undefined,
    permissions,
  ).spawn();
  const schedulerErr = new Response(scheduler.stderr).text();
  const lines = lineReader(scheduler.stdout);
  let worker: Deno.ChildProcess | undefined;
  try {
    const address = (await lines.next()).match(/^scheduler at (\S+)$/)?.[1];
    assert.ok(address);
    const port = address.split(":")[1];
    assert.match(await lines.next(), /^dashboard at /);
    const third = await lines.next();
    const file = third.match(/^secret in (\S+) \(readable by you alone/)?.[1];
    assert.equal(file, `${runtime}/scheduler-${port}.secret`, third);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(file), /^[0-9a-f]{64}\n$/);

    // Without it (another runtime directory, no TROUPE_SECRET): refused,
    // and told where the secret is.
    const stranger = await troupe(
      ["status", address],
      {
        TROUPE_SECRET: "",
        TROUPE_RUNTIME_DIR: elsewhere,
      },
      undefined,
      permissions,
    );
    assert.equal(stranger.code, 1, said(stranger));
    assert.match(
      stranger.stderr,
      /refused this client .*troupe scheduler on this machine keeps it in \S+scheduler-\d+\.secret/,
    );
    // With the file: a worker joins, status and run are served.
    worker = command(["worker", address, "--name", "w1"], env, undefined, [
      ...permissions,
    ]).spawn();
    await worker.stdout.cancel();
    const workerErr = new Response(worker.stderr).text();
    await until(
      async () => {
        const s = await troupe(
          ["status", address],
          env,
          undefined,
          permissions,
        );
        return s.code === 0 && /: 1 node$/m.test(s.stdout);
      },
      "the worker to join",
      30_000,
    ).catch(async (e) => {
      worker?.kill("SIGTERM");
      throw new Error(`${e.message}: ${await workerErr}`);
    });
    const run = await troupe(
      ["run", fixture("cli_graph_job.ts"), "--scheduler", address],
      env,
      undefined,
      permissions,
    );
    assert.equal(run.code, 0, said(run));
    assert.equal(run.stdout, `${GRAPH_RESULT}\n`);
    worker.kill("SIGTERM");
    assert.equal((await worker.status).code, 0);
    worker = undefined;
    scheduler.kill("SIGTERM");
    assert.equal((await scheduler.status).code, 0, await schedulerErr);
    // The file went with it.
    await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
  } finally {
    await lines.close();
    worker?.kill("SIGTERM");
    await worker?.status;
    try {
      scheduler.kill("SIGTERM");
    } catch { /* gone */ }
    await scheduler.status;
    await new Deno.Command("rm", { args: ["-rf", runtime] }).output();
  }
});

Deno.test("troupe scheduler --insecure-no-secret lets in a client without one, and says so", async () => {
  const scheduler = command(
    ["scheduler", "--port", "0", "--no-dashboard", "--insecure-no-secret"],
    { TROUPE_SECRET: "" },
  ).spawn();
  const schedulerErr = new Response(scheduler.stderr).text();
  const lines = lineReader(scheduler.stdout);
  try {
    const address = (await lines.next()).match(/^scheduler at (\S+)$/)?.[1];
    assert.ok(address);
    const status = await troupe(["status", address], { TROUPE_SECRET: "" });
    assert.equal(status.code, 0, said(status));
    assert.match(status.stdout, /^cluster at 127\.0\.0\.1:\d+: 0 nodes$/m);
  } finally {
    await lines.close();
    scheduler.kill("SIGTERM");
    assert.equal((await scheduler.status).code, 0);
    assert.match(await schedulerErr, /no secret \(--insecure-no-secret\)/);
  }
});
