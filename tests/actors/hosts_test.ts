/**
 * Failures across the host boundary, with real workers and subprocesses:
 * killed hosts, crashing hosts, stuck actors, orphans, permissions, and the
 * compiled-binary start path.
 */
import assert from "node:assert/strict";
import {
  ActorDeadError,
  type ActorRef,
  ActorSystem,
  child,
  defineSupervisor,
  HandlerError,
  HostError,
  transfer,
  WorkerOptionsError,
} from "@troupe/troupe";
import type { Termination } from "../../actors/watch.ts";
import { troupeReadRoots } from "../../actors/hosts/host_transports.ts";
import { importGraph } from "../../tools/import_graph.ts";
import { Counter } from "../fixtures/behaviors.ts";
import { UsesEntries } from "../fixtures/uses_entries.ts";
import { tick, until } from "../helpers.ts";

/** Whether process `pid` runs (a zombie is dead, only not yet reaped). */
async function alive(pid: number): Promise<boolean> {
  // Deno asks for --allow-all to read /proc, so ask ps.
  const out = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** Wait until process `pid` is gone (bounded). */
async function gone(pid: number, limitMs = 10_000): Promise<void> {
  const start = performance.now();
  while (await alive(pid)) {
    if (performance.now() - start > limitMs) {
      throw new Error(`process ${pid} is still running`);
    }
    await tick(20);
  }
}

Deno.test("SIGKILL of a process host mid-ask: the ask rejects with host-down", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 0, { placement: "process" });
  const { pid } = await c.ask("where");
  const notices: Termination[] = [];
  system.watch(c, (t) => notices.push(t));
  const pending = c.ask("slow", 10_000, { timeout: 20_000 });
  await tick(20);
  Deno.kill(pid, "SIGKILL");
  const err = await pending.catch((e) => e);
  assert.ok(err instanceof ActorDeadError, String(err));
  assert.equal(err.reason.type, "host-down");
  assert.match(
    err.reason.type === "host-down" ? err.reason.detail : "",
    /SIGKILL/,
  );
  await until(() => notices.length === 1, "the notice");
  assert.equal(notices[0].reason.type, "host-down");
});

Deno.test("an uncaught error in a worker host fails its actors with the reason", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 0, { placement: "worker" });
  const notices: Termination[] = [];
  system.watch(c, (t) => notices.push(t));
  await system.whenStarted(c);
  c.tell("throwLater");
  await until(() => notices.length === 1, "the notice");
  const r = notices[0].reason;
  assert.equal(r.type, "host-down");
  assert.match(
    r.type === "host-down" ? r.detail : "",
    /uncaught, outside any handler/,
  );
  await assert.rejects(c.ask("get"), ActorDeadError);
});

for (const placement of ["worker", "process"] as const) {
  Deno.test(`[${placement}] Deno.exit inside an actor is detected at once`, async () => {
    await using system = new ActorSystem();
    const c = system.spawn(Counter, 0, { placement });
    const notices: Termination[] = [];
    system.watch(c, (t) => notices.push(t));
    await system.whenStarted(c);
    const pending = c.ask("get", undefined, { timeout: 20_000 });
    await pending;
    c.tell("exit", 3);
    await until(() => notices.length === 1, "the notice");
    const r = notices[0].reason;
    assert.equal(r.type, "host-down");
    assert.match(
      r.type === "host-down" ? r.detail : "",
      placement === "worker" ? /Deno\.exit\(3\)/ : /exited with code 3/,
    );
  });
}

Deno.test("a process actor stuck in a loop is killed on hard stop, its core freed", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 0, { placement: "process" });
  const { pid } = await c.ask("where");
  c.tell("spin");
  await tick(50);
  assert.ok(await alive(pid));
  const notices: Termination[] = [];
  system.watch(c, (t) => notices.push(t));
  await system.stop(c, { timeout: 100 });
  await until(() => notices.length === 1, "the notice");
  assert.equal(notices[0].reason.type, "killed");
  await gone(pid);
});

Deno.test("a process host out of memory is detected; the program lives on", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 0, { placement: "process", heapLimitMb: 64 });
  await system.whenStarted(c);
  const err = await c.ask("hog", undefined, { timeout: 30_000 }).catch((e) =>
    e
  );
  assert.ok(err instanceof ActorDeadError, String(err));
  assert.equal(err.reason.type, "host-down");
  // V8 aborts on a heap out of memory: a signal, or a non-zero exit code.
  assert.match(
    err.reason.type === "host-down" ? err.reason.detail : "",
    /killed by SIG|exited with code [1-9]/,
  );
  const again = system.spawn(Counter, 1, { placement: "process" });
  assert.equal(await again.ask("get"), 1);
  assert.throws(
    () => system.spawn(Counter, 0, { placement: "process", heapLimitMb: 1 }),
    /heapLimitMb must be an integer >= 16/,
  );
});

Deno.test("stopping a process host kills its whole process group", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 0, {
    placement: "process",
    permissions: { run: ["sleep"] },
  });
  const grandchild = await c.ask("sleeper", 60);
  const { pid } = await c.ask("where");
  assert.ok(await alive(grandchild));
  c.tell("spin"); // a stuck host: the stop below ends in a kill
  await tick(50); // (let it start spinning, or the stop would come first)
  await system.stop(c, { timeout: 50 });
  await gone(pid);
  await gone(grandchild);
});

Deno.test("a worker actor spinning forever is stopped; its host is dropped", async () => {
  // In a process of its own: Deno cannot stop the spinning thread itself
  // (see README), so only that process's exit frees the core.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      new URL("../fixtures/spinning_worker.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, /notice: killed\n/);
  assert.match(stdout, /old host down: true/);
  assert.match(stdout, /fresh actor answers: 7/);
  assert.match(stdout, /shutdown: stopped=1 timedOut=false/);
});

Deno.test("stopping an actor whose spawn is still in flight does not wait for its timeout", async () => {
  await using system = new ActorSystem();
  const c = system.spawn(Counter, 0, {
    placement: "worker",
    shutdownTimeout: 60_000,
  });
  // Stopped before its host has answered the spawn: nothing to wait for.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<string>((r) => {
    timer = setTimeout(() => r("hung"), 10_000); // a bound, not a measure
  });
  const outcome = await Promise.race([
    system.stop(c).then(() => "stopped"),
    hung,
  ]);
  clearTimeout(timer);
  assert.equal(outcome, "stopped");
  assert.equal(system.stats(c).status, "dead");
  // The actor the host then spawned was dropped there.
  await until(() => system.hosts().every((h) => h.actors === 0), "cleanup");
});

Deno.test("1,000 worker actors share 2 hosts", async () => {
  await using system = new ActorSystem({ workers: 2 });
  const refs = Array.from(
    { length: 1000 },
    (_, i) => system.spawn(Counter, i, { placement: "worker" }),
  );
  const answers = await Promise.all(refs.map((r) => r.ask("get")));
  assert.deepEqual(answers, refs.map((_, i) => i));
  const hosts = system.hosts();
  assert.equal(hosts.length, 2);
  assert.deepEqual(hosts.map((h) => h.actors), [500, 500]);
  const pids = new Set(
    (await Promise.all(refs.map((r) => r.ask("where")))).map((w) => w.worker),
  );
  assert.deepEqual([...pids], [true]);
});

Deno.test("actors pinned to a named host share it; kinds cannot mix", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(Counter, 1, { placement: "process", host: "db" });
  const b = system.spawn(Counter, 2, { placement: "process", host: "db" });
  const [wa, wb] = await Promise.all([a.ask("where"), b.ask("where")]);
  assert.equal(wa.pid, wb.pid);
  const w = system.spawn(Counter, 3, { placement: "worker", host: "db" });
  await assert.rejects(system.whenStarted(w), /"db" is a process host/);
  assert.equal(system.hosts().filter((h) => h.name === "db").length, 1);
});

Deno.test("a supervisor restarts a process child 3 times, then escalates", async () => {
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    intensity: 3,
    periodMs: 60_000,
    children: [child("c", Counter, 0, { placement: "process" })],
  }));
  const supDeaths: Termination[] = [];
  system.watch(sup, (t) => supDeaths.push(t));
  const c = (await sup.ask("child", "c"))! as ActorRef<typeof Counter>;
  const pids = new Set<number>();
  for (let i = 0; i < 3; i++) {
    pids.add((await c.ask("where")).pid);
    await assert.rejects(c.ask("fail", `crash ${i}`), HandlerError);
    await until(() => system.stats(c).restarts === i + 1, `restart ${i + 1}`);
  }
  assert.equal(await c.ask("get"), 0, "restarted in place, fresh state");
  assert.equal(pids.size, 1, "a crash of an actor does not kill its host");
  await assert.rejects(c.ask("fail", "the fourth"), HandlerError);
  await until(() => supDeaths.length === 1, "escalation");
  const r = supDeaths[0].reason;
  assert.match(
    r.type === "failed" ? r.error.message : "",
    /more than 3 restarts/,
  );
});

Deno.test("a killed host's supervised actors restart on a fresh host", async () => {
  await using system = new ActorSystem();
  const sup = system.spawn(defineSupervisor({
    children: [child("c", Counter, 7, { placement: "process" })],
  }));
  const c = (await sup.ask("child", "c"))! as ActorRef<typeof Counter>;
  const first = (await c.ask("where")).pid;
  Deno.kill(first, "SIGKILL");
  await until(() => system.stats(c).restarts === 1, "the restart");
  const second = (await c.ask("where")).pid;
  assert.notEqual(second, first);
  assert.equal(await c.ask("get"), 7);
});

Deno.test("a process actor has only the permissions it is given", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  {
    await using system = new ActorSystem();
    const denied = system.spawn(Counter, 0, { placement: "process" });
    const err = await denied.ask("connect", port).catch((e) => e);
    assert.ok(err instanceof HandlerError, String(err));
    assert.equal(err.original.name, "NotCapable");
    assert.match(err.original.message, /net access/);
    const allowed = system.spawn(Counter, 0, {
      placement: "process",
      permissions: { net: ["127.0.0.1"] },
    });
    assert.equal(await allowed.ask("connect", port), "connected");
    assert.equal(
      system.hosts().length,
      2,
      "different permissions, different hosts",
    );
  }
  listener.close();
  await accepting.catch(() => {});
});

Deno.test("a process actor whose module imports troupe's sync and cluster starts, and reads no more of troupe", async () => {
  await using system = new ActorSystem();
  const a = system.spawn(UsesEntries, undefined, { placement: "process" });
  assert.deepEqual(await a.ask("both"), { locked: true, delayed: "function" });
  // troupe's entries are readable, not the rest of its folder (here, the
  // repository's benchmarks), nor the disk.
  const root = new URL("../../", import.meta.url);
  assert.equal(
    await a.ask("read", new URL("sync/mod.ts", root).pathname),
    "read",
  );
  assert.equal(
    await a.ask("read", new URL("bench/README.md", root).pathname),
    "NotCapable",
  );
  assert.equal(await a.ask("read", "/etc/hostname"), "NotCapable");
});

Deno.test("a process host may read every entry of troupe's deno.json", async () => {
  const root = new URL("../../", import.meta.url);
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ) as { exports: Record<string, string> };
  const roots = troupeReadRoots();
  for (const [name, path] of Object.entries(config.exports)) {
    const file = new URL(path, root).href;
    assert.ok(
      roots.some((r) => file === r || (r.endsWith("/") && file.startsWith(r))),
      `export ${name} (${path}) is not in a process host's read grant`,
    );
  }
});

Deno.test("a process host may read every file troupe's entries import, in every folder", async () => {
  // Not only the entries: the files they import, in whatever sub-folder
  // (actors/hosts/, cluster/graph/, ...), so that a new folder cannot fall
  // outside the grant unnoticed.
  const root = new URL("../../", import.meta.url);
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ) as { exports: Record<string, string>; compile?: { include?: string[] } };
  const graph = await importGraph(root.pathname, [
    ...Object.values(config.exports),
    ...(config.compile?.include ?? []),
  ]);
  const roots = troupeReadRoots();
  const outside = [...graph.keys()].filter((f) => {
    const file = new URL(f, root).href;
    return !roots.some((r) =>
      file === r || (r.endsWith("/") && file.startsWith(r))
    );
  });
  assert.deepEqual(outside, [], "files outside a process host's read grant");
  assert.ok(graph.size > 100, `the graph has ${graph.size} files`);
});

Deno.test("worker permissions without worker-options are refused at once, saying what to do", async () => {
  // A program run without the flag (as this repository's deno.json is).
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      "--allow-env",
      new URL("../fixtures/worker_permissions_unflagged.ts", import.meta.url)
        .pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A bound against the old failure (retries until KilledWorkerError).
  const bound = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(bound);
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = stdout.trim().split("\n");
  assert.deepEqual(
    lines.map((l) => l.split(": ").slice(0, 2).join(": ")),
    [
      "actor: WorkerOptionsError",
      "pool: WorkerOptionsError",
      "scheduler: WorkerOptionsError",
    ],
    stdout,
  );
  for (const line of lines) {
    assert.match(line, /"unstable": \["worker-options"\]/);
    assert.match(line, /--unstable-worker-options/);
    assert.match(line, /placement "process"/);
  }
  // In this process too: the spawn itself throws, typed.
  await using system = new ActorSystem();
  assert.throws(
    () =>
      system.spawn(Counter, 0, {
        placement: "worker",
        permissions: { net: false },
      }),
    WorkerOptionsError,
  );
  assert.equal(system.actors().length, 0, "nothing was spawned");
});

Deno.test("a SharedArrayBuffer handed to worker actors is shared memory", async () => {
  await using system = new ActorSystem({ workers: 2 });
  const sab = new SharedArrayBuffer(4);
  const refs = [0, 1, 2, 3].map(() =>
    system.spawn(Counter, 0, { placement: "worker" })
  );
  await Promise.all(refs.map((r) =>
    Promise.all([
      r.ask("bump", sab),
      r.ask("bump", sab),
    ])
  ));
  assert.equal(Atomics.load(new Int32Array(sab), 0), 8);
  // A process cannot share memory: refused at the sender.
  const p = system.spawn(Counter, 0, { placement: "process" });
  await assert.rejects(p.ask("bump", sab), /SharedArrayBuffer/);
  // Bytes cross to both.
  const bytes = new Uint8Array([1, 2, 3, 250]).buffer;
  assert.equal(await refs[0].ask("sum", bytes), 256);
  assert.equal(await p.ask("sum", bytes), 256);
});

Deno.test("worker permissions apply where worker-options are enabled", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-worker-options",
      "--allow-read",
      "--allow-net=127.0.0.1",
      new URL("../fixtures/worker_permissions.ts", import.meta.url).pathname,
      String(listener.addr.port),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  listener.close();
  await accepting.catch(() => {});
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, /denied: NotCapable/);
  assert.match(stdout, /allowed: connected/);
});

Deno.test("a transferred buffer moves to a worker actor without a copy", async () => {
  await using system = new ActorSystem();
  const w = system.spawn(Counter, 0, { placement: "worker" });
  const bytes = new Uint8Array([5, 6, 7]).buffer;
  assert.equal(await w.ask("sum", transfer(bytes)), 18);
  assert.equal(bytes.byteLength, 0, "detached here: it moved");
  const kept = new Uint8Array([1, 2]).buffer;
  assert.equal(await w.ask("sum", kept), 3);
  assert.equal(kept.byteLength, 2, "without transfer it is copied");
  // To a process the bytes are copied, transfer or not.
  const p = system.spawn(Counter, 0, { placement: "process" });
  const copied = new Uint8Array([9]).buffer;
  assert.equal(await p.ask("sum", transfer(copied)), 9);
  assert.equal(copied.byteLength, 1);
});

for (const placement of ["worker", "process"] as const) {
  Deno.test(`[${placement}] a burst over the link waits for a small mailbox; drops are counted here`, async () => {
    await using system = new ActorSystem();
    // reject (the default): a sender over a link cannot be told, so it waits.
    const c = system.spawn(Counter, 0, {
      placement,
      mailbox: { capacity: 100 },
    });
    // (Until it runs on its host, the proxy holds messages under that bound.)
    await system.whenStarted(c);
    for (let i = 0; i < 20_000; i++) c.tell("add", 1);
    assert.equal(await c.ask("get", undefined, { timeout: 30_000 }), 20_000);
    // drop-newest: what the host drops is a dead letter of this system.
    const d = system.spawn(Counter, 0, {
      placement,
      mailbox: { capacity: 10, overflow: "drop-newest" },
    });
    await system.whenStarted(d);
    for (let i = 0; i < 5_000; i++) d.tell("add", 1);
    let sum = -1;
    while (sum < 0) {
      // The ask itself may be dropped by a full mailbox: ask again.
      sum = await d.ask("get", undefined, { timeout: 30_000 }).catch(() => -1);
    }
    await until(
      () => sum + (system.deadLetters.byReason["mailbox-full"] ?? 0) >= 5_000,
      "the host's dead letters",
    );
    assert.ok(sum < 5_000, `some were dropped (${sum} arrived)`);
    const dropped = system.deadLetters.byReason["mailbox-full"] ?? 0;
    // Every tell either arrived or is counted (asks that were dropped add).
    assert.ok(sum + dropped >= 5_000, `${sum} + ${dropped}`);
  });
}

Deno.test("shutdown leaves no host process behind", async () => {
  const system = new ActorSystem();
  const refs = [0, 1, 2].map((i) =>
    system.spawn(Counter, i, { placement: "process", host: `h${i}` })
  );
  const pids = (await Promise.all(refs.map((r) => r.ask("where")))).map((w) =>
    w.pid
  );
  for (const pid of pids) assert.ok(await alive(pid));
  await system.shutdown();
  for (const pid of pids) await gone(pid);
  assert.deepEqual(system.hosts(), []);
});

Deno.test("a parent killed with SIGKILL leaves no orphan host", async () => {
  const parent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      "--allow-env",
      new URL("../fixtures/orphan_parent.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = parent.stdout.getReader();
  let text = "";
  while (!/host-pid (\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  const hostPid = Number(/host-pid (\d+)/.exec(text)?.[1]);
  assert.ok(hostPid > 0 && await alive(hostPid), `host running: ${text}`);
  parent.kill("SIGKILL");
  await parent.status;
  reader.releaseLock();
  await parent.stdout.cancel();
  await gone(hostPid);
});

Deno.test("compiled binaries: a process host re-executes the program itself", async () => {
  // fake_binary.sh stands in for `deno compile` output (which cannot be
  // built here): it runs compiled_app.ts with the arguments it gets, as the
  // binary runs its bundled main module. The app's system starts its process
  // host through it, so the host is the app re-executed in host mode.
  const wrapper =
    new URL("../fixtures/fake_binary.sh", import.meta.url).pathname;
  const out = await new Deno.Command(wrapper, {
    args: [wrapper],
    env: { DENO: Deno.execPath() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.match(stdout, /answer 42 from pid (\d+) \(parent (\d+)\)/);
  const [, host, parent] = /pid (\d+) \(parent (\d+)\)/.exec(stdout)!;
  assert.notEqual(host, parent);
  // The app's own main ran once: in the parent, never in the host.
  assert.equal(stdout.match(/app main ran/g)?.length, 1);
});

Deno.test("a process host that never says ready is killed at hostStartTimeout, and its spawn fails with why", async () => {
  // The command is not a host at all: it sleeps, holding its pipe open (the
  // host flags land in sh's $0.., unused).
  const marker = `troupe-start-deadline-${crypto.randomUUID()}`;
  await using system = new ActorSystem({
    exec: { command: "sh", args: ["-c", `exec sleep 600 # ${marker}`] },
    hostStartTimeout: 300,
  });
  const ref = system.spawn(Counter, 0, { placement: "process" });
  const err = await system.whenStarted(ref).then(() => undefined, (e) => e);
  assert.ok(err instanceof HostError, String(err));
  assert.match(String(err), /did not start within 300 ms/);
  // The sleeping command was killed, not left behind.
  await until(async () => {
    const ps = await new Deno.Command("pgrep", { args: ["-f", marker] })
      .output();
    return ps.code === 1;
  }, "the stuck host's process gone");
  assert.throws(
    () => new ActorSystem({ hostStartTimeout: 0 }),
    /hostStartTimeout must be a positive number/,
  );
});
