/**
 * The progress line's time is the job's own: elapsed from its
 * computations' start to their end, a rate over that, and an ETA, however
 * late the line first hears of the job (the bug: a bar that first polled a
 * job at its end printed `1,999/1,999 tasks 26.9M tasks/s`).
 */

import assert from "node:assert/strict";
import { type Computation, progressBar } from "@troupe/troupe";
import {
  formatDuration,
  jobElapsed,
  timing,
} from "../../cluster/graph/job_clock.ts";

function fakeStream() {
  const writes: string[] = [];
  return {
    writes,
    writeSync(bytes: Uint8Array): number {
      writes.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  };
}

function source() {
  const listeners = new Set<(progress: Readonly<Computation>) => void>();
  return {
    subscribe(l: (progress: Readonly<Computation>) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(c: Computation) {
      for (const l of listeners) l({ ...c });
    },
  };
}

Deno.test("a bar that first hears of a job at its end says the job's time and rate, not its own", () => {
  const stream = fakeStream();
  const src = source();
  const now = Date.now();
  {
    using _bar = progressBar(src, { stream, intervalMs: 0 });
    // 1,999 tasks that ran from 4 s ago to 1 s ago: 3 s, 666 tasks/s.
    src.emit({
      id: 1,
      total: 1999,
      done: 1999,
      erred: 0,
      started: now - 4_000,
      ended: now - 1_000,
    });
  }
  const line = stream.writes.join("").split("\r").at(-1)!;
  assert.equal(
    line,
    "[####################]  1,999/1,999 tasks  666 tasks/s  elapsed 3.0s\n",
  );
});

Deno.test("a bar of a running job shows elapsed time since the job's start and an ETA at its rate", () => {
  const stream = fakeStream();
  const src = source();
  const bar = progressBar(src, { stream, intervalMs: 0 });
  try {
    src.emit({
      id: 1,
      total: 200,
      done: 100,
      erred: 0,
      started: Date.now() - 10_000,
    });
    const line = stream.writes.at(-1)!;
    assert.match(
      line,
      /^\r\[#{10}-{10}\] {2}100\/200 tasks {2}(9\.9|10) tasks\/s {2}elapsed 10\.\ds {2}ETA 10\.\ds$/,
    );
  } finally {
    bar[Symbol.dispose]();
  }
});

Deno.test("jobElapsed: from the first start to the last end, or to now while any runs", () => {
  const a = { total: 2, done: 2, started: 1_000, ended: 3_000 };
  const b = { total: 2, done: 1, started: 2_000 };
  assert.equal(jobElapsed([a], 10_000, 0), 2_000);
  assert.equal(jobElapsed([a, b], 10_000, 0), 9_000);
  assert.equal(jobElapsed([{ total: 1, done: 0 }], 10_000, 4_000), 6_000);
  assert.equal(jobElapsed([], 10_000, 0), 0);
});

Deno.test("formatDuration and timing read as a person reads them", () => {
  assert.equal(formatDuration(400), "0.4s");
  assert.equal(formatDuration(59_949), "59.9s");
  assert.equal(formatDuration(60_000), "1m00s");
  assert.equal(formatDuration(3_599_000), "59m59s");
  assert.equal(formatDuration(3_600_000), "1h00m");
  assert.equal(formatDuration(NaN), "?");
  assert.equal(timing(0, 10, 1_000), "  elapsed 1.0s");
  assert.equal(timing(1, 4, 1_000), "  elapsed 1.0s  ETA 3.0s");
});
