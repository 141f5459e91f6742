/**
 * A new project's first run prints no warning about troupe's dependencies.
 * msgpackr lists the native add-on msgpackr-extract as an optional
 * dependency, so resolving msgpackr installs it, whichever msgpackr entry is
 * imported (troupe imports the plain-JS `msgpackr/pack`), and Deno warns
 * once per project that its install script was not run. Deno reads
 * `allowScripts` from the project's own deno.json only: troupe's deno.json
 * denies the script (quiet for troupe's own checkout), and the README gives
 * projects the same line. The test runs a fresh project that imports troupe
 * through an import map to a local copy (as the README shows), offline, from a copy of the npm cache with Deno's "warned"
 * markers removed: without the line it warns (so the test can see the
 * warning), with it it does not.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const PACKAGES = [
  "msgpackr",
  "msgpackr-extract",
  "@msgpackr-extract",
  "node-gyp-build-optional-packages",
  "detect-libc",
];

/** Where this Deno keeps npm packages (registry.npmjs.org under it). */
function npmCache(): string | undefined {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const dir = `${info.npmCache}/registry.npmjs.org`;
  try {
    for (const p of PACKAGES) Deno.statSync(`${dir}/${p}`);
    return dir;
  } catch {
    return undefined;
  }
}

const CACHE = npmCache();

/** Copy `from` to `to`, leaving out Deno's "scripts warned" markers. */
async function copyPackage(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.name.startsWith(".scripts-warned")) continue;
    const a = `${from}/${entry.name}`, b = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyPackage(a, b);
    else if (entry.isFile) await Deno.copyFile(a, b);
  }
}

/** A fresh project linking troupe, run once; its stderr. */
async function firstRun(config: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "troupe-first-run-" });
  try {
    for (const p of PACKAGES) {
      await copyPackage(
        `${CACHE}/${p}`,
        `${dir}/deno_dir/npm/registry.npmjs.org/${p}`,
      );
    }
    await Deno.mkdir(`${dir}/project`);
    await Deno.writeTextFile(
      `${dir}/project/deno.json`,
      JSON.stringify({
        // (an import map to a local copy, as the README shows: no JSR)
        imports: {
          "@troupe/troupe": `${ROOT}mod.ts`,
          "@troupe/troupe/cluster": `${ROOT}cluster/mod.ts`,
        },
        ...config,
      }),
    );
    await Deno.writeTextFile(
      `${dir}/project/main.ts`,
      `import { ActorSystem } from "@troupe/troupe";
import { startCluster } from "@troupe/troupe/cluster";
await using system = new ActorSystem();
await using cluster = startCluster(system);
console.log(cluster.address === "" ? "no address" : "ok");
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--cached-only", "--allow-net=127.0.0.1", "main.ts"],
      cwd: `${dir}/project`,
      env: { DENO_DIR: `${dir}/deno_dir`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), "ok\n");
    return stderr;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: CACHE === undefined
    ? "a new project's first run prints no warning (skipped: msgpackr is not in Deno's npm cache here)"
    : "a new project's first run prints no warning with troupe's allowScripts line (and does without it)",
  ignore: CACHE === undefined,
  async fn() {
    const troupeConfig = JSON.parse(
      await Deno.readTextFile(`${ROOT}deno.json`),
    );
    const line = { allowScripts: troupeConfig.allowScripts };
    assert.deepEqual(line.allowScripts, { deny: ["npm:msgpackr-extract"] });
    assert.match(
      await firstRun({}),
      /Ignored build scripts[\s\S]*msgpackr-extract/,
    );
    assert.equal(await firstRun(line), "");
  },
});
