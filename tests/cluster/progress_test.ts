import assert from "node:assert/strict";
import { ActorSystem } from "@troupe/troupe";
import {
  type Computation,
  createScheduler,
  type Delayed,
  delayed,
  progressBar,
  type SchedulerOptions,
  TaskFailedError,
  treeReduce,
} from "@troupe/troupe";
import { renderProgress } from "../../cluster/graph/progress.ts";
import { g } from "../fixtures/graph_tasks.ts";

/** A stream that keeps each write as text. */
function fakeStream() {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  return {
    writes,
    writeSync(bytes: Uint8Array): number {
      writes.push(decoder.decode(bytes));
      return bytes.length;
    },
    /** The lines as a terminal would show them last (after each `\r`). */
    lines(): string[] {
      return writes.join("").split("\n").map((l) => l.split("\r").at(-1)!);
    },
  };
}

/** A source the test drives by hand. */
function fakeSource() {
  const listeners = new Set<(progress: Readonly<Computation>) => void>();
  let unsubscribed = 0;
  const source: Parameters<typeof progressBar>[0] = {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        unsubscribed++;
        listeners.delete(listener);
      };
    },
  };
  return {
    source,
    get listeners() {
      return listeners.size;
    },
    get unsubscribed() {
      return unsubscribed;
    },
    emit(c: Computation) {
      for (const l of listeners) l({ ...c });
    },
  };
}

const BAR =
  /^\[([#-]+)\] {2}([\d,]+)\/([\d,]+) tasks(?: {2}[\d.]+[kM]? tasks\/s)?(?: {2}([\d,]+) failed)?(?: {2}elapsed \S+)?(?: {2}ETA \S+)?$/;

/** The parts of a rendered line. */
function parse(line: string) {
  const m = line.trimEnd().match(BAR);
  assert.ok(m, `not a progress line: ${JSON.stringify(line)}`);
  return {
    filled: m[1].replace(/-/g, "").length,
    width: m[1].length,
    done: +m[2].replace(/,/g, ""),
    total: +m[3].replace(/,/g, ""),
    failed: m[4] === undefined ? 0 : +m[4].replace(/,/g, ""),
  };
}

Deno.test("renderProgress: bar, grouped counts, rate and failures", () => {
  assert.equal(
    renderProgress({ done: 1_234, total: 19_999, erred: 2 }, 100, 20),
    "[#-------------------]  1,234/19,999 tasks  12.3k tasks/s  2 failed",
  );
  assert.equal(
    renderProgress({ done: 0, total: 10, erred: 0 }, 0, 10),
    "[----------]  0/10 tasks",
  );
  assert.equal(
    renderProgress({ done: 5, total: 10, erred: 0 }, 1000, 10),
    "[#####-----]  5/10 tasks  5.0 tasks/s",
  );
  assert.equal(
    renderProgress({ done: 19_999, total: 19_999, erred: 0 }, 1000, 4),
    "[####]  19,999/19,999 tasks  20.0k tasks/s",
  );
  assert.equal(
    renderProgress({ done: 1_234_567, total: 2_000_000, erred: 1_000 }, 300, 8),
    "[####----]  1,234,567/2,000,000 tasks  4.1M tasks/s  1,000 failed",
  );
  assert.equal(
    renderProgress({ done: 850, total: 900, erred: 0 }, 1000, 2),
    "[#-]  850/900 tasks  850 tasks/s",
  );
  // An empty computation is complete; counts past the total stay in the bar.
  assert.equal(
    renderProgress({ done: 0, total: 0, erred: 0 }, 0, 3),
    "[###]  0/0 tasks",
  );
  assert.equal(
    renderProgress({ done: 9, total: 3, erred: 0 }, 0, 3),
    "[###]  9/3 tasks",
  );
  assert.equal(renderProgress({ done: 0, total: 1, erred: 0 }, 0).length, 33);
  assert.throws(
    () => renderProgress({ done: 0, total: 1, erred: 0 }, 0, 0),
    RangeError,
  );
  assert.throws(
    () => renderProgress({ done: 0, total: 1, erred: 0 }, 0, 2.5),
    RangeError,
  );
});

Deno.test("progressBar redraws in place and ends the line when done", () => {
  const stream = fakeStream();
  const src = fakeSource();
  {
    using _bar = progressBar(src.source, { stream, width: 10, intervalMs: 0 });
    assert.equal(src.listeners, 1);
    for (let done = 1; done <= 4; done++) {
      src.emit({ id: 1, total: 4, done, erred: done >= 3 ? 1 : 0 });
    }
    assert.equal(stream.writes.length, 4);
    assert.ok(stream.writes.every((w) => w.startsWith("\r")));
    assert.ok(stream.writes.slice(0, 3).every((w) => !w.includes("\n")));
    assert.ok(stream.writes[3].endsWith("\n"));
    assert.deepEqual(
      stream.writes.map((w) => parse(w.slice(1))),
      [
        { filled: 2, width: 10, done: 1, total: 4, failed: 0 },
        { filled: 5, width: 10, done: 2, total: 4, failed: 0 },
        { filled: 7, width: 10, done: 3, total: 4, failed: 1 },
        { filled: 10, width: 10, done: 4, total: 4, failed: 1 },
      ],
    );
    // The next computation starts a new line.
    src.emit({ id: 2, total: 2, done: 1, erred: 0 });
    src.emit({ id: 2, total: 2, done: 2, erred: 0 });
  }
  const lines = stream.lines();
  assert.equal(lines.length, 3); // two ended lines, then nothing
  assert.equal(lines[2], "");
  assert.deepEqual(parse(lines[1]), {
    filled: 10,
    width: 10,
    done: 2,
    total: 2,
    failed: 0,
  });
  assert.equal(src.unsubscribed, 1);
});

Deno.test("progressBar draws at most once per interval, then the final line", () => {
  const stream = fakeStream();
  const src = fakeSource();
  using _bar = progressBar(src.source, { stream, intervalMs: 1e9 });
  for (let done = 1; done <= 100; done++) {
    src.emit({ id: 1, total: 100, done, erred: 0 });
  }
  // The first update, and the final line (the timer for a redraw in 1e9 ms
  // was cancelled by the end: the sanitizers would see it otherwise).
  assert.equal(stream.writes.length, 2);
  assert.equal(parse(stream.writes[0].slice(1)).done, 1);
  assert.ok(stream.writes[1].endsWith("\n"));
  assert.equal(parse(stream.writes[1].slice(1, -1)).done, 100);
});

Deno.test("progressBar counts computations running together until all are done", () => {
  const stream = fakeStream();
  const src = fakeSource();
  using _bar = progressBar(src.source, { stream, intervalMs: 0 });
  src.emit({ id: 1, total: 2, done: 1, erred: 0 });
  src.emit({ id: 2, total: 3, done: 1, erred: 1 });
  src.emit({ id: 1, total: 2, done: 2, erred: 0 }); // 1 is done, 2 is not
  assert.ok(!stream.writes.join("").includes("\n"));
  src.emit({ id: 2, total: 3, done: 3, erred: 1 });
  const lines = stream.lines();
  assert.equal(lines.length, 2);
  assert.deepEqual(parse(lines[0]), {
    filled: 20,
    width: 20,
    done: 5,
    total: 5,
    failed: 1,
  });
});

Deno.test("a disposed progressBar ends its line, stops listening and drawing", () => {
  const stream = fakeStream();
  const src = fakeSource();
  const bar = progressBar(src.source, { stream, intervalMs: 1e9 });
  src.emit({ id: 1, total: 10, done: 1, erred: 0 });
  src.emit({ id: 1, total: 10, done: 2, erred: 0 }); // (a redraw is pending)
  bar[Symbol.dispose]();
  assert.equal(src.unsubscribed, 1);
  assert.equal(src.listeners, 0);
  assert.equal(stream.writes.length, 2);
  assert.ok(stream.writes[1].endsWith("\n"));
  assert.deepEqual(parse(stream.writes[1].slice(1, -1)).done, 2);
  bar[Symbol.dispose](); // idempotent
  assert.equal(src.unsubscribed, 1);
  assert.equal(stream.writes.length, 2);
  // Disposing a bar that drew nothing writes nothing.
  const quiet = fakeStream();
  progressBar(fakeSource().source, { stream: quiet })[Symbol.dispose]();
  assert.deepEqual(quiet.writes, []);
});

Deno.test("progressBar checks its options", () => {
  const src = fakeSource().source;
  assert.throws(() => progressBar(src, { width: 0 }), RangeError);
  assert.throws(() => progressBar(src, { intervalMs: -1 }), RangeError);
  assert.throws(() => progressBar(src, { intervalMs: Infinity }), RangeError);
});

Deno.test("progressBar writes all of a line to a stream that takes a few bytes at a time", () => {
  const chunks: number[] = [];
  let text = "";
  const stream = {
    writeSync(bytes: Uint8Array): number {
      const n = Math.min(7, bytes.length);
      chunks.push(n);
      text += new TextDecoder().decode(bytes.subarray(0, n));
      return n;
    },
  };
  const src = fakeSource();
  using _bar = progressBar(src.source, { stream });
  src.emit({ id: 1, total: 1, done: 1, erred: 0 });
  assert.ok(chunks.length > 1);
  assert.match(text, /^\r\[#{20}\] {2}1\/1 tasks[^\r\n]*\n$/);
});

/** `square(i)` for i < n (or `leaf(i)`), then pairwise `add` down to one. */
function tree(
  n: number,
  leaf: (i: number) => Delayed<number> = (i: number) => delayed(g.square)(i),
): Delayed<number> {
  return treeReduce(g.add, Array.from({ length: n }, (_, i) => leaf(i)));
}

const placements: SchedulerOptions[] = [
  { placement: "inline" },
  { placement: "local", workers: 2 },
];

for (const options of placements) {
  const where = options.placement;

  Deno.test(`[${where}] progressBar reaches 100% with the graph's counts`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const stream = fakeStream();
    {
      using _bar = progressBar(scheduler, { stream, intervalMs: 0 });
      const [total] = await scheduler.compute(tree(100)); // 199 tasks
      assert.equal(total, 328_350);
      // Ended before compute resolved: disposing adds nothing.
      const before = stream.writes.length;
      assert.ok(stream.writes.at(-1)!.endsWith("\n"));
      _bar[Symbol.dispose]();
      assert.equal(stream.writes.length, before);
    }
    const lines = stream.lines();
    assert.equal(lines.length, 2);
    assert.deepEqual(parse(lines[0]), {
      filled: 20,
      width: 20,
      done: 199,
      total: 199,
      failed: 0,
    });
    // Counts only went up.
    const counts = stream.writes.map((w) =>
      parse(w.replace(/[\r\n]/g, "")).done
    );
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
    assert.equal(counts.at(-1), 199);
  });

  Deno.test(`[${where}] progressBar shows failed tasks`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const stream = fakeStream();
    using _bar = progressBar(scheduler, { stream });
    // inc(-5) = -4, then checked(-4) throws, and so inc of it fails too.
    const out = delayed(g.inc)(delayed(g.checked)(delayed(g.inc)(-5)));
    await assert.rejects(scheduler.compute(out), TaskFailedError);
    const lines = stream.lines();
    assert.equal(lines.length, 2);
    assert.deepEqual(parse(lines[0]), {
      filled: 20,
      width: 20,
      done: 3,
      total: 3,
      failed: 2,
    });
  });

  Deno.test(`[${where}] after dispose, computations draw nothing`, async () => {
    await using system = new ActorSystem();
    await using scheduler = createScheduler(system, options);
    const stream = fakeStream();
    const bar = progressBar(scheduler, { stream, intervalMs: 0 });
    await scheduler.compute(tree(4));
    const drawn = stream.writes.length;
    assert.ok(drawn > 0);
    bar[Symbol.dispose]();
    await scheduler.compute(tree(8));
    assert.equal(stream.writes.length, drawn);
  });
}
