// The checks of what graph workers report, on their own: each well-formed
// report passes, and each way a peer can get one wrong is named (the engine
// drops a worker for any of them; see node_lifecycle_test.ts for that).
import assert from "node:assert/strict";
import {
  badDone,
  badFailed,
  badPulled,
  badSkipped,
  memoryReport,
  unattributedReport,
} from "../../cluster/graph/report_checks.ts";

Deno.test("a done report needs a run, a size and a finite duration, and nothing more", () => {
  assert.equal(badDone([7, 1, 100, 2.5]), undefined);
  assert.equal(badDone([7, 1, 100, 0]), undefined);
  for (
    const bad of [
      [7, 1, 100],
      [7, 1, 100, 2, "extra"],
      [7, 1, "100", 2],
      [7, 1, 100, -1],
      [7, 1, 100, Infinity],
      [7, 1, 100, NaN],
    ]
  ) {
    assert.match(
      badDone(bad) ?? "",
      /^a malformed done report \(/,
      String(bad),
    );
  }
});

Deno.test("a failed report says error, timeout, or which input is missing", () => {
  assert.equal(badFailed([7, 1, "error", { message: "x" }]), undefined);
  assert.equal(badFailed([7, 1, "timeout", undefined]), undefined);
  assert.equal(badFailed([7, 1, "missing", "key-1"]), undefined);
  for (
    const bad of [
      [7, 1, "missing", 3],
      [7, 1, "crashed", "x"],
      [7, 1, "error"],
    ]
  ) {
    assert.match(badFailed(bad) ?? "", /^a malformed failed report \(/);
  }
});

Deno.test("a skipped report names only runs the worker was given", () => {
  const running = new Map([[1, {}], [2, {}]]);
  assert.equal(badSkipped([7, [1, 2]], running), undefined);
  assert.equal(badSkipped([7, []], running), undefined);
  for (const bad of [[7, [1, 3]], [7, ["1"]], [7, 1], [7, [1], 0]]) {
    assert.match(
      badSkipped(bad, running) ?? "",
      /^a malformed skipped report \(/,
    );
  }
});

Deno.test("a pulled report names a pull given so far, with a string error and a known kind", () => {
  assert.equal(badPulled([7, 3], 3), undefined);
  assert.equal(badPulled([7, 1, null], 3), undefined);
  assert.equal(badPulled([7, 2, "gone", "crossing"], 3), undefined);
  for (
    const bad of [
      [7, 4],
      [7, 0],
      [7, "1"],
      [7, 1, 5],
      [7, 1, "gone", "other"],
      [7, 1, "gone", "crossing", "extra"],
    ]
  ) {
    assert.match(badPulled(bad, 3) ?? "", /^a malformed pulled report \(/);
  }
});

Deno.test("a memory report carries twelve finite figures, read as a status", () => {
  const status = memoryReport([7, 100, 50, 0, 0, 80, 1, 0, 0, 0, 0, 0, 60]);
  assert.equal(typeof status, "object");
  assert.deepEqual(
    status !== null && typeof status === "object"
      ? [status.limit, status.memory, status.paused, status.full]
      : undefined,
    [100, 50, true, false],
  );
  assert.match(
    String(memoryReport([7, 100, 50])),
    /^a malformed memory report \(/,
  );
  assert.match(
    String(memoryReport([7, 100, -50, 0, 0, 80, 1, 0, 0, 0, 0, 0, 60])),
    /^a malformed memory report \(/,
  );
});

Deno.test("reports that name no worker are logged the first ten times, then once every 10,000", () => {
  const lines: string[] = [];
  const core = { unattributed: 0, logger: (m: string) => lines.push(m) };
  for (let i = 0; i < 20_000; i++) unattributedReport(core, "junk", "done");
  assert.equal(core.unattributed, 20_000);
  assert.equal(lines.length, 12);
  assert.match(
    lines[0],
    /^a graph worker sent a malformed done report \(1 so far\): ignored \("junk"\)$/,
  );
  assert.match(lines[10], /\(10000 so far\)/);
  assert.match(lines[11], /\(20000 so far\)/);
});
