/**
 * A worker keeps the first copy of a task module it loaded: after the file
 * is edited, a task added to it is not found there. The error says that the
 * file changed and to restart the workers (it said the module "exports no
 * task", which the file plainly does).
 */

import assert from "node:assert/strict";
import { ActorSystem, defineTasks } from "@troupe/troupe";
import { delayed } from "@troupe/troupe";
import { startCluster } from "@troupe/troupe/cluster";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli/troupe.ts`;
const SECRET = "module-changed-secret";

Deno.test("a worker whose task module changed on disk says so and says to restart, instead of 'exports no task'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "troupe-module-changed-" });
  const file = `${dir}/tasks.ts`;
  const url = new URL(`file://${file}`).href;
  const source = (names: string[]) =>
    `import { defineTasks } from "${ROOT}mod.ts";
export const t = defineTasks(import.meta.url, {
${names.map((n) => `  ${n}: (x: number) => x + 1,`).join("\n")}
});
`;
  await Deno.writeTextFile(file, source(["first"]));
  // The tasks as the client sees them, by the module's URL.
  const t = defineTasks(url, {
    first: (x: number) => x + 1,
    second: (x: number) => x + 1,
  });
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
  try {
    await cluster.waitForNodes(1);
    assert.deepEqual(await cluster.scheduler.compute(delayed(t.first)(1)), [2]);
    // Edited: a second task (its mtime after the worker loaded it).
    await Deno.writeTextFile(file, source(["first", "second"]));
    const later = new Date(Date.now() + 5_000);
    await Deno.utime(file, later, later);
    await assert.rejects(
      cluster.scheduler.compute(delayed(t.second)(1)),
      (e: Error) => {
        const text = `${e.message} ${(e.cause as Error)?.message ?? ""}`;
        assert.match(
          text,
          /has no task "second" in the copy this worker loaded/,
        );
        assert.match(text, /changed on disk .* restart the workers/);
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
