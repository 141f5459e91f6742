/**
 * The examples are programs a newcomer runs first: each must run as a real
 * subprocess with the permissions its doc comment names (as few as it can),
 * exit 0 by itself, and print what it shows.
 */

import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(file: string, permissions: string[] = []): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, file],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    // A hung example is killed, so that the test fails instead of hanging.
    signal: AbortSignal.timeout(30_000),
  }).output();
  const dec = new TextDecoder();
  return {
    code,
    stdout: dec.decode(stdout),
    stderr: dec.decode(stderr),
  };
}

function assertRan(r: Run, file: string): void {
  assert.equal(
    r.code,
    0,
    `${file} exited with ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
  );
}

function assertLines(r: Run, patterns: RegExp[]): void {
  for (const p of patterns) {
    assert.match(r.stdout, p, `stdout lacks ${p}:\n${r.stdout}`);
  }
}

Deno.test("examples/demo.ts tours the core and exits by itself", async () => {
  const r = await run("examples/demo.ts", [
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-net=127.0.0.1",
  ]);
  assertRan(r, "examples/demo.ts");
  assertLines(r, [
    /tell add\(1\) twice, then ask get -> 42/,
    /AskTimeoutError: ask "nap" to sloth#\d+ timed out after 20 ms/,
    /crash -> HandlerError: fragile#\d+ failed handling "crash": Error: boom/,
    /event: restarted fragile#\d+ \(restart #1, after Error: boom\)/,
    /same ref after restart: true; work -> 1 \(fresh state\)/,
    /children: fragile here, squarer on a worker thread, squarer in process \d+/,
    /event: restarted process-squarer#\d+ \(restart #1, after Error: boom\)/,
    /subprocess child after its crash: square\(7\) = 49/,
    /watcher: fragile#\d+ terminated \(shutdown\)/,
    /dead letters: 2\n\s+late-reply: 1\n\s+dead-target: 1/,
    /counter: status=running received=3 processed=3 failed=0 restarts=0/,
    /fragile: status=dead processed=3 failed=1 restarts=1/,
    /worker: square\(12\) = 144 \(this process, worker thread\)/,
    /process: square\(12\) = 144 \(another process, main thread\)/,
    /16 x fib\(30\) = 832040: \d+ ms alone, \d+ ms on the pool \([\d.]+x\)/,
    /cluster at 127\.0\.0\.1:\d+: 2 nodes/,
    /dashboard at http:\/\/127\.0\.0\.1:\d+\/ \(live while the cluster runs\)/,
    /sum of 1,000 squares as 1,999 tasks = 332833500 in \d+ ms/,
    /groupBy\("column"\)\.mean\(\): 200,000 rows in \d+ partitions, \d+ ms on worker threads/,
    /column=a price=4\.8 quantity=3\n\s+column=b price=4\.9 quantity=2\.99998\n/,
    /shutdown report: stopped=7 killed=0 timedOut=false/,
    /done\.\n$/,
  ]);
});

Deno.test("examples/shared_counter.ts: worker actors under one SharedMutex", async () => {
  const r = await run("examples/shared_counter.ts", ["--allow-read"]);
  assertRan(r, "examples/shared_counter.ts");
  assertLines(r, [/3 workers x 100 increments = 300\n/]);
});

Deno.test("examples/counter.ts", async () => {
  const r = await run("examples/counter.ts");
  assertRan(r, "examples/counter.ts");
  assertLines(r, [
    /after 5 tells: 15/,
    /after an async handler: 115/,
    /after reset through lookup: 0/,
    /stats: received=9 processed=9 status=running/,
  ]);
});

Deno.test("examples/supervision.ts", async () => {
  const r = await run("examples/supervision.ts");
  assertRan(r, "examples/supervision.ts");
  assertLines(r, [
    /one_for_all:\n\s+restarted a#\d+ after 0 ms\n\s+restarted b#\d+ after 0 ms/,
    /a\.jobs -> 1, b\.jobs -> 1/,
    /restarted c#\d+ after 10 ms/,
    /restarted c#\d+ after 20 ms/,
    /supervisor terminated: failed: RestartIntensityError: strict#\d+ gave up: more than 2 restarts in 10000 ms/,
  ]);
});

Deno.test("examples/mailbox_overflow.ts", async () => {
  const r = await run("examples/mailbox_overflow.ts");
  assertRan(r, "examples/mailbox_overflow.ts");
  assertLines(r, [
    /drop-newest\s+processed \[1,2,3\], dead letters \+2/,
    /drop-oldest\s+processed \[3,4,5\], dead letters \+2/,
    /reject\s+processed \[1,2,3\], dead letters \+2 \(tell\(4\) threw MailboxFullError, tell\(5\) threw MailboxFullError\)/,
    /backpressure\s+processed \[1,2,3,4,5\], dead letters \+0/,
    /"mailbox-full": 4/,
    /"dropped-oldest": 2/,
  ]);
});

Deno.test("examples/placement.ts", async () => {
  const r = await run("examples/placement.ts", ["--allow-read", "--allow-run"]);
  assertRan(r, "examples/placement.ts");
  assertLines(r, [
    /local: square\(12\) = 144 \(pid same, main thread\)/,
    /worker: square\(12\) = 144 \(pid same, worker thread\)/,
    /process: square\(12\) = 144 \(pid other, main thread\)/,
    /process without net: NotCapable/,
    /crash: squarer#\d+ failed handling "crash": Error: bad input/,
    /after restart: square\(4\) = 16/,
    /hosts: process, process, worker/,
  ]);
});

Deno.test("examples/pool_map.ts", async () => {
  const r = await run("examples/pool_map.ts", ["--allow-read"]);
  assertRan(r, "examples/pool_map.ts");
  assertLines(r, [
    /squares: 1, 4, 9, 16, 25/,
    /sum of 100,000 squares: 333328333350000/,
    /16 x fib\(25\) = 75025 each, progress reached 16\/16/,
  ]);
});

Deno.test("examples/delayed_sum.ts", async () => {
  const r = await run("examples/delayed_sum.ts", ["--allow-read"]);
  assertRan(r, "examples/delayed_sum.ts");
  assertLines(r, [
    /sum of squares below 1,000: 332833500 \(1,999 tasks\)/,
    /same key for the same call: true/,
    /naps finished in order: 10, 50/,
  ]);
});

Deno.test("examples/array_mean.ts: the dask.array snippet", async () => {
  const r = await run("examples/array_mean.ts", ["--allow-read"]);
  assertRan(r, "examples/array_mean.ts");
  assertLines(r, [
    /^0\.49\d+|^0\.50\d+/,
    /x\[1234, 5678\] == y\[1234, 5678\]: true\n/,
    /100 chunks, 800 MB if held\n/,
  ]);
});

Deno.test("examples/csv_groupby.ts: the tutorial's read_csv, groupby, mean", async () => {
  const r = await run("examples/csv_groupby.ts", [
    "--allow-read",
    "--allow-write",
  ]);
  assertRan(r, "examples/csv_groupby.ts");
  assertLines(r, [
    /2 partitions, read and grouped on worker threads/,
    /^a +4\.8 +2\.99984$/m,
    /\(4 rows, 3 columns\)/,
    /as records: \{"column":"a","price":4\.8,"quantity":2\.99984\}/,
  ]);
});

Deno.test("examples/thread_numbers.ts: a worker thread prints, main joins it", async () => {
  const r = await run("examples/thread_numbers.ts", ["--allow-read"]);
  assertRan(r, "examples/thread_numbers.ts");
  assert.equal(
    r.stdout,
    [
      "main: starting the thread",
      ...[1, 2, 3, 4, 5].map((i) => `${i} (worker thread)`),
      "main: the thread is done",
      "",
    ].join("\n"),
  );
});

Deno.test("examples/gather_countdowns.ts: countdowns interleave, then gather", async () => {
  const r = await run("examples/gather_countdowns.ts");
  assertRan(r, "examples/gather_countdowns.ts");
  const lines = r.stdout.trimEnd().split("\n");
  // Each countdown in its own order; B starts before A ends: they overlap.
  const a = lines.filter((l) => l.startsWith("A: "));
  const b = lines.filter((l) => l.startsWith("B: "));
  assert.deepEqual(a, ["A: 3", "A: 2", "A: 1"]);
  assert.deepEqual(b, ["B: 3", "B: 2", "B: 1"]);
  assert.ok(lines.indexOf("B: 3") < lines.indexOf("A: 1"), r.stdout);
  assert.equal(lines.at(-1), "gathered: A done, B done");
});

Deno.test("examples/locked_counter.ts: lost updates, then exact totals", async () => {
  const r = await run("examples/locked_counter.ts");
  assertRan(r, "examples/locked_counter.ts");
  assertLines(r, [
    /without a lock: 1000 \(3000 lost\)\n/,
    /with a Mutex: 4000\n/,
    /with an actor: 4000\n/,
  ]);
});

Deno.test("examples/producer_consumer.ts: a bounded queue, closed when done", async () => {
  const r = await run("examples/producer_consumer.ts");
  assertRan(r, "examples/producer_consumer.ts");
  assertLines(r, [
    /consumer 1 got \d+(, \d+)*\n/,
    /consumer 2 got \d+(, \d+)*\n/,
    /consumed 10 items, sum 55; the queue never held more than 3\n/,
  ]);
});

Deno.test("examples/round_robin.ts: each server in turn", async () => {
  const r = await run("examples/round_robin.ts");
  assertRan(r, "examples/round_robin.ts");
  assertLines(r, [
    new RegExp(
      [1, 2, 3, 4, 5, 6]
        .map((i) => `request ${i} -> server-${(i - 1) % 3 + 1}\\n`)
        .join(""),
    ),
    /requests per server: 2, 2, 2\n/,
  ]);
});

Deno.test("every example is tested here", async () => {
  const tested = new Set([
    "delayed_sum.ts",
    "array_mean.ts",
    "csv_groupby.ts",
    "pool_map.ts",
    "placement.ts",
    "demo.ts",
    "counter.ts",
    "supervision.ts",
    "mailbox_overflow.ts",
    "shared_counter.ts",
    "thread_numbers.ts",
    "gather_countdowns.ts",
    "locked_counter.ts",
    "producer_consumer.ts",
    "round_robin.ts",
  ]);
  for await (const e of Deno.readDir(new URL("examples/", root))) {
    if (e.isFile && e.name.endsWith(".ts")) {
      assert.ok(tested.has(e.name), `examples/${e.name} has no test`);
    }
  }
});
