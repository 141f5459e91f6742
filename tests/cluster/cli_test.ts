/**
 * The `troupe` command as separate processes: a scheduler, two workers, and
 * a client in this process; and its usage errors.
 */

import assert from "node:assert/strict";
import { firstLine } from "../helpers.ts";
import { connect, delayed, treeReduce } from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";

const CLI = new URL("../../cli/troupe.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const SECRET = "cli-test-secret";

function troupe(args: string[], stdout: "piped" | "null" = "null") {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${ROOT}`,
      "--allow-env=TROUPE_SECRET",
      CLI,
      ...args,
    ],
    env: { TROUPE_SECRET: SECRET },
    stdin: "null",
    stdout,
    stderr: "piped",
  }).spawn();
}

Deno.test("troupe scheduler, two troupe workers and a client compute a graph", async () => {
  const scheduler = troupe(["scheduler", "--port", "0"], "piped");
  const line = await firstLine(scheduler.stdout);
  const address = line.match(/^scheduler at (\S+)$/)?.[1];
  assert.ok(address, `scheduler said: ${line}`);
  const workers = ["w1", "w2"].map((name) =>
    troupe(["worker", address, "--name", name])
  );
  try {
    await using client = await connect(address, { secret: SECRET });
    const leaves = Array.from({ length: 500 }, (_, i) => delayed(g.square)(i));
    const [total] = await client.compute(treeReduce(g.add, leaves));
    assert.equal(total, (499 * 500 * 999) / 6);
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    const codes = await Promise.all(workers.map((w) => w.status));
    scheduler.kill("SIGTERM");
    const s = await scheduler.status;
    await scheduler.stdout.cancel().catch(() => {});
    for (const p of [scheduler, ...workers]) await p.stderr.cancel();
    assert.deepEqual(codes.map((c) => c.code), [0, 0]);
    assert.equal(s.code, 0);
  }
});

Deno.test("troupe usage errors exit 2 and say what to do; a refused start exits 1", async () => {
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        `--allow-read=${ROOT}`,
        "--allow-env=TROUPE_SECRET",
        CLI,
        ...args,
      ],
      env: { TROUPE_SECRET: "" },
      stdin: "null",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) +
        new TextDecoder().decode(out.stderr),
    };
  };
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.text, /usage: troupe <command>/);
  const unknown = await run(["bogus"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.text, /no command "bogus"/);
  const noAddress = await run(["worker"]);
  assert.equal(noAddress.code, 2);
  assert.match(noAddress.text, /address is missing/);
  const help = await run(["scheduler", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.text, /--secret-file/);
  // Listening off loopback needs a secret: refused before any socket.
  const open = await run(["scheduler", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(open.code, 1);
  assert.match(open.text, /secret/);
});
