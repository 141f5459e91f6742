/**
 * A worker's log, fetched on demand through the scheduler: a real `troupe
 * worker` process keeps the last lines of what it logs (without
 * `--verbose` too) and of the errors of tasks that failed there;
 * `client.workerLogs`, `troupe logs` and the scheduler's deadline and
 * checks against nodes that answer late, never, or with nonsense.
 */

import assert from "node:assert/strict";
import { ActorSystem, delayed } from "@troupe/troupe";
import {
  connect,
  startCluster,
  WorkerRequestError,
} from "@troupe/troupe/cluster";
import { g } from "../fixtures/graph_tasks.ts";

import { runWithSecret } from "./deno_run.ts";
const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli/troupe.ts`;
const SECRET = "worker-logs-secret";

/** `deno run` of `script args` with loopback, read and the secret. */
function spawn(script: string, args: string[]): Deno.ChildProcess {
  return runWithSecret(script, args, SECRET, {
    stdout: "piped",
    stderr: "piped",
  });
}

/** `troupe args` to its end: exit code, stdout, stderr. */
async function troupe(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const p = spawn(CLI, args);
  const [status, out, err] = await Promise.all([
    p.status,
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
  ]);
  return { code: status.code, out, err };
}

/** Stop `p` and wait for it, whether or not it is still there. */
async function stop(p: Deno.ChildProcess): Promise<void> {
  try {
    p.kill("SIGTERM");
  } catch { /* exited */ }
  await Promise.all([
    p.status,
    p.stdout.cancel().catch(() => {}),
    p.stderr.cancel().catch(() => {}),
  ]);
}

Deno.test("a worker's log: its own lines and its failed tasks' errors, from the process, by client and by troupe logs", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: SECRET,
    logger: () => {},
  });
  const worker = spawn(CLI, ["worker", cluster.address, "--name", "w1"]);
  try {
    await cluster.waitForNodes(1);
    await assert.rejects(
      cluster.scheduler.compute(delayed(g.checked)(-7)),
      /negative: -7/,
    );
    await using client = await connect(cluster.address, { secret: SECRET });
    const lines = await client.workerLogs("w1");
    const texts = lines.map((l) => `${l.level} ${l.text}`);
    // What troupe worker logs, though it printed nothing (no --verbose).
    assert.ok(
      texts.some((t) => /^info joined 127\.0\.0\.1:\d+ as w1$/.test(t)),
      texts.join("\n"),
    );
    const error = lines.find((l) => l.level === "error");
    assert.match(
      error?.text ?? "",
      /^task checked-\S+ \(checked\) failed: RangeError: negative: -7\n\s+at /,
    );
    assert.ok(lines.every((l) => l.worker === "w1" && l.time > 0));
    assert.equal((await client.workerLogs("w1", { lines: 1 })).length, 1);
    // Bad input: a typed error that says what.
    await assert.rejects(
      client.workerLogs("w1", { lines: 501 }),
      /lines must be a whole number from 1 to 500, got 501/,
    );
    await assert.rejects(client.workerLogs("nobody"), (e: Error) => {
      assert.ok(e instanceof WorkerRequestError);
      assert.equal(e.code, "unknown-worker");
      assert.equal(e.worker, "nobody");
      return true;
    });
    // The command: the lines, then a clear failure for a wrong name.
    const shown = await troupe(["logs", cluster.address, "w1"]);
    assert.equal(shown.code, 0, shown.err);
    assert.match(
      shown.out,
      /^\S+Z {2}w1 {2}info {3}joined 127\.0\.0\.1:\d+ as w1$/m,
    );
    assert.match(
      shown.out,
      /^\S+Z {2}w1 {2}error {2}task checked-\S+ \(checked\) failed: RangeError: negative: -7\n {4}\s*at /m,
    );
    const json = await troupe([
      "logs",
      cluster.address,
      "w1",
      "--json",
      "--lines",
      "2",
    ]);
    assert.equal(json.code, 0, json.err);
    const objects = json.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(objects.length, 2);
    assert.equal(objects[1].level, "error");
    const none = await troupe(["logs", cluster.address, "nobody"]);
    assert.equal(none.code, 1);
    assert.match(
      none.err,
      /worker nobody: no worker of that name in the cluster/,
    );
    // troupe restart: every worker reloads, and says so.
    const restart = await troupe(["restart", cluster.address]);
    assert.equal(restart.code, 0, restart.err);
    assert.equal(restart.out, "reloaded task modules on 1 worker: w1\n");
    const usage = await troupe(["logs", cluster.address, "w1", "--lines", "0"]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--lines: a whole number from 1 to 500, got "0"/);
  } finally {
    await stop(worker);
  }
});

Deno.test("a node that answers late, never, or with nonsense fails that request with a typed error, and the scheduler goes on", async () => {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: SECRET,
    logger: () => {},
  });
  const modes = ["silent", "malformed", "many", "huge", "error"];
  const nodes = modes.map((mode) =>
    spawn(`${ROOT}tests/fixtures/mute_node.ts`, [cluster.address, mode, mode])
  );
  try {
    await cluster.waitForNodes(modes.length);
    const codeOf = async (name: string, timeoutMs = 5_000) => {
      try {
        await cluster.workerLogs(name, { lines: 3, timeoutMs });
        return "answered";
      } catch (e) {
        assert.ok(e instanceof WorkerRequestError, String(e));
        assert.equal(e.worker, name);
        return `${e.code}: ${e.message}`;
      }
    };
    assert.match(
      await codeOf("silent", 300),
      /^timeout: worker silent: no answer to "logs" within 300 ms$/,
    );
    assert.match(await codeOf("malformed"), /^malformed: .*line 0 is not/);
    assert.match(await codeOf("many"), /^malformed: .*4 lines, for at most 3/);
    assert.match(await codeOf("huge"), /^malformed: .*at most 1000 characters/);
    assert.match(await codeOf("error"), /^failed: worker error: no logs here$/);
    // A restart: the silent node is named as not answering; the others did.
    const restart = await cluster.restartWorkers({ timeoutMs: 300 });
    assert.deepEqual(
      restart.reloaded.sort(),
      ["huge", "malformed", "many"],
    );
    assert.deepEqual(
      restart.failed.map((f) => f.worker).sort(),
      ["error", "silent"],
    );
    // All still members.
    assert.equal(cluster.nodes().length, modes.length);
    // A node that leaves while asked: the request fails then, not at its
    // deadline.
    const asked = codeOf("silent", 600_000);
    nodes[0].kill("SIGKILL");
    assert.match(
      await asked,
      /^gone: worker silent: it left before answering$/,
    );
  } finally {
    await Promise.all(nodes.map(stop));
  }
});
