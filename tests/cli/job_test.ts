/**
 * What `troupe run` finds in a module: a graph or a main, and an error that
 * says what to export otherwise; where it looks for the module, compiled or
 * not.
 */

import assert from "node:assert/strict";
import { JobError, loadJob, resolveModule } from "../../cli/job.ts";

const fixture = (name: string) =>
  new URL(`../fixtures/${name}`, import.meta.url);
const where = (spec: string) => ({ spec, standalone: false });

Deno.test("a module exports a graph or a main(client)", async () => {
  const graph = await loadJob(fixture("cli_graph_job.ts"), where("graph"));
  assert.equal(graph.kind, "graph");
  const main = await loadJob(fixture("cli_main_job.ts"), where("main"));
  assert.equal(main.kind, "main");
  assert.equal(main.kind === "main" && typeof main.main, "function");
});

Deno.test("a module without either, or missing, is refused with what to do", async () => {
  await assert.rejects(
    loadJob(fixture("graph_tasks.ts"), where("tasks.ts")),
    (e) =>
      e instanceof JobError &&
      /tasks\.ts exports neither graph .* nor main .*: export one of them/
        .test(e.message),
  );
  await assert.rejects(
    loadJob(fixture("no_such_job.ts"), where("no_such_job.ts")),
    /no module at \S+no_such_job\.ts: check the path/,
  );
  await assert.rejects(
    loadJob(fixture("no_such_job.ts"), {
      spec: "no_such_job.ts",
      standalone: true,
    }),
    /no module no_such_job\.ts in this binary: a compiled troupe runs only the modules compiled into it/,
  );
});

Deno.test("module paths: relative to the current directory, or, compiled, to troupe's folder", () => {
  const root = new URL("file:///tmp/deno-compile-troupe/");
  const plain = { cwd: "/home/me/work", standalone: false, root };
  const compiled = { ...plain, standalone: true };
  assert.equal(
    resolveModule("../jobs/sum.ts", plain).href,
    "file:///home/me/jobs/sum.ts",
  );
  assert.equal(resolveModule("/abs/job.ts", plain).href, "file:///abs/job.ts");
  assert.equal(
    resolveModule("jobs/sum.ts", compiled).href,
    "file:///tmp/deno-compile-troupe/jobs/sum.ts",
  );
  assert.equal(
    resolveModule("file:///x/job.ts", compiled).href,
    "file:///x/job.ts",
  );
  assert.equal(
    resolveModule("a b.ts", plain).href,
    "file:///home/me/work/a%20b.ts",
  );
});
