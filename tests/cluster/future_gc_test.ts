import assert from "node:assert/strict";

// A collection while a task runs must not release the key of a future whose
// `result()` or `settled()` is awaited (the future itself dropped at once,
// as `await scheduler.submit(f, x).result()` drops it). CI saw this once as
// a CancelledError where a TaskFailedError was due. The run forces
// collections, so it is a subprocess with --expose-gc.
Deno.test("a future dropped after result() is not released while its task runs", async () => {
  const script = new URL("../fixtures/future_gc.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--v8-flags=--expose-gc",
      "--allow-read",
      "--allow-env",
      script.pathname,
    ],
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  assert.equal(out.code, 0, text.decode(out.stderr));
  const got = JSON.parse(text.decode(out.stdout));
  assert.equal(got.value, 7);
  assert.equal(got.settled, "ok");
  assert.match(got.failure, /^TaskFailedError: .*negative: -3/);
});
