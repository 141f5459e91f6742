/**
 * `deno run` of a script as a process of its own, as a cluster's tests
 * start nodes and the CLI: loopback network, the repository readable, and
 * the cluster's secret in `TROUPE_SECRET`.
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** `deno run script args` with loopback, read of the repository and `secret`. */
export function runWithSecret(
  script: string,
  args: string[],
  secret: string,
  output: { stdout?: "piped" | "null"; stderr?: "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${ROOT}`,
      "--allow-env=TROUPE_SECRET",
      script,
      ...args,
    ],
    env: { TROUPE_SECRET: secret, NO_COLOR: "1" },
    stdin: "null",
    stdout: output.stdout ?? "null",
    stderr: output.stderr ?? "null",
  }).spawn();
}
