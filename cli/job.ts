/**
 * What `troupe run <module>` runs: the module named on the command line,
 * imported, and what it exports: a `graph` of delayed values to compute, or
 * a `main(client)` to call with a cluster client.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Client } from "../cluster/client/client.ts";

/**
 * A module to run: its `graph` (anything `compute` takes: a delayed value,
 * an array or object of them), or its `main`, called with a client of the
 * cluster; whatever it returns is printed.
 *
 * @example
 * ```ts
 * import type { Job } from "./job.ts";
 * const job: Job = { kind: "main", main: async (client) => (await client.compute(1))[0] };
 * ```
 */
export type Job =
  | { kind: "graph"; graph: unknown }
  | { kind: "main"; main: (client: Client) => unknown };

/**
 * The module cannot be found, imported, or does not export what `troupe
 * run` needs: its message says which, and what to do.
 *
 * @example
 * ```ts
 * import { JobError } from "./job.ts";
 * console.log(new JobError("no module at ./nope.ts").name); // "JobError"
 * ```
 */
export class JobError extends Error {
  /**
   * An error saying `message`.
   *
   * @example
   * ```ts
   * import { JobError } from "./job.ts";
   * const e = new JobError("job.ts exports neither graph nor main");
   * console.log(e.message); // "job.ts exports neither graph nor main"
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JobError";
  }
}

/**
 * The URL of the module `spec` names: a URL as it is; a path relative to
 * `cwd`. In a compiled binary (`standalone`), which can only import modules
 * compiled into it (deno compile cannot load other files at run time), a
 * relative path is taken in the folder troupe was compiled from (`root`),
 * where those modules are.
 *
 * @example
 * ```ts
 * import { resolveModule } from "./job.ts";
 * import assert from "node:assert/strict";
 *
 * const root = new URL("file:///tmp/deno-compile-troupe/");
 * assert.equal(
 *   resolveModule("jobs/sum.ts", { cwd: "/home/me", standalone: false, root }).href,
 *   "file:///home/me/jobs/sum.ts",
 * );
 * assert.equal(
 *   resolveModule("jobs/sum.ts", { cwd: "/home/me", standalone: true, root }).href,
 *   "file:///tmp/deno-compile-troupe/jobs/sum.ts",
 * );
 * assert.equal(
 *   resolveModule("https://example.com/job.ts", { cwd: "/", standalone: false, root }).href,
 *   "https://example.com/job.ts",
 * );
 * ```
 */
export function resolveModule(
  spec: string,
  where: { cwd: string; standalone: boolean; root: URL },
): URL {
  // A scheme of two letters or more (one is a Windows drive: a path).
  if (/^[a-z][a-z0-9+.-]+:/i.test(spec)) return new URL(spec);
  if (where.standalone && !spec.startsWith("/")) {
    return new URL(spec.replaceAll("\\", "/"), where.root);
  }
  return pathToFileURL(resolve(where.cwd, spec));
}

/**
 * Import the module at `url` and find what to run in it.
 *
 * @example
 * ```ts ignore
 * import { loadJob } from "./job.ts";
 * const job = await loadJob(new URL("./jobs/sum.ts", import.meta.url));
 * console.log(job.kind); // "graph"
 * ```
 */
export async function loadJob(
  url: URL,
  where: { spec: string; standalone: boolean },
): Promise<Job> {
  if (url.protocol === "file:") {
    try {
      await Deno.stat(fileURLToPath(url));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new JobError(
        where.standalone
          ? `no module ${where.spec} in this binary: a compiled troupe runs only the modules compiled into it (deno.json "compile.include"), named by their path in the folder it was compiled from`
          : `no module at ${
            fileURLToPath(url)
          }: check the path (relative to the current directory)`,
      );
    }
  }
  let module: Record<string, unknown>;
  try {
    module = await import(url.href);
  } catch (e) {
    throw new JobError(
      `cannot import ${url.href}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const hasMain = "main" in module;
  const hasGraph = "graph" in module;
  if (hasMain && hasGraph) {
    throw new JobError(
      `${where.spec} exports both graph and main: export one (troupe run computes graph, or calls main(client))`,
    );
  }
  if (hasMain) {
    if (typeof module.main !== "function") {
      throw new JobError(
        `${where.spec} exports a main that is not a function: export async function main(client) { ... }`,
      );
    }
    return { kind: "main", main: module.main as (client: Client) => unknown };
  }
  if (hasGraph) {
    if (module.graph === undefined) {
      throw new JobError(`${where.spec} exports a graph that is undefined`);
    }
    return { kind: "graph", graph: module.graph };
  }
  throw new JobError(
    `${where.spec} exports neither graph (delayed values to compute, e.g. export const graph = delayed(tasks.sum)([1, 2, 3])) nor main (export async function main(client) { ... }): export one of them`,
  );
}
