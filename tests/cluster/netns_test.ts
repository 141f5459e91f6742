/**
 * The cluster across network namespaces: the scheduler in one (10.231.0.1),
 * a worker and a client in another (10.231.0.2), linked by a veth pair, as
 * distinct hosts. It needs root (`ip netns`); elsewhere it is skipped and
 * its name says why.
 */

import assert from "node:assert/strict";
import { firstLine } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli/troupe.ts`;
const CLIENT = `${ROOT}tests/fixtures/netns_client.ts`;
const SECRET = "netns-test-secret";
const A = "trp-sched";
const B = "trp-work";

async function sh(script: string): Promise<boolean> {
  const { success } = await new Deno.Command("bash", {
    args: ["-c", script],
    stdout: "null",
    stderr: "null",
  }).output();
  return success;
}

async function canUseNetns(): Promise<boolean> {
  try {
    return await sh(
      '[ "$(id -u)" = 0 ] && ip netns add trp-probe && ip netns del trp-probe',
    );
  } catch {
    return false;
  }
}

const SETUP = `
set -e
ip netns add ${A}; ip netns add ${B}
ip link add trp-va type veth peer name trp-vb
ip link set trp-va netns ${A}; ip link set trp-vb netns ${B}
ip -n ${A} addr add 10.231.0.1/24 dev trp-va
ip -n ${B} addr add 10.231.0.2/24 dev trp-vb
for ns in ${A} ${B}; do ip -n $ns link set lo up; done
ip -n ${A} link set trp-va up; ip -n ${B} link set trp-vb up
`;
const TEARDOWN =
  `ip netns del ${A} 2>/dev/null; ip netns del ${B} 2>/dev/null; true`;

/** `deno run` a troupe program inside namespace `ns`. */
function inNs(ns: string, program: string, args: string[]) {
  return new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      Deno.execPath(),
      "run",
      "--no-prompt",
      "--allow-net",
      `--allow-read=${ROOT}`,
      "--allow-env=TROUPE_SECRET",
      program,
      ...args,
    ],
    env: { TROUPE_SECRET: SECRET },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const usable = await canUseNetns();

Deno.test({
  name: usable
    ? "a scheduler, a worker and a client on distinct hosts (network namespaces)"
    : "SKIPPED: network namespaces need root and `ip netns` (a scheduler, a worker and a client on distinct hosts)",
  ignore: !usable,
  async fn() {
    await sh(TEARDOWN);
    assert.ok(await sh(SETUP), "setting up the namespaces");
    const procs: Deno.ChildProcess[] = [];
    try {
      const scheduler = inNs(A, CLI, [
        "scheduler",
        "--host",
        "10.231.0.1",
        "--port",
        "0",
      ]);
      procs.push(scheduler);
      const line = await firstLine(scheduler.stdout);
      const address = line.match(/^scheduler at (\S+)$/)?.[1] ?? "";
      assert.ok(address.startsWith("10.231.0.1:"), `scheduler said: ${line}`);
      const worker = inNs(B, CLI, ["worker", address, "--name", "far"]);
      procs.push(worker);
      const client = inNs(B, CLIENT, [address]);
      const out = await client.output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(text, new RegExp(`total ${(299 * 300 * 599) / 6}`));
    } finally {
      for (const p of procs) {
        try {
          p.kill("SIGTERM");
        } catch { /* gone */ }
      }
      for (const p of procs) {
        await p.status;
        await p.stdout.cancel().catch(() => {});
        await p.stderr.cancel().catch(() => {});
      }
      await sh(TEARDOWN);
    }
  },
});
