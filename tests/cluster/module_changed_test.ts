/**
 * A worker reloads a task module whose file changed on disk (it kept the
 * first copy it loaded, so an edited task ran its old code, and a task
 * added was "not exported"), and every worker reloads all of them on
 * `restartWorkers` (`troupe restart`), with a real node process: tasks
 * running then finish on the old code; a module a task module imports
 * keeps its first copy (what the operations guide says).
 */

import assert from "node:assert/strict";
import { ActorSystem, defineTasks, delayed } from "@troupe/troupe";
import { connect, startCluster } from "@troupe/troupe/cluster";
import { tick, until } from "../helpers.ts";
import { CHECK_EVERY_MS } from "../../cluster/graph/task_modules.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli/troupe.ts`;
const SECRET = "module-changed-secret";

/** tasks.ts: `answer` returns `answer` (and the helper's `h`), `wait` waits for a file. */
const source = (answer: string, extra = "") =>
  `import { defineTasks } from "${ROOT}mod.ts";
import { h } from "./helper.ts";
export const t = defineTasks(import.meta.url, {
  answer: (x: number) => \`${answer} \${x} \${h}\`,
  wait: async (dir: string) => {
    Deno.writeTextFileSync(\`\${dir}/started\`, "");
    while (true) {
      try {
        Deno.statSync(\`\${dir}/go\`);
        return "${answer}";
      } catch { await new Promise((r) => setTimeout(r, 5)); }
    }
  },
${extra}});
`;

/** The same tasks as the client names them (by the module's URL). */
function clientTasks(url: string) {
  return defineTasks(url, {
    answer: (_x: number) => "",
    wait: (_dir: string) => "",
    added: (_x: number) => "",
  });
}

/**
 * Write `text` to `file` with a modification time of its own (`at` s
 * ahead); then let the worker's last look at the file age past
 * `CHECK_EVERY_MS` (it looks at most that often), so that its next run
 * looks again.
 */
async function write(file: string, text: string, at: number): Promise<void> {
  await Deno.writeTextFile(file, text);
  const when = new Date(Date.now() + at * 1_000);
  await Deno.utime(file, when, when);
  await tick(CHECK_EVERY_MS + 20);
}

Deno.test("a worker process runs an edited task module's new code (and a task added to it) without a restart; restartWorkers reloads every module; running tasks finish on the old code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-module-changed-" });
  const file = `${dir}/tasks.ts`;
  const t = clientTasks(new URL(`file://${file}`).href);
  await Deno.writeTextFile(`${dir}/helper.ts`, `export const h = "h1";\n`);
  await write(file, source("one"), 0);
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: SECRET,
    logger: () => {},
  });
  const worker = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${ROOT},${dir}`,
      `--allow-write=${dir}`,
      "--allow-env=TROUPE_SECRET",
      CLI,
      "worker",
      cluster.address,
      "--name",
      "w",
    ],
    env: { TROUPE_SECRET: SECRET, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errors = new Response(worker.stderr).text();
  const run = async (x: number) =>
    (await cluster.scheduler.compute(delayed(t.answer)(x)))[0];
  try {
    await cluster.waitForNodes(1);
    assert.equal(await run(1), "one 1 h1");
    // Edited on disk, a task added: the next run sees both, same process.
    await write(
      file,
      source("two", "  added: (x: number) => `added ${x}`,\n"),
      5,
    );
    assert.equal(await run(2), "two 2 h1");
    assert.deepEqual(await cluster.scheduler.compute(delayed(t.added)(3)), [
      "added 3",
    ]);
    // A module the task module imports keeps its first copy, even when the
    // task module is read again.
    await Deno.writeTextFile(`${dir}/helper.ts`, `export const h = "h2";\n`);
    await write(file, source("three"), 10);
    assert.equal(await run(4), "three 4 h1");
    // An edit that keeps the modification time is not seen...
    const { mtime } = await Deno.stat(file);
    await Deno.writeTextFile(file, source("four"));
    await Deno.utime(file, mtime!, mtime!);
    await tick(CHECK_EVERY_MS + 20);
    assert.equal(await run(5), "three 5 h1");
    // ...until a restart, which waits for no running task: one running now
    // finishes on the code it started with.
    const waiting = cluster.scheduler.compute(delayed(t.wait)(dir));
    await until(
      async () => {
        try {
          await Deno.stat(`${dir}/started`);
          return true;
        } catch {
          return false;
        }
      },
      "the task to start",
      20_000,
    );
    await using client = await connect(cluster.address, { secret: SECRET });
    assert.deepEqual(await client.restartWorkers(), {
      reloaded: ["w"],
      failed: [],
    });
    await Deno.writeTextFile(`${dir}/go`, "");
    assert.deepEqual(await waiting, ["three"]);
    assert.equal(await run(6), "four 6 h1");
    assert.deepEqual(await cluster.scheduler.compute(delayed(t.wait)(dir)), [
      "four",
    ]);
    // A task the file does not have (now) fails saying so.
    await assert.rejects(
      cluster.scheduler.compute(delayed(t.added)(1)),
      (e: Error) => {
        const text = `${e.message} ${(e.cause as Error)?.message ?? ""}`;
        assert.match(text, /exports no task "added" \(in its copy on disk now/);
        return true;
      },
    );
  } finally {
    worker.kill("SIGTERM");
    await worker.status;
    await errors;
    await Deno.remove(dir, { recursive: true });
  }
});
