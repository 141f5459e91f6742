// The guides are programs: every `ts` block of README.md and docs/*.md is
// type-checked and run by `deno task test`, which finds them because the
// task passes `--doc` and no paths (Deno then discovers every .md file not
// excluded). These tests fail when that stops being true: a path list or an
// exclude that leaves a guide out, a block marked `ignore`, a guide with no
// block, a snippet importing troupe's internals, a guide the README does not
// link.
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));

/** The guides: every .md file in docs/. */
function guides(): string[] {
  return [...Deno.readDirSync(`${root}/docs`)]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort();
}

/** A fenced block's opening: its line and its info string. */
interface Fence {
  line: number;
  info: string;
}

/** The opening fences of `text` (not the closing ones). */
function fences(text: string): Fence[] {
  const out: Fence[] = [];
  let open = false;
  text.split("\n").forEach((l, i) => {
    const m = /^\s*```(.*)$/.exec(l);
    if (m === null) return;
    if (!open) out.push({ line: i + 1, info: m[1].trim() });
    open = !open;
  });
  return out;
}

const CODE = /^(ts|typescript|js|javascript|tsx|jsx|mts)\b/;

Deno.test("deno task test runs the ts blocks of README.md and of a guide in docs/", async () => {
  // A project with troupe's test task and excludes, a README and a guide
  // whose blocks leave a mark: both marks must appear.
  const dir = await Deno.makeTempDir({ prefix: "troupe-docs-" });
  try {
    const copy = {
      tasks: { test: config.tasks.test },
      ...(config.exclude ? { exclude: config.exclude } : {}),
      ...(config.test ? { test: config.test } : {}),
    };
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(copy));
    await Deno.mkdir(`${dir}/docs`);
    const block = (mark: string) =>
      "# x\n\n```ts\n" +
      `Deno.writeTextFileSync(new URL("./${mark}", import.meta.url), "ran");\n` +
      "```\n";
    await Deno.writeTextFile(`${dir}/README.md`, block("readme-ran"));
    await Deno.writeTextFile(`${dir}/docs/guide.md`, block("guide-ran"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "test"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const log = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, log);
    for (const mark of ["readme-ran", "docs/guide-ran"]) {
      assert.equal(
        await Deno.readTextFile(`${dir}/${mark}`).catch(() => "missing"),
        "ran",
        `deno task test did not run the block that writes ${mark}:\n${log}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no ts block of README.md or docs/*.md is skipped, and every guide has one", async () => {
  const problems: string[] = [];
  for (const file of ["README.md", ...guides()]) {
    const code = fences(await Deno.readTextFile(`${root}/${file}`))
      .filter((f) => CODE.test(f.info));
    for (const f of code) {
      if (f.info !== "ts") {
        problems.push(`${file}:${f.line}: \`\`\`${f.info} (write \`\`\`ts)`);
      }
    }
    if (file !== "README.md" && code.length === 0) {
      problems.push(`${file}: no ts block`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("the snippets import troupe only from its public entries", async () => {
  const entries = Object.keys(config.exports).map((e) =>
    e === "." ? "@troupe/troupe" : `@troupe/troupe/${e.slice(2)}`
  );
  const problems: string[] = [];
  for (const file of ["README.md", ...guides()]) {
    const text = await Deno.readTextFile(`${root}/${file}`);
    for (const m of text.matchAll(/^import[^"]*"([^"]+)";/gm)) {
      const spec = m[1];
      const ok = entries.includes(spec) || spec.startsWith("node:") ||
        /^\.\/(docs\/)?tasks\.ts$/.test(spec);
      if (!ok) problems.push(`${file}: import "${spec}"`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("README.md links every guide in docs/", async () => {
  const readme = await Deno.readTextFile(`${root}/README.md`);
  const missing = guides().filter((g) => !readme.includes(`](${g})`));
  assert.deepEqual(missing, []);
});
