/**
 * The API report: every export of every entry in deno.json, one line each
 * (`kind name`), grouped by entry. It is committed as API.md, and
 * tests/layout_test.ts fails when the real exports differ from it, so a new
 * export (a promise kept after 1.0) is a decision seen in review.
 *
 * Run: `deno task api` to rewrite API.md, `deno task api --check` to only
 * compare (exit 1 on a difference).
 *
 * @module
 */

interface DocSymbol {
  name: string;
  declarations?: { kind: string }[];
  kind?: string;
}

/** The exports of one entry, sorted, as `kind name` lines. */
export async function entryExports(
  root: string,
  file: string,
): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", file],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno doc ${file} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols?: DocSymbol[] }>;
  };
  const lines = new Set<string>();
  for (const node of Object.values(doc.nodes)) {
    for (const s of node.symbols ?? []) {
      const kinds = new Set(
        (s.declarations ?? [{ kind: s.kind ?? "?" }]).map((d) => d.kind),
      );
      lines.add(`${[...kinds].sort().join("+")} ${s.name}`);
    }
  }
  return [...lines].sort((a, b) => {
    const na = a.slice(a.indexOf(" ") + 1), nb = b.slice(b.indexOf(" ") + 1);
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** The whole report, as API.md holds it. */
export async function apiReport(root: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as {
    name: string;
    exports: Record<string, string>;
  };
  const parts = [
    "# API report",
    "",
    // One line each, so that `deno fmt` leaves the file as written.
    "Every export of every entry of `" + config.name + "`.",
    "",
    "Written by `deno task api`, checked by `tests/layout_test.ts`.",
    "",
    "A change here is a change of the public API.",
    "",
  ];
  let total = 0;
  for (const [entry, file] of Object.entries(config.exports)) {
    const lines = await entryExports(root, file);
    total += lines.length;
    const name = entry === "."
      ? config.name
      : `${config.name}/${entry.slice(2)}`;
    parts.push(`## ${name} (${lines.length})`, "", "```");
    parts.push(...lines, "```", "");
  }
  parts.push(`${total} exports in all.`, "");
  return parts.join("\n");
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const report = await apiReport(root);
  const path = `${root}/API.md`;
  if (Deno.args.includes("--check")) {
    const committed = await Deno.readTextFile(path).catch(() => "");
    if (committed !== report) {
      console.error("API.md differs from the exports: run `deno task api`");
      Deno.exit(1);
    }
    console.log("API.md matches the exports");
  } else {
    await Deno.writeTextFile(path, report);
    console.log(`wrote ${path}`);
  }
}
