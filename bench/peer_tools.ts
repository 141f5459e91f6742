/**
 * Finding the peers a benchmark compares against, and saving its figures.
 *
 * @module
 */

/** Whether `path` exists (a peer's installed script, say). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `cmd --version` runs (node, python3). */
export async function hasCommand(cmd: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(cmd, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Print figures as JSON lines and write (or append) them to `file`. */
export async function saveFigures(
  figures: unknown[],
  file: string,
  append: boolean,
): Promise<void> {
  const jsonl = figures.map((f) => JSON.stringify(f)).join("\n") + "\n";
  console.log(jsonl.trimEnd());
  await Deno.mkdir(new URL(".", `file://${file}`).pathname, {
    recursive: true,
  });
  await Deno.writeTextFile(file, jsonl, { append });
}

/** Debian's python3, where the Python peers (and Dask) are installed. */
export const PYTHON = "/usr/bin/python3";

/**
 * The Dask peer workload (`dask_graph.py`): copied by `bench/peers.sh`, or
 * from the shared peers folder; undefined when neither is there.
 */
export const DASK_SCRIPT: string | undefined = [
  new URL("./.peers/dask_graph.py", import.meta.url).pathname,
  "/work/shared/peers/dask_graph.py",
].find(exists);
