/**
 * The dashboard's logs panel and its API: `GET /api/logs?worker=NAME`
 * asks a real node process for its log through the scheduler, with the
 * dashboard's token and a deadline; in headless Chromium, the panel opened
 * on a worker shows its lines.
 */

import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import { serveDashboard, startCluster } from "@troupe/troupe/cluster";
import { openPage } from "./cdp.ts";
import { pngInfo, WIDTHS } from "./screenshot.ts";

import { runWithSecret } from "./deno_run.ts";
const ROOT = new URL("../../", import.meta.url).pathname;
const SECRET = "dashboard-logs-secret";

/** Whether Debian's `chromium` is on the PATH. */
const chromium = (() => {
  try {
    return new Deno.Command("which", { args: ["chromium"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** `deno run script args` with loopback, read and the secret. */
function spawn(script: string, args: string[]): Deno.ChildProcess {
  return runWithSecret(script, args, SECRET);
}

/** A cluster with a `troupe worker` called alpha and a node that never answers, for `body`. */
async function withNodes(
  body: (dashboardUrl: string) => Promise<void>,
): Promise<void> {
  await using system = new ActorSystem();
  await using cluster = startCluster(system, {
    secret: SECRET,
    logger: () => {},
  });
  const nodes = [
    spawn(`${ROOT}cli/troupe.ts`, [
      "worker",
      cluster.address,
      "--name",
      "alpha",
    ]),
    spawn(`${ROOT}tests/fixtures/mute_node.ts`, [
      cluster.address,
      "mute",
      "silent",
    ]),
  ];
  try {
    await cluster.waitForNodes(2);
    await using dashboard = serveDashboard(cluster, { token: "t0k" });
    await body(dashboard.url);
  } finally {
    for (const p of nodes) {
      try {
        p.kill("SIGTERM");
      } catch { /* exited */ }
      await p.status;
    }
  }
}

Deno.test("GET /api/logs: a worker's lines with the token; 401 without, 404 for no such worker, 400 for a bad query, 504 for a node that does not answer", async () => {
  await withNodes(async (url) => {
    const get = async (query: string, token = "&token=t0k") => {
      const res = await fetch(new URL(`api/logs?${query}${token}`, url));
      return { status: res.status, body: await res.json().catch(() => null) };
    };
    const ok = await get("worker=alpha&lines=50");
    assert.equal(ok.status, 200);
    assert.equal(ok.body.worker, "alpha");
    assert.ok(
      ok.body.lines.some((l: { text: string }) =>
        /^joined 127\.0\.0\.1:\d+ as alpha$/.test(l.text)
      ),
      JSON.stringify(ok.body),
    );
    assert.equal((await get("worker=alpha", "")).status, 401);
    const none = await get("worker=nobody");
    assert.equal(none.status, 404);
    assert.match(none.body.error, /worker nobody: no worker of that name/);
    assert.equal((await get("worker=alpha&lines=501")).status, 400);
    assert.equal((await get("lines=5")).status, 400);
    const mute = await get("worker=mute");
    assert.equal(mute.status, 504);
    assert.equal(mute.body.code, "timeout");
  });
});

Deno.test({
  name: chromium
    ? "dashboard in headless Chromium: a click on a worker opens the logs panel with its log, fetched from the node"
    : "dashboard logs panel in headless Chromium (skipped: `chromium` is not installed)",
  ignore: !chromium,
  fn: async () => {
    await withNodes(async (url) => {
      await using page = await openPage(`${url}?token=t0k`);
      await page.waitFor(
        `document.querySelectorAll("#workers tr.worker").length === 2`,
        "both workers in the table",
      );
      // Nothing is fetched before the click.
      assert.equal(await page.evaluate(`$("logsBox").hidden`), true);
      await page.evaluate(
        `[...document.querySelectorAll("#workers tr.worker")].find((tr) => tr.cells[0].textContent === "alpha").click()`,
      );
      await page.waitFor(
        `/joined 127\\.0\\.0\\.1:\\d+ as alpha/.test($("logs").textContent)`,
        "alpha's log in the panel",
      );
      assert.equal(await page.evaluate(`$("logsBox").hidden`), false);
      assert.match(
        String(await page.evaluate(`$("logsWorker").textContent`)),
        /^alpha, last \d+ lines?, at /,
      );
      assert.equal(
        await page.evaluate(
          `document.querySelector("tr.logsOn").cells[0].textContent`,
        ),
        "alpha",
        "its row is marked",
      );
      // Pictures of the panel open, at a desktop's and a phone's width.
      for (const width of WIDTHS) {
        const png = await page.screenshot(width);
        const info = await pngInfo(png);
        assert.equal(info.width, width, "the screenshot's width");
        assert.ok(info.inked > 0.02, `not blank (${info.inked})`);
        const keep = Deno.env.get("TROUPE_SHOTS");
        if (keep) await Deno.writeFile(`${keep}/logs-${width}.png`, png);
      }
      // A worker that does not answer: the panel says so, the page goes on.
      await page.evaluate(
        `[...document.querySelectorAll("#workers tr.worker")].find((tr) => tr.cells[0].textContent === "mute").click()`,
      );
      await page.waitFor(
        `/no answer to "logs" within 4000 ms/.test($("logs").textContent)`,
        "the mute node's timeout in the panel",
      );
    });
  },
});
