/**
 * A program whose main module is also its task or behaviour module, with no
 * `if (import.meta.main)` guard: the hosts that load it must not run the
 * program again (and start hosts of their own, without end).
 */

import assert from "node:assert/strict";

const FIXTURE = new URL("../fixtures/unguarded_main.ts", import.meta.url);

/** Command lines of the processes running now. */
async function commandLines(): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-eo", "args"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n");
}

Deno.test("an unguarded main module loaded by a host fails at once with UnguardedMainError", async () => {
  const runs = ["worker", "process"].flatMap((placement) =>
    ["pool", "actor", "graph"].map(async (what) => {
      const id = `unguarded-${placement}-${what}-${crypto.randomUUID()}`;
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-run",
          "--allow-env",
          FIXTURE.pathname,
          placement,
          what,
          id,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // A bound against the old failure (hosts starting hosts, for ever).
      const bound = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const out = await child.output();
      clearTimeout(bound);
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      const what_ = `${placement} ${what}`;
      assert.equal(out.signal, null, `${what_}: hung (${stdout}${stderr})`);
      assert.equal(out.code, 0, `${what_}: ${stderr}`);
      assert.match(
        stdout,
        /^rejected: UnguardedMainError: /m,
        `${what_}: ${stdout}`,
      );
      assert.match(stdout, /if \(import\.meta\.main\)/, what_);
      assert.ok(stdout.includes(FIXTURE.href), `${what_}: names the module`);
      // Nothing it started is left: no host of the program, nor of a host.
      const left = (await commandLines()).filter((l) => l.includes(id));
      assert.deepEqual(left, [], what_);
    })
  );
  await Promise.all(runs);
});

Deno.test("a fresh copy of the program's main module (?troupe-v=N, as a worker reloads a task module) is guarded as the module itself", async () => {
  const { importForHost, setProgramMain } = await import(
    "../../actors/main_guard.ts"
  );
  const url = new URL("../fixtures/unguarded_system.ts", import.meta.url).href;
  setProgramMain(url);
  try {
    const copy = await importForHost(`${url}?troupe-v=1`);
    assert.equal(copy.made, "UnguardedMainError");
  } finally {
    setProgramMain(undefined);
  }
});
