/**
 * `troupe worker --memory-limit SIZE --local-directory DIR`: a real worker
 * process spills into a directory of its own there, its limit and spills
 * show in the cluster's status, and the directory goes when it leaves; bad
 * memory flags are usage errors that name the flag.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ActorSystem } from "@troupe/troupe";
import { connect, startCluster } from "@troupe/troupe/cluster";
import { delayed } from "@troupe/troupe";
import { blockValue, mt } from "../fixtures/memory_tasks.ts";
import { until } from "../helpers.ts";

const CLI = new URL("../../cli/troupe.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const MiB = 2 ** 20;

function worker(args: string[], dir: string, secret = "") {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${ROOT},${dir}`,
      `--allow-write=${dir}`,
      "--allow-env=TROUPE_SECRET",
      CLI,
      "worker",
      ...args,
    ],
    env: { TROUPE_SECRET: secret, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
}

function spillFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isDirectory) continue;
    for (const f of Deno.readDirSync(join(dir, e.name))) {
      if (f.name.endsWith(".bin")) out.push(f.name);
    }
  }
  return out;
}

Deno.test("troupe worker: bad memory flags are usage errors that name the flag", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    for (
      const [flags, said] of [
        [["--memory-limit", "2parsecs"], /--memory-limit: .*"2parsecs"/],
        [
          ["--memory-pause", "1.5"],
          /--memory-pause: a fraction in \(0, 1\] or false, got 1\.5/,
        ],
      ] as const
    ) {
      const out = await worker(["127.0.0.1:1", ...flags], dir).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, said);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("troupe worker --memory-limit --local-directory: it spills there, status shows it, and the directory goes when it leaves", async () => {
  const dir = Deno.makeTempDirSync();
  await using system = new ActorSystem();
  await using cluster = startCluster(system);
  const child = worker(
    [
      cluster.address,
      "--name",
      "mw",
      "--memory-limit",
      "1GiB", // (its resident memory counts against spill and terminate)
      "--memory-target",
      "0.005", // 5.4 MB
      "--local-directory",
      dir,
    ],
    dir,
    cluster.secret as string,
  ).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    await cluster.waitForNodes(1);
    const n = MiB / 8;
    const blocks = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) =>
      delayed(mt.block)(i, n)
    );
    const held = cluster.scheduler.persist(...blocks);
    await Promise.all(held.map((f) => f.settled()));
    await until(
      () => {
        const m = cluster.status().nodes[0]?.heldMemory;
        return m !== undefined && m.spilled >= 10 * MiB - m.target;
      },
      "spills in status",
      10_000,
    );
    const m = cluster.status().nodes[0].heldMemory!;
    assert.equal(m.limit, 1024 * MiB);
    assert.ok(Math.abs(m.target - 1024 * MiB * 0.005) < 1, `${m.target}`);
    assert.ok(m.memory <= m.target, `${m.memory}`);
    assert.ok(m.spills >= 4);
    // A client's status() shows the same.
    const client = await connect(cluster.address);
    try {
      const seen = (await client.status()).nodes[0].heldMemory!;
      assert.equal(seen.limit, 1024 * MiB);
      assert.ok(seen.spills >= 4 && seen.paused === false);
    } finally {
      await client.close();
    }
    assert.ok(spillFiles(dir).length >= 3, "spill files in its directory");
    // Read back for the caller, exact.
    const values = await Promise.all(held.map((f) => f.result()));
    values.forEach((v, i) => assert.equal(v[9], blockValue(i, 9)));
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0, await stderr);
  }
  assert.deepEqual([...Deno.readDirSync(dir)], [], "its directory is gone");
  Deno.removeSync(dir, { recursive: true });
});
